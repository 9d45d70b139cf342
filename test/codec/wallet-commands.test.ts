// Command builders, command chaining, answer parsers and CardError.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as commands from '../../host/src/codec/commands.ts';
import {
  applyDeclineCommand,
  chainBlocks,
  type Command,
  commandName,
  defundCommand,
  payCommand,
  persoSetPolicyCommand,
  persoStoreCardCertCommand,
  persoStoreIntermediaryCertCommand,
  persoStoreRootCommand,
  receiveCommand,
  setLifecycleCommand,
  setPolicyCommand,
  syncApplyCommand,
  topUpCommand,
  unblockPinCommand,
} from '../../host/src/codec/commands.ts';
import { decodeCardCertificate, decodeIntermediaryCertificate } from '../../host/src/codec/certificates.ts';
import { CardError, CodecError, isCardError, statusWordInfo } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex, toHex } from '../../host/src/codec/hex.ts';
import { decodeSignedInstruction, type SignedInstruction } from '../../host/src/codec/instructions.ts';
import { decodeSignedDecline, decodeSignedRequest, decodeSignedTransaction } from '../../host/src/codec/messages.ts';
import { DEFAULT_POLICIES, encodePolicy } from '../../host/src/codec/policy.ts';
import { INS, LEN, SW } from '../../host/src/codec/protocol-constants.ts';
import {
  checkStatusWord,
  parseDeclineAnswer,
  parseDefundAnswer,
  parseOpenRequestsAnswer,
  parsePublicKeyAnswer,
  parseRecordsAnswer,
  parseReportAnswer,
  parseRequestAnswer,
  parseSelectAnswer,
  parseTransactionAnswer,
} from '../../host/src/codec/responses.ts';
import { encodeCommand } from '../../host/src/transport/iso7816.ts';
import commandVectors from './vectors/wallet-commands.json' with { type: 'json' };
import vectors from './vectors/wallet-structures.json' with { type: 'json' };

function arg(value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith('hex:')) return fromHex(value.slice(4));
  if (typeof value === 'string' && value.startsWith('str:')) return value.slice(4);
  return value;
}

function build(name: string, args: unknown[]): Command {
  const builder = (commands as unknown as Record<string, (...a: unknown[]) => Command>)[name];
  if (typeof builder !== 'function') throw new Error(`no builder ${name}`);
  return builder(...args.map(arg));
}

function asJson(command: Command) {
  const out: Record<string, unknown> = {
    cla: toHex(Uint8Array.of(command.cla)),
    ins: toHex(Uint8Array.of(command.ins)),
    p1: toHex(Uint8Array.of(command.p1)),
    p2: toHex(Uint8Array.of(command.p2)),
  };
  if (command.data !== undefined) out.data = toHex(command.data);
  if (command.ne !== undefined) out.ne = command.ne;
  return out;
}

const apduOf = (c: Command) => encodeCommand({ cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, ...(c.data ? { data: c.data } : {}), ...(c.ne ? { le: c.ne } : {}) });

describe('command builders (vectors)', () => {
  for (const vector of commandVectors.valid) {
    it(`${vector.name}`, () => {
      const command = build(vector.build, vector.args);
      expect(asJson(command)).toEqual(vector.command);
      expect(toHex(apduOf(command))).toBe(vector.apdu);
    });
  }
  for (const vector of commandVectors.invalid) {
    it(`refuses ${vector.name} (${vector.field})`, () => {
      let error: unknown;
      try {
        build(vector.build, vector.args);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CodecError);
      expect((error as CodecError).field).toBe(vector.field);
    });
  }

  it('commands without data have no data field (so no Lc is written: cases 1 and 2)', () => {
    for (const c of [commands.getStatusCommand(), commands.persoLockCommand(), commands.syncReportCommand(), commands.verifyPinCommand()]) {
      expect('data' in c).toBe(false);
    }
    expect(toHex(apduOf(commands.persoLockCommand()))).toBe('807E0000');
    expect(toHex(apduOf(commands.getStatusCommand()))).toBe('8010000000');
  });

  it('names instructions for messages', () => {
    expect(commandName(INS.PERSO_STORE_INTERMEDIARY_CERT)).toBe('PERSO STORE INTERMEDIARY CERT');
    expect(commandName(0xee)).toBe('INS EE');
  });
});

