// The intermediary's rules through its HTTP API, with model cards (test/network/card-model.ts): orders (signed again
// for a fresh challenge, never credited twice, one open per card), de-funds, sync idempotency, every anomaly that
// blocks a card, sweeps, lost cards, termination, and instructions due at the card's next contact.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../host/src/codec/hex.ts';
import { decodeSignedInstruction, type SignedInstruction } from '../../host/src/codec/instructions.ts';
import { signTransaction } from '../../host/src/codec/messages.ts';
import { STATE } from '../../host/src/codec/protocol-constants.ts';
import { ServiceRequestError } from '../../host/src/server/client.ts';
import { CardRefusal } from '../network/card-model.ts';
import { TestNetwork } from '../network/harness.ts';

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.open({ lostCardGraceMs: 0 });
});
afterAll(async () => {
  await net?.close();
});

const decode = <K extends 'TOP_UP' | 'DEFUND' | 'LIFECYCLE' | 'POLICY' | 'SYNC_RESULT'>(hex: string | null) => {
  if (!hex) throw new Error('no instruction');
  return decodeSignedInstruction(fromHex(hex)) as SignedInstruction<K>;
};

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceRequestError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('the request was not refused');
}

describe('users', () => {
  it('a creation repeated with its idempotency key answers the same user with a fresh token, and the old token stops working', async () => {
    const admin = net.admins[0];
    const first = await admin.createUser('repeated', 'create-key-1');
    const again = await admin.createUser('repeated', 'create-key-1');
    expect(again.userId).toBe(first.userId);
    expect(again.token).not.toBe(first.token);
    expect(await refusal(admin.as(first.token).me())).toEqual({ status: 401, code: 'unauthorized' });
    expect((await admin.as(again.token).me()).online).toBe(0);
    expect((await admin.createUser('repeated', 'create-key-2')).userId).not.toBe(first.userId);
  });

  it('refuses an idempotency key of one creation for another name, and a malformed key, creating and moving nothing', async () => {
    const admin = net.admins[0];
    await admin.createUser('keyed', 'create-key-3');
    expect(await refusal(admin.createUser('other', 'create-key-3'))).toEqual({ status: 409, code: 'idempotency-key-reused' });
    expect(await refusal(admin.createUser('other', 'bad key!'))).toEqual({ status: 400, code: 'invalid-idempotency-key' });
    const keyed = await admin.createUser('depositor');
    expect(await refusal(admin.deposit(keyed.userId, 10_00, 'short'))).toEqual({ status: 400, code: 'invalid-idempotency-key' });
    expect((await admin.as(keyed.token).me()).online).toBe(0);
    await net.expectBalanced();
  });
});

