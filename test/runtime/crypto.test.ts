// The runtime's cryptography against independent implementations: ECDSA P-256 and ECDH with @noble/curves,
// SHA-256 with @noble/hashes, AES-128-CBC with node:crypto.
import { createCipheriv } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../host/src/codec/hex.ts';
import { itWith, useCardEnv } from '../support/backend.ts';

const env = useCardEnv();
const message = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

async function cardWithKey() {
  const fresh = await env.freshCard({ name: 'crypto' });
  const r = await fresh.applet.generateKeyPair();
  expect(r.sw).toBe(0x9000);
  return { ...fresh, publicKey: r.data };
}

/** Checks the DER structure of an ECDSA signature: SEQUENCE { INTEGER r, INTEGER s }, both positive and minimal. */
function derIntegers(sig: Uint8Array): { r: Uint8Array; s: Uint8Array } {
  expect(sig[0]).toBe(0x30);
  expect(sig[1]).toBe(sig.length - 2); // short-form length: the whole signature
  let at = 2;
  const ints: Uint8Array[] = [];
  for (let k = 0; k < 2; k++) {
    expect(sig[at]).toBe(0x02);
    const len = sig[at + 1];
    const value = sig.subarray(at + 2, at + 2 + len);
    expect(len).toBeGreaterThanOrEqual(1);
    expect(len).toBeLessThanOrEqual(33);
    expect(value[0] & 0x80).toBe(0); // positive
    if (len > 1) expect(value[0] === 0x00 && (value[1] & 0x80) === 0).toBe(false); // minimal: no needless 00
    ints.push(value);
    at += 2 + len;
  }
  expect(at).toBe(sig.length); // nothing after the second INTEGER
  return { r: ints[0], s: ints[1] };
}

describe('key pair generation', () => {
  it('generates a P-256 key pair whose public key is an uncompressed point on the curve', async () => {
    const { publicKey, applet } = await cardWithKey();
    expect(publicKey).toHaveLength(65);
    expect(publicKey[0]).toBe(0x04);
    expect(() => p256.Point.fromBytes(publicKey).assertValidity()).not.toThrow();
    expect((await applet.getPublicKey()).data).toEqual(publicKey);
  });

  itWith(['canCreateCards'], 'answers 6985 to GET PUBLIC KEY before a key pair was generated', async () => {
    const { applet } = await env.freshCard({ name: 'no-key' });
    expect((await applet.getPublicKey()).sw).toBe(0x6985);
  });

  it('generates a different key pair each time', async () => {
    const { applet, publicKey } = await cardWithKey();
    const again = await applet.generateKeyPair();
    expect(toHex(again.data)).not.toBe(toHex(publicKey));
  });
});

describe('ECDSA P-256 with SHA-256', () => {
  for (const n of [1, 32, 100, 255]) {
    itWith(n === 255 ? ['handlesFullCase4'] : [], `makes signatures of ${n}-byte messages that @noble/curves verifies`, async () => {
      const { applet, publicKey } = await cardWithKey();
      const m = message(n, n);
      const r = await applet.sign(m);
      expect(r.sw).toBe(0x9000);
      expect(p256.verify(r.data, m, publicKey, { format: 'der', lowS: false })).toBe(true);
      expect(p256.verify(r.data, message(n, n + 1), publicKey, { format: 'der', lowS: false })).toBe(false);
    });
  }

  it('encodes signatures as a DER SEQUENCE of two positive minimal INTEGERs of at most 72 bytes', async () => {
    const { applet, publicKey } = await cardWithKey();
    for (let i = 0; i < 24; i++) {
      const sig = (await applet.sign(message(20, i))).data;
      const { r, s } = derIntegers(sig);
      // 70..72 bytes unless r or s happens to be below 2^248 (about 1 signature in 128).
      expect(sig.length).toBe(6 + r.length + s.length);
      expect(sig.length).toBeLessThanOrEqual(72);
      if (r.length >= 32 && s.length >= 32) expect(sig.length).toBeGreaterThanOrEqual(70);
      expect(p256.verify(sig, message(20, i), publicKey, { format: 'der', lowS: false })).toBe(true);
    }
  });

  itWith(['randomKeysAndNonces'], 'makes a different signature for the same message each time (random k)', async () => {
    const { applet } = await cardWithKey();
    const a = await applet.sign(message(10));
    const b = await applet.sign(message(10));
    expect(toHex(a.data)).not.toBe(toHex(b.data));
  });

  it('verifies signatures made by @noble/curves', async () => {
    const { applet } = await env.freshCard({ name: 'verify' });
    const secretKey = p256.utils.randomSecretKey();
    const publicKey = p256.getPublicKey(secretKey, false);
    // W (65) + sigLen (1) + signature (up to 72) + message must fit in 255 bytes: messages up to 117 bytes.
    for (const n of [1, 64, 117]) {
      const m = message(n);
      const sig = p256.sign(m, secretKey, { format: 'der' });
      const r = await applet.verify(publicKey, sig, m);
      expect({ n, sw: r.sw, data: toHex(r.data) }).toEqual({ n, sw: 0x9000, data: '01' });
    }
  });

  it('refuses a @noble/curves signature over another message', async () => {
    const { applet } = await env.freshCard({ name: 'verify-bad' });
    const secretKey = p256.utils.randomSecretKey();
    const publicKey = p256.getPublicKey(secretKey, false);
    const sig = p256.sign(message(30), secretKey, { format: 'der' });
    const r = await applet.verify(publicKey, sig, message(30, 2));
    expect(r.sw).toBe(0x9000);
    expect(toHex(r.data)).toBe('00');
  });

  it('refuses a signature under another key', async () => {
    const { applet } = await env.freshCard({ name: 'verify-key' });
    const sig = p256.sign(message(30), p256.utils.randomSecretKey(), { format: 'der' });
    const other = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    expect(toHex((await applet.verify(other, sig, message(30))).data)).toBe('00');
  });

  it('verifies its own signatures', async () => {
    const { applet, publicKey } = await cardWithKey();
    const sig = (await applet.sign(message(40))).data;
    expect(toHex((await applet.verify(publicKey, sig, message(40))).data)).toBe('01');
  });
});

