// Fixed vectors of every wallet structure (test/codec/vectors/wallet-structures.json): bytes, decoded values,
// signatures, and the refusals of the decoders. Signatures are checked again with node:crypto, an ECDSA
// implementation independent of @noble/curves.

import { createECDH, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeCardCertificate,
  decodeCardCertificateBody,
  decodeIntermediaryCertificate,
  decodeIntermediaryCertificateBody,
  encodeCardCertificateBody,
  encodeIntermediaryCertificateBody,
} from '../../host/src/codec/certificates.ts';
import { getPublicKey, sign, signatureFromDer, signatureToDer, verify } from '../../host/src/codec/ecdsa.ts';
import { CodecError } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex, toHex } from '../../host/src/codec/hex.ts';
import { decodeInstruction, decodeSignedInstruction, encodeInstruction } from '../../host/src/codec/instructions.ts';
import {
  decodeDecline,
  decodeDefundConfirmation,
  decodeReport,
  decodeRequest,
  decodeSignedDecline,
  decodeSignedDefundConfirmation,
  decodeSignedReport,
  decodeSignedRequest,
  decodeSignedTransaction,
  decodeTransaction,
  encodeDecline,
  encodeDefundConfirmation,
  encodeReport,
  encodeRequest,
  encodeTransaction,
} from '../../host/src/codec/messages.ts';
import { decodePolicy, encodePolicy } from '../../host/src/codec/policy.ts';
import { LEN } from '../../host/src/codec/protocol-constants.ts';
import { decodeRecord, encodeRecord } from '../../host/src/codec/records.ts';
import { parseChallengeAnswer, parseStatus } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import vectors from './vectors/wallet-structures.json' with { type: 'json' };

type Layout = [string, string][];
interface ValidVector {
  name: string;
  value: unknown;
  layout: Layout | string[][];
  hex: string;
  signer?: string;
  signature?: string;
  der?: string;
}
interface InvalidVector {
  name: string;
  hex: string;
  field: string;
}
type Group = Record<string, { valid: ValidVector[]; invalid?: InvalidVector[] }>;

/** JSON value -> codec value: hex strings become bytes (but `kind`, a name). */
function revive(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return key === 'kind' ? value : fromHex(value);
  if (Array.isArray(value)) return value.map((v) => revive(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, k)]));
  return value;
}

const keys = vectors.keys as Record<string, { label: string; privateKey: string; publicKey: string }>;

function nodePublicKey(publicKeyHex: string) {
  const raw = Buffer.from(publicKeyHex, 'hex');
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
}

interface Codec {
  length: number;
  encode?: (value: never) => Uint8Array;
  decode: (bytes: Uint8Array) => unknown;
  decodeSigned?: (bytes: Uint8Array) => Signed<unknown>;
}

const STRUCTURES: Record<string, Codec> = {
  intermediaryCertificateBody: {
    length: LEN.INTERMEDIARY_CERT_BODY,
    encode: encodeIntermediaryCertificateBody,
    decode: decodeIntermediaryCertificateBody,
    decodeSigned: decodeIntermediaryCertificate,
  },
  cardCertificateBody: { length: LEN.CARD_CERT_BODY, encode: encodeCardCertificateBody, decode: decodeCardCertificateBody, decodeSigned: decodeCardCertificate },
  request: { length: LEN.REQUEST, encode: encodeRequest, decode: decodeRequest, decodeSigned: decodeSignedRequest },
  decline: { length: LEN.REQUEST, encode: encodeDecline, decode: decodeDecline, decodeSigned: decodeSignedDecline },
  transaction: { length: LEN.TX, encode: encodeTransaction, decode: decodeTransaction, decodeSigned: decodeSignedTransaction },
  report: { length: LEN.REPORT, encode: encodeReport, decode: decodeReport, decodeSigned: decodeSignedReport },
  defundConfirmation: {
    length: LEN.DEFUND_CONFIRM,
    encode: encodeDefundConfirmation,
    decode: decodeDefundConfirmation,
    decodeSigned: decodeSignedDefundConfirmation,
  },
  policy: { length: LEN.POLICY, encode: encodePolicy, decode: decodePolicy },
  instruction: { length: -1, encode: encodeInstruction, decode: decodeInstruction, decodeSigned: decodeSignedInstruction },
  record: { length: LEN.RECORD, encode: encodeRecord, decode: decodeRecord },
};

