// The intermediary's money rules, as pure functions: anomalies of a report, coverage and the new balance, orders a
// report closes, funding decisions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../host/src/codec/ecdsa.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { cardIdOf } from '../../host/src/codec/ids.ts';
import { encodeTransaction, type Report, signTransaction, type Transaction } from '../../host/src/codec/messages.ts';
import { STATE } from '../../host/src/codec/protocol-constants.ts';
import type { LogRecord } from '../../host/src/codec/records.ts';
import { appliedResultOrderSeq, decideOrders, detectAnomalies, fundingDecision, isPendingIn, isPendingOut, type ReportFacts, syncBalance } from '../../host/src/server/intermediary/rules.ts';

const key = generateKeyPair();
const card = cardIdOf(1, 5);
const other = cardIdOf(1, 6);

function tx(payer: Uint8Array, payerSeq: number, recipient: Uint8Array, amount: number, recipientIm = 1): Transaction {
  return { payerId: payer, payerSeq, payerIntermediary: 1, recipientId: recipient, recipientIntermediary: recipientIm, requestNo: payerSeq, amount, reference: new Uint8Array(8) };
}

function record(kind: 'OUTGOING' | 'INCOMING', t: Transaction, voided = false): LogRecord {
  return { kind, voided, transaction: t, signature: signTransaction(t, key.privateKey).signature };
}

function order(kind: 'TOP_UP' | 'DEFUND', orderSeq: number, amount: number): LogRecord {
  return { kind, voided: false, orderSeq, amount, challenge: new Uint8Array(16), stateCounter: 0, signature: new Uint8Array(64) };
}

function report(fields: Partial<Report>): Report {
  return {
    cardId: card,
    challenge: new Uint8Array(16),
    stateCounter: 3,
    orderSeq: 0,
    balance: 0,
    lastSyncBalance: 0,
    txSeq: 0,
    requestSeq: 0,
    policyVersion: 0,
    state: STATE.ACTIVE,
    recordCount: 0,
    recordsDigest: new Uint8Array(32),
    openAmount: 0,
    ...fields,
  };
}

function facts(r: Report, records: LogRecord[], extra: Partial<ReportFacts> = {}): ReportFacts {
  return { report: r, records, intermediaryId: 1, recordChecks: records.map(() => ({ ok: true })), knownBodies: new Map(), resultBalances: [], ...extra };
}

const kinds = (f: ReportFacts) => detectAnomalies(f).map((a) => a.kind);

describe('detectAnomalies', () => {
  it('finds nothing in an honest report: top-up, payments out and in, a voided payment', () => {
    const records = [order('TOP_UP', 0, 100_00), record('OUTGOING', tx(card, 0, other, 30_00)), record('OUTGOING', tx(card, 1, other, 5_00), true), record('INCOMING', tx(other, 9, card, 2_00))];
    expect(kinds(facts(report({ orderSeq: 1, balance: 72_00, txSeq: 2 }), records))).toEqual([]);
  });

  it('a balance the history does not explain', () => {
    expect(kinds(facts(report({ orderSeq: 1, balance: 101_00 }), [order('TOP_UP', 0, 100_00)]))).toEqual(['balance-unexplained']);
  });

  it('a last sync balance that no signed result explains (or that is not 0 before the first)', () => {
    expect(kinds(facts(report({ orderSeq: 0, balance: 10_00, lastSyncBalance: 10_00 }), []))).toEqual(['last-sync-balance-unexplained']);
    // Order counter 3, one order in the log: the last result answered the report made at number 1.
    const r = report({ orderSeq: 3, balance: 60_00, lastSyncBalance: 50_00 });
    expect(appliedResultOrderSeq(r, [order('TOP_UP', 2, 10_00)])).toBe(1);
    expect(kinds(facts(r, [order('TOP_UP', 2, 10_00)], { resultBalances: [50_00] }))).toEqual([]);
    expect(kinds(facts(r, [order('TOP_UP', 2, 10_00)], { resultBalances: [40_00] }))).toEqual(['last-sync-balance-unexplained']);
  });

  it('a payer sequence number at or above TX_SEQ, repeated in the log, or known with other content', () => {
    const first = tx(card, 0, other, 1_00);
    expect(kinds(facts(report({ balance: 0, lastSyncBalance: 0, txSeq: 0, orderSeq: 1 }), [order('TOP_UP', 0, 1_00), record('OUTGOING', first)]))).toEqual(['sequence-reused']);
    const twice = [order('TOP_UP', 0, 3_00), record('OUTGOING', first), record('OUTGOING', { ...first, amount: 2_00 })];
    expect(kinds(facts(report({ orderSeq: 1, txSeq: 1 }), twice))).toEqual(['sequence-reused']);
    const known = new Map([[toHex(cardIdOf(1, 5)) + '00000000', toHex(encodeTransaction({ ...first, amount: 9_00 }))]]);
    expect(kinds(facts(report({ orderSeq: 1, txSeq: 1 }), [order('TOP_UP', 0, 1_00), record('OUTGOING', first)], { knownBodies: known }))).toEqual(['sequence-reused']);
  });

  it('records of other cards, and what the service found about signatures and orders', () => {
    const foreign = record('OUTGOING', tx(other, 0, card, 1_00));
    expect(kinds(facts(report({ txSeq: 1, balance: 0 }), [foreign]))).toContain('foreign-record');
    const incomingElsewhere = record('INCOMING', tx(other, 0, card, 1_00, 2));
    expect(kinds(facts(report({ balance: 1_00 }), [incomingElsewhere]))).toEqual(['foreign-record']);
    const incoming = record('INCOMING', tx(other, 0, card, 1_00));
    expect(kinds(facts(report({ balance: 1_00 }), [incoming], { recordChecks: [{ ok: false, kind: 'unknown-key', detail: 'x' }] }))).toEqual(['unknown-key']);
    expect(kinds(facts(report({ balance: 2_00 }), [incoming, incoming]))).toEqual(['duplicate-record']);
  });
});