describe('orders', () => {
  it('signs a top-up again for each fresh challenge while the card has not applied it, and credits it once', async () => {
    const alice = await net.card(0, { deposit: 100_00 });
    const id = alice.card.cardIdHex;
    const order = await alice.client.createOrder(id, 'TOP_UP', 40_00, 'order-key-1');
    expect((await alice.client.me()).online).toBe(60_00);
    // The same request again (a retry) is the same order: nothing moves twice.
    expect((await alice.client.createOrder(id, 'TOP_UP', 40_00, 'order-key-1')).orderId).toBe(order.orderId);
    expect((await alice.client.me()).online).toBe(60_00);

    const first = decode<'TOP_UP'>((await alice.client.signOrder(id, order.orderId, alice.card.getChallenge())).instruction);
    const second = decode<'TOP_UP'>((await alice.client.signOrder(id, order.orderId, alice.card.getChallenge())).instruction);
    expect(second.value.orderSeq).toBe(first.value.orderSeq);
    expect(() => alice.card.topUp(first)).toThrow(new CardRefusal('STALE_CHALLENGE'));
    alice.card.topUp(second);
    expect(alice.card.balance).toBe(40_00);
    // The card's order counter moved on: nothing more to sign, ever.
    const after = await alice.client.signOrder(id, order.orderId, alice.card.getChallenge());
    expect(after.instruction).toBeNull();

    expect((await net.sync(alice)).outcome).toBe('synchronised');
    expect(alice.card.balance).toBe(40_00);
    expect(await alice.client.orders(id)).toMatchObject([{ orderId: order.orderId, state: 'completed' }]);
    expect(await net.coverage(alice)).toBe(40_00);
    await net.expectBalanced();
  });

  it('keeps one open order per card: a signed top-up closes when the next order is made, an unsigned one or a de-fund does not', async () => {
    const card = await net.card(0, { deposit: 100_00 });
    const id = card.card.cardIdHex;
    const unsigned = await card.client.createOrder(id, 'TOP_UP', 10_00);
    expect(await refusal(card.client.createOrder(id, 'TOP_UP', 10_00))).toEqual({ status: 409, code: 'order-open' });
    const instruction = decode<'TOP_UP'>((await card.client.signOrder(id, unsigned.orderId, card.card.getChallenge())).instruction);
    card.card.topUp(instruction);
    const next = await card.client.createOrder(id, 'TOP_UP', 15_00);
    expect((await card.client.orders(id)).map((o) => o.state)).toEqual(['completed', 'open']);
    card.card.topUp(decode<'TOP_UP'>((await card.client.signOrder(id, next.orderId, card.card.getChallenge())).instruction));
    await net.sync(card);
    expect(card.card.balance).toBe(25_00);
    const defund = await card.client.createOrder(id, 'DEFUND', 5_00);
    await card.client.signOrder(id, defund.orderId, card.card.getChallenge());
    expect(await refusal(card.client.createOrder(id, 'TOP_UP', 10_00))).toEqual({ status: 409, code: 'order-open' });
    expect(await net.coverage(card)).toBe(25_00);
    await net.expectBalanced();
  });

  it('never credits a top-up twice, even when the phone lies about the order number', async () => {
    const card = await net.card(0, { deposit: 100_00 });
    const id = card.card.cardIdHex;
    const order = await card.client.createOrder(id, 'TOP_UP', 30_00);
    // The phone forges the next order number; the card refuses the instruction (9C1E)...
    const forged = { ...card.card.getChallenge() };
    forged.orderSeq += 1;
    const early = decode<'TOP_UP'>((await card.client.signOrder(id, order.orderId, forged)).instruction);
    expect(() => card.card.topUp(early)).toThrow(new CardRefusal('WRONG_ORDER'));
    // ...then the card syncs (its counter reaches that number) and applies the order: the sync result did not carry
    // the order's money, which stays reserved for the order, so the card holds it exactly once.
    expect((await net.sync(card)).newBalance).toBe(0);
    card.card.topUp(decode<'TOP_UP'>((await card.client.signOrder(id, order.orderId, card.card.getChallenge())).instruction));
    expect(card.card.balance).toBe(30_00);
    await net.sync(card);
    expect(card.card.balance).toBe(30_00);
    expect(await net.coverage(card)).toBe(30_00);
    await net.expectBalanced();
  });

  it('cancels an order never signed (its money goes back online), not a signed one', async () => {
    const card = await net.card(0, { deposit: 50_00 });
    const id = card.card.cardIdHex;
    const unsigned = await card.client.createOrder(id, 'TOP_UP', 20_00);
    expect((await card.client.cancelOrder(id, unsigned.orderId)).state).toBe('cancelled');
    expect((await card.client.me()).online).toBe(50_00);
    const signed = await card.client.createOrder(id, 'TOP_UP', 20_00);
    await card.client.signOrder(id, signed.orderId, card.card.getChallenge());
    expect(await refusal(card.client.cancelOrder(id, signed.orderId))).toEqual({ status: 409, code: 'order-signed' });
  });

  it('signs a de-fund only for money free in the shadow wallet, and moves it online once', async () => {
    const card = await net.card(0, { deposit: 100_00, topUp: 60_00 });
    const id = card.card.cardIdHex;
    expect(await refusal(card.client.createOrder(id, 'DEFUND', 70_00))).toEqual({ status: 409, code: 'shadow-short' });
    const order = await card.client.createOrder(id, 'DEFUND', 25_00);
    const confirmation = card.card.defund(decode<'DEFUND'>((await card.client.signOrder(id, order.orderId, card.card.getChallenge())).instruction));
    // The confirmation is lost on the way: the DEFUND record of the next sync is the same proof.
    await net.sync(card);
    expect((await card.client.me()).online).toBe(65_00);
    // The confirmation arrives late: nothing moves twice.
    expect((await card.client.confirmDefund(id, order.orderId, confirmation)).state).toBe('completed');
    expect((await card.client.me()).online).toBe(65_00);
    expect(card.card.balance).toBe(35_00);
    expect(await net.coverage(card)).toBe(35_00);
    await net.expectBalanced();
  });
});

