// TOP UP, DEFUND, SYNC REPORT, READ RECORDS, SYNC APPLY (docs/PROTOCOL.md sections 5 and 6): what each answers and
// changes, each refusal after the instruction checks (those are in instructions.test.ts), and their order.

import { expect, it } from 'vitest';
import { defundCommand, readRecordsCommand, syncApplyCommand, syncReportCommand, topUpCommand, verifyPinCommand } from '../../host/src/codec/commands.ts';
import { sha256 } from '../../host/src/codec/ecdsa.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex, toHex } from '../../host/src/codec/hex.ts';
import { verifyDefundConfirmation, verifyReport } from '../../host/src/codec/messages.ts';
import { LEN, LIMIT, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { encodeRecord } from '../../host/src/codec/records.ts';
import { type ChallengeAnswer, parseDefundAnswer, parseReportAnswer } from '../../host/src/codec/responses.ts';
import { describeWith } from '../support/backend.ts';
import { type ConfCard, CONFORMANCE_NEEDS, expectRefusal, expectStateChange, expectSw, proveChallenge, useConformance } from './harness.ts';
import { declineOn, payOn, payRaw, receiveOn, requestOn } from './payments.ts';

const suite = useConformance();
const user = () => suite.card('user', { role: 'USER', balance: 100_00 });

function topUpFor(card: ConfCard, c: ChallengeAnswer, amount: number, orderSeq = c.orderSeq) {
  return topUpCommand(card.instruction(c, 'TOP_UP', { orderSeq, amount }));
}
function defundFor(card: ConfCard, c: ChallengeAnswer, amount: number, orderSeq = c.orderSeq) {
  return defundCommand(card.instruction(c, 'DEFUND', { orderSeq, amount }));
}

async function report(card: ConfCard) {
  expectSw(await card.send(verifyPinCommand(card.pinNow)), SW.OK, 'VERIFY PIN');
  const answer = await card.send(syncReportCommand());
  expectSw(answer, SW.OK, 'SYNC REPORT');
  return parseReportAnswer(answer.data);
}

describeWith([...CONFORMANCE_NEEDS], 'TOP UP', () => {
  it('credits, logs the order with the instruction signature, increments order and state counters, uses the challenge', async () => {
    const card = await user();
    const before = await card.snapshot();
    const c = await card.challenge();
    const instruction = card.instruction(c, 'TOP_UP', { orderSeq: c.orderSeq, amount: 50_00 });
    expectSw(await card.send(topUpCommand(instruction)), SW.OK, 'TOP UP');
    const record = toHex(encodeRecord({ kind: 'TOP_UP', voided: false, orderSeq: c.orderSeq, amount: 50_00, challenge: c.challenge, stateCounter: c.stateCounter, signature: instruction.signature }));
    expectStateChange(before, await card.snapshot(), {
      balance: 150_00,
      spendable: 150_00,
      orderSeq: before.status.orderSeq + 1,
      stateCounter: before.status.stateCounter + 1,
      logCount: before.status.logCount + 1,
    }, { records: (r) => [...r, record] });
    expect(swHex((await card.send(topUpCommand(instruction))).sw), 'the same instruction again').toBe('9C14');
  });

  it('answers 9C1E for the order number after the card\'s next one', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 1_00, c.orderSeq + 1)), SW.WRONG_ORDER, { challenge: c });
  });

  it('answers 9C1E for an order number the card applied already', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 1_00, c.orderSeq - 1)), SW.WRONG_ORDER, { challenge: c });
  });

  it('answers 9C04 when the balance would exceed the policy maximum', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 300_000 - 100_00 + 1)), SW.BALANCE_LIMIT, { challenge: c });
  });

  it('answers 9C04 for an amount that would overflow 32 bits', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 0x7fffffff)), SW.BALANCE_LIMIT, { challenge: c });
  });

  it('checks the amount before the order number: zero for a wrong order answers 6A80', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 0, c.orderSeq + 3)), SW.WRONG_DATA, { challenge: c });
  });

  it('checks the order number before the balance: a wrong order above the maximum balance answers 9C1E', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(topUpFor(card, c, 400_000, c.orderSeq + 1)), SW.WRONG_ORDER, { challenge: c });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'DEFUND', () => {
  it('debits, logs the order, answers a confirmation signed by the card, ends the PIN validation', async () => {
    const card = await user();
    const before = await card.snapshot();
    const c = await card.challenge();
    const instruction = card.instruction(c, 'DEFUND', { orderSeq: c.orderSeq, amount: 40_00 });
    const answer = await card.send(defundCommand(instruction));
    expectSw(answer, SW.OK, 'DEFUND');
    const confirmation = parseDefundAnswer(answer.data);
    expect(confirmation.value).toEqual({ cardId: card.cardId, challenge: c.challenge, orderSeq: c.orderSeq, amount: 40_00, balance: 60_00, stateCounter: c.stateCounter + 1 });
    expect(verifyDefundConfirmation(confirmation, card.publicKey)).toBe(true);
    expect(swHex((await card.send(verifyPinCommand())).sw), 'VERIFY without data after DEFUND').toBe('63C3');
    const record = toHex(encodeRecord({ kind: 'DEFUND', voided: false, orderSeq: c.orderSeq, amount: 40_00, challenge: c.challenge, stateCounter: c.stateCounter, signature: instruction.signature }));
    expectStateChange(before, await card.snapshot(), {
      balance: 60_00,
      spendable: 60_00,
      orderSeq: before.status.orderSeq + 1,
      stateCounter: before.status.stateCounter + 1,
      logCount: before.status.logCount + 1,
    }, { records: (r) => [...r, record] });
  });

  it('de-funds the whole balance down to zero', async () => {
    const card = await user();
    await card.verifyPin();
    const c = await card.challenge();
    expectSw(await card.send(defundFor(card, c, 100_00)), SW.OK, 'DEFUND');
    expect((await card.statusNow()).balance).toBe(0);
  });

  it('answers 9C01 for one öre more than the balance', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(defundFor(card, c, 100_01)), SW.INSUFFICIENT_FUNDS, { challenge: c });
  });

  it('answers 9C18 while the log holds a payment', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 1_00));
    const c = await payer.challenge();
    await expectRefusal(payer, () => payer.send(defundFor(payer, c, 1_00)), SW.UNSYNCED_RECORDS, { challenge: c });
  });

  it('answers 9C18 while the log holds a receipt', async () => {
    const { payer, recipient } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, recipient: { role: 'USER', balance: 100_00 } });
    const request = await requestOn(recipient, 1_00);
    await receiveOn(recipient, await payOn(payer, request), payer.certificate);
    const c = await recipient.challenge();
    await expectRefusal(recipient, () => recipient.send(defundFor(recipient, c, 1_00)), SW.UNSYNCED_RECORDS, { challenge: c });
  });

  it('answers 9C18 while the log holds a decline', async () => {
    const card = await user();
    await requestOn(card, 1_00);
    await declineOn(card, 0);
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(defundFor(card, c, 1_00)), SW.UNSYNCED_RECORDS, { challenge: c });
  });

  it('de-funds with order records only in the log (top-ups and de-funds do not count)', async () => {
    const card = await user();
    await card.verifyPin();
    let c = await card.challenge();
    expectSw(await card.send(defundFor(card, c, 1_00)), SW.OK, 'DEFUND');
    await card.verifyPin();
    c = await card.challenge();
    expectSw(await card.send(defundFor(card, c, 1_00)), SW.OK, 'DEFUND');
    expect((await card.statusNow()).logCount).toBe(3);
  });

  it('answers 9C1E for an order number that is not the next one', async () => {
    const card = await user();
    const c = await card.challenge();
    await expectRefusal(card, () => card.send(defundFor(card, c, 1_00, c.orderSeq + 1)), SW.WRONG_ORDER, { challenge: c });
  });

  it('checks the order number before the log: a wrong order with a payment in the log answers 9C1E', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 1_00));
    const c = await payer.challenge();
    await expectRefusal(payer, () => payer.send(defundFor(payer, c, 1_00, c.orderSeq + 1)), SW.WRONG_ORDER, { challenge: c });
  });

  it('checks the log before the balance: more than the balance with a payment in the log answers 9C18', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 1_00));
    const c = await payer.challenge();
    await expectRefusal(payer, () => payer.send(defundFor(payer, c, 500_00)), SW.UNSYNCED_RECORDS, { challenge: c });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'SYNC REPORT', () => {
  it('reports the amount of the open requests, the room they reserve under MAX_BALANCE', async () => {
    const { merchant } = await suite.cards({ merchant: 'MERCHANT' });
    await requestOn(merchant, 12_00);
    await requestOn(merchant, 30_00);
    const r = await report(merchant);
    expect(r.value.openAmount).toBe(42_00);
  });

  it('answers the signed report of the card as it is, with a fresh challenge, and changes nothing else', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 10_00));
    const before = await payer.snapshot();
    const r = await report(payer);
    expect(verifyReport(r, payer.publicKey)).toBe(true);
    const records = (before.records as string[]).map((h) => fromHex(h));
    expect(r.value).toEqual({
      cardId: payer.cardId,
      challenge: r.value.challenge,
      stateCounter: before.status.stateCounter,
      orderSeq: before.status.orderSeq,
      balance: 90_00,
      lastSyncBalance: 0,
      txSeq: 1,
      requestSeq: 0,
      policyVersion: 0,
      state: STATE.ACTIVE,
      recordCount: 2,
      recordsDigest: sha256(concatBytes(...records)),
      openAmount: 0,
    });
    expect(await payer.snapshot()).toEqual(before);
  });

  it('reports SHA-256 of nothing for an empty log', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    const r = await report(merchant);
    expect(toHex(r.value.recordsDigest)).toBe(toHex(sha256(new Uint8Array(0))));
    expect(r.value.recordCount).toBe(0);
  });

  it('replaces the challenge: an instruction made for the one GET CHALLENGE made is refused 9C14', async () => {
    const card = await user();
    const c = await card.challenge();
    const r = await report(card);
    expect(swHex((await card.send(topUpFor(card, c, 1_00))).sw)).toBe('9C14');
    await proveChallenge(card, { ...c, challenge: r.value.challenge });
  });

  it('answers on a blocked card and on a terminated one, which the report says', async () => {
    for (const lifecycle of ['BLOCKED', 'TERMINATED'] as const) {
      const card = await suite.card(lifecycle.toLowerCase(), { role: 'USER', balance: 100_00, lifecycle });
      expect((await report(card)).value.state).toBe(STATE[lifecycle]);
    }
  });
});

