// The intermediary's money rules as pure functions (docs/NETWORK.md sections 2 and 3): what a sync report must
// prove, which anomalies block a card, what a card's balance is covered by, which orders a report closes, what a
// transaction's state counts for. No I/O here: the service gathers the facts, these functions decide.

import { cardIdHex, transactionIdOf } from '../../codec/ids.ts';
import { toHex } from '../../codec/hex.ts';
import type { Report } from '../../codec/messages.ts';
import { encodeTransaction } from '../../codec/messages.ts';
import { balanceFromRecords, type LogRecord } from '../../codec/records.ts';

export type AnomalyKind =
  | 'balance-unexplained'
  | 'last-sync-balance-unexplained'
  | 'sequence-reused'
  | 'duplicate-record'
  | 'unknown-key'
  | 'bad-signature'
  | 'order-mismatch'
  | 'foreign-record'
  | 'balance-uncovered';

export interface Anomaly {
  kind: AnomalyKind;
  /** One sentence. */
  detail: string;
  /** The record it is about, when it is about one. */
  recordIndex?: number;
}

/** What the service found out about one record before the rules run (signatures need keys, orders need the database). */
export type RecordCheck =
  | { ok: true }
  | { ok: false; kind: 'unknown-key' | 'bad-signature' | 'order-mismatch'; detail: string };

export interface ReportFacts {
  report: Report;
  records: readonly LogRecord[];
  /** This intermediary's id. */
  intermediaryId: number;
  /** One check per record, in log order. */
  recordChecks: readonly RecordCheck[];
  /** Bodies (hex) already known for the ids of this report's transactions (OUTGOING and INCOMING), by transaction id hex. */
  knownBodies: ReadonlyMap<string, string>;
  /**
   * The new balances of the sync results this intermediary signed for reports of this card at order number
   * `appliedResultOrderSeq(report, records)` (see below): one of them is the card's last sync balance.
   */
  resultBalances: readonly number[];
}

/** Order records (TOP_UP, DEFUND) in the log. */
export function orderRecordCount(records: readonly LogRecord[]): number {
  return records.filter((r) => r.kind === 'TOP_UP' || r.kind === 'DEFUND').length;
}

/**
 * The order number of the report whose sync result the card applied last, or undefined when it never applied one.
 * Each applied order and each applied sync result increment the card's order counter, and the log holds every
 * order applied since the last result; so the counter right after that result was `orderSeq - orders in the log`,
 * and the result answered a report made one number earlier. Zero means no result was ever applied.
 */
export function appliedResultOrderSeq(report: Report, records: readonly LogRecord[]): number | undefined {
  const afterResult = report.orderSeq - orderRecordCount(records);
  return afterResult >= 1 ? afterResult - 1 : undefined;
}

/** Hex id of a transaction record's transaction. */
export function recordTransactionId(record: LogRecord): string | undefined {
  if (record.kind !== 'OUTGOING' && record.kind !== 'INCOMING') return undefined;
  return toHex(transactionIdOf(record.transaction.payerId, record.transaction.payerSeq));
}

/**
 * Every anomaly a report shows (section 3, step 2), in log order. Empty for an honest card. Each one blocks the
 * card: its report is not settled and the answer is a signed SET LIFECYCLE BLOCKED.
 */
