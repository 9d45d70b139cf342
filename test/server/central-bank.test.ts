// The central bank's register and pool through its HTTP API, with two intermediaries played by the test (their
// keys registered, their urls unreachable: the movements meant for them wait in the outbox, which the audit counts).

import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../host/src/codec/ecdsa.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { cardIdOf } from '../../host/src/codec/ids.ts';
import { encodeRecord } from '../../host/src/codec/records.ts';
import { signDecline, signTransaction, type Transaction } from '../../host/src/codec/messages.ts';
import { type BatchAnswer, type CentralBankAudit, type DeclineAnswer, MAX_BATCHED_REQUESTS, type SettleAnswer } from '../../host/src/server/api.ts';
import { CentralBankClient } from '../../host/src/server/client.ts';
import { PeerCaller } from '../../host/src/server/http/peers.ts';
import { generateSigningKey } from '../../host/src/server/keys.ts';
import { initCentralBankDir } from '../../host/src/server/network.ts';
import { type RunningCentralBank, startCentralBank } from '../../host/src/server/services.ts';
import type { SigningKey } from '../../host/src/server/signatures.ts';

let dir: string;
let bank: RunningCentralBank;
let admin: CentralBankClient;
const internalErrors: unknown[] = [];
const keys: Record<number, SigningKey> = {};
const payerKey = generateKeyPair();
let seq = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-cb-'));
  initCentralBankDir(dir, { liquidity: 'pool', poolLimit: 100_00 });
  bank = await startCentralBank(dir, { outboxIntervalMs: 60_000, onInternalError: (error) => internalErrors.push(error) });
  admin = new CentralBankClient(bank.url, { adminToken: bank.adminToken });
  for (const id of [1, 2]) {
    keys[id] = generateSigningKey();
    await admin.registerIntermediary({ id, name: `Bank ${id}`, url: 'http://127.0.0.1:9', publicKey: toHex(keys[id].publicKey) });
    await admin.issue(id, 1_000_00);
  }
});
afterAll(async () => {
  await bank?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A signed request from intermediary `id` (or any sender name and key). */
async function call<T>(id: number, path: string, body: unknown, options: { key?: string; signer?: SigningKey; sender?: string } = {}): Promise<{ status: number; body: T }> {
  const caller = new PeerCaller(options.signer ?? keys[id], options.sender ?? `im:${id}`);
  const response = await caller.call(bank.url, 'POST', path, JSON.stringify(body), options.key ?? randomUUID());
  return { status: response.status, body: response.body as T };
}

/** A payment of `amount` from a card of intermediary `payerIm` to request `requestNo` of a card of `recipientIm`. */
function payment(payerIm: number, recipientIm: number, amount: number, requestNo = seq): { tx: Transaction; json: { body: string; signature: string }; txId: string } {
  const tx: Transaction = {
    payerId: cardIdOf(payerIm, 1),
    payerSeq: seq++,
    payerIntermediary: payerIm,
    recipientId: cardIdOf(recipientIm, 7),
    recipientIntermediary: recipientIm,
    requestNo,
    amount,
    reference: new Uint8Array(8),
  };
  const signed = signTransaction(tx, payerKey.privateKey);
  return { tx, json: { body: toHex(signed.body), signature: toHex(signed.signature) }, txId: toHex(cardIdOf(payerIm, 1)) + tx.payerSeq.toString(16).toUpperCase().padStart(8, '0') };
}

function declineOf(p: { tx: Transaction }): { recipientCard: string; requestNo: number; recipientIntermediary: number; source: 'decline'; evidence: string } {
  const decline = signDecline({ recipientId: p.tx.recipientId, recipientIntermediary: p.tx.recipientIntermediary, requestNo: p.tx.requestNo, amount: p.tx.amount, reference: p.tx.reference }, payerKey.privateKey);
  const evidence = toHex(encodeRecord({ kind: 'DECLINED', voided: false, decline: decline.value, signature: decline.signature }));
  return { recipientCard: toHex(p.tx.recipientId), requestNo: p.tx.requestNo, recipientIntermediary: p.tx.recipientIntermediary, source: 'decline', evidence };
}

async function audit(): Promise<CentralBankAudit> {
  const a = await admin.audit();
  expect(a.problems).toEqual([]);
  return a;
}

describe('register', () => {
  it('settles a transaction once, moves the positions, and tells the recipient intermediary through the outbox', async () => {
    const before = await audit();
    const p = payment(1, 2, 10_00);
    const first = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] });
    expect(first.body.results).toEqual([{ txId: p.txId, outcome: 'settled' }]);
    expect(first.body.movements).toEqual([]); // the credit is for intermediary 2, not the caller
    const again = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] });
    expect(again.body.results[0]).toMatchObject({ txId: p.txId, outcome: 'already', fundedBy: 'shadow', state: 'settled' });
    const after = await audit();
    expect(after.positions).toEqual({ '1': before.positions['1'] - 10_00, '2': before.positions['2'] + 10_00 });
    expect(after.register.settled).toBe(before.register.settled + 1);
    expect(after.undeliveredOutbox).toBeGreaterThan(before.undeliveredOutbox);
  });

  it('settles a payment between two cards of one intermediary with no movement: no position changes', async () => {
    const before = await audit();
    const p = payment(1, 1, 3_00);
    const answer = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] });
    expect(answer.body.results).toEqual([{ txId: p.txId, outcome: 'settled' }]);
    expect(answer.body.movements).toEqual([]);
    const after = await audit();
    expect(after.positions).toEqual(before.positions);
    expect(after.register.settled).toBe(before.register.settled + 1);
    expect(after.undeliveredOutbox).toBe(before.undeliveredOutbox);
  });

  it('pays a request once: another transaction for it is a duplicate, another body under the same id a conflict', async () => {
    const p = payment(1, 2, 4_00);
    await call(1, '/register/settle', { items: [p.json] });
    const second = payment(1, 2, 4_00, p.tx.requestNo);
    expect((await call<SettleAnswer>(1, '/register/settle', { items: [second.json] })).body.results[0].outcome).toBe('duplicate-request');
    const tx = { ...p.tx, amount: 5_00, requestNo: p.tx.requestNo + 1000 };
    const signed = signTransaction(tx, payerKey.privateKey);
    const conflicting = { body: toHex(signed.body), signature: toHex(signed.signature) };
    expect((await call<SettleAnswer>(1, '/register/settle', { items: [conflicting] })).body.results[0].outcome).toBe('conflict');
    await audit();
  });

  it("lets only the payer's intermediary settle a payment", async () => {
    const p = payment(1, 2, 1_00);
    const answer = await call<{ error: string }>(2, '/register/settle', { items: [p.json] });
    expect(answer.status).toBe(403);
  });

  it('never settles a declined request, and reverses one settled before the decline', async () => {
    const early = payment(1, 2, 2_00);
    const declined = await call<DeclineAnswer>(2, '/register/decline', { items: [declineOf(early)] });
    expect(declined.body.results[0]).toEqual({ recipientCard: toHex(early.tx.recipientId), requestNo: early.tx.requestNo, outcome: 'declined' });
    expect((await call<SettleAnswer>(1, '/register/settle', { items: [early.json] })).body.results[0].outcome).toBe('declined');

    const before = await audit();
    const late = payment(1, 2, 6_00);
    await call(1, '/register/settle', { items: [late.json] });
    const reversed = await call<DeclineAnswer>(2, '/register/decline', { items: [declineOf(late)] });
    expect(reversed.body.results[0].reversed).toEqual({ txId: late.txId, amount: 6_00 });
    expect(reversed.body.movements).toEqual([{ id: `reversal-debit:${late.txId}`, kind: 'reversal-debit', amount: 6_00, txId: late.txId }]);
    const after = await audit();
    expect(after.positions).toEqual(before.positions);
    expect(after.register.reversed).toBe(before.register.reversed + 1);
    // The decline comes from the recipient's intermediary only, with the DECLINED record as evidence.
    const other = payment(1, 2, 1_00);
    expect((await call(1, '/register/decline', { items: [declineOf(other)] })).status).toBe(403);
    expect((await call(2, '/register/decline', { items: [{ ...declineOf(other), requestNo: other.tx.requestNo + 1 }] })).status).toBe(400);
  });
});