const ANSWERS: Record<string, Codec> = {
  status: { length: LEN.STATUS, decode: parseStatus },
  challengeAnswer: { length: LEN.CHALLENGE_ANSWER, decode: parseChallengeAnswer },
};

describe('vector keys', () => {
  for (const [name, key] of Object.entries(keys)) {
    it(`derives the public key of ${name} (checked with node:crypto ECDH)`, () => {
      expect(toHex(getPublicKey(fromHex(key.privateKey)))).toBe(key.publicKey);
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(key.privateKey, 'hex'));
      expect(ecdh.getPublicKey('hex', 'uncompressed').toUpperCase()).toBe(key.publicKey);
    });
  }
});

function describeGroup(group: Group, codecs: Record<string, Codec>): void {
  for (const [structure, { valid, invalid }] of Object.entries(group)) {
    const codec = codecs[structure];
    describe(structure, () => {
      it('has a codec and vectors', () => {
        expect(codec, `no codec for ${structure}`).toBeDefined();
        expect(valid.length).toBeGreaterThan(0);
      });

      for (const vector of valid) {
        const bytes = fromHex(vector.hex);
        const value = revive(vector.value);

        it(`${vector.name}: the vector's layout is its bytes, of the documented length`, () => {
          expect((vector.layout as Layout).map(([, h]) => h).join('')).toBe(vector.hex);
          if (codec.length >= 0) expect(bytes.length).toBe(codec.length);
        });

        if (codec.encode) {
          it(`${vector.name}: encodes to the vector's bytes`, () => {
            expect(toHex(codec.encode!(value as never))).toBe(vector.hex);
          });
        }

        it(`${vector.name}: decodes to the vector's value`, () => {
          expect(codec.decode(bytes)).toEqual(value);
        });

        if (vector.signer) {
          const key = keys[vector.signer];
          const signature = fromHex(vector.signature!);
          it(`${vector.name}: signs deterministically to the vector's signature, which verifies`, () => {
            expect(toHex(sign(bytes, fromHex(key.privateKey)))).toBe(vector.signature);
            expect(verify(signature, bytes, fromHex(key.publicKey))).toBe(true);
          });

          it(`${vector.name}: the signature verifies with node:crypto, raw and DER`, () => {
            const publicKey = nodePublicKey(key.publicKey);
            expect(nodeVerify('sha256', bytes, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
            expect(nodeVerify('sha256', bytes, { key: publicKey, dsaEncoding: 'der' }, fromHex(vector.der!))).toBe(true);
            expect(toHex(signatureToDer(signature))).toBe(vector.der);
            expect(toHex(signatureFromDer(fromHex(vector.der!)))).toBe(vector.signature);
          });

          it(`${vector.name}: decodes as a signed structure (body then signature)`, () => {
            const signed = codec.decodeSigned!(concatBytes(bytes, signature));
            expect(signed.value).toEqual(value);
            expect(toHex(signed.body)).toBe(vector.hex);
            expect(toHex(signed.signature)).toBe(vector.signature);
          });

          it(`${vector.name}: a flipped bit anywhere in the body or the signature makes the signature fail`, () => {
            const publicKey = fromHex(key.publicKey);
            for (let i = 0; i < bytes.length; i += 1 + (i % 3)) {
              const flipped = bytes.slice();
              flipped[i] ^= 1 << (i % 8);
              expect(verify(signature, flipped, publicKey), `bit ${i % 8} of byte ${i}`).toBe(false);
            }
            for (const i of [0, 17, 31, 32, 50, 63]) {
              const flipped = signature.slice();
              flipped[i] ^= 0x80 >> (i % 8);
              expect(verify(flipped, bytes, publicKey), `signature byte ${i}`).toBe(false);
            }
          });

          it(`${vector.name}: does not verify with another key`, () => {
            const other = Object.entries(keys).find(([name]) => name !== vector.signer)![1];
            expect(verify(signature, bytes, fromHex(other.publicKey))).toBe(false);
          });
        }
      }

      for (const vector of invalid ?? []) {
        it(`refuses ${vector.name} (CodecError on ${vector.field})`, () => {
          let error: unknown;
          try {
            codec.decode(fromHex(vector.hex));
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(CodecError);
          expect((error as CodecError).field).toBe(vector.field);
          expect((error as CodecError).message).toContain(vector.field);
        });
      }
    });
  }
}

describe('structures', () => describeGroup(vectors.structures as Group, STRUCTURES));
describe('answers', () => describeGroup(vectors.answers as Group, ANSWERS));