describe('sync', () => {
  it('answers a repeated report with the same answer, and refuses another report for the same challenge', async () => {
    const card = await net.card(0, { deposit: 10_00, topUp: 10_00 });
    const { report, records } = net.report(card);
    const first = await card.client.sync(card.card.cardIdHex, report, records);
    expect(await card.client.sync(card.card.cardIdHex, report, records)).toEqual(first);
    const other = report.slice(0, -2) + (report.endsWith('00') ? '01' : '00');
    expect(await refusal(card.client.sync(card.card.cardIdHex, other, records))).toEqual({ status: 409, code: 'challenge-reused' });
    // A report whose signature does not verify changes nothing and is refused.
    const { report: fresh, records: freshRecords } = net.report(card);
    const forged = fresh.slice(0, -2) + (fresh.endsWith('00') ? '01' : '00');
    expect(await refusal(card.client.sync(card.card.cardIdHex, forged, freshRecords))).toEqual({ status: 400, code: 'bad-signature' });
  });

  it('settles a payment within one intermediary once, whichever card syncs first and however often', async () => {
    const payer = await net.card(0, { deposit: 50_00, topUp: 50_00 });
    const recipient = await net.card(0);
    await net.transfer(payer, recipient, 12_00);
    const before = await net.bank.audit();
    await net.sync(recipient);
    await net.sync(recipient);
    await net.sync(payer);
    await net.sync(payer);
    const after = await net.bank.audit();
    expect(after.register.settled).toBe(before.register.settled + 1);
    expect(after.positions).toEqual(before.positions); // both cards are the intermediary's: no position moves
    expect([payer.card.balance, recipient.card.balance]).toEqual([38_00, 12_00]);
    expect([await net.coverage(payer), await net.coverage(recipient)]).toEqual([38_00, 12_00]);
    await net.expectBalanced();
  });

  it('sweeps what is above the policy maximum, minus the room open requests reserve, to the online wallet', async () => {
    const card = await net.card(0, { deposit: 60_00, topUp: 50_00 });
    const id = card.card.cardIdHex;
    card.card.createRequest(5_00);
    await net.admins[0].setPolicy(id, { version: 1, maxPayments: 5, maxPaymentAmount: 50_00, maxBalance: 40_00, maxReceivedCount: 12, maxReceivedAmount: 50_00, flags: 1 });
    card.card.setPolicy(decode<'POLICY'>((await card.client.instruction(id, 'policy', card.card.getChallenge())).instruction));
    // The card holds SEK 50 under a new maximum of SEK 40, and has SEK 5 of requests open: SEK 35 stays on the card.
    // A first result is lost on the way: the card keeps SEK 50, still covered, and nothing was swept.
    expect((await net.sync(card, { apply: false })).newBalance).toBe(35_00);
    expect(card.card.balance).toBe(50_00);
    expect((await card.client.me()).online).toBe(10_00);
    const answer = await net.sync(card);
    expect({ newBalance: answer.newBalance, swept: answer.swept }).toEqual({ newBalance: 35_00, swept: 15_00 });
    expect(card.card.balance).toBe(35_00);
    // The sweep waits until the card shows it applied the result: until then the shadow covers either balance.
    expect((await card.client.me()).online).toBe(10_00);
    await net.expectBalanced();
    await net.sync(card);
    expect((await card.client.me()).online).toBe(10_00 + 15_00);
    expect(await net.coverage(card)).toBe(35_00);
    await net.expectBalanced();
  });

  it('withholds a payment the card never received from its balance: received later, it counts once; declined, it goes back', async () => {
    const payer = await net.card(0, { deposit: 60_00, topUp: 60_00 });
    const shop = await net.card(1, { role: 'MERCHANT' });
    // The point of sale misses two payments: the payer's sync settles them into its shadow wallet.
    const late = shop.card.createRequest(15_00);
    const lateTx = payer.card.pay(late.request, shop.card.publicKey);
    const refused = shop.card.createRequest(20_00);
    payer.card.pay(refused.request, shop.card.publicKey);
    await net.sync(payer);
    await net.audit();
    let view = await net.admins[1].card(shop.card.cardIdHex);
    expect({ shadow: view.shadow, withheld: view.withheld, coverage: view.coverage }).toEqual({ shadow: 35_00, withheld: 35_00, coverage: 0 });
    // The shop's sync does not put them on its card: it may still receive them offline.
    expect((await net.sync(shop)).newBalance).toBe(0);
    // It receives the first one later (RESEND LAST) and declines the second.
    shop.card.receive(lateTx, payer.card.publicKey);
    shop.card.decline(refused.request.value.requestNo);
    await net.sync(shop);
    expect(shop.card.balance).toBe(15_00);
    await net.audit();
    view = await net.admins[1].card(shop.card.cardIdHex);
    expect({ shadow: view.shadow, withheld: view.withheld, coverage: view.coverage }).toEqual({ shadow: 15_00, withheld: 0, coverage: 15_00 });
    await net.sync(payer);
    expect(payer.card.balance).toBe(60_00 - 15_00);
    await net.expectBalanced();
  });

  it('answers a due lifecycle change instead of the result, then the result', async () => {
    const card = await net.card(0, { deposit: 10_00, topUp: 10_00 });
    await net.admins[0].block(card.card.cardIdHex);
    const first = await net.sync(card);
    expect(first.outcome).toBe('lifecycle');
    expect(card.card.state).toBe(STATE.BLOCKED);
    const second = await net.sync(card);
    expect(second.outcome).toBe('synchronised');
    expect((await net.admins[0].card(card.card.cardIdHex)).lifecycle).toBe('BLOCKED');
  });
});