describe('pool', () => {
  it('advances a payment, is repaid once, and keeps to its limit', async () => {
    const before = await audit();
    const p = payment(1, 2, 60_00);
    const advanced = await call<{ results: Array<{ outcome: string }> }>(1, '/pool/advance', { items: [p.json] });
    expect(advanced.body.results[0].outcome).toBe('advanced');
    let a = await audit();
    expect(a.poolOutstanding).toBe(before.poolOutstanding + 60_00);
    expect(a.positions['2']).toBe(before.positions['2'] + 60_00);
    // The limit is SEK 100: another SEK 60 does not fit.
    const over = payment(1, 2, 60_00);
    expect((await call<{ results: Array<{ outcome: string }> }>(1, '/pool/advance', { items: [over.json] })).body.results[0].outcome).toBe('pool-unavailable');
    // Repaid by the payer's intermediary, once.
    expect((await call<{ results: Array<{ outcome: string }> }>(1, '/pool/repay', { items: [{ txId: p.txId }] })).body.results[0].outcome).toBe('repaid');
    expect((await call<{ results: Array<{ outcome: string }> }>(1, '/pool/repay', { items: [{ txId: p.txId }] })).body.results[0].outcome).toBe('already');
    a = await audit();
    expect(a.poolOutstanding).toBe(before.poolOutstanding);
    expect(a.positions['1']).toBe(before.positions['1'] - 60_00);
  });

  it('cancels an advance whose request is declined before it is repaid', async () => {
    const before = await audit();
    const p = payment(1, 2, 5_00);
    await call(1, '/pool/advance', { items: [p.json] });
    await call(2, '/register/decline', { items: [declineOf(p)] });
    expect((await call<{ results: Array<{ outcome: string }> }>(1, '/pool/repay', { items: [{ txId: p.txId }] })).body.results[0].outcome).toBe('cancelled');
    const after = await audit();
    expect({ pool: after.poolOutstanding, positions: after.positions }).toEqual({ pool: before.poolOutstanding, positions: before.positions });
  });
});

