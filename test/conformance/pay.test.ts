// CREATE REQUEST, PAY and RESEND LAST (docs/PROTOCOL.md section 6): what each answers and changes, each refusal
// alone, and the order of the checks where two apply. Limits at their edges are in limits.test.ts.

import { describe, expect, it } from 'vitest';
import { encodeCardCertificateBody, signIntermediaryCertificate } from '../../host/src/codec/certificates.ts';
import { createRequestCommand, payCommand, resendLastCommand, verifyPinCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { concatBytes, toHex } from '../../host/src/codec/hex.ts';
import { encodeRequest, encodeTransaction, verifyRequest, verifyTransaction } from '../../host/src/codec/messages.ts';
import { encodeRecord } from '../../host/src/codec/records.ts';
import { MSG, ROLE, SW } from '../../host/src/codec/protocol-constants.ts';
import { parseRequestAnswer, parseTransactionAnswer } from '../../host/src/codec/responses.ts';
import { signWith } from '../../host/src/codec/signed.ts';
import { setLifecycle } from '../../host/src/flows/instructions.ts';
import { testKeyPair, FakeNetwork } from '../support/pki.ts';
import { describeWith } from '../support/backend.ts';
import { CONFORMANCE_NEEDS, expectRefusal, expectStateChange, expectSw, useConformance } from './harness.ts';
import { declineOn, flipped, payOn, payRaw, receiveOn, REF, requestOn } from './payments.ts';

const suite = useConformance();
const rogueNetwork = new FakeNetwork({ rootLabel: 'rogue root' });

const users = () => suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });

describeWith([...CONFORMANCE_NEEDS], 'CREATE REQUEST', () => {
  it('answers a request signed by the card, with its certificate; opens a slot; the state counter does not move', async () => {
    const { merchant } = await users();
    const before = await merchant.snapshot();
    const answer = await merchant.send(createRequestCommand(25_50, REF));
    expectSw(answer, SW.OK, 'CREATE REQUEST');
    const request = parseRequestAnswer(answer.data);
    expect(request.request.value).toEqual({ recipientId: merchant.cardId, recipientIntermediary: merchant.intermediaryId, requestNo: 0, amount: 25_50, reference: REF });
    expect(toHex(request.request.body)).toBe(toHex(encodeRequest(request.request.value)));
    expect(verifyRequest(request.request, merchant.publicKey)).toBe(true);
    expect(request.certificate).toEqual(merchant.certificate);
    const after = await merchant.snapshot();
    expectStateChange(before, after, { openRequests: 1, openAmount: 25_50 }, { openRequests: toHex(concatBytes(Uint8Array.of(0, 0, 0, 0, 0, 0, 0x09, 0xf6), REF)) });
  });

  it('numbers requests from the request counter, which only grows (a declined number is never reused)', async () => {
    const { merchant } = await users();
    expect((await requestOn(merchant, 1_00)).request.value.requestNo).toBe(0);
    await declineOn(merchant, 0);
    expect((await requestOn(merchant, 1_00)).request.value.requestNo).toBe(1);
    expect((await requestOn(merchant, 1_00)).request.value.requestNo).toBe(2);
  });

  it('a USER card makes requests too (card to card)', async () => {
    const { payer } = await users();
    expect((await requestOn(payer, 5_00)).request.value.recipientId).toEqual(payer.cardId);
  });

  it('answers 6A80 for an amount of zero', async () => {
    const { merchant } = await users();
    await expectRefusal(merchant, () => merchant.send(createRequestCommand(0, REF)), SW.WRONG_DATA);
  });

  it('answers 9C08 when all four request slots are open', async () => {
    const { merchant } = await users();
    for (let i = 0; i < 4; i++) await requestOn(merchant, 1_00);
    await expectRefusal(merchant, () => merchant.send(createRequestCommand(1_00, REF)), SW.TOO_MANY_OPEN_REQUESTS);
  });

  it('checks the amount before the slots: an amount of zero with every slot open answers 6A80', async () => {
    const { merchant } = await users();
    for (let i = 0; i < 4; i++) await requestOn(merchant, 1_00);
    await expectRefusal(merchant, () => merchant.send(createRequestCommand(0, REF)), SW.WRONG_DATA);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'PAY', () => {
  it('debits, logs the signed transaction, keeps it for RESEND LAST and ends the PIN validation', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 125_50);
    const before = await payer.snapshot();
    const answer = await payRaw(payer, request);
    expectSw(answer, SW.OK, 'PAY');
    const tx = parseTransactionAnswer(answer.data);
    expect(tx.value).toEqual({
      payerId: payer.cardId,
      payerSeq: before.status.txSeq,
      payerIntermediary: payer.intermediaryId,
      recipientId: merchant.cardId,
      recipientIntermediary: merchant.intermediaryId,
      requestNo: request.request.value.requestNo,
      amount: 125_50,
      reference: REF,
    });
    expect(toHex(tx.body)).toBe(toHex(encodeTransaction(tx.value)));
    expect(verifyTransaction(tx, payer.publicKey)).toBe(true);
    expect(swHex((await payer.send(verifyPinCommand())).sw), 'VERIFY without data after PAY').toBe('63C3');
    const resend = await payer.send(resendLastCommand(merchant.cardId, request.request.value.requestNo, request.request.value.reference));
    expect(toHex(resend.data)).toBe(toHex(answer.data));
    const record = toHex(encodeRecord({ kind: 'OUTGOING', voided: false, transaction: tx.value, signature: tx.signature }));
    expectStateChange(before, await payer.snapshot(), {
      balance: before.status.balance - 125_50,
      spendable: before.status.spendable - 125_50,
      stateCounter: before.status.stateCounter + 1,
      txSeq: before.status.txSeq + 1,
      payments: 1,
      logCount: before.status.logCount + 1,
    }, { records: (r) => [...r, record] });
  });

  it('pays a merchant of another intermediary when the request comes with its intermediary certificate, and caches it', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const first = await requestOn(merchantB, 10_00);
    expect(swHex((await payRaw(payer, first)).sw), 'PAY without the certificate').toBe('9C12');
    await payOn(payer, first, merchantB.intermediary.intermediaryCertificate);
    // Cached: the next payment to B needs no certificate.
    await payOn(payer, await requestOn(merchantB, 20_00));
  });

  it('does not cache the intermediary of a refused payment (the cache changes only with a success)', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const tooMuch = await requestOn(merchantB, 2000_00);
    await expectRefusal(payer, () => payRaw(payer, tooMuch, merchantB.intermediary.intermediaryCertificate), SW.INSUFFICIENT_FUNDS);
    const next = await requestOn(merchantB, 1_00);
    await expectRefusal(payer, () => payRaw(payer, next), SW.UNKNOWN_INTERMEDIARY);
  });

  it('keeps three other intermediaries and replaces them round-robin: the fourth evicts the first', async () => {
    const { payer, mB, mC, mD, mE } = await suite.cards({
      payer: { role: 'USER', balance: 1000_00 },
      mB: { role: 'MERCHANT', intermediary: 'B' },
      mC: { role: 'MERCHANT', intermediary: 'C' },
      mD: { role: 'MERCHANT', intermediary: 'D' },
      mE: { role: 'MERCHANT', intermediary: 'E' },
    });
    for (const m of [mB, mC, mD]) await payOn(payer, await requestOn(m, 1_00), m.intermediary.intermediaryCertificate);
    await payOn(payer, await requestOn(mC, 1_00));
    await payOn(payer, await requestOn(mE, 1_00), mE.intermediary.intermediaryCertificate);
    const again = await requestOn(mB, 1_00);
    await expectRefusal(payer, () => payRaw(payer, again), SW.UNKNOWN_INTERMEDIARY);
  });

  it("checks a certificate sent for the card's own intermediary all the same (a valid one is accepted)", async () => {
    const { payer, merchant } = await users();
    await payOn(payer, await requestOn(merchant, 1_00), merchant.intermediary.intermediaryCertificate);
  });

  it("answers 9C11 for its own intermediary's certificate signed by a rogue root", async () => {
    const { payer, merchant } = await users();
    const forged = signIntermediaryCertificate({ intermediaryId: merchant.intermediaryId, publicKey: merchant.intermediary.publicKey }, rogueNetwork.bank.keyPair.privateKey);
    const request = await requestOn(merchant, 1_00);
    await expectRefusal(payer, () => payRaw(payer, request, forged), SW.BAD_CERTIFICATE);
  });

  it('answers 9C11 for a cached intermediary whose certificate comes signed by a rogue root (the sent key is the one used)', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    await payOn(payer, await requestOn(merchantB, 1_00), merchantB.intermediary.intermediaryCertificate);
    const forged = signIntermediaryCertificate({ intermediaryId: merchantB.intermediaryId, publicKey: merchantB.intermediary.publicKey }, rogueNetwork.bank.keyPair.privateKey);
    const request = await requestOn(merchantB, 1_00);
    await expectRefusal(payer, () => payRaw(payer, request, forged), SW.BAD_CERTIFICATE);
  });

  it("answers 9C11 for an intermediary certificate of another intermediary than the card certificate's", async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 1_00);
    await expectRefusal(payer, () => payRaw(payer, request, suite.intermediary('C').intermediaryCertificate), SW.BAD_CERTIFICATE);
  });

  it('answers 9C12 for a merchant of an intermediary the card does not know, sent without its certificate', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 1_00);
    await expectRefusal(payer, () => payRaw(payer, request), SW.UNKNOWN_INTERMEDIARY);
  });

  describe('the recipient card certificate (9C11)', () => {
    const cases: { what: string; patch: (body: Uint8Array) => void }[] = [
      { what: 'another tag', patch: (b) => (b[0] = MSG.INTERMEDIARY_CERT) },
      { what: 'format version 02', patch: (b) => (b[1] = 0x02) },
      { what: 'role 03', patch: (b) => (b[10] = 0x03) },
      { what: 'role 00', patch: (b) => (b[10] = 0x00) },
      { what: 'a public key that is not an uncompressed point (02)', patch: (b) => (b[15] = 0x02) },
      { what: 'a public key whose X is p', patch: (b) => b.set(Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex'), 16) },
    ];
    for (const c of cases) {
      it(`answers 9C11 for a certificate with ${c.what}, even signed by the intermediary`, async () => {
        const { payer } = await users();
        const soft = await suite.softCard('merchant', 'MERCHANT');
        const request = soft.request({ amount: 1_00 });
        const bad = signWith(soft.certificate.value, (v) => {
          const body = encodeCardCertificateBody(v);
          c.patch(body);
          return body;
        }, soft.intermediary.keyPair.privateKey);
        await expectRefusal(payer, () => payRaw(payer, { request: request.request, certificate: bad }), SW.BAD_CERTIFICATE);
      });
    }

    it('answers 9C11 for a certificate naming intermediary A but signed by B', async () => {
      const { payer } = await users();
      const soft = await suite.softCard('merchant', 'MERCHANT');
      const bad = signWith(soft.certificate.value, encodeCardCertificateBody, suite.intermediary('B').keyPair.privateKey);
      await expectRefusal(payer, () => payRaw(payer, { request: soft.request({ amount: 1_00 }).request, certificate: bad }), SW.BAD_CERTIFICATE);
    });

    it('answers 9C11 for a certificate of a rogue intermediary with the same id', async () => {
      const { payer } = await users();
      const rogue = rogueNetwork.intermediary('A');
      const key = testKeyPair('rogue merchant');
      const cert = await rogue.certifyCard({ publicKey: key.publicKey, role: ROLE.MERCHANT });
      const request = signWith({ recipientId: cert.value.cardId, recipientIntermediary: 1, requestNo: 0, amount: 1_00, reference: REF }, encodeRequest, key.privateKey);
      await expectRefusal(payer, () => payRaw(payer, { request, certificate: cert }), SW.BAD_CERTIFICATE);
    });

    it("answers 9C11 for the certificate of another card than the request's recipient", async () => {
      const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', other: 'MERCHANT' });
      const request = await requestOn(merchant, 1_00);
      await expectRefusal(payer, () => payRaw(payer, { request: request.request, certificate: other.certificate }), SW.BAD_CERTIFICATE);
    });

    it("answers 9C11 for a request naming another recipient intermediary than its certificate's", async () => {
      const { payer } = await users();
      const soft = await suite.softCard('merchant', 'MERCHANT');
      const request = soft.request({ amount: 1_00, recipientIntermediary: 2 });
      await expectRefusal(payer, () => payRaw(payer, request), SW.BAD_CERTIFICATE);
    });
  });

  it('answers 6A80 for a decline sent as a request (tag MSG_DECLINE)', async () => {
    const { payer, merchant } = await users();
    await requestOn(merchant, 1_00);
    const decline = await declineOn(merchant, 0);
    await expectRefusal(payer, () => payRaw(payer, { request: decline.decline, certificate: decline.certificate }), SW.WRONG_DATA);
  });

  it('answers 6A80 for a request of format version 02, even signed by the recipient', async () => {
    const { payer } = await users();
    const soft = await suite.softCard('merchant', 'MERCHANT');
    const value = { recipientId: soft.cardId, recipientIntermediary: soft.intermediaryId, requestNo: 0, amount: 1_00, reference: REF };
    const request = soft.signBody(value, flipped(encodeRequest(value), 1, 0x03));
    await expectRefusal(payer, () => payRaw(payer, { request, certificate: soft.certificate }), SW.WRONG_DATA);
  });

  it("answers 9C10 for a request whose signature is not the recipient's", async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 1_00);
    const forged = signWith(request.request.value, encodeRequest, testKeyPair('someone').privateKey);
    await expectRefusal(payer, () => payRaw(payer, { request: forged, certificate: request.certificate }), SW.BAD_SIGNATURE);
  });

  it('answers 9C10 for a request whose amount was raised after signing', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 1_00);
    const raised = { ...request.request, body: flipped(request.request.body, 20, 0x10) };
    await expectRefusal(payer, () => payRaw(payer, { request: raised, certificate: request.certificate }), SW.BAD_SIGNATURE);
  });

  it('answers 9C1C for its own request (a card cannot pay itself)', async () => {
    const { payer } = await users();
    const own = await requestOn(payer, 1_00);
    await expectRefusal(payer, () => payRaw(payer, own), SW.SELF_PAYMENT);
  });

  it('answers 6A80 for a request of amount zero signed by its recipient', async () => {
    const { payer } = await users();
    const soft = await suite.softCard('merchant', 'MERCHANT');
    await expectRefusal(payer, () => payRaw(payer, soft.request({ amount: 0 })), SW.WRONG_DATA);
  });

  it('answers 9C16 for a request it paid already', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 1_00);
    await payOn(payer, request);
    await expectRefusal(payer, () => payRaw(payer, request), SW.ALREADY_PAID);
  });

  it('answers 9C16 for a request it paid before a sync emptied its log (the paid memory)', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 1_00);
    await payOn(payer, request);
    await payer.sync();
    expect((await payer.statusNow()).logCount).toBe(0);
    await expectRefusal(payer, () => payRaw(payer, request), SW.ALREADY_PAID);
  });

  describe('order of the checks', () => {
    it('checks the tag before the certificate: a decline with a broken certificate answers 6A80', async () => {
      const { payer, merchant } = await users();
      await requestOn(merchant, 1_00);
      const decline = await declineOn(merchant, 0);
      const broken = { ...decline.certificate, signature: flipped(decline.certificate.signature, 5) };
      await expectRefusal(payer, () => payRaw(payer, { request: decline.decline, certificate: broken }), SW.WRONG_DATA);
    });

    it('checks the certificate before the signature: a broken certificate and a forged signature answer 9C11', async () => {
      const { payer, merchant } = await users();
      const request = await requestOn(merchant, 1_00);
      const broken = { ...request.certificate, signature: flipped(request.certificate.signature, 5) };
      const forged = { ...request.request, signature: flipped(request.request.signature, 5) };
      await expectRefusal(payer, () => payRaw(payer, { request: forged, certificate: broken }), SW.BAD_CERTIFICATE);
    });

    it('checks the intermediary before the signature: an unknown intermediary and a forged signature answer 9C12', async () => {
      const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
      const request = await requestOn(merchantB, 1_00);
      const forged = { ...request.request, signature: flipped(request.request.signature, 5) };
      await expectRefusal(payer, () => payRaw(payer, { request: forged, certificate: request.certificate }), SW.UNKNOWN_INTERMEDIARY);
    });

    it('checks the signature before the recipient: its own request with a forged signature answers 9C10', async () => {
      const { payer } = await users();
      const own = await requestOn(payer, 1_00);
      await expectRefusal(payer, () => payRaw(payer, { request: { ...own.request, signature: flipped(own.request.signature, 9) }, certificate: own.certificate }), SW.BAD_SIGNATURE);
    });

    it('checks the signature before the amount: a zero amount with a forged signature answers 9C10', async () => {
      const { payer } = await users();
      const soft = await suite.softCard('merchant', 'MERCHANT');
      const zero = soft.request({ amount: 0 });
      await expectRefusal(payer, () => payRaw(payer, { request: { ...zero.request, signature: flipped(zero.request.signature, 9) }, certificate: zero.certificate }), SW.BAD_SIGNATURE);
    });

    it('checks "paid already" before the payment count: a paid request at the fifth payment answers 9C16', async () => {
      const { payer, merchant } = await users();
      const first = await requestOn(merchant, 1_00);
      await receiveOn(merchant, await payOn(payer, first), payer.certificate);
      for (let i = 0; i < 4; i++) await receiveOn(merchant, await payOn(payer, await requestOn(merchant, 1_00)), payer.certificate);
      expect((await payer.statusNow()).payments).toBe(5);
      await expectRefusal(payer, () => payRaw(payer, first), SW.ALREADY_PAID);
    });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'RESEND LAST', () => {
  it('answers the last payment again, byte for byte, and changes nothing', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 7_00);
    const tx = await payOn(payer, request);
    const before = await payer.snapshot();
    const answer = await payer.send(resendLastCommand(merchant.cardId, request.request.value.requestNo, request.request.value.reference));
    expectSw(answer, SW.OK, 'RESEND LAST');
    expect(toHex(answer.data)).toBe(toHex(concatBytes(tx.body, tx.signature)));
    expect(await payer.snapshot()).toEqual(before);
  });

  it('answers on a blocked card, and after a sync emptied the log', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 7_00);
    const tx = await payOn(payer, request);
    await payer.sync();
    await setLifecycle(payer.guard, payer.intermediary.lifecycleChange('BLOCKED'));
    const answer = await payer.send(resendLastCommand(merchant.cardId, request.request.value.requestNo, request.request.value.reference));
    expectSw(answer, SW.OK, 'RESEND LAST');
    expect(toHex(answer.data)).toBe(toHex(concatBytes(tx.body, tx.signature)));
  });

  it('answers 9C1D on a card that never paid', async () => {
    const { payer, merchant } = await users();
    await expectRefusal(payer, () => payer.send(resendLastCommand(merchant.cardId, 0, REF)), SW.NOTHING_TO_RESEND);
  });

  it('answers 9C1D for another request number of the same recipient', async () => {
    const { payer, merchant } = await users();
    await payOn(payer, await requestOn(merchant, 7_00));
    await expectRefusal(payer, () => payer.send(resendLastCommand(merchant.cardId, 1, REF)), SW.NOTHING_TO_RESEND);
  });

  it('answers 9C1D for the same request number of another recipient', async () => {
    const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', other: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 7_00));
    await expectRefusal(payer, () => payer.send(resendLastCommand(other.cardId, 0, REF)), SW.NOTHING_TO_RESEND);
  });

  it('answers 9C1D for the right recipient and request number with another reference', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 7_00);
    await payOn(payer, request);
    const guessed = new TextEncoder().encode('GUESS-01');
    await expectRefusal(payer, () => payer.send(resendLastCommand(merchant.cardId, request.request.value.requestNo, guessed)), SW.NOTHING_TO_RESEND);
  });

  it('answers 9C1D for the payment before the last', async () => {
    const { payer, merchant } = await users();
    const first = await requestOn(merchant, 7_00);
    await payOn(payer, first);
    await payOn(payer, await requestOn(merchant, 8_00));
    await expectRefusal(payer, () => payer.send(resendLastCommand(merchant.cardId, first.request.value.requestNo, first.request.value.reference)), SW.NOTHING_TO_RESEND);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'a payment end to end', () => {
  it('the transaction PAY answers is what RECEIVE takes', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 3_00);
    await receiveOn(merchant, await payOn(payer, request), payer.certificate);
    expect(await merchant.statusNow()).toMatchObject({ balance: 3_00, receivedCount: 1, openRequests: 0 });
  });

  it('a refused PAY keeps the PIN validation (only a successful PAY consumes it)', async () => {
    const { payer, merchant } = await users();
    const request = await requestOn(merchant, 1_00);
    await payOn(payer, request);
    expectSw(await payer.send(verifyPinCommand(payer.pin)), SW.OK, 'VERIFY');
    expect(swHex((await payer.send(payCommand(request.request, request.certificate))).sw)).toBe('9C16');
    expect(swHex((await payer.send(verifyPinCommand())).sw)).toBe('9000');
  });
});