describe('refusals of the crypto commands', () => {
  itWith(['canCreateCards'], 'answers 6985 to SIGN and KEY AGREEMENT before a key pair was generated', async () => {
    const { applet } = await env.freshCard({ name: 'no-key-sign' });
    expect((await applet.sign(message(8))).sw).toBe(0x6985);
    expect((await applet.keyAgreement(p256.getPublicKey(p256.utils.randomSecretKey(), false))).sw).toBe(0x6985);
  });

  itWith(['rejectsPointsOffCurve'], 'answers 6A80 to a public key that is not a point of the curve', async () => {
    const { applet } = await cardWithKey();
    const notOnCurve = p256.getPublicKey(p256.utils.randomSecretKey(), false);
    notOnCurve[64] ^= 0x01;
    expect((await applet.keyAgreement(notOnCurve)).sw).toBe(0x6a80);
    const sk = p256.utils.randomSecretKey();
    expect((await applet.verify(notOnCurve, p256.sign(message(4), sk, { format: 'der' }), message(4))).sw).toBe(0x6a80);
  });

  itWith(['canCreateCards'], 'answers 6985 to AES before a key was set', async () => {
    const { applet } = await env.freshCard({ name: 'no-aes-key' });
    expect((await applet.aes('encrypt', new Uint8Array(16))).sw).toBe(0x6985);
  });

  it('verifies a signature over an empty message', async () => {
    const { applet } = await env.freshCard({ name: 'verify-empty' });
    const sk = p256.utils.randomSecretKey();
    const sig = p256.sign(new Uint8Array(0), sk, { format: 'der' });
    expect(toHex((await applet.verify(p256.getPublicKey(sk, false), sig, new Uint8Array(0))).data)).toBe('01');
  });
});

describe('ECDH', () => {
  it('computes the same shared secret x-coordinate as @noble/curves', async () => {
    const { applet, publicKey } = await cardWithKey();
    const secretKey = p256.utils.randomSecretKey();
    const r = await applet.keyAgreement(p256.getPublicKey(secretKey, false));
    expect(r.sw).toBe(0x9000);
    expect(toHex(r.data)).toBe(toHex(p256.getSharedSecret(secretKey, publicKey, true).subarray(1)));
  });
});

describe('SHA-256', () => {
  for (const n of [1, 3, 55, 56, 63, 64, 65, 119, 200, 255]) {
    itWith(n === 255 ? ['handlesFullCase4'] : [], `hashes ${n} bytes as @noble/hashes does`, async () => {
      const { applet } = await env.freshCard({ name: 'sha' });
      const r = await applet.digest(message(n, n));
      expect(r.sw).toBe(0x9000);
      expect(toHex(r.data)).toBe(toHex(sha256(message(n, n))));
    });
  }
});

describe('AES-128-CBC, zero IV, no padding', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => 0x2b + i * 3);
  const nodeEncrypt = (data: Uint8Array) => {
    const cipher = createCipheriv('aes-128-cbc', key, new Uint8Array(16));
    cipher.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
  };

  for (const n of [16, 32, 160, 240]) {
    it(`encrypts ${n} bytes as node:crypto does and decrypts them back`, async () => {
      const { applet } = await env.freshCard({ name: 'aes' });
      expect((await applet.aes('setKey', key)).sw).toBe(0x9000);
      const plain = message(n, 5);
      const enc = await applet.aes('encrypt', plain);
      expect(enc.sw).toBe(0x9000);
      expect(toHex(enc.data)).toBe(toHex(nodeEncrypt(plain)));
      const dec = await applet.aes('decrypt', enc.data);
      expect(toHex(dec.data)).toBe(toHex(plain));
    });
  }

  it('starts each command from the zero IV', async () => {
    const { applet } = await env.freshCard({ name: 'aes-iv' });
    await applet.aes('setKey', key);
    const a = await applet.aes('encrypt', message(16));
    const b = await applet.aes('encrypt', message(16));
    expect(toHex(a.data)).toBe(toHex(b.data));
  });
});

describe('random data', () => {
  it('returns as many random bytes as asked, different each time', async () => {
    const { applet } = await env.freshCard({ name: 'random' });
    const a = await applet.random(32);
    const b = await applet.random(32);
    expect(a.sw).toBe(0x9000);
    expect(a.data).toHaveLength(32);
    expect(toHex(a.data)).not.toBe(toHex(b.data));
    expect((await applet.random(255)).data).toHaveLength(255);
  });
});
