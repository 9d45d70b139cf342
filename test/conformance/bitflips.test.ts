// Tampered input (design brief section 7, "Refusal: every replayed, redirected, truncated or bit-flipped message is
// refused with a defined status word and leaves the card state unchanged"). Every byte of every signed input a card
// takes (request, transaction, decline, each instruction, each certificate of a chain) is flipped in turn (XOR 01;
// every one of its 8 bits with EKRONA_EXHAUSTIVE=1); the status word expected for each byte follows from the order
// of the checks in docs/PROTOCOL.md (which field the byte belongs to). The valid input is then cut and lengthened,
// and chains are broken.

import { describe, expect, it } from 'vitest';
import { applyDeclineCommand, type Command, defundCommand, getStatusCommand, payCommand, persoStoreCardCertCommand, persoStoreIntermediaryCertCommand, persoStoreRootCommand, receiveCommand, setLifecycleCommand, setPolicyCommand, syncApplyCommand, syncReportCommand, topUpCommand, unblockPinCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { LEN, OFF_CCERT, OFF_REQ, OFF_TX, SW, STATE } from '../../host/src/codec/protocol-constants.ts';
import { parseReportAnswer } from '../../host/src/codec/responses.ts';
import type { CardAnswer } from '../../host/src/flows/apdu.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { type BlankCard, type ConfCard, CONFORMANCE_NEEDS, EXHAUSTIVE, expectRefusal, expectSw, type Snapshot, takeSnapshot, useConformance } from './harness.ts';
import { declineOn, payOn, requestOn } from './payments.ts';

const suite = useConformance();
const MASKS = EXHAUSTIVE ? [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] : [0x01];

/** What a flipped byte of a card certificate gets: 9C12 when its intermediary id then names an unknown intermediary. */
function cardCertificateByte(offset: number, intermediaryCertificateSent: boolean): number {
  const id = offset >= OFF_CCERT.INTERMEDIARY_ID && offset < OFF_CCERT.INTERMEDIARY_ID + LEN.INTERMEDIARY_ID;
  return id && !intermediaryCertificateSent ? SW.UNKNOWN_INTERMEDIARY : SW.BAD_CERTIFICATE;
}

/** A request or decline (30), its signature (64), the recipient's certificate (144) [and intermediary certificate]. */
function recipientMessageByte(i: number, icert: boolean): number {
  if (i <= 1) return SW.WRONG_DATA;
  if (i < OFF_REQ.REQUEST_NO) return SW.BAD_CERTIFICATE; // recipient id and intermediary: the certificate names another card
  if (i < LEN.REQUEST + LEN.SIGNATURE) return SW.BAD_SIGNATURE;
  if (i < LEN.REQUEST + LEN.SIGNATURE + LEN.CARD_CERT) return cardCertificateByte(i - LEN.REQUEST - LEN.SIGNATURE, icert);
  return SW.BAD_CERTIFICATE; // the intermediary certificate
}

/** A transaction (46), the payer's signature (64), the payer's certificate (144) [and intermediary certificate]. */
function transactionByte(i: number, icert: boolean): number {
  if (i <= 1) return SW.WRONG_DATA;
  if (i >= OFF_TX.RECIPIENT_ID && i < OFF_TX.REQUEST_NO) return SW.WRONG_CARD;
  if ((i >= OFF_TX.PAYER_ID && i < OFF_TX.PAYER_SEQ) || (i >= OFF_TX.PAYER_INTERMEDIARY && i < OFF_TX.RECIPIENT_ID)) return SW.BAD_CERTIFICATE;
  if (i < LEN.TX + LEN.SIGNATURE) return SW.BAD_SIGNATURE;
  if (i < LEN.TX + LEN.SIGNATURE + LEN.CARD_CERT) return cardCertificateByte(i - LEN.TX - LEN.SIGNATURE, icert);
  return SW.BAD_CERTIFICATE;
}

/** An instruction: tag and version (6A80), card id (9C13), everything else breaks the signature (9C10). */
function instructionByte(i: number): number {
  if (i <= 1) return SW.WRONG_DATA;
  if (i < 10) return SW.WRONG_CARD;
  return SW.BAD_SIGNATURE;
}

interface Subject {
  card: ConfCard | BlankCard;
  pin?: string;
  data: Uint8Array;
  /** How many leading bytes are signed input (UNBLOCK PIN: not the new PIN after the instruction). */
  signedLength?: number;
  command(data: Uint8Array): Command;
  expected(index: number): number;
  /** After all the flips: the untouched input applies (proves nothing was consumed on the way). */
  finally?: () => Promise<void>;
}

async function snapshotOf(subject: Subject): Promise<Snapshot> {
  return takeSnapshot(subject.card.guard, subject.pin);
}

/**
 * Sends every flip of every byte, checks the status word against the expectation and the card state against the
 * state before, and collects every disagreement, so one run lists all of them. The state is checked after every
 * flip by GET STATUS (balance, counters, log count, open requests, policy, lifecycle, PIN tries) and in full (the
 * snapshot: certificates, open requests, every log record) after every 16 flips and at the end; with
 * EKRONA_EXHAUSTIVE=1 in full after every flip.
 */
async function flipAll(subject: Subject): Promise<void> {
  const before = await snapshotOf(subject);
  const wrongSw: string[] = [];
  const changed: string[] = [];
  const length = subject.signedLength ?? subject.data.length;
  const fullEvery = EXHAUSTIVE ? 1 : 16;
  let sinceFull: string[] = [];
  const fullCheck = async () => {
    const after = await snapshotOf(subject);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      changed.push(`one of ${sinceFull.join(', ')}`);
      expect(after, `the card state after flipping ${sinceFull.join(', ')}`).toEqual(before);
    }
    sinceFull = [];
  };
  for (let i = 0; i < length; i++) {
    for (const mask of MASKS) {
      const data = subject.data.slice();
      data[i] ^= mask;
      const answer: CardAnswer = await subject.card.send(subject.command(data));
      const expected = subject.expected(i);
      const name = `byte ${i} ^ ${mask.toString(16).padStart(2, '0')}`;
      if (answer.sw !== expected) wrongSw.push(`${name}: ${swHex(answer.sw)}, expected ${swHex(expected)}`);
      sinceFull.push(name);
      const status = await subject.card.send(getStatusCommand());
      if (toHex(status.data) !== before.statusHex) {
        changed.push(name);
        expect(toHex(status.data), `the status after flipping ${name}`).toBe(before.statusHex);
      }
      if (sinceFull.length >= fullEvery) await fullCheck();
    }
  }
  if (sinceFull.length > 0) await fullCheck();
  expect(wrongSw, 'flips answered another status word than documented').toEqual([]);
  expect(changed, 'flips that changed the card').toEqual([]);
  await subject.finally?.();
}