describe('anomalies block the card and credit nothing', () => {
  async function expectBlocked(c: Awaited<ReturnType<typeof net.card>>, kind: string) {
    const shadowBefore = (await net.admins[c.im].card(c.card.cardIdHex)).shadow;
    const settledBefore = (await net.bank.audit()).register.settled;
    const { report, records } = net.report(c);
    const answer = await c.client.sync(c.card.cardIdHex, report, records);
    expect(answer.outcome).toBe('blocked');
    expect(answer.anomalies?.map((a) => a.kind)).toContain(kind);
    // The answer is SET LIFECYCLE BLOCKED for the report's challenge and state counter: the card accepts it.
    const instruction = decode<'LIFECYCLE'>(answer.instruction);
    expect(instruction.value.state).toBe(STATE.BLOCKED);
    c.card.setLifecycle(instruction);
    expect(c.card.state).toBe(STATE.BLOCKED);
    const view = await net.admins[c.im].card(c.card.cardIdHex);
    expect(view.status).toBe('blocked');
    expect(view.shadow).toBe(shadowBefore);
    expect((await net.bank.audit()).register.settled).toBe(settledBefore);
    expect((await net.admins[c.im].anomalies()).some((a) => a.cardId === c.card.cardIdHex && a.kind === kind)).toBe(true);
    await net.expectBalanced();
  }

  it('a balance its history does not explain', async () => {
    const card = await net.card(0, { deposit: 20_00, topUp: 20_00 });
    card.card.balance += 10_00;
    await expectBlocked(card, 'balance-unexplained');
  });

  it('a last sync balance no signed result explains', async () => {
    const card = await net.card(0, { deposit: 20_00, topUp: 20_00 });
    await net.sync(card);
    card.card.lastSyncBalance += 5_00;
    card.card.balance += 5_00;
    await expectBlocked(card, 'last-sync-balance-unexplained');
  });

  it('a reused payer sequence number (two payments with one transaction id)', async () => {
    const payer = await net.card(0, { deposit: 30_00, topUp: 30_00 });
    const a = await net.card(0);
    const b = await net.card(0);
    await net.transfer(payer, a, 5_00);
    await net.sync(a); // the first payment is known with its content
    payer.card.txSeq = 0; // a faulty card signs another payment with the same sequence number
    await net.transfer(payer, b, 6_00);
    await expectBlocked(payer, 'sequence-reused');
  });

  it('a payment signed by a key its card does not have', async () => {
    const recipient = await net.card(0);
    const payer = await net.card(0, { deposit: 10_00, topUp: 10_00 });
    const { request } = recipient.card.createRequest(7_00);
    const honest = payer.card.pay(request, recipient.card.publicKey);
    // The recipient's log holds the payment with a signature by another key.
    const forged = signTransaction(honest.value, (await net.card(0)).card.keyPair.privateKey);
    recipient.card.receive(honest, payer.card.publicKey);
    const record = recipient.card.log.at(-1)!;
    if (record.kind !== 'INCOMING') throw new Error('expected the INCOMING record');
    record.signature = forged.signature;
    await expectBlocked(recipient, 'bad-signature');
  });

  it('a payment from a card its intermediary does not know', async () => {
    const recipient = await net.card(1);
    const payer = await net.card(0, { deposit: 10_00, topUp: 10_00 });
    const { request } = recipient.card.createRequest(3_00);
    const tx = payer.card.pay(request, recipient.card.publicKey);
    recipient.card.receive(tx, payer.card.publicKey);
    const record = recipient.card.log.at(-1)!;
    if (record.kind !== 'INCOMING') throw new Error('expected the INCOMING record');
    record.transaction = { ...record.transaction, payerId: Uint8Array.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0]) };
    await expectBlocked(recipient, 'unknown-key');
  });

  it('an order record whose signature is not this intermediary\'s', async () => {
    const card = await net.card(0, { deposit: 20_00, topUp: 20_00 });
    const record = card.card.log[0];
    if (record.kind !== 'TOP_UP') throw new Error('expected the TOP_UP record');
    record.amount = 25_00;
    card.card.balance += 5_00;
    await expectBlocked(card, 'bad-signature');
  });
});

