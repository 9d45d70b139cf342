// The read-only commands of docs/PROTOCOL.md section 6: SELECT, GET STATUS, GET CERTIFICATE, GET CHALLENGE (which
// only replaces the challenge), LIST OPEN REQUESTS. Their answers field by field, in every lifecycle state.

import { expect, it } from 'vitest';
import { encodeCardCertificate, encodeIntermediaryCertificate } from '../../host/src/codec/certificates.ts';
import { createRequestCommand, declineCommand, getCertificateCommand, getChallengeCommand, getStatusCommand, listOpenRequestsCommand, selectCommand, topUpCommand, verifyPinCommand, WALLET_AID } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex, toHex } from '../../host/src/codec/hex.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { LEN, LIMIT, ROLE, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { parseChallengeAnswer, parseOpenRequestsAnswer, parseSelectAnswer, parseStatus } from '../../host/src/codec/responses.ts';
import { encodeCommand } from '../../host/src/transport/iso7816.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { CONFORMANCE_NEEDS, expectBlankRefusal, expectRefusal, expectSw, useConformance } from './harness.ts';

const suite = useConformance();
const REF = new TextEncoder().encode('REF-0001');

describeWith([...CONFORMANCE_NEEDS], 'SELECT', () => {
  it('answers the status and the card certificate on a personalised card', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await user.send(selectCommand());
    expectSw(answer, SW.OK, 'SELECT');
    expect(answer.data.length).toBe(LEN.STATUS + LEN.CARD_CERT);
    const status = await user.send(getStatusCommand());
    expect(toHex(answer.data.slice(0, LEN.STATUS))).toBe(toHex(status.data));
    expect(toHex(answer.data.slice(LEN.STATUS))).toBe(toHex(encodeCardCertificate(user.certificate)));
  });

  it('answers the status alone (68 bytes: role 00, PERSONALISING, zero card id) before the card certificate is stored', async () => {
    const blank = await suite.blank();
    const answer = await blank.send(selectCommand());
    expectSw(answer, SW.OK, 'SELECT');
    const { status, certificate } = parseSelectAnswer(answer.data);
    expect(certificate).toBeUndefined();
    expect(status).toMatchObject({ protocolVersion: LIMIT.PROTOCOL_VERSION, role: 0, state: STATE.PERSONALISING, intermediaryId: 0, balance: 0, stateCounter: 0, logCount: 0, logCapacity: LIMIT.LOG_CAPACITY, pinTries: LIMIT.PIN_TRIES });
    expect(toHex(status.cardId)).toBe('0000000000000000');
  });

  it('answers with Le equal to the exact length (212)', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await user.raw(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: WALLET_AID, le: LEN.STATUS + LEN.CARD_CERT }));
    expect(swHex(answer.sw)).toBe('9000');
    expect(answer.data.length).toBe(LEN.STATUS + LEN.CARD_CERT);
  });

  it('ends the PIN validation', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await user.verifyPin();
    expect(swHex((await user.send(verifyPinCommand())).sw)).toBe('9000');
    await user.select();
    expect(swHex((await user.send(verifyPinCommand())).sw)).toBe('63C3');
  });

  it('drops a chain in progress (the chain state does not outlive the selection)', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const first = await user.raw(Uint8Array.of(0x90, 0x32, 0, 0, 4, 1, 2, 3, 4));
    expect(swHex(first.sw)).toBe('9000');
    await user.select();
    expect(swHex((await user.send(getStatusCommand())).sw)).toBe('9000');
  });

  it('answers 6A82 for an AID no applet has; the wallet stays selected with its PIN validation', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(
      user,
      async () => {
        const answer = await user.raw(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: fromHex('F000000E4B520102'), le: 256 }));
        expect(swHex((await user.send(verifyPinCommand())).sw), 'the PIN validation after the failed SELECT').toBe('9000');
        return answer;
      },
      SW.FILE_NOT_FOUND,
    );
  });

  itWith(['refusesUnknownSelect', 'handlesFullCase4'], 'answers 6A82 for 255 bytes of AID', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.raw(encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: new Uint8Array(255).fill(0xf0), le: 256 })), SW.FILE_NOT_FOUND);
  });

  for (const [state, lifecycle] of [['BLOCKED', 'BLOCKED'], ['TERMINATED', 'TERMINATED']] as const) {
    it(`answers in state ${state}, which the status says`, async () => {
      const card = await suite.card(state.toLowerCase(), { role: 'USER', balance: 100_00, lifecycle });
      const { status, certificate } = parseSelectAnswer((await card.send(selectCommand())).data);
      expect(status.state).toBe(STATE[state]);
      expect(certificate).toEqual(card.certificate);
    });
  }
});