export function detectAnomalies(facts: ReportFacts): Anomaly[] {
  const { report, records } = facts;
  const anomalies: Anomaly[] = [];
  const cardHex = cardIdHex(report.cardId);

  const explained = balanceFromRecords(report.lastSyncBalance, records);
  if (explained !== report.balance) {
    anomalies.push({
      kind: 'balance-unexplained',
      detail: `The card reports a balance of ${report.balance} öre; its last sync balance and records explain ${explained} öre.`,
    });
  }

  const resultSeq = appliedResultOrderSeq(report, records);
  if (resultSeq === undefined) {
    if (report.lastSyncBalance !== 0) {
      anomalies.push({
        kind: 'last-sync-balance-unexplained',
        detail: `The card never applied a sync result (order counter ${report.orderSeq}, ${orderRecordCount(records)} order records) but reports a last sync balance of ${report.lastSyncBalance} öre.`,
      });
    }
  } else if (!facts.resultBalances.includes(report.lastSyncBalance)) {
    anomalies.push({
      kind: 'last-sync-balance-unexplained',
      detail: `The card's last sync balance ${report.lastSyncBalance} öre is not the balance of any result signed for its report at order number ${resultSeq} (${facts.resultBalances.length === 0 ? 'none was signed' : `signed: ${facts.resultBalances.join(', ')}`}).`,
    });
  }

  const outgoingSeqs = new Set<number>();
  const incomingIds = new Set<string>();
  records.forEach((record, index) => {
    const check = facts.recordChecks[index];
    if (check && !check.ok) anomalies.push({ kind: check.kind, detail: check.detail, recordIndex: index });
    switch (record.kind) {
      case 'OUTGOING': {
        const tx = record.transaction;
        if (cardIdHex(tx.payerId) !== cardHex) {
          anomalies.push({ kind: 'foreign-record', detail: `Record ${index} is an OUTGOING payment of another card (${cardIdHex(tx.payerId)}).`, recordIndex: index });
          break;
        }
        if (tx.payerSeq >= report.txSeq) {
          anomalies.push({ kind: 'sequence-reused', detail: `Record ${index} has payer sequence number ${tx.payerSeq}, not below the card's TX_SEQ ${report.txSeq}.`, recordIndex: index });
        }
        if (outgoingSeqs.has(tx.payerSeq)) {
          anomalies.push({ kind: 'sequence-reused', detail: `Record ${index} repeats payer sequence number ${tx.payerSeq} of an earlier record.`, recordIndex: index });
        }
        outgoingSeqs.add(tx.payerSeq);
        const known = facts.knownBodies.get(recordTransactionId(record)!);
        if (known !== undefined && known !== toHex(encodeTransaction(tx))) {
          anomalies.push({ kind: 'sequence-reused', detail: `Record ${index}'s transaction id ${recordTransactionId(record)} is known with other content.`, recordIndex: index });
        }
        break;
      }
      case 'INCOMING': {
        const tx = record.transaction;
        if (cardIdHex(tx.recipientId) !== cardHex || tx.recipientIntermediary !== facts.intermediaryId) {
          anomalies.push({ kind: 'foreign-record', detail: `Record ${index} is an INCOMING payment addressed to another card or intermediary.`, recordIndex: index });
          break;
        }
        const id = recordTransactionId(record)!;
        if (incomingIds.has(id)) anomalies.push({ kind: 'duplicate-record', detail: `Record ${index} repeats the INCOMING transaction ${id}.`, recordIndex: index });
        incomingIds.add(id);
        break;
      }
      case 'DECLINED':
        if (cardIdHex(record.decline.recipientId) !== cardHex || record.decline.recipientIntermediary !== facts.intermediaryId) {
          anomalies.push({ kind: 'foreign-record', detail: `Record ${index} declines a request of another card or intermediary.`, recordIndex: index });
        }
        break;
      case 'TOP_UP':
      case 'DEFUND':
        break;
    }
  });
  return anomalies;
}

// ------------------------------------------------------------------------------------------------ coverage

export interface CoverageFacts {
  /** The card's shadow wallet. */
  shadow: number;
  /** Payments to this card that it holds (reported INCOMING) and that are not credited yet. */
  pendingIn: number;
  /** Payments by this card not yet debited from its shadow wallet. */
  pendingOut: number;
  /** Top-up orders signed and not yet known to be applied or superseded: their money waits in the shadow for the order. */
  reservedTopUps: number;
  /** Payments credited to the card that it never reported: it may still receive them offline, so they stay out. */
  withheld: number;
  /** The card policy's maximum balance. */
  maxBalance: number;
}