const S = vectors.structures as Record<string, { valid: { hex: string; signature?: string }[] }>;
const sig = (group: string, i = 0) => concatBytes(fromHex(S[group].valid[i].hex), fromHex(S[group].valid[i].signature!));
const requestBytes = sig('request');
const declineBytes = sig('decline');
const txBytes = sig('transaction');
const cardCertBytes = sig('cardCertificateBody', 1);
const icertBytes = sig('intermediaryCertificateBody', 1);
const cardCert = decodeCardCertificate(cardCertBytes);
const icert = decodeIntermediaryCertificate(icertBytes);
const instruction = (i: number) => decodeSignedInstruction(sig('instruction', i)) as SignedInstruction;

describe('commands carrying structures', () => {
  it('PAY carries request, signature, card certificate: 238 bytes, one APDU', () => {
    const c = payCommand(decodeSignedRequest(requestBytes), cardCert);
    expect(asJson(c)).toMatchObject({ cla: '80', ins: '32', p1: '00', p2: '00', ne: 256 });
    expect(c.data).toEqual(concatBytes(requestBytes, cardCertBytes));
    expect(chainBlocks(c)).toEqual([c]);
  });

  it('PAY with the intermediary certificate is 373 bytes: two chained blocks, 255 then 118', () => {
    const c = payCommand(decodeSignedRequest(requestBytes), cardCert, icert);
    expect(c.data).toEqual(concatBytes(requestBytes, cardCertBytes, icertBytes));
    const blocks = chainBlocks(c);
    expect(blocks.map((b) => [b.cla, b.data!.length, b.ne])).toEqual([
      [0x90, 255, undefined],
      [0x80, 118, 256],
    ]);
    expect(concatBytes(...blocks.map((b) => b.data!))).toEqual(c.data);
    expect(toHex(apduOf(blocks[0])).slice(0, 10)).toBe('90320000FF');
  });

  it('RECEIVE and APPLY DECLINE carry the message and certificates and expect no data', () => {
    const r = receiveCommand(decodeSignedTransaction(txBytes), cardCert, icert);
    expect(r.data).toEqual(concatBytes(txBytes, cardCertBytes, icertBytes));
    expect(r.ne).toBeUndefined();
    expect(r.data!.length).toBe(LEN.TX + LEN.SIGNATURE + LEN.CARD_CERT + LEN.INTERMEDIARY_CERT);
    const d = applyDeclineCommand(decodeSignedDecline(declineBytes), cardCert);
    expect(d.data).toEqual(concatBytes(declineBytes, cardCertBytes));
    expect(d.ins).toBe(INS.APPLY_DECLINE);
  });

  it('instruction commands carry header, payload and signature', () => {
    expect(topUpCommand(instruction(0)).data).toEqual(sig('instruction', 0));
    expect(topUpCommand(instruction(0)).data!.length).toBe(30 + 8 + 64);
    expect(defundCommand(instruction(1))).toMatchObject({ ins: INS.DEFUND, ne: 256 });
    expect(setPolicyCommand(instruction(2)).data!.length).toBe(30 + 19 + 64);
    expect(setLifecycleCommand(instruction(4)).data!.length).toBe(30 + 1 + 64);
    expect(syncApplyCommand(instruction(6)).data!.length).toBe(30 + 5 + 64);
    const unblock = unblockPinCommand(instruction(3), '654321');
    expect(unblock.data).toEqual(concatBytes(sig('instruction', 3), new TextEncoder().encode('654321')));
  });

  it('personalisation commands carry their structures', () => {
    expect(persoStoreRootCommand(icert.value.publicKey).data).toEqual(icert.value.publicKey);
    expect(persoStoreIntermediaryCertCommand(icert).data).toEqual(icertBytes);
    expect(persoStoreCardCertCommand(cardCert).data).toEqual(cardCertBytes);
    expect(persoSetPolicyCommand(DEFAULT_POLICIES.USER).data).toEqual(encodePolicy(DEFAULT_POLICIES.USER));
  });

  it('a tampered signed structure is sent as tampered (the card is the judge)', () => {
    const request = decodeSignedRequest(requestBytes);
    const body = request.body.slice();
    body[20] ^= 1;
    expect(payCommand({ ...request, body }, cardCert).data!.subarray(0, 30)).toEqual(body);
  });
});