describe('declines after settlement', () => {
  it("never pays a card's own payments with money it was credited but never reported, so a decline takes that money back whole", async () => {
    const a = await net.card(0, { deposit: 50_00, topUp: 50_00 });
    const s = await net.card(0);
    const r = await net.card(0);
    const q = await net.card(0);
    const p = await net.card(0, { deposit: 30_00, topUp: 30_00 });
    await net.transfer(a, s, 20_00);
    await net.transfer(s, r, 20_00); // s's shadow pays this only once a has synced
    const missed = r.card.createRequest(20_00);
    p.card.pay(missed.request, r.card.publicKey); // r never receives it
    await net.transfer(r, q, 20_00);
    await net.sync(p); // the missed payment is credited to r's shadow wallet, withheld
    r.card.decline(missed.request.value.requestNo);
    await net.sync(r);
    await net.audit();
    // r's payment to q waits for s's money; the withheld money went back to p whole.
    const view = await net.admins[0].card(r.card.cardIdHex);
    expect({ shadow: view.shadow, pendingIn: view.pendingIn, pendingOut: view.pendingOut, withheld: view.withheld }).toEqual({ shadow: 0, pendingIn: 20_00, pendingOut: 20_00, withheld: 0 });
    expect((await net.admins[0].anomalies()).filter((x) => x.cardId === r.card.cardIdHex)).toEqual([]);
    expect(await net.coverage(p)).toBe(30_00);
    for (const c of [a, s, r, q, p]) await net.sync(c);
    await net.audit();
    for (const c of [a, s, r, q, p]) expect(await net.coverage(c)).toBe(c.card.balance);
    expect([a, s, r, q, p].map((c) => c.card.balance)).toEqual([30_00, 0, 0, 20_00, 30_00]);
    await net.expectBalanced();
  });
});

describe('lost and terminated cards', () => {
  it('refunds a lost card after its grace period; its payments that surface later are paid from the online wallet', async () => {
    const lost = await net.card(0, { deposit: 80_00, topUp: 50_00 });
    const shop = await net.card(1, { role: 'MERCHANT' });
    await net.transfer(lost, shop, 20_00);
    await lost.client.reportLost(lost.card.cardIdHex);
    expect(await net.admins[0].refundLostCards()).toContain(lost.card.cardIdHex);
    expect((await lost.client.me()).online).toBe(30_00 + 50_00);
    // The shop syncs: the payment made before the loss is paid from the user's online wallet.
    await net.sync(shop);
    await net.audit();
    expect((await lost.client.me()).online).toBe(60_00);
    expect(await net.coverage(shop)).toBe(20_00);
    await net.expectBalanced();
  });

  it('blocks a refunded card that turns up again: what it holds is no longer covered', async () => {
    const card = await net.card(0, { deposit: 30_00, topUp: 30_00 });
    await card.client.reportLost(card.card.cardIdHex);
    await net.admins[0].refundLostCards();
    const answer = await net.sync(card);
    expect(answer.outcome).toBe('blocked');
    expect(answer.anomalies?.map((a) => a.kind)).toEqual(['balance-uncovered']);
    expect(card.card.state).toBe(STATE.BLOCKED);
  });

  it("terminates a card: its last report settles its records and its shadow wallet goes online", async () => {
    const card = await net.card(0, { deposit: 50_00, topUp: 50_00 });
    const other = await net.card(0);
    await net.transfer(card, other, 10_00);
    await net.admins[0].terminate(card.card.cardIdHex);
    card.card.setLifecycle(decode<'LIFECYCLE'>((await card.client.instruction(card.card.cardIdHex, 'next', card.card.getChallenge())).instruction));
    expect(card.card.state).toBe(STATE.TERMINATED);
    const answer = await net.sync(card);
    expect(answer).toMatchObject({ outcome: 'closed', instruction: null });
    expect((await card.client.me()).online).toBe(40_00);
    await net.sync(other);
    expect(other.card.balance).toBe(10_00);
    expect(await refusal(net.sync(card))).toEqual({ status: 409, code: 'card-closed' });
    await net.expectBalanced();
  });
});