export interface SyncBalance {
  /** What the card's balance is covered by: shadow + pending in - pending out - reserved top-ups - withheld. */
  coverage: number;
  /** The balance the sync result sets on the card. */
  newBalance: number;
  /** Moved shadow -> online before the result is signed, so that the card stays within its policy. */
  sweep: number;
}

/**
 * The balance a sync result gives the card (section 3, step 6): all the money that is the card's (its shadow, with
 * what it holds in payments not yet settled either way), minus top-up orders that are still open (they reach the
 * card through their own instruction, never twice) and payments credited that the card never reported (it may still
 * receive them offline, never twice), and at most `maxBalance`: the excess is swept to the user's online wallet, as
 * far as the shadow wallet holds it free.
 */
export function syncBalance(f: CoverageFacts): SyncBalance {
  const coverage = f.shadow + f.pendingIn - f.pendingOut - f.reservedTopUps - f.withheld;
  const free = Math.max(0, f.shadow - f.pendingOut - f.reservedTopUps - f.withheld);
  const sweep = coverage > f.maxBalance ? Math.min(coverage - f.maxBalance, free) : 0;
  return { coverage, newBalance: Math.max(0, coverage - sweep), sweep };
}

// ------------------------------------------------------------------------------------------------ orders

export interface OpenOrder {
  id: number;
  kind: 'TOP_UP' | 'DEFUND';
  orderSeq: number | null;
  amount: number;
  state: 'open' | 'applied';
}

export interface OrderDecision {
  /** Orders whose record is in this log: applied (a de-fund moves shadow -> online once). */
  applied: number[];
  /** Orders numbered below the report's order counter without a record: they never apply any more. */
  superseded: number[];
}

/**
 * What a report says about the orders still open (section 3, step 3). A report's order counter is past every
 * order the card applied or skipped; the log holds the records of those applied since the last sync result.
 */
export function decideOrders(openOrders: readonly OpenOrder[], report: Report, records: readonly LogRecord[]): OrderDecision {
  const decision: OrderDecision = { applied: [], superseded: [] };
  for (const order of openOrders) {
    if (order.orderSeq === null) continue; // never signed: the card cannot have it
    const record = records.find((r) => (r.kind === 'TOP_UP' || r.kind === 'DEFUND') && r.kind === order.kind && r.orderSeq === order.orderSeq && r.amount === order.amount);
    if (record) decision.applied.push(order.id);
    else if (order.orderSeq < report.orderSeq && order.state === 'open') decision.superseded.push(order.id);
  }
  return decision;
}

// ------------------------------------------------------------------------------------ transaction states

/** States of a transaction at the payer's intermediary (docs/NETWORK.md section 2). */
export type PayerState = 'known' | 'pending' | 'debited' | 'advance-requested' | 'advanced' | 'repaying' | 'settled' | 'declined' | 'reversed';

/** States at the recipient's intermediary. `reported`: the recipient card holds it, not credited yet. */
export type RecipientState = 'unreported' | 'reported' | 'credited' | 'rejected' | 'reversed';

/** The payer's shadow has not paid it yet, but the card already spent it: it counts against the card's coverage. */
export function isPendingOut(state: PayerState | null): boolean {
  return state === 'known' || state === 'pending' || state === 'advance-requested' || state === 'advanced';
}

/** The recipient card holds it and it is not credited yet: it counts for the card's coverage. */
export function isPendingIn(state: RecipientState | null): boolean {
  return state === 'reported';
}

export type Liquidity = 'pending' | 'pool';

/** What to do with a payment whose payer has `available` öre: debit now, ask the pool, or wait for funds. */
export function fundingDecision(available: number, amount: number, liquidity: Liquidity): 'debit' | 'advance' | 'wait' {
  if (available >= amount) return 'debit';
  return liquidity === 'pool' ? 'advance' : 'wait';
}