describe('syncBalance', () => {
  it('is the shadow plus pending in, minus pending out and reserved top-ups; the excess over the maximum is swept from free money', () => {
    expect(syncBalance({ shadow: 100, pendingIn: 30, pendingOut: 20, reservedTopUps: 10, withheld: 0, maxBalance: 1000 })).toEqual({ coverage: 100, newBalance: 100, sweep: 0 });
    expect(syncBalance({ shadow: 500, pendingIn: 0, pendingOut: 0, reservedTopUps: 0, withheld: 0, maxBalance: 300 })).toEqual({ coverage: 500, newBalance: 300, sweep: 200 });
    // Only what the shadow holds free can be swept: money still in flight towards the card is not there yet.
    expect(syncBalance({ shadow: 100, pendingIn: 400, pendingOut: 0, reservedTopUps: 0, withheld: 0, maxBalance: 300 })).toEqual({ coverage: 500, newBalance: 400, sweep: 100 });
    // A payment credited that the card never reported stays out of the card's balance, and is never swept.
    expect(syncBalance({ shadow: 100, pendingIn: 0, pendingOut: 0, reservedTopUps: 0, withheld: 60, maxBalance: 30 })).toEqual({ coverage: 40, newBalance: 30, sweep: 10 });
  });

  it('never sweeps more than is free, never answers a negative balance', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), fc.nat(10_000), (shadow, pendingIn, pendingOut, reservedTopUps, withheld, maxBalance) => {
        const b = syncBalance({ shadow, pendingIn, pendingOut, reservedTopUps, withheld, maxBalance });
        expect(b.sweep).toBeGreaterThanOrEqual(0);
        expect(b.sweep).toBeLessThanOrEqual(Math.max(0, shadow - pendingOut - reservedTopUps - withheld));
        expect(b.newBalance).toBeGreaterThanOrEqual(0);
        if (b.coverage >= 0) expect(b.newBalance + b.sweep).toBe(b.coverage);
      }),
    );
  });
});

describe('decideOrders', () => {
  it('applies orders with a record, supersedes open ones the counter passed, leaves the others', () => {
    const open = [
      { id: 1, kind: 'TOP_UP' as const, orderSeq: 4, amount: 10, state: 'open' as const },
      { id: 2, kind: 'DEFUND' as const, orderSeq: 5, amount: 7, state: 'open' as const },
      { id: 3, kind: 'TOP_UP' as const, orderSeq: 7, amount: 3, state: 'open' as const },
      { id: 4, kind: 'TOP_UP' as const, orderSeq: null, amount: 3, state: 'open' as const },
    ];
    expect(decideOrders(open, report({ orderSeq: 7 }), [order('TOP_UP', 4, 10)])).toEqual({ applied: [1], superseded: [2] });
    // A record with another amount is not that order.
    expect(decideOrders(open, report({ orderSeq: 7 }), [order('TOP_UP', 4, 11)])).toEqual({ applied: [], superseded: [1, 2] });
  });
});

describe('states and funding', () => {
  it('counts what the card spent and its shadow has not paid, and what it holds and is not credited', () => {
    expect((['known', 'pending', 'advance-requested', 'advanced'] as const).every(isPendingOut)).toBe(true);
    expect((['debited', 'repaying', 'settled', 'declined', 'reversed'] as const).some(isPendingOut)).toBe(false);
    expect([isPendingIn('reported'), isPendingIn('credited'), isPendingIn('unreported'), isPendingIn(null)]).toEqual([true, false, false, false]);
  });

  it('debits when the money is there, else asks the pool or waits', () => {
    expect(fundingDecision(10, 10, 'pending')).toBe('debit');
    expect(fundingDecision(9, 10, 'pending')).toBe('wait');
    expect(fundingDecision(9, 10, 'pool')).toBe('advance');
  });
});