/** The valid input one byte short, one byte long, empty and 255 bytes: 6700, state unchanged. */
async function wrongLengths(subject: Subject & { card: ConfCard }, lengths: number[] = []): Promise<void> {
  const d = subject.data;
  const variants: [string, Uint8Array][] = [
    ['one byte short', d.slice(0, d.length - 1)],
    ['one byte long', new Uint8Array([...d, 0x00])],
    ['empty', new Uint8Array(0)],
    ...lengths.map((l) => [`${l} bytes`, new Uint8Array(l).fill(0x5a)] as [string, Uint8Array]),
  ];
  for (const [, data] of variants) {
    const command = subject.command(data);
    await expectRefusal(subject.card, () => subject.card.send(data.length === 0 ? { ...command, data: undefined } : command), SW.WRONG_LENGTH);
  }
}

describeWith([...CONFORMANCE_NEEDS], `every byte of every signed input flipped (${MASKS.length === 8 ? 'every bit' : 'XOR 01'})`, () => {
  it('PAY: request, signature and recipient certificate (238 bytes)', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 12_00);
    const data = payCommand(request.request, request.certificate).data!;
    await flipAll({
      card: payer,
      pin: payer.pin,
      data,
      command: (d) => ({ ...payCommand(request.request, request.certificate), data: d }),
      expected: (i) => recipientMessageByte(i, false),
      finally: async () => void (await payOn(payer, request)),
    });
  });

  it('PAY with the intermediary certificate of another intermediary (373 bytes, chained)', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 12_00);
    const icert = merchantB.intermediary.intermediaryCertificate;
    const base = payCommand(request.request, request.certificate, icert);
    await flipAll({
      card: payer,
      pin: payer.pin,
      data: base.data!,
      command: (d) => ({ ...base, data: d }),
      expected: (i) => recipientMessageByte(i, true),
      finally: async () => void (await payOn(payer, request, icert)),
    });
  });

  it('RECEIVE: transaction, signature and payer certificate (254 bytes)', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    const tx = await payOn(payer, await requestOn(merchant, 12_00));
    const base = receiveCommand(tx, payer.certificate);
    await flipAll({
      card: merchant,
      pin: merchant.pin,
      data: base.data!,
      command: (d) => ({ ...base, data: d }),
      expected: (i) => transactionByte(i, false),
      finally: async () => expectSw(await merchant.send(base), SW.OK, 'RECEIVE of the untouched transaction'),
    });
  });

  it('RECEIVE with the intermediary certificate of another intermediary (389 bytes, chained)', async () => {
    const { payerB, merchant } = await suite.cards({ payerB: { role: 'USER', intermediary: 'B', balance: 1000_00 }, merchant: 'MERCHANT' });
    const tx = await payOn(payerB, await requestOn(merchant, 12_00), merchant.intermediary.intermediaryCertificate);
    const base = receiveCommand(tx, payerB.certificate, payerB.intermediary.intermediaryCertificate);
    await flipAll({
      card: merchant,
      pin: merchant.pin,
      data: base.data!,
      command: (d) => ({ ...base, data: d }),
      expected: (i) => transactionByte(i, true),
      finally: async () => expectSw(await merchant.send(base), SW.OK, 'RECEIVE of the untouched transaction'),
    });
  });

  it('APPLY DECLINE: decline, signature and recipient certificate (238 bytes)', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 12_00);
    await payOn(payer, request);
    const decline = await declineOn(merchant, request.request.value.requestNo);
    const base = applyDeclineCommand(decline.decline, decline.certificate);
    await flipAll({
      card: payer,
      pin: payer.pin,
      data: base.data!,
      command: (d) => ({ ...base, data: d }),
      expected: (i) => recipientMessageByte(i, false),
      finally: async () => expectSw(await payer.send(base), SW.OK, 'APPLY DECLINE of the untouched decline'),
    });
  });

  const instructions: [string, (card: ConfCard) => Promise<{ command: Command; signedLength?: number }>][] = [
    ['TOP UP', async (card) => { const c = await card.challenge(); return { command: topUpCommand(card.instruction(c, 'TOP_UP', { orderSeq: c.orderSeq, amount: 5_00 })) }; }],
    ['DEFUND', async (card) => { const c = await card.challenge(); return { command: defundCommand(card.instruction(c, 'DEFUND', { orderSeq: c.orderSeq, amount: 5_00 })) }; }],
    ['SET POLICY', async (card) => { const c = await card.challenge(); const p = (await card.statusNow()).policy; return { command: setPolicyCommand(card.instruction(c, 'POLICY', { policy: { ...p, version: p.version + 1 } })) }; }],
    ['SET LIFECYCLE', async (card) => { const c = await card.challenge(); return { command: setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: STATE.BLOCKED })) }; }],
    ['UNBLOCK PIN', async (card) => { const c = await card.challenge(); return { command: unblockPinCommand(card.instruction(c, 'UNBLOCK_PIN', {}), card.pin), signedLength: LEN.INSTRUCTION_HEADER + LEN.SIGNATURE }; }],
    ['SYNC APPLY', async (card) => {
      await card.verifyPin();
      const r = parseReportAnswer((await card.send(syncReportCommand())).data).value;
      const c = { challenge: r.challenge, cardId: r.cardId, stateCounter: r.stateCounter, orderSeq: r.orderSeq, balance: r.balance };
      return { command: syncApplyCommand(card.instruction(c, 'SYNC_RESULT', { recordCount: r.recordCount, newBalance: r.balance })) };
    }],
  ];
  for (const [name, make] of instructions) {
    it(`${name}: the instruction and its signature`, async () => {
      const card = await suite.card('user', { role: 'USER', balance: 100_00 });
      const { command, signedLength } = await make(card);
      await flipAll({
        card,
        pin: card.pin,
        data: command.data!,
        ...(signedLength ? { signedLength } : {}),
        command: (d) => ({ ...command, data: d }),
        expected: instructionByte,
        finally: async () => expectSw(await card.send(command), SW.OK, `${name} of the untouched instruction`),
      });
    });
  }

  it('PERSO STORE INTERMEDIARY CERT: every byte of the certificate (9C11)', async () => {
    const card = await suite.personalising('root');
    const base = persoStoreIntermediaryCertCommand(suite.intermediary('A').intermediaryCertificate);
    await flipAll({ card, data: base.data!, command: (d) => ({ ...base, data: d }), expected: () => SW.BAD_CERTIFICATE, finally: async () => expectSw(await card.send(base), SW.OK, 'the untouched certificate') });
  });

  it('PERSO STORE CARD CERT: every byte of the certificate (9C11)', async () => {
    const card = await suite.personalising('key-root-icert');
    const cert = await suite.intermediary('A').certifyCard({ publicKey: card.publicKey!, role: 1 });
    const base = persoStoreCardCertCommand(cert);
    await flipAll({ card, data: base.data!, command: (d) => ({ ...base, data: d }), expected: () => SW.BAD_CERTIFICATE, finally: async () => expectSw(await card.send(base), SW.OK, 'the untouched certificate') });
  });

  itWith(['rejectsPointsOffCurve'], 'PERSO STORE ROOT: every byte of the root key (6A80: no flip leaves a point of the curve)', async () => {
    const card = await suite.blank();
    const base = persoStoreRootCommand(suite.intermediary('A').rootPublicKey);
    await flipAll({ card, data: base.data!, command: (d) => ({ ...base, data: d }), expected: () => SW.WRONG_DATA, finally: async () => expectSw(await card.send(base), SW.OK, 'the untouched root key') });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'valid input cut and lengthened (6700)', () => {
  itWith(['handlesFullCase4'], 'PAY without and with the intermediary certificate: 237, 239, 372, 374, 0 and 255 bytes', async () => {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 12_00);
    const plain = payCommand(request.request, request.certificate);
    await wrongLengths({ card: payer, data: plain.data!, command: (d) => ({ ...plain, data: d }), expected: () => 0 }, [255]);
    const chained = payCommand(request.request, request.certificate, merchantB.intermediary.intermediaryCertificate);
    await wrongLengths({ card: payer, data: chained.data!, command: (d) => ({ ...chained, data: d }), expected: () => 0 });
  });

  it('RECEIVE: 253, 255, 388, 390 and 0 bytes', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    const tx = await payOn(payer, await requestOn(merchant, 12_00));
    const plain = receiveCommand(tx, payer.certificate);
    await wrongLengths({ card: merchant, data: plain.data!, command: (d) => ({ ...plain, data: d }), expected: () => 0 });
    const chained = receiveCommand(tx, payer.certificate, payer.intermediary.intermediaryCertificate);
    await wrongLengths({ card: merchant, data: chained.data!, command: (d) => ({ ...chained, data: d }), expected: () => 0 });
  });

  it('APPLY DECLINE: 237, 239, 0 and 255 bytes', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 12_00);
    await payOn(payer, request);
    const decline = await declineOn(merchant, request.request.value.requestNo);
    const base = applyDeclineCommand(decline.decline, decline.certificate);
    await wrongLengths({ card: payer, data: base.data!, command: (d) => ({ ...base, data: d }), expected: () => 0 }, [255]);
  });

  itWith(['handlesFullCase4'], 'each instruction: one byte short, one byte long, empty, 255 bytes', async () => {
    const card = await suite.card('user', { role: 'USER', balance: 100_00 });
    const c = await card.challenge();
    const p = (await card.statusNow()).policy;
    const commands = [
      topUpCommand(card.instruction(c, 'TOP_UP', { orderSeq: c.orderSeq, amount: 5_00 })),
      defundCommand(card.instruction(c, 'DEFUND', { orderSeq: c.orderSeq, amount: 5_00 })),
      setPolicyCommand(card.instruction(c, 'POLICY', { policy: { ...p, version: p.version + 1 } })),
      setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: STATE.BLOCKED })),
      syncApplyCommand(card.instruction(c, 'SYNC_RESULT', { recordCount: 1, newBalance: 100_00 })),
    ];
    for (const command of commands) await wrongLengths({ card, data: command.data!, command: (d) => ({ ...command, data: d }), expected: () => 0 }, [255]);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'broken chains (6883)', () => {
  async function chainedPay() {
    const { payer, merchantB } = await suite.cards({ payer: { role: 'USER', balance: 1000_00 }, merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    const request = await requestOn(merchantB, 12_00);
    const data = payCommand(request.request, request.certificate, merchantB.intermediary.intermediaryCertificate).data!;
    return { payer, data };
  }
  const first = (data: Uint8Array) => Uint8Array.of(0x90, 0x32, 0, 0, 255, ...data.slice(0, 255));
  const last = (data: Uint8Array, cla = 0x80, p1 = 0) => Uint8Array.of(cla, 0x32, p1, 0, data.length - 255, ...data.slice(255), 0x00);

  it('the first block of a chained PAY, then GET STATUS: 6883, and the PAY is not made', async () => {
    const { payer, data } = await chainedPay();
    await expectRefusal(payer, () => payer.raw(Uint8Array.of(0x80, 0x10, 0, 0, 0)), SW.LAST_COMMAND_EXPECTED, { prepare: async () => expect(swHex((await payer.raw(first(data))).sw)).toBe('9000') });
  });

  it('the last block with another P1: 6883', async () => {
    const { payer, data } = await chainedPay();
    await expectRefusal(payer, () => payer.raw(last(data, 0x80, 0x01)), SW.LAST_COMMAND_EXPECTED, { prepare: async () => expect(swHex((await payer.raw(first(data))).sw)).toBe('9000') });
  });

  it('the last block alone: 6700 (118 bytes are no PAY)', async () => {
    const { payer, data } = await chainedPay();
    await expectRefusal(payer, () => payer.raw(last(data)), SW.WRONG_LENGTH);
  });

  it('the first block twice, then the last: the chain is past 400 bytes, 6883', async () => {
    const { payer, data } = await chainedPay();
    await expectRefusal(payer, async () => {
      const second = await payer.raw(first(data));
      if (second.sw !== SW.OK) return second;
      return payer.raw(last(data));
    }, SW.LAST_COMMAND_EXPECTED, { prepare: async () => expect(swHex((await payer.raw(first(data))).sw)).toBe('9000') });
  });

  it('the blocks in the right order after a broken chain: the PAY is made once', async () => {
    const { payer, data } = await chainedPay();
    await payer.verifyPin();
    expect(swHex((await payer.raw(first(data))).sw)).toBe('9000');
    expect(swHex((await payer.raw(Uint8Array.of(0x80, 0x10, 0, 0, 0))).sw)).toBe('6883');
    expect(swHex((await payer.raw(first(data))).sw)).toBe('9000');
    expect(swHex((await payer.raw(last(data))).sw)).toBe('9000');
    expect((await payer.statusNow()).payments).toBe(1);
  });
});

describe('expectations of this file', () => {
  it('a card certificate intermediary-id byte flip expects 9C12 alone, 9C11 with the intermediary certificate', () => {
    expect(swHex(cardCertificateByte(OFF_CCERT.INTERMEDIARY_ID, false))).toBe('9C12');
    expect(swHex(cardCertificateByte(OFF_CCERT.INTERMEDIARY_ID, true))).toBe('9C11');
  });
});
