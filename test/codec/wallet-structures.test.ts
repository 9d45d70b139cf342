// Round trips of every wallet structure over random valid values (fast-check), the encoders' guards, the
// decoders' refusals of what encoders can write but the protocol forbids, and the rules around structures
// (policy validity, records digest, the balance the log explains, certificate chains).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCardCertificate,
  decodeCardCertificateBody,
  decodeIntermediaryCertificate,
  decodeIntermediaryCertificateBody,
  encodeCardCertificate,
  encodeCardCertificateBody,
  encodeIntermediaryCertificate,
  encodeIntermediaryCertificateBody,
  signCardCertificate,
  signIntermediaryCertificate,
  verifyCardCertificate,
  verifyCertificateChain,
  verifyIntermediaryCertificate,
} from '../../host/src/codec/certificates.ts';
import { assertPublicKeyForm, isPublicKeyForm, isValidPublicKey, keyPairFromPrivateKey, privateKeyFromScalar, sha256, verify } from '../../host/src/codec/ecdsa.ts';
import { CodecError } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex, toHex } from '../../host/src/codec/hex.ts';
import { cardIdHex, cardIdOf, intermediaryIdOfCard, transactionIdOf } from '../../host/src/codec/ids.ts';
import {
  decodeInstruction,
  decodeSignedInstruction,
  encodeInstruction,
  instructionLength,
  signInstruction,
  verifyInstruction,
} from '../../host/src/codec/instructions.ts';
import {
  decodeDecline,
  decodeDefundConfirmation,
  decodeReport,
  decodeRequest,
  decodeSignedTransaction,
  decodeTransaction,
  encodeDecline,
  encodeDefundConfirmation,
  encodeReport,
  encodeRequest,
  encodeTransaction,
  signDecline,
  signRequest,
  signTransaction,
  transactionAnswers,
  transactionId,
  verifyDecline,
  verifyRequest,
  verifyTransaction,
} from '../../host/src/codec/messages.ts';
import { assertValidPolicy, decodePolicy, DEFAULT_POLICIES, defaultPolicy, encodePolicy, isValidPolicy, policyProblems } from '../../host/src/codec/policy.ts';
import { LEN, LIMIT, ROLE, STATE } from '../../host/src/codec/protocol-constants.ts';
import {
  balanceFromRecords,
  decodeRecord,
  encodeRecord,
  type LogRecord,
  orderRecordInstruction,
  recordsDigest,
  recordTransaction,
} from '../../host/src/codec/records.ts';
import { encodeSigned } from '../../host/src/codec/signed.ts';
import * as arb from './arbitraries.ts';

function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error('expected a CodecError');
}

const root = keyPairFromPrivateKey(privateKeyFromScalar(101n));
const intermediary = keyPairFromPrivateKey(privateKeyFromScalar(202n));
const card = keyPairFromPrivateKey(privateKeyFromScalar(303n));