describe('chainBlocks', () => {
  it('splits any data into blocks of at most the block size, chaining bit on all but the last', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.integer({ min: 1, max: 255 }), fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }), (data, size, ne) => {
        const command: Command = { cla: 0x80, ins: 0x32, p1: 0, p2: 0, ...(data.length ? { data } : {}), ...(ne ? { ne } : {}) };
        const blocks = chainBlocks(command, size);
        expect(blocks.length).toBe(Math.max(1, Math.ceil(data.length / size)));
        expect(concatBytes(...blocks.map((b) => b.data ?? new Uint8Array(0)))).toEqual(data);
        blocks.forEach((b, i) => {
          const last = i === blocks.length - 1;
          expect(b.cla).toBe(last ? 0x80 : 0x90);
          expect(b.ne).toBe(last ? ne : undefined);
          expect([b.ins, b.p1, b.p2]).toEqual([0x32, 0, 0]);
          expect((b.data ?? new Uint8Array(0)).length).toBeLessThanOrEqual(size);
        });
      }),
    );
  });

  it('keeps the ISO class (00 -> 10 on chained blocks)', () => {
    const blocks = chainBlocks({ cla: 0x00, ins: 0x20, p1: 0, p2: 0x80, data: new Uint8Array(300) });
    expect(blocks.map((b) => b.cla)).toEqual([0x10, 0x00]);
  });

  it('refuses a command already marked as chained and a block size outside 1..255', () => {
    expect(() => chainBlocks({ cla: 0x90, ins: 0x32, p1: 0, p2: 0, data: new Uint8Array(300) })).toThrow(CodecError);
    expect(() => chainBlocks({ cla: 0x80, ins: 0x32, p1: 0, p2: 0 }, 256)).toThrow(CodecError);
    expect(() => chainBlocks({ cla: 0x80, ins: 0x32, p1: 0, p2: 0 }, 0)).toThrow(CodecError);
  });
});