describe('signed, idempotent requests', () => {
  it('answers a repeated idempotency key with the stored answer, and refuses it with another body', async () => {
    const before = await audit();
    const p = payment(1, 2, 7_00);
    const key = randomUUID();
    const first = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] }, { key });
    const replay = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] }, { key });
    expect(replay).toEqual(first);
    const other = payment(1, 2, 8_00);
    const reused = await call<{ error: string }>(1, '/register/settle', { items: [other.json] }, { key });
    expect({ status: reused.status, error: reused.body.error }).toEqual({ status: 409, error: 'idempotency-key-reused' });
    const after = await audit();
    expect(after.register.settled).toBe(before.register.settled + 1);
  });

  it('refuses unsigned, forged and unknown senders, and changes nothing', async () => {
    const before = await audit();
    const p = payment(1, 2, 9_00);
    const body = JSON.stringify({ items: [p.json] });
    const { requestJson } = await import('../../host/src/server/http/json-http.ts');
    const unsigned = await requestJson({ method: 'POST', url: `${bank.url}/register/settle`, body });
    expect(unsigned.status).toBe(401);
    expect((await call(1, '/register/settle', { items: [p.json] }, { signer: keys[2] })).status).toBe(401); // signed with intermediary 2's key
    expect((await call(1, '/register/settle', { items: [p.json] }, { signer: generateSigningKey(), sender: 'im:3' })).status).toBe(401); // nobody registered
    expect((await call(1, '/register/settle', { items: [p.json] }, { signer: generateSigningKey(), sender: 'central-bank' })).status).toBe(403);
    const after = await audit();
    expect(after).toEqual(before);
  });
});

