// RECEIVE, DECLINE and APPLY DECLINE (docs/PROTOCOL.md section 6): what each answers and changes, each refusal
// alone, and the order of the checks where two apply.

import { describe, expect, it } from 'vitest';
import { encodeCardCertificateBody } from '../../host/src/codec/certificates.ts';
import { declineCommand } from '../../host/src/codec/commands.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { encodeDecline, encodeTransaction, verifyDecline } from '../../host/src/codec/messages.ts';
import { MSG, RECORD, SW } from '../../host/src/codec/protocol-constants.ts';
import { encodeRecord } from '../../host/src/codec/records.ts';
import { parseDeclineAnswer } from '../../host/src/codec/responses.ts';
import { signWith } from '../../host/src/codec/signed.ts';
import { setLifecycle } from '../../host/src/flows/instructions.ts';
import { describeWith } from '../support/backend.ts';
import { testKeyPair } from '../support/pki.ts';
import { CONFORMANCE_NEEDS, expectRefusal, expectStateChange, expectSw, useConformance } from './harness.ts';
import { applyDeclineRaw, declineOn, flipped, payOn, receiveOn, receiveRaw, REF, requestOn } from './payments.ts';

const suite = useConformance();
const pair = () => suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });

describeWith([...CONFORMANCE_NEEDS], 'RECEIVE', () => {
  it('credits, closes the request, logs the transaction with the payer signature, increments the state counter', async () => {
    const { payer, merchant } = await pair();
    const request = await requestOn(merchant, 42_00);
    const tx = await payOn(payer, request);
    const before = await merchant.snapshot();
    expectSw(await receiveRaw(merchant, tx, payer.certificate), SW.OK, 'RECEIVE');
    const record = toHex(encodeRecord({ kind: 'INCOMING', voided: false, transaction: tx.value, signature: tx.signature }));
    expectStateChange(before, await merchant.snapshot(), {
      balance: 42_00,
      spendable: 0, // a merchant may not spend offline-received money offline
      stateCounter: before.status.stateCounter + 1,
      receivedCount: 1,
      receivedAmount: 42_00,
      logCount: 1,
      openRequests: 0,
      openAmount: 0,
    }, { records: (r) => [...r, record], openRequests: '' });
  });

  it('takes a payment from another intermediary with its certificate (9C12 without), and caches that intermediary', async () => {
    const { payerB, merchant } = await suite.cards({ payerB: { role: 'USER', intermediary: 'B', balance: 1000_00 }, merchant: 'MERCHANT' });
    const icertA = merchant.intermediary.intermediaryCertificate;
    const tx = await payOn(payerB, await requestOn(merchant, 5_00), icertA);
    await expectRefusal(merchant, () => receiveRaw(merchant, tx, payerB.certificate), SW.UNKNOWN_INTERMEDIARY);
    await receiveOn(merchant, tx, payerB.certificate, payerB.intermediary.intermediaryCertificate);
    const tx2 = await payOn(payerB, await requestOn(merchant, 6_00));
    await receiveOn(merchant, tx2, payerB.certificate);
    expect((await merchant.statusNow()).balance).toBe(11_00);
  });

  it('answers 6A80 for a transaction with another tag, even signed by the payer', async () => {
    const { merchant } = await pair();
    const soft = await suite.softCard('payer');
    const request = await requestOn(merchant, 5_00);
    const tx = soft.pay(request.request.value);
    const bad = soft.signBody(tx.value, flipped(encodeTransaction(tx.value), 0, MSG.TX ^ MSG.REQUEST));
    await expectRefusal(merchant, () => receiveRaw(merchant, bad, soft.certificate), SW.WRONG_DATA);
  });

  it('answers 6A80 for format version 02, even signed by the payer', async () => {
    const { merchant } = await pair();
    const soft = await suite.softCard('payer');
    const tx = soft.pay((await requestOn(merchant, 5_00)).request.value);
    const bad = soft.signBody(tx.value, flipped(encodeTransaction(tx.value), 1, 0x03));
    await expectRefusal(merchant, () => receiveRaw(merchant, bad, soft.certificate), SW.WRONG_DATA);
  });

  it('answers 9C13 for a transaction paying another card', async () => {
    const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', other: 'MERCHANT' });
    await requestOn(other, 5_00);
    const tx = await payOn(payer, await requestOn(merchant, 5_00));
    await expectRefusal(other, () => receiveRaw(other, tx, payer.certificate), SW.WRONG_CARD);
  });

  it("answers 9C13 for a transaction naming this card but another recipient intermediary", async () => {
    const { merchant } = await pair();
    const soft = await suite.softCard('payer');
    const request = (await requestOn(merchant, 5_00)).request.value;
    const tx = soft.pay({ ...request, recipientIntermediary: 2 });
    await expectRefusal(merchant, () => receiveRaw(merchant, tx, soft.certificate), SW.WRONG_CARD);
  });

  it("answers 9C11 for the certificate of another card than the transaction's payer", async () => {
    const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', other: 'USER' });
    const tx = await payOn(payer, await requestOn(merchant, 5_00));
    await expectRefusal(merchant, () => receiveRaw(merchant, tx, other.certificate), SW.BAD_CERTIFICATE);
  });

  it("answers 9C11 for a transaction naming another payer intermediary than the payer's certificate", async () => {
    const { merchant } = await pair();
    const soft = await suite.softCard('payer');
    const tx = soft.transaction({ ...(await requestOn(merchant, 5_00)).request.value, payerIntermediary: 2 });
    await expectRefusal(merchant, () => receiveRaw(merchant, tx, soft.certificate), SW.BAD_CERTIFICATE);
  });

  it('answers 9C11 for a payer certificate whose signature is broken', async () => {
    const { payer, merchant } = await pair();
    const tx = await payOn(payer, await requestOn(merchant, 5_00));
    const broken = { ...payer.certificate, signature: flipped(payer.certificate.signature, 40) };
    await expectRefusal(merchant, () => receiveRaw(merchant, tx, broken), SW.BAD_CERTIFICATE);
  });

  it("answers 9C10 for a transaction whose signature is not the payer's", async () => {
    const { payer, merchant } = await pair();
    const tx = await payOn(payer, await requestOn(merchant, 5_00));
    const forged = signWith(tx.value, encodeTransaction, testKeyPair('someone').privateKey);
    await expectRefusal(merchant, () => receiveRaw(merchant, forged, payer.certificate), SW.BAD_SIGNATURE);
  });

  describe('an open request that the transaction answers (9C17)', () => {
    it('answers 9C17 for a request number the card never made', async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      await requestOn(merchant, 5_00);
      const tx = soft.transaction({ recipientId: merchant.cardId, recipientIntermediary: merchant.intermediaryId, requestNo: 7, amount: 5_00, reference: REF });
      await expectRefusal(merchant, () => receiveRaw(merchant, tx, soft.certificate), SW.NO_OPEN_REQUEST);
    });

    it('answers 9C17 for another amount than the request', async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      const request = (await requestOn(merchant, 5_00)).request.value;
      await expectRefusal(merchant, () => receiveRaw(merchant, soft.pay({ ...request, amount: 4_99 }), soft.certificate), SW.NO_OPEN_REQUEST);
    });

    it('answers 9C17 for another reference than the request', async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      const request = (await requestOn(merchant, 5_00)).request.value;
      await expectRefusal(merchant, () => receiveRaw(merchant, soft.pay({ ...request, reference: new TextEncoder().encode('SALE-002') }), soft.certificate), SW.NO_OPEN_REQUEST);
    });

    it('answers 9C17 for a transaction received already', async () => {
      const { payer, merchant } = await pair();
      const tx = await payOn(payer, await requestOn(merchant, 5_00));
      await receiveOn(merchant, tx, payer.certificate);
      await expectRefusal(merchant, () => receiveRaw(merchant, tx, payer.certificate), SW.NO_OPEN_REQUEST);
    });

    it('answers 9C17 for a payment of a request the card declined', async () => {
      const { payer, merchant } = await pair();
      const request = await requestOn(merchant, 5_00);
      const tx = await payOn(payer, request);
      await declineOn(merchant, request.request.value.requestNo);
      await expectRefusal(merchant, () => receiveRaw(merchant, tx, payer.certificate), SW.NO_OPEN_REQUEST);
    });
  });

  describe('order of the checks', () => {
    it('checks the tag before the recipient: another tag for another card answers 6A80', async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      const value = soft.transaction({ recipientId: new Uint8Array(8).fill(7), recipientIntermediary: 9, requestNo: 0, amount: 5_00 }).value;
      const bad = soft.signBody(value, flipped(encodeTransaction(value), 0, 0x01));
      await expectRefusal(merchant, () => receiveRaw(merchant, bad, soft.certificate), SW.WRONG_DATA);
    });

    it('checks the recipient before the certificate: a payment to another card with a broken certificate answers 9C13', async () => {
      const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', other: 'MERCHANT' });
      const tx = await payOn(payer, await requestOn(merchant, 5_00));
      const broken = { ...payer.certificate, signature: flipped(payer.certificate.signature, 40) };
      await expectRefusal(other, () => receiveRaw(other, tx, broken), SW.WRONG_CARD);
    });

    it('checks the certificate before the signature: a broken certificate and a forged signature answer 9C11', async () => {
      const { payer, merchant } = await pair();
      const tx = await payOn(payer, await requestOn(merchant, 5_00));
      const broken = { ...payer.certificate, signature: flipped(payer.certificate.signature, 40) };
      await expectRefusal(merchant, () => receiveRaw(merchant, { ...tx, signature: flipped(tx.signature, 3) }, broken), SW.BAD_CERTIFICATE);
    });

    it('checks the signature before the open request: a forged signature for a request never made answers 9C10', async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      const tx = soft.transaction({ recipientId: merchant.cardId, recipientIntermediary: merchant.intermediaryId, requestNo: 9, amount: 5_00 });
      await expectRefusal(merchant, () => receiveRaw(merchant, { ...tx, signature: flipped(tx.signature, 3) }, soft.certificate), SW.BAD_SIGNATURE);
    });

    it("checks the payer's role: a payer certificate of role 03 answers 9C11", async () => {
      const { merchant } = await pair();
      const soft = await suite.softCard('payer');
      const badCert = signWith({ ...soft.certificate.value, role: 3 }, encodeCardCertificateBody, soft.intermediary.keyPair.privateKey);
      const tx = soft.pay((await requestOn(merchant, 5_00)).request.value);
      await expectRefusal(merchant, () => receiveRaw(merchant, tx, badCert), SW.BAD_CERTIFICATE);
    });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'DECLINE', () => {
  it('closes the open request, logs the signed decline, increments the state counter, answers the decline and the certificate', async () => {
    const { merchant } = await pair();
    const request = await requestOn(merchant, 9_90);
    const before = await merchant.snapshot();
    const answer = await merchant.send(declineCommand(request.request.value.requestNo));
    expectSw(answer, SW.OK, 'DECLINE');
    const decline = parseDeclineAnswer(answer.data);
    expect(decline.decline.value).toEqual(request.request.value);
    expect(toHex(decline.decline.body)).toBe(toHex(encodeDecline(request.request.value)));
    expect(decline.decline.body[0]).toBe(MSG.DECLINE);
    expect(verifyDecline(decline.decline, merchant.publicKey)).toBe(true);
    expect(decline.certificate).toEqual(merchant.certificate);
    const record = toHex(encodeRecord({ kind: 'DECLINED', voided: false, decline: decline.decline.value, signature: decline.decline.signature }));
    expectStateChange(before, await merchant.snapshot(), { stateCounter: before.status.stateCounter + 1, logCount: 1, openRequests: 0, openAmount: 0 }, { records: (r) => [...r, record], openRequests: '' });
  });

  it('answers 9C17 for a request number that was never made', async () => {
    const { merchant } = await pair();
    await requestOn(merchant, 1_00);
    await expectRefusal(merchant, () => merchant.send(declineCommand(1)), SW.NO_OPEN_REQUEST);
  });

  it('answers 9C17 for a request declined already', async () => {
    const { merchant } = await pair();
    await requestOn(merchant, 1_00);
    await declineOn(merchant, 0);
    await expectRefusal(merchant, () => merchant.send(declineCommand(0)), SW.NO_OPEN_REQUEST);
  });

  it('answers 9C17 for a request received already (a received payment cannot be declined)', async () => {
    const { payer, merchant } = await pair();
    const request = await requestOn(merchant, 1_00);
    await receiveOn(merchant, await payOn(payer, request), payer.certificate);
    await expectRefusal(merchant, () => merchant.send(declineCommand(0)), SW.NO_OPEN_REQUEST);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'APPLY DECLINE', () => {
  async function declinedPayment() {
    const { payer, merchant } = await pair();
    const request = await requestOn(merchant, 30_00);
    const tx = await payOn(payer, request);
    const decline = await declineOn(merchant, request.request.value.requestNo);
    return { payer, merchant, request, tx, decline };
  }

  it('voids the payment and credits its amount back; the payment still counts until the next sync', async () => {
    const { payer, tx, decline } = await declinedPayment();
    const before = await payer.snapshot();
    expectSw(await applyDeclineRaw(payer, decline), SW.OK, 'APPLY DECLINE');
    const voided = toHex(encodeRecord({ kind: 'OUTGOING', voided: true, transaction: tx.value, signature: tx.signature }));
    expectStateChange(before, await payer.snapshot(), {
      balance: before.status.balance + 30_00,
      spendable: before.status.spendable + 30_00,
      stateCounter: before.status.stateCounter + 1,
    }, { records: (r) => r.map((x) => (x.startsWith(`${RECORD.OUTGOING.toString(16).padStart(2, '0')}00`) ? voided : x)) });
    expect((await payer.statusNow()).payments).toBe(1);
  });

  it('works on a blocked card', async () => {
    const { payer, decline } = await declinedPayment();
    await setLifecycle(payer.guard, payer.intermediary.lifecycleChange('BLOCKED'));
    expectSw(await applyDeclineRaw(payer, decline), SW.OK, 'APPLY DECLINE');
  });

  it('answers 9C1B when applied twice (the payment is void already)', async () => {
    const { payer, decline } = await declinedPayment();
    expectSw(await applyDeclineRaw(payer, decline), SW.OK, 'APPLY DECLINE');
    await expectRefusal(payer, () => applyDeclineRaw(payer, decline), SW.RECORD_NOT_FOUND);
  });

  it('answers 9C1B on a card that did not pay the declined request', async () => {
    const { decline } = await declinedPayment();
    const other = await suite.card('other', { role: 'USER', balance: 1000_00 });
    await expectRefusal(other, () => applyDeclineRaw(other, decline), SW.RECORD_NOT_FOUND);
  });

  it('answers 9C1B once a sync emptied the log', async () => {
    const { payer, decline } = await declinedPayment();
    await payer.sync();
    await expectRefusal(payer, () => applyDeclineRaw(payer, decline), SW.RECORD_NOT_FOUND);
  });

  it('answers 9C1B for a decline of the same request with another amount or reference', async () => {
    const { payer } = await pair();
    const soft = await suite.softCard('merchant', 'MERCHANT');
    const request = soft.request({ amount: 8_00, requestNo: 3 });
    await payOn(payer, request);
    await expectRefusal(payer, () => applyDeclineRaw(payer, soft.decline({ requestNo: 3, amount: 7_00 })), SW.RECORD_NOT_FOUND);
    await expectRefusal(payer, () => applyDeclineRaw(payer, soft.decline({ requestNo: 3, amount: 8_00, reference: new Uint8Array(8).fill(1) })), SW.RECORD_NOT_FOUND);
    expectSw(await applyDeclineRaw(payer, soft.decline({ requestNo: 3, amount: 8_00 })), SW.OK, 'APPLY DECLINE of the exact request');
  });

  it('answers 6A80 for a request sent as a decline (tag MSG_REQUEST)', async () => {
    const { payer, request } = await declinedPayment();
    await expectRefusal(payer, () => applyDeclineRaw(payer, { decline: request.request, certificate: request.certificate }), SW.WRONG_DATA);
  });

  it("answers 9C10 for a decline whose signature is not the recipient's", async () => {
    const { payer, decline } = await declinedPayment();
    const forged = signWith(decline.decline.value, encodeDecline, testKeyPair('someone').privateKey);
    await expectRefusal(payer, () => applyDeclineRaw(payer, { decline: forged, certificate: decline.certificate }), SW.BAD_SIGNATURE);
  });

  it("answers 9C11 for the certificate of another card than the decline's recipient", async () => {
    const { payer, decline } = await declinedPayment();
    const other = await suite.card('other', 'MERCHANT');
    await expectRefusal(payer, () => applyDeclineRaw(payer, { decline: decline.decline, certificate: other.certificate }), SW.BAD_CERTIFICATE);
  });

  it('answers 9C12 for a recipient of an intermediary the card does not know, sent without its certificate', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 3_00);
    await payOn(payer, request, merchantB.intermediary.intermediaryCertificate);
    const decline = await declineOn(merchantB, request.request.value.requestNo);
    // The payer cached B when it paid; a fresh card of the same template has not.
    const fresh = await suite.card('payer2', { role: 'USER', balance: 1000_00 });
    await expectRefusal(fresh, () => applyDeclineRaw(fresh, decline), SW.UNKNOWN_INTERMEDIARY);
    expectSw(await applyDeclineRaw(payer, decline), SW.OK, 'APPLY DECLINE on the payer that cached B');
  });

  it('checks the signature before the log: a forged decline for a request never paid answers 9C10', async () => {
    const { payer } = await pair();
    const soft = await suite.softCard('merchant', 'MERCHANT');
    const decline = soft.decline({ requestNo: 5, amount: 1_00 });
    await expectRefusal(payer, () => applyDeclineRaw(payer, { ...decline, decline: { ...decline.decline, signature: flipped(decline.decline.signature, 7) } }), SW.BAD_SIGNATURE);
  });

  it('checks the tag before the certificate: a request with a broken certificate sent as a decline answers 6A80', async () => {
    const { payer, request } = await declinedPayment();
    const broken = { ...request.certificate, signature: flipped(request.certificate.signature, 1) };
    await expectRefusal(payer, () => applyDeclineRaw(payer, { decline: request.request, certificate: broken }), SW.WRONG_DATA);
  });
});