describe('round trips (decode(encode(x)) = x, for any valid x)', () => {
  const cases = [
    ['intermediary certificate body', arb.intermediaryCertificateBody, encodeIntermediaryCertificateBody, decodeIntermediaryCertificateBody, LEN.INTERMEDIARY_CERT_BODY],
    ['card certificate body', arb.cardCertificateBody, encodeCardCertificateBody, decodeCardCertificateBody, LEN.CARD_CERT_BODY],
    ['request', arb.request, encodeRequest, decodeRequest, LEN.REQUEST],
    ['decline', arb.request, encodeDecline, decodeDecline, LEN.REQUEST],
    ['transaction', arb.transaction, encodeTransaction, decodeTransaction, LEN.TX],
    ['report', arb.report, encodeReport, decodeReport, LEN.REPORT],
    ['de-fund confirmation', arb.defundConfirmation, encodeDefundConfirmation, decodeDefundConfirmation, LEN.DEFUND_CONFIRM],
    ['policy', arb.policy, encodePolicy, decodePolicy, LEN.POLICY],
    ['record', arb.record, encodeRecord, decodeRecord, LEN.RECORD],
  ] as const;
  for (const [name, arbitrary, encode, decode, length] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(arbitrary as fc.Arbitrary<never>, (value) => {
          const bytes = (encode as (v: never) => Uint8Array)(value);
          expect(bytes.length).toBe(length);
          expect((decode as (b: Uint8Array) => unknown)(bytes)).toEqual(value);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('instruction (every kind, at its exact length)', () => {
    fc.assert(
      fc.property(arb.instruction, (value) => {
        const bytes = encodeInstruction(value);
        expect(bytes.length).toBe(instructionLength(value.kind));
        expect(decodeInstruction(bytes)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it('a decoder refuses every length but its own', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (length) => {
        fc.pre(length !== LEN.TX);
        expect(codecError(() => decodeTransaction(new Uint8Array(length))).field).toBe('transaction');
      }),
    );
  });

  it('decoding copies: changing the input afterwards changes nothing decoded', () => {
    const bytes = encodeRequest({ recipientId: fromHex('0102030405060708'), recipientIntermediary: 1, requestNo: 2, amount: 3, reference: new Uint8Array(8) });
    const decoded = decodeRequest(bytes);
    bytes.fill(0xee);
    expect(toHex(decoded.recipientId)).toBe('0102030405060708');
  });
});

describe('encoders write any representable value; decoders refuse what the protocol forbids', () => {
  const tx = { payerId: new Uint8Array(8), payerSeq: 0, payerIntermediary: 1, recipientId: new Uint8Array(8), recipientIntermediary: 2, requestNo: 3, amount: 0, reference: new Uint8Array(8) };

  it('encodes an amount of zero (for refusal tests) and refuses to decode it', () => {
    const bytes = encodeTransaction(tx);
    expect(codecError(() => decodeTransaction(bytes)).field).toBe('transaction.amount');
  });

  it('encodes a card certificate with role 07 and refuses to decode it', () => {
    const bytes = encodeCardCertificateBody({ cardId: new Uint8Array(8), role: 7, intermediaryId: 1, publicKey: card.publicKey });
    expect(bytes[10]).toBe(7);
    expect(codecError(() => decodeCardCertificateBody(bytes)).field).toBe('cardCertificate.role');
  });

  it('refuses values that do not fit their field, naming the field', () => {
    expect(codecError(() => encodeTransaction({ ...tx, amount: 2 ** 32 })).field).toBe('transaction.amount');
    expect(codecError(() => encodeTransaction({ ...tx, payerSeq: -1 })).field).toBe('transaction.payerSeq');
    expect(codecError(() => encodeTransaction({ ...tx, requestNo: 1.5 })).field).toBe('transaction.requestNo');
    expect(codecError(() => encodeTransaction({ ...tx, payerId: new Uint8Array(7) })).field).toBe('transaction.payerId');
    expect(codecError(() => encodeTransaction({ ...tx, reference: 'INV' as unknown as Uint8Array })).field).toBe('transaction.reference');
    expect(codecError(() => encodePolicy({ ...DEFAULT_POLICIES.USER, maxPayments: 256 })).field).toBe('policy.maxPayments');
    expect(codecError(() => encodeCardCertificateBody({ cardId: new Uint8Array(8), role: 1, intermediaryId: 1, publicKey: new Uint8Array(64) })).field).toBe(
      'cardCertificate.publicKey',
    );
    expect(codecError(() => encodeInstruction({ kind: 'LIFECYCLE', cardId: new Uint8Array(8), challenge: new Uint8Array(15), stateCounter: 0, state: 2 })).field).toBe(
      'instruction.challenge',
    );
    expect(codecError(() => encodeInstruction({ kind: 'NOPE' } as never)).field).toBe('instruction.kind');
  });

  it('the message of a CodecError is one sentence naming the field and the value', () => {
    const error = codecError(() => decodeTransaction(encodeTransaction(tx)));
    expect(error.message).toBe('transaction.amount must be an amount of 1 to 2147483647 öre, got 0.');
  });
});

describe('certificates', () => {
  const icert = signIntermediaryCertificate({ intermediaryId: 9, publicKey: intermediary.publicKey }, root.privateKey);
  const ccert = signCardCertificate({ cardId: cardIdOf(9, 1), role: ROLE.MERCHANT, intermediaryId: 9, publicKey: card.publicKey }, intermediary.privateKey);

  it('encode to 135 and 144 bytes, decode back, and verify', () => {
    expect(encodeIntermediaryCertificate(icert).length).toBe(LEN.INTERMEDIARY_CERT);
    expect(encodeCardCertificate(ccert).length).toBe(LEN.CARD_CERT);
    expect(decodeIntermediaryCertificate(encodeIntermediaryCertificate(icert))).toEqual(icert);
    expect(decodeCardCertificate(encodeCardCertificate(ccert))).toEqual(ccert);
    expect(verifyIntermediaryCertificate(icert, root.publicKey)).toBe(true);
    expect(verifyCardCertificate(ccert, intermediary.publicKey)).toBe(true);
    expect(verifyCertificateChain(ccert, icert, root.publicKey)).toEqual(card.publicKey);
  });

  it('a certificate signed by another key does not verify', () => {
    expect(verifyIntermediaryCertificate(icert, intermediary.publicKey)).toBe(false);
    expect(verifyCardCertificate(ccert, root.publicKey)).toBe(false);
  });

  it('a chain fails on a root signature, an intermediary id mismatch and a card signature, naming each', () => {
    const other = keyPairFromPrivateKey(privateKeyFromScalar(404n));
    expect(codecError(() => verifyCertificateChain(ccert, icert, other.publicKey)).field).toBe('intermediaryCertificate.signature');
    const icert8 = signIntermediaryCertificate({ intermediaryId: 8, publicKey: intermediary.publicKey }, root.privateKey);
    expect(codecError(() => verifyCertificateChain(ccert, icert8, root.publicKey)).field).toBe('intermediaryCertificate.intermediaryId');
    const forged = signCardCertificate(ccert.value, other.privateKey);
    expect(codecError(() => verifyCertificateChain(forged, icert, root.publicKey)).field).toBe('cardCertificate.signature');
  });

  it('a key inside a certificate is checked for form only when read, on the curve when signed (the issuer)', () => {
    const offCurve = card.publicKey.slice();
    offCurve[64] ^= 1;
    const body = { cardId: cardIdOf(9, 2), role: ROLE.USER, intermediaryId: 9, publicKey: offCurve };
    // Read: the form is right (04, X and Y below p), as the card checks it.
    expect(decodeCardCertificateBody(encodeCardCertificateBody(body)).publicKey).toEqual(offCurve);
    // Signed: the issuer refuses a key that is not a point of the curve.
    expect(codecError(() => signCardCertificate(body, intermediary.privateKey)).field).toBe('cardCertificate.publicKey');
    expect(codecError(() => signIntermediaryCertificate({ intermediaryId: 1, publicKey: offCurve }, root.privateKey)).field).toBe('intermediaryCertificate.publicKey');
    // And no signature verifies with it.
    expect(verify(new Uint8Array(64).fill(1), new Uint8Array(1), offCurve)).toBe(false);
    expect(isPublicKeyForm(offCurve)).toBe(true);
    expect(isValidPublicKey(offCurve)).toBe(false);
    const xIsP = Uint8Array.of(4, ...fromHex('FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF'), ...card.publicKey.subarray(33));
    expect(isPublicKeyForm(xIsP)).toBe(false);
    expect(codecError(() => assertPublicKeyForm(xIsP, 'k')).message).toBe('k must have both coordinates below the field prime p.');
  });

  it('a signed certificate of the wrong length is refused', () => {
    expect(codecError(() => decodeCardCertificate(encodeCardCertificate(ccert).subarray(0, 143))).field).toBe('cardCertificate');
  });
});

describe('card messages', () => {
  it('signatures of requests, declines and transactions verify with the signer only', () => {
    fc.assert(
      fc.property(arb.request, arb.transaction, (r, t) => {
        expect(verifyRequest(signRequest(r, card.privateKey), card.publicKey)).toBe(true);
        expect(verifyDecline(signDecline(r, card.privateKey), card.publicKey)).toBe(true);
        expect(verifyTransaction(signTransaction(t, card.privateKey), card.publicKey)).toBe(true);
        expect(verifyTransaction(signTransaction(t, card.privateKey), intermediary.publicKey)).toBe(false);
      }),
      { numRuns: 10 },
    );
  });

  it('a request signature never verifies as a decline signature (the tag differs)', () => {
    const r = { recipientId: cardIdOf(1, 2), recipientIntermediary: 1, requestNo: 5, amount: 100, reference: new Uint8Array(8) };
    const signed = signRequest(r, card.privateKey);
    expect(verify(signed.signature, encodeDecline(r), card.publicKey)).toBe(false);
  });

  it('the transaction id is payerId || payerSeq', () => {
    const t = { payerId: fromHex('0000000100000002'), payerSeq: 0x0a0b0c0d, payerIntermediary: 1, recipientId: new Uint8Array(8), recipientIntermediary: 1, requestNo: 0, amount: 1, reference: new Uint8Array(8) };
    expect(toHex(transactionId(t))).toBe('00000001000000020A0B0C0D');
    expect(transactionIdOf(t.payerId, t.payerSeq)).toEqual(transactionId(t));
  });

  it('a transaction answers a request only when recipient, intermediary, number, amount and reference match', () => {
    fc.assert(
      fc.property(arb.transaction, fc.integer({ min: 0, max: 5 }), (t, field) => {
        const request = { recipientId: t.recipientId, recipientIntermediary: t.recipientIntermediary, requestNo: t.requestNo, amount: t.amount, reference: t.reference };
        expect(transactionAnswers(t, request)).toBe(true);
        const changed = { ...request };
        if (field === 0) changed.recipientId = Uint8Array.from(t.recipientId, (b, i) => (i === 0 ? b ^ 1 : b));
        if (field === 1) changed.recipientIntermediary = (t.recipientIntermediary + 1) >>> 0;
        if (field === 2) changed.requestNo = (t.requestNo + 1) >>> 0;
        if (field === 3) changed.amount = t.amount === 1 ? 2 : t.amount - 1;
        if (field === 4) changed.reference = Uint8Array.from(t.reference, (b, i) => (i === 7 ? b ^ 0x80 : b));
        if (field < 5) expect(transactionAnswers(t, changed)).toBe(false);
      }),
    );
  });

  it('signed structures are body || signature', () => {
    const signed = signTransaction(
      { payerId: new Uint8Array(8), payerSeq: 1, payerIntermediary: 1, recipientId: new Uint8Array(8), recipientIntermediary: 1, requestNo: 1, amount: 1, reference: new Uint8Array(8) },
      card.privateKey,
    );
    const bytes = encodeSigned(signed);
    expect(bytes.length).toBe(LEN.TX + LEN.SIGNATURE);
    expect(decodeSignedTransaction(bytes)).toEqual(signed);
    expect(codecError(() => decodeSignedTransaction(bytes.subarray(1))).field).toBe('signed transaction');
  });
});

describe('instructions', () => {
  it('sign and verify with the intermediary key; any flipped bit fails', () => {
    fc.assert(
      fc.property(arb.instruction, fc.nat(), (value, at) => {
        const signed = signInstruction(value, intermediary.privateKey);
        expect(verifyInstruction(signed, intermediary.publicKey)).toBe(true);
        expect(decodeSignedInstruction(encodeSigned(signed))).toEqual(signed);
        const body = signed.body.slice();
        body[at % body.length] ^= 1 << (at % 8);
        expect(verifyInstruction({ ...signed, body }, intermediary.publicKey)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('the lengths are the documented ones', () => {
    expect(instructionLength('TOP_UP')).toBe(38);
    expect(instructionLength('DEFUND')).toBe(38);
    expect(instructionLength('POLICY')).toBe(49);
    expect(instructionLength('UNBLOCK_PIN')).toBe(30);
    expect(instructionLength('LIFECYCLE')).toBe(31);
    expect(instructionLength('SYNC_RESULT')).toBe(35);
  });
});

describe('policy', () => {
  it('the defaults are the pilot values, valid, and per role', () => {
    expect(defaultPolicy(ROLE.USER)).toEqual(DEFAULT_POLICIES.USER);
    expect(defaultPolicy(ROLE.MERCHANT).maxBalance).toBe(2_000_000);
    expect(DEFAULT_POLICIES.MERCHANT.flags).toBe(0);
    expect(isValidPolicy(DEFAULT_POLICIES.USER)).toBe(true);
    expect(isValidPolicy(DEFAULT_POLICIES.MERCHANT)).toBe(true);
    expect(codecError(() => defaultPolicy(0)).field).toBe('role');
  });

  it('is valid exactly when every record it allows fits the log and every amount is an amount', () => {
    fc.assert(
      fc.property(arb.policy, (p) => {
        const fits = p.maxPayments + p.maxReceivedCount + LIMIT.MAX_OPEN_REQUESTS + LIMIT.ORDER_RESERVE <= LIMIT.LOG_CAPACITY;
        const amounts = [p.maxPaymentAmount, p.maxBalance, p.maxReceivedAmount].every((a) => a <= 0x7fffffff);
        expect(isValidPolicy(p)).toBe(fits && amounts);
        expect(policyProblems(p).length === 0).toBe(fits && amounts);
      }),
    );
  });

  it('the boundary: 24 records allowed is valid, 25 is not', () => {
    const p = { ...DEFAULT_POLICIES.USER, maxPayments: 12, maxReceivedCount: 12 };
    expect(isValidPolicy(p)).toBe(true);
    expect(isValidPolicy({ ...p, maxReceivedCount: 13 })).toBe(false);
    expect(codecError(() => assertValidPolicy({ ...p, maxBalance: 0x80000000 })).field).toBe('policy');
  });
});

describe('records', () => {
  it('the digest of no records is SHA-256 of nothing', () => {
    expect(toHex(recordsDigest([]))).toBe('E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855');
  });

  it('the digest is SHA-256 over the records in order', () => {
    fc.assert(
      fc.property(fc.array(arb.record, { maxLength: 5 }), (records) => {
        const bytes = records.map(encodeRecord);
        expect(recordsDigest(bytes)).toEqual(sha256(concatBytes(...bytes)));
      }),
      { numRuns: 30 },
    );
    expect(codecError(() => recordsDigest([new Uint8Array(111)])).field).toBe('records[0]');
  });

  const tx = (amount: number) => ({ payerId: new Uint8Array(8), payerSeq: 0, payerIntermediary: 1, recipientId: new Uint8Array(8), recipientIntermediary: 1, requestNo: 0, amount, reference: new Uint8Array(8) });
  const order = (kind: 'TOP_UP' | 'DEFUND', amount: number): LogRecord => ({ kind, voided: false, orderSeq: 0, amount, challenge: new Uint8Array(16), stateCounter: 0, signature: new Uint8Array(64) });

  it('the log explains the balance: last sync + top-ups - de-funds - payments (not voided) + receipts', () => {
    const records: LogRecord[] = [
      order('TOP_UP', 10_000),
      { kind: 'OUTGOING', voided: false, transaction: tx(2_500), signature: new Uint8Array(64) },
      { kind: 'OUTGOING', voided: true, transaction: tx(1_000), signature: new Uint8Array(64) },
      { kind: 'INCOMING', voided: false, transaction: tx(700), signature: new Uint8Array(64) },
      { kind: 'DECLINED', voided: false, decline: { recipientId: new Uint8Array(8), recipientIntermediary: 1, requestNo: 0, amount: 9, reference: new Uint8Array(8) }, signature: new Uint8Array(64) },
      order('DEFUND', 200),
    ];
    expect(balanceFromRecords(100, records)).toBe(100 + 10_000 - 2_500 + 700 - 200);
  });

  it('an order record rebuilds the instruction the intermediary signed', () => {
    const cardId = cardIdOf(3, 4);
    const signed = signInstruction({ kind: 'TOP_UP', cardId, challenge: fromHex('AA'.repeat(16)), stateCounter: 6, orderSeq: 2, amount: 1234 }, intermediary.privateKey);
    const record: LogRecord = { kind: 'TOP_UP', voided: false, orderSeq: 2, amount: 1234, challenge: signed.value.challenge, stateCounter: 6, signature: signed.signature };
    const rebuilt = orderRecordInstruction(decodeRecord(encodeRecord(record)) as Extract<LogRecord, { kind: 'TOP_UP' }>, cardId);
    expect(rebuilt.body).toEqual(signed.body);
    expect(verifyInstruction(rebuilt, intermediary.publicKey)).toBe(true);
    expect(verifyInstruction(orderRecordInstruction(record as Extract<LogRecord, { kind: 'TOP_UP' }>, cardIdOf(3, 5)), intermediary.publicKey)).toBe(false);
  });

  it('a payment record verifies with the payer key', () => {
    const signed = signTransaction(tx(55), card.privateKey);
    const record = decodeRecord(encodeRecord({ kind: 'INCOMING', voided: false, transaction: signed.value, signature: signed.signature }));
    expect(verifyTransaction(recordTransaction(record as Extract<LogRecord, { kind: 'INCOMING' }>), card.publicKey)).toBe(true);
  });
});

describe('ids', () => {
  it('card ids are intermediary id || serial', () => {
    const id = cardIdOf(0x0a0b0c0d, 7);
    expect(cardIdHex(id)).toBe('0A0B0C0D00000007');
    expect(intermediaryIdOfCard(id)).toBe(0x0a0b0c0d);
    expect(codecError(() => cardIdOf(-1, 0)).field).toBe('intermediaryId');
  });

  it('states are the documented values', () => {
    expect([STATE.PERSONALISING, STATE.ACTIVE, STATE.BLOCKED, STATE.TERMINATED]).toEqual([1, 2, 3, 4]);
  });
});