describe('several register requests in one (POST /register/batch)', () => {
  const settleRequest = (p: { json: unknown }, key = randomUUID()) => ({ path: '/register/settle', idempotencyKey: key, body: JSON.stringify({ items: [p.json] }) });

  it('answers each request as it would be answered alone, in order', async () => {
    const before = await audit();
    const a = payment(1, 2, 1_00);
    const b = payment(1, 2, 2_00);
    const answer = await call<BatchAnswer>(1, '/register/batch', { requests: [settleRequest(a), settleRequest(b), { path: '/pool/repay', idempotencyKey: randomUUID(), body: JSON.stringify({ items: [{ txId: a.txId }] }) }] });
    expect(answer.status).toBe(200);
    expect(answer.body.answers).toEqual([
      { status: 200, body: { results: [{ txId: a.txId, outcome: 'settled' }], movements: [] } },
      { status: 200, body: { results: [{ txId: b.txId, outcome: 'settled' }], movements: [] } },
      { status: 200, body: { results: [{ txId: a.txId, outcome: 'unknown' }] } },
    ]);
    const after = await audit();
    expect(after.register.settled).toBe(before.register.settled + 2);
    expect(after.positions['1']).toBe(before.positions['1'] - 3_00);
  });

  it('keeps each request idempotent under its own key, batched or alone', async () => {
    const p = payment(1, 2, 3_00);
    const key = randomUUID();
    const batched = await call<BatchAnswer>(1, '/register/batch', { requests: [settleRequest(p, key)] });
    const alone = await call<SettleAnswer>(1, '/register/settle', { items: [p.json] }, { key });
    expect(alone).toEqual(batched.body.answers[0]);
    const again = await call<BatchAnswer>(1, '/register/batch', { requests: [settleRequest(p, key)] });
    expect(again.body.answers[0]).toEqual(batched.body.answers[0]);
    const other = await call<BatchAnswer>(1, '/register/batch', { requests: [settleRequest(payment(1, 2, 4_00), key)] });
    expect(other.body.answers[0]).toMatchObject({ status: 409, body: { error: 'idempotency-key-reused' } });
  });

  it('refuses a malformed request alone, with the reason it would get alone, and applies the others', async () => {
    const before = await audit();
    const good = payment(1, 2, 5_00);
    const answer = await call<BatchAnswer>(1, '/register/batch', {
      requests: [
        { path: '/register/settle', idempotencyKey: randomUUID(), body: '{"items": [' },
        { path: '/register/settle', idempotencyKey: randomUUID(), body: JSON.stringify({ items: [{ body: 'AB', signature: 'CD' }] }) },
        { path: '/register/settle', idempotencyKey: randomUUID(), body: JSON.stringify({ items: [payment(2, 1, 1_00).json] }) },
        settleRequest(good),
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.answers.map((a) => [a.status, (a.body as { error?: string }).error])).toEqual([
      [400, 'invalid-json'],
      [400, 'invalid-request'],
      [403, 'forbidden'],
      [200, undefined],
    ]);
    expect((await audit()).register.settled).toBe(before.register.settled + 1);
  });

  it("answers a request that fails through the service's fault with 500, reports it, and applies the others", async () => {
    const before = await audit();
    const good = payment(1, 2, 7_00);
    const settle = bank.service.settle;
    bank.service.settle = async () => {
      bank.service.settle = settle; // only the first settle fails
      throw new Error('disk on fire');
    };
    try {
      const answer = await call<BatchAnswer>(1, '/register/batch', { requests: [settleRequest(payment(1, 2, 1_00)), settleRequest(good)] });
      expect(answer.body.answers.map((a) => [a.status, (a.body as { error?: string }).error])).toEqual([
        [500, 'internal'],
        [200, undefined],
      ]);
    } finally {
      bank.service.settle = settle;
    }
    expect(internalErrors.map((e) => (e as Error).message)).toEqual(['disk on fire']);
    internalErrors.length = 0;
    expect((await audit()).register.settled).toBe(before.register.settled + 1);
  });

  it(`refuses, whole and changing nothing, an unknown path, more than ${MAX_BATCHED_REQUESTS} requests, or a batch not signed by its sender`, async () => {
    const before = await audit();
    const p = payment(1, 2, 6_00);
    expect((await call(1, '/register/batch', { requests: [{ ...settleRequest(p), path: '/admin/issue' }] })).status).toBe(400);
    expect((await call(1, '/register/batch', { requests: Array.from({ length: MAX_BATCHED_REQUESTS + 1 }, () => settleRequest(p)) })).status).toBe(400);
    expect((await call(1, '/register/batch', { requests: [] })).status).toBe(400);
    expect((await call(1, '/register/batch', { requests: [settleRequest(p)] }, { signer: keys[2] })).status).toBe(401);
    expect((await call(1, '/register/batch', { requests: [settleRequest(p)] }, { signer: generateSigningKey(), sender: 'central-bank' })).status).toBe(403);
    expect(await audit()).toEqual(before);
  });
});