describeWith([...CONFORMANCE_NEEDS], 'READ RECORDS', () => {
  async function threeRecords() {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 1_00));
    await payOn(payer, await requestOn(merchant, 2_00));
    await payer.verifyPin();
    return payer;
  }

  it('answers records index and index + 1, one at the end of an odd log, none at the count', async () => {
    const card = await threeRecords();
    const snap = await card.snapshot();
    const all = snap.records as string[];
    expect(all.length).toBe(3);
    const read = async (i: number) => {
      const a = await card.send(readRecordsCommand(i));
      expectSw(a, SW.OK, `READ RECORDS ${i}`);
      return toHex(a.data);
    };
    expect(await read(0)).toBe(all[0] + all[1]);
    expect(await read(1)).toBe(all[1] + all[2]);
    expect(await read(2)).toBe(all[2]);
    expect(await read(3)).toBe('');
    expect((await card.send(readRecordsCommand(0))).data.length).toBe(LIMIT.RECORDS_PER_READ * LEN.RECORD);
  });

  it('answers 6A86 for an index above the record count', async () => {
    const card = await threeRecords();
    await expectRefusal(card, () => card.send(readRecordsCommand(4)), SW.WRONG_P1P2);
    await expectRefusal(card, () => card.send(readRecordsCommand(255)), SW.WRONG_P1P2);
  });

  it('checks the PIN before the index: index 255 without the PIN answers 6982', async () => {
    const card = await threeRecords();
    await expectRefusal(card, () => card.send(readRecordsCommand(255)), SW.SECURITY_STATUS_NOT_SATISFIED, { prepare: () => card.select().then(() => undefined) });
  });

  it('answers on a terminated card', async () => {
    const card = await suite.card('terminated', { role: 'USER', balance: 100_00, lifecycle: 'TERMINATED' });
    await card.verifyPin();
    expectSw(await card.send(readRecordsCommand(0)), SW.OK, 'READ RECORDS');
  });
});