describeWith([...CONFORMANCE_NEEDS], 'GET STATUS', () => {
  it('answers the 68-byte status of a personalised USER card, field by field', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await user.send(getStatusCommand());
    expectSw(answer, SW.OK, 'GET STATUS');
    expect(answer.data.length).toBe(LEN.STATUS);
    expect(parseStatus(answer.data)).toEqual({
      protocolVersion: LIMIT.PROTOCOL_VERSION,
      role: ROLE.USER,
      state: STATE.ACTIVE,
      cardId: user.cardId,
      intermediaryId: user.intermediaryId,
      balance: 100_00,
      spendable: 100_00,
      stateCounter: 1,
      txSeq: 0,
      orderSeq: 1,
      payments: 0,
      receivedCount: 0,
      receivedAmount: 0,
      logCount: 1,
      logCapacity: LIMIT.LOG_CAPACITY,
      openRequests: 0,
      openAmount: 0,
      pinTries: LIMIT.PIN_TRIES,
      policy: DEFAULT_POLICIES.USER,
    });
  });

  it('answers the MERCHANT default policy on a merchant card', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    expect(await merchant.statusNow()).toMatchObject({ role: ROLE.MERCHANT, policy: DEFAULT_POLICIES.MERCHANT, stateCounter: 0, orderSeq: 0, balance: 0 });
  });

  it('answers with Le equal to the exact length (68)', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await user.raw(Uint8Array.of(0x80, 0x10, 0, 0, LEN.STATUS));
    expect(swHex(answer.sw)).toBe('9000');
    expect(answer.data.length).toBe(LEN.STATUS);
  });

  it('answers in state PERSONALISING', async () => {
    const blank = await suite.blank();
    const answer = await blank.send(getStatusCommand());
    expectSw(answer, SW.OK, 'GET STATUS');
    expect(parseStatus(answer.data).state).toBe(STATE.PERSONALISING);
  });

  it('answers the PIN tries left, the open requests and their amount', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    expectSw(await merchant.send(createRequestCommand(12_34, REF)), SW.OK, 'CREATE REQUEST');
    expectSw(await merchant.send(createRequestCommand(1_00, REF)), SW.OK, 'CREATE REQUEST');
    expect(swHex((await merchant.send(verifyPinCommand('0000'))).sw)).toBe('63C2');
    expect(await merchant.statusNow()).toMatchObject({ openRequests: 2, openAmount: 13_34, pinTries: 2, stateCounter: 0 });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'GET CERTIFICATE', () => {
  it('P1 01 answers the card certificate, P1 02 the certificate of its intermediary', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const card = await user.send(getCertificateCommand('card'));
    expectSw(card, SW.OK, 'GET CERTIFICATE 01');
    expect(toHex(card.data)).toBe(toHex(encodeCardCertificate(user.certificate)));
    const intermediary = await user.send(getCertificateCommand('intermediary'));
    expectSw(intermediary, SW.OK, 'GET CERTIFICATE 02');
    expect(toHex(intermediary.data)).toBe(toHex(encodeIntermediaryCertificate(user.intermediary.intermediaryCertificate)));
  });

  it('answers 6985 for both certificates on a blank card', async () => {
    const blank = await suite.blank();
    await expectBlankRefusal(blank, () => blank.send(getCertificateCommand('card')), SW.CONDITIONS_NOT_SATISFIED);
    await expectBlankRefusal(blank, () => blank.send(getCertificateCommand('intermediary')), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('answers the intermediary certificate once stored, and 6985 for the card certificate until it is stored', async () => {
    const card = await suite.personalising('key-root-icert');
    expectSw(await card.send(getCertificateCommand('intermediary')), SW.OK, 'GET CERTIFICATE 02');
    await expectBlankRefusal(card, () => card.send(getCertificateCommand('card')), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('checks for the missing certificate before the length: one data byte on a blank card answers 6985', async () => {
    const blank = await suite.blank();
    await expectBlankRefusal(blank, () => blank.raw(Uint8Array.of(0x80, 0x12, 0x01, 0x00, 0x01, 0x00, 0x00)), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('answers on a terminated card', async () => {
    const card = await suite.card('terminated', { role: 'USER', balance: 100_00, lifecycle: 'TERMINATED' });
    expectSw(await card.send(getCertificateCommand('card')), SW.OK, 'GET CERTIFICATE');
  });

  it('answers 6C87 when Le is short of the 135-byte intermediary certificate', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.raw(Uint8Array.of(0x80, 0x12, 0x02, 0x00, LEN.INTERMEDIARY_CERT - 1)), 0x6c00 | LEN.INTERMEDIARY_CERT);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'GET CHALLENGE', () => {
  it('answers a challenge with the card id, state counter, next order number and balance', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await user.send(getChallengeCommand());
    expectSw(answer, SW.OK, 'GET CHALLENGE');
    expect(answer.data.length).toBe(LEN.CHALLENGE_ANSWER);
    const challenge = parseChallengeAnswer(answer.data);
    expect(challenge).toMatchObject({ cardId: user.cardId, stateCounter: 1, orderSeq: 1, balance: 100_00 });
  });

  it('changes nothing but the challenge: the status is the same after it', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const before = await user.snapshot();
    await user.challenge();
    expect(await user.snapshot()).toEqual(before);
  });

  it('replaces the previous challenge: an instruction made for the first is refused 9C14, one for the second applies', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const first = await user.challenge();
    const second = await user.challenge();
    const forFirst = user.instruction(first, 'TOP_UP', { orderSeq: first.orderSeq, amount: 1_00 });
    expect(swHex((await user.send(topUpCommand(forFirst))).sw)).toBe('9C14');
    const forSecond = user.instruction(second, 'TOP_UP', { orderSeq: second.orderSeq, amount: 1_00 });
    expect(swHex((await user.send(topUpCommand(forSecond))).sw)).toBe('9000');
  });

  it('answers on a blocked card', async () => {
    const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
    expect(parseChallengeAnswer((await card.send(getChallengeCommand())).data).cardId).toEqual(card.cardId);
  });

  itWith(['canPowerCycle'], 'survives a power cycle (the challenge is persistent)', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const challenge = await user.challenge();
    await user.guard.powerOff();
    await user.guard.powerOn();
    await user.select();
    const instruction = user.instruction(challenge, 'TOP_UP', { orderSeq: challenge.orderSeq, amount: 1_00 });
    expect(swHex((await user.send(topUpCommand(instruction))).sw)).toBe('9000');
  });
});

describeWith([...CONFORMANCE_NEEDS], 'LIST OPEN REQUESTS', () => {
  it('answers no data when no request is open', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    const answer = await merchant.send(listOpenRequestsCommand());
    expectSw(answer, SW.OK, 'LIST OPEN REQUESTS');
    expect(answer.data.length).toBe(0);
  });

  it('answers number, amount and reference of each open request in slot order, and changes nothing', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    for (const amount of [1_00, 2_00, 3_00]) expectSw(await merchant.send(createRequestCommand(amount, REF)), SW.OK, 'CREATE REQUEST');
    expectSw(await merchant.send(declineCommand(1)), SW.OK, 'DECLINE');
    // The freed slot (the second) takes the next request.
    expectSw(await merchant.send(createRequestCommand(4_00, REF)), SW.OK, 'CREATE REQUEST');
    const before = await merchant.snapshot();
    const answer = await merchant.send(listOpenRequestsCommand());
    expectSw(answer, SW.OK, 'LIST OPEN REQUESTS');
    expect(toHex(answer.data)).toBe(
      toHex(
        concatBytes(
          fromHex('00000000'), fromHex('00000064'), REF,
          fromHex('00000003'), fromHex('00000190'), REF,
          fromHex('00000002'), fromHex('0000012C'), REF,
        ),
      ),
    );
    expect(parseOpenRequestsAnswer(answer.data).map((r) => r.requestNo)).toEqual([0, 3, 2]);
    expect(await merchant.snapshot()).toEqual(before);
  });

  it('answers on a blocked card', async () => {
    const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
    expectSw(await card.send(listOpenRequestsCommand()), SW.OK, 'LIST OPEN REQUESTS');
  });

  it('answers 6C20 when Le is short of two open requests (32 bytes)', async () => {
    const merchant = await suite.card('merchant', 'MERCHANT');
    for (const amount of [1_00, 2_00]) expectSw(await merchant.send(createRequestCommand(amount, REF)), SW.OK, 'CREATE REQUEST');
    await expectRefusal(merchant, () => merchant.raw(Uint8Array.of(0x80, 0x3c, 0, 0, 31)), 0x6c20);
  });
});
