// Keys and signatures: raw r||s, DER conversion, the range checks of verification, public key validation.

import { createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertPrivateKey,
  assertPublicKey,
  flipS,
  generateKeyPair,
  getPublicKey,
  isValidPublicKey,
  isWellFormedSignature,
  keyPairFromPrivateKey,
  P256_ORDER,
  privateKeyFromScalar,
  sha256,
  sign,
  signatureFromDer,
  signatureFromParts,
  signatureParts,
  signatureToDer,
  verify,
} from '../../host/src/codec/ecdsa.ts';
import { CodecError } from '../../host/src/codec/errors.ts';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import der from './vectors/der.json' with { type: 'json' };

const n = P256_ORDER;
const key = keyPairFromPrivateKey(privateKeyFromScalar(0x1234567890abcdefn));
const message = new TextEncoder().encode('e-krona');

function codecField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodecError) return error.field;
    throw error;
  }
  return undefined;
}

describe('DER <-> raw (vectors)', () => {
  for (const vector of der.valid) {
    it(`converts ${vector.name}`, () => {
      expect(toHex(signatureToDer(fromHex(vector.raw)))).toBe(vector.der);
      expect(toHex(signatureFromDer(fromHex(vector.der)))).toBe(vector.raw);
    });
  }
  for (const vector of der.invalid) {
    it(`refuses DER with ${vector.name} (${vector.field})`, () => {
      expect(codecField(() => signatureFromDer(fromHex(vector.der)))).toBe(vector.field);
    });
  }

  it('refuses to write DER for r or s zero or not below n', () => {
    expect(codecField(() => signatureToDer(signatureFromParts(0n, 1n)))).toBe('signature.r');
    expect(codecField(() => signatureToDer(signatureFromParts(n, 1n)))).toBe('signature.r');
    expect(codecField(() => signatureToDer(signatureFromParts(1n, 0n)))).toBe('signature.s');
    expect(codecField(() => signatureToDer(signatureFromParts(1n, n + 5n)))).toBe('signature.s');
  });

  it('round-trips every r and s in 1..n-1', () => {
    const scalar = fc.bigInt({ min: 1n, max: n - 1n });
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        const raw = signatureFromParts(r, s);
        const encoded = signatureToDer(raw);
        expect(encoded.length).toBeGreaterThanOrEqual(8);
        expect(encoded.length).toBeLessThanOrEqual(72);
        expect(signatureFromDer(encoded)).toEqual(raw);
      }),
    );
  });

  it("reads the DER signatures of node:crypto (OpenSSL) and verifies them", () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const raw = new Uint8Array([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
    for (let i = 0; i < 20; i++) {
      const body = sha256(Uint8Array.of(i));
      const derSignature = nodeSign('sha256', body, { key: privateKey, dsaEncoding: 'der' });
      expect(verify(signatureFromDer(derSignature), body, raw)).toBe(true);
    }
  });
});

describe('sign and verify', () => {
  it('signs deterministically (RFC 6979): the same body and key give the same signature', () => {
    expect(sign(message, key.privateKey)).toEqual(sign(message, key.privateKey));
    expect(sign(message, key.privateKey)).not.toEqual(sign(Uint8Array.of(1), key.privateKey));
  });

  it('signs with low S', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        expect(signatureParts(sign(body, key.privateKey)).s <= n / 2n).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('verifies what it signs, for any body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        expect(verify(sign(body, key.privateKey), body, key.publicKey)).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('accepts high S as well as low S (the protocol accepts both)', () => {
    const signature = sign(message, key.privateKey);
    const high = flipS(signature);
    expect(signatureParts(high).s > n / 2n).toBe(true);
    expect(verify(high, message, key.publicKey)).toBe(true);
  });

  it('refuses r or s zero, equal to n, or above n', () => {
    const { r, s } = signatureParts(sign(message, key.privateKey));
    for (const [rr, ss] of [
      [0n, s],
      [r, 0n],
      [n, s],
      [r, n],
      [r + n, s], // r + n < 2^256: the same r modulo n, which a lax verifier would accept
      [r, s + n],
      [(1n << 256n) - 1n, s],
    ]) {
      if (rr >= 1n << 256n || ss >= 1n << 256n) continue;
      expect(isWellFormedSignature(signatureFromParts(rr, ss))).toBe(false);
      expect(verify(signatureFromParts(rr, ss), message, key.publicKey)).toBe(false);
    }
  });

  it('refuses a public key that is not a point of the curve, or not uncompressed', () => {
    const signature = sign(message, key.privateKey);
    const offCurve = key.publicKey.slice();
    offCurve[64] ^= 1;
    expect(isValidPublicKey(offCurve)).toBe(false);
    expect(verify(signature, message, offCurve)).toBe(false);
    const compressedPrefix = key.publicKey.slice();
    compressedPrefix[0] = 0x02;
    expect(verify(signature, message, compressedPrefix)).toBe(false);
    expect(verify(signature, message, new Uint8Array(65))).toBe(false);
  });

  it('refuses a signature by another key and a signature over other bytes', () => {
    const other = keyPairFromPrivateKey(privateKeyFromScalar(7n));
    expect(verify(sign(message, other.privateKey), message, key.publicKey)).toBe(false);
    expect(verify(sign(Uint8Array.of(1, 2), key.privateKey), message, key.publicKey)).toBe(false);
  });

  it('names the argument of the wrong length', () => {
    expect(codecField(() => verify(new Uint8Array(63), message, key.publicKey))).toBe('signature');
    expect(codecField(() => verify(new Uint8Array(64), message, new Uint8Array(33)))).toBe('publicKey');
    expect(codecField(() => sign(message, new Uint8Array(31)))).toBe('privateKey');
  });
});

describe('keys', () => {
  it('derives the public key of a fixed scalar (scalar 1 is the generator)', () => {
    expect(toHex(getPublicKey(privateKeyFromScalar(1n)))).toBe(
      '046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5',
    );
  });

  it('refuses private keys 0 and n and above', () => {
    expect(codecField(() => assertPrivateKey(new Uint8Array(32)))).toBe('privateKey');
    expect(codecField(() => privateKeyFromScalar(0n))).toBe('scalar');
    expect(codecField(() => privateKeyFromScalar(n))).toBe('scalar');
    expect(codecField(() => assertPrivateKey(fromHex('FF'.repeat(32))))).toBe('privateKey');
  });

  it('generates valid, distinct key pairs', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(isValidPublicKey(a.publicKey)).toBe(true);
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(verify(sign(message, a.privateKey), message, a.publicKey)).toBe(true);
  });

  it('validates public keys with node:crypto agreeing', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: n - 1n }), (d) => {
        const publicKey = getPublicKey(privateKeyFromScalar(d));
        expect(assertPublicKey(publicKey)).toBe(publicKey);
        const x = Buffer.from(publicKey.subarray(1, 33)).toString('base64url');
        const y = Buffer.from(publicKey.subarray(33)).toString('base64url');
        expect(() => createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' })).not.toThrow();
      }),
      { numRuns: 20 },
    );
  });

  it('names the field of an invalid public key', () => {
    const bad = key.publicKey.slice();
    bad[40] ^= 0xff;
    expect(codecField(() => assertPublicKey(bad, 'cardCertificate.publicKey'))).toBe('cardCertificate.publicKey');
    expect(codecField(() => assertPublicKey(key.publicKey.subarray(0, 64)))).toBe('publicKey');
  });
});