describeWith([...CONFORMANCE_NEEDS], 'SYNC APPLY', () => {
  async function reported() {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 10_00);
    await payOn(payer, request);
    const open = await requestOn(payer, 3_00); // an open request on the payer, which the sync keeps
    const r = await report(payer);
    const c: ChallengeAnswer = { challenge: r.value.challenge, cardId: r.value.cardId, stateCounter: r.value.stateCounter, orderSeq: r.value.orderSeq, balance: r.value.balance };
    return { payer, merchant, request, open, r, c };
  }

  it('sets balance and last sync balance, empties the log, increments order and state counters, keeps open requests and the paid memory', async () => {
    const { payer, request, r, c } = await reported();
    const before = await payer.snapshot();
    const result = payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount, newBalance: 90_00 });
    expectSw(await payer.send(syncApplyCommand(result)), SW.OK, 'SYNC APPLY');
    expectStateChange(before, await payer.snapshot(), {
      orderSeq: before.status.orderSeq + 1,
      stateCounter: before.status.stateCounter + 1,
      payments: 0,
      logCount: 0,
    }, { records: () => [] });
    expect((await report(payer)).value).toMatchObject({ balance: 90_00, lastSyncBalance: 90_00, recordCount: 0 });
    expect(swHex((await payer.send(syncApplyCommand(result))).sw), 'the same result again').toBe('9C14');
    // The paid memory outlives the sync.
    expect(swHex((await payRaw(payer, request)).sw)).toBe('9C16');
  });

  it('sets the balance the intermediary signed, whatever the card had', async () => {
    const { payer, r, c } = await reported();
    expectSw(await payer.send(syncApplyCommand(payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount, newBalance: 12_34 }))), SW.OK, 'SYNC APPLY');
    expect(await payer.statusNow()).toMatchObject({ balance: 12_34, spendable: 12_34 });
  });

  it('answers 9C15 for a record count that is not the log\'s', async () => {
    const { payer, r, c } = await reported();
    await expectRefusal(payer, () => payer.send(syncApplyCommand(payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount - 1, newBalance: 90_00 }))), SW.STATE_CHANGED, { challenge: c });
  });

  it('answers 9C15 when the card received a payment after its report (its state counter moved)', async () => {
    const { payer, open, r, c } = await reported();
    const other = await suite.card('other', { role: 'USER', balance: 100_00 });
    await receiveOn(payer, await payOn(other, open), other.certificate);
    const result = payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount, newBalance: 90_00 });
    // The record count also changed; a result for the new count but the old state counter is refused all the same.
    await expectRefusal(payer, () => payer.send(syncApplyCommand(result)), SW.STATE_CHANGED, { challenge: false });
    const sameCount = payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount + 1, newBalance: 93_00 });
    await expectRefusal(payer, () => payer.send(syncApplyCommand(sameCount)), SW.STATE_CHANGED, { challenge: false });
  });

  it('answers 6A80 for a new balance above 0x7FFFFFFF', async () => {
    const { payer, r, c } = await reported();
    await expectRefusal(payer, () => payer.send(syncApplyCommand(payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount, newBalance: 0x80000000 }))), SW.WRONG_DATA, { challenge: c });
  });

  it('checks the record count before the balance: both wrong answer 9C15', async () => {
    const { payer, r, c } = await reported();
    await expectRefusal(payer, () => payer.send(syncApplyCommand(payer.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount + 1, newBalance: 0xffffffff }))), SW.STATE_CHANGED, { challenge: c });
  });

  it('works on a blocked card', async () => {
    const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
    const r = await report(card);
    const c: ChallengeAnswer = { challenge: r.value.challenge, cardId: r.value.cardId, stateCounter: r.value.stateCounter, orderSeq: r.value.orderSeq, balance: r.value.balance };
    expectSw(await card.send(syncApplyCommand(card.instruction(c, 'SYNC_RESULT', { recordCount: r.value.recordCount, newBalance: r.value.balance }))), SW.OK, 'SYNC APPLY');
    expect((await card.statusNow()).logCount).toBe(0);
  });
});