describe('answer parsers', () => {
  const statusHex = vectors.answers.status.valid[0].hex;

  it('SELECT: the status alone before personalisation, with the card certificate after', () => {
    expect(parseSelectAnswer(fromHex(statusHex)).certificate).toBeUndefined();
    const answer = parseSelectAnswer(concatBytes(fromHex(statusHex), cardCertBytes));
    expect(answer.certificate).toEqual(cardCert);
    expect(answer.status.balance).toBe(37450);
    expect(() => parseSelectAnswer(fromHex(statusHex + '00'))).toThrow(CodecError);
  });

  it('CREATE REQUEST and DECLINE answers: signed message and certificate, 238 bytes', () => {
    const request = parseRequestAnswer(concatBytes(requestBytes, cardCertBytes));
    expect(request.request.value.amount).toBe(12550);
    expect(request.certificate).toEqual(cardCert);
    expect(parseDeclineAnswer(concatBytes(declineBytes, cardCertBytes)).decline.value.requestNo).toBe(3);
    // A decline is not a request: the tag is checked.
    expect(() => parseRequestAnswer(concatBytes(declineBytes, cardCertBytes))).toThrow(/request\.tag/);
    expect(() => parseRequestAnswer(requestBytes)).toThrow(CodecError);
  });

  it('PAY, SYNC REPORT and DEFUND answers are signed structures', () => {
    expect(parseTransactionAnswer(txBytes).value.payerSeq).toBe(0);
    expect(parseReportAnswer(sig('report', 1)).value.recordCount).toBe(3);
    expect(parseDefundAnswer(sig('defundConfirmation')).value.amount).toBe(10000);
    expect(() => parseTransactionAnswer(txBytes.subarray(0, 109))).toThrow(CodecError);
  });

  it('READ RECORDS answers 0, 1 or 2 records', () => {
    const r = S.record.valid.map((v) => fromHex(v.hex));
    expect(parseRecordsAnswer(new Uint8Array(0))).toEqual([]);
    expect(parseRecordsAnswer(r[0]).map((x) => x.record.kind)).toEqual(['OUTGOING']);
    const two = parseRecordsAnswer(concatBytes(r[3], r[4]));
    expect(two.map((x) => x.record.kind)).toEqual(['DECLINED', 'TOP_UP']);
    expect(two[1].bytes).toEqual(r[4]);
    expect(() => parseRecordsAnswer(concatBytes(r[0], r[1], r[2]))).toThrow(CodecError);
    expect(() => parseRecordsAnswer(r[0].subarray(1))).toThrow(CodecError);
  });

  it('LIST OPEN REQUESTS answers 0 to 4 entries of request number, amount, reference', () => {
    expect(parseOpenRequestsAnswer(new Uint8Array(0))).toEqual([]);
    const entries = parseOpenRequestsAnswer(fromHex('00000003' + '00003106' + '494E562D30303432' + '00000009' + '7FFFFFFF' + '0000000000000000'));
    expect(entries).toEqual([
      { requestNo: 3, amount: 12550, reference: fromHex('494E562D30303432') },
      { requestNo: 9, amount: 0x7fffffff, reference: new Uint8Array(8) },
    ]);
    expect(() => parseOpenRequestsAnswer(new Uint8Array(15))).toThrow(CodecError);
    expect(() => parseOpenRequestsAnswer(new Uint8Array(16 * 5))).toThrow(CodecError);
    expect(() => parseOpenRequestsAnswer(fromHex('00000001' + '00000000' + '0000000000000000'))).toThrow(/amount/);
  });

  it('PERSO GENERATE KEY answers a point of the curve', () => {
    expect(parsePublicKeyAnswer(icert.value.publicKey)).toEqual(icert.value.publicKey);
    const bad = icert.value.publicKey.slice();
    bad[64] ^= 1;
    expect(() => parsePublicKeyAnswer(bad)).toThrow(/not a point of P-256/);
  });
});

describe('CardError', () => {
  it('carries the status word, its name and its documentation', () => {
    const error = new CardError(SW.INSUFFICIENT_FUNDS, 'PAY');
    expect(error.sw).toBe(0x9c01);
    expect(error.swName).toBe('INSUFFICIENT_FUNDS');
    expect(error.doc).toBe('The spendable balance is below the amount.');
    expect(error.message).toBe('PAY refused: 9C01 INSUFFICIENT_FUNDS: The spendable balance is below the amount.');
    expect(isCardError(error, SW.INSUFFICIENT_FUNDS)).toBe(true);
    expect(isCardError(error, SW.LOG_FULL)).toBe(false);
  });

  it('names every status word of the protocol', () => {
    for (const [name, sw] of Object.entries(SW)) {
      const info = statusWordInfo(sw);
      expect(info.name).toBe(name);
      expect(info.doc.length).toBeGreaterThan(5);
    }
  });

  it('reads the tries left of 63Cx', () => {
    const error = new CardError(0x63c2, 'VERIFY PIN');
    expect(error.swName).toBe('PIN_TRIES_BASE');
    expect(error.triesLeft).toBe(2);
  });

  it('describes a status word the protocol does not define', () => {
    const error = new CardError(0x6f00);
    expect(error.swName).toBeUndefined();
    expect(error.message).toContain('6F00');
  });

  it('checkStatusWord passes 9000 only', () => {
    expect(() => checkStatusWord(0x9000)).not.toThrow();
    expect(() => checkStatusWord(0x9c10, 'RECEIVE')).toThrow(CardError);
  });
});
