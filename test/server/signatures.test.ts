// The services verify with node:crypto (host/src/server/signatures.ts), the codec with @noble: they must agree on
// every signature, the refusals included (r or s out of range, keys off the curve, any changed byte), and what the
// services sign must verify for the codec (and so for the card).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flipS, generateKeyPair, P256_ORDER, P256_PRIME, sign, signatureFromParts, signatureParts, verify } from '../../host/src/codec/ecdsa.ts';
import { generateSigningKey } from '../../host/src/server/keys.ts';
import { isCurvePoint, signBytes, signingKeyFromPem, signingKeyFromScalar, signingKeyToPem, verifySignature } from '../../host/src/server/signatures.ts';

const keys = Array.from({ length: 4 }, () => generateKeyPair());

function bigBytes(v: bigint, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

describe('node:crypto and the codec agree', () => {
  it('on valid signatures and on every single-byte change of body, signature or key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (k, body, at, flip) => {
        const { privateKey, publicKey } = keys[k];
        const signature = sign(body, privateKey);
        expect(verifySignature(signature, body, publicKey)).toBe(true);
        const target = at % 3;
        const s = signature.slice();
        const b = body.slice();
        const p = publicKey.slice();
        if (target === 0) s[at % 64] ^= flip;
        else if (target === 1 && b.length > 0) b[at % b.length] ^= flip;
        else p[1 + (at % 64)] ^= flip;
        expect(verifySignature(s, b, p)).toBe(verify(s, b, p));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts high S as the codec does', () => {
    const { privateKey, publicKey } = keys[0];
    const body = new TextEncoder().encode('high s');
    const high = flipS(sign(body, privateKey));
    expect([verifySignature(high, body, publicKey), verify(high, body, publicKey)]).toEqual([true, true]);
  });

  it('refuses r or s zero or not below n, as the codec does', () => {
    const { privateKey, publicKey } = keys[1];
    const body = new TextEncoder().encode('range');
    const { r, s } = signatureParts(sign(body, privateKey));
    for (const [rr, ss] of [
      [0n, s],
      [r, 0n],
      [P256_ORDER, s],
      [r, P256_ORDER],
      [r + P256_ORDER, s],
      [(1n << 256n) - 1n, s],
    ]) {
      if (rr >= 1n << 256n) continue;
      const forged = signatureFromParts(rr, ss);
      expect([verifySignature(forged, body, publicKey), verify(forged, body, publicKey)]).toEqual([false, false]);
    }
  });

  it('refuses keys off the curve, the identity and malformed keys, as the codec does', () => {
    const { privateKey, publicKey } = keys[2];
    const body = new TextEncoder().encode('keys');
    const signature = sign(body, privateKey);
    const offCurve = publicKey.slice();
    offCurve[64] ^= 1;
    const xAboveP = Uint8Array.of(4, ...bigBytes(P256_PRIME + 1n), ...publicKey.subarray(33));
    const compressed = Uint8Array.of(2, ...publicKey.subarray(1, 33), ...new Uint8Array(32));
    const zeros = Uint8Array.of(4, ...new Uint8Array(64));
    for (const key of [offCurve, xAboveP, compressed, zeros]) {
      expect([isCurvePoint(key), verifySignature(signature, body, key), verify(signature, body, key)]).toEqual([false, false, false]);
    }
    expect(verifySignature(signature, body, publicKey.subarray(0, 64))).toBe(false);
    expect(verifySignature(signature.subarray(0, 63), body, publicKey)).toBe(false);
  });

  it('what the services sign verifies with the codec, from a PEM key file or a raw scalar', () => {
    const key = generateSigningKey();
    const again = signingKeyFromPem(signingKeyToPem(key));
    expect(again.publicKey).toEqual(key.publicKey);
    const raw = signingKeyFromScalar(keys[3].privateKey, keys[3].publicKey);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        expect(verify(signBytes(body, again), body, key.publicKey)).toBe(true);
        expect(verify(signBytes(body, raw), body, keys[3].publicKey)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
