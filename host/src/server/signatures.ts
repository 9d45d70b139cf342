// ECDSA P-256 for the services, through node:crypto (OpenSSL): the one place the server verifies and signs.
//
// Why not the codec's @noble functions: they verify about 350 signatures a second, and a sync of five transactions
// needs six verifications; OpenSSL does about 12 000 a second here. The rules are the codec's (docs/PROTOCOL.md
// section 1), and test/server/signatures.test.ts proves the two agree, refusals included:
// - a signature is raw `r || s` (64 bytes); r or s zero or not below n is refused; high and low S are accepted;
// - a public key is `04 || X || Y` and must be a point of the curve (OpenSSL refuses to import any other);
// - the body is hashed with SHA-256.
// Public keys are imported once and cached (a KeyObject per key), so a card's key costs one import however often
// it signs. Signatures made here are ECDSA with random nonces: valid for the codec and the card, not
// deterministic (the codec's `sign` is, for tests and vectors).

import { createPrivateKey, createPublicKey, type KeyObject, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { P256_ORDER } from '../codec/ecdsa.ts';
import type { Signed } from '../codec/signed.ts';

const PUBLIC_KEY_LENGTH = 65;
const SIGNATURE_LENGTH = 64;
const CACHE_LIMIT = 100_000;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/** Imported public keys by hex; `null` remembers a key that is not a point of the curve. */
const publicKeys = new Map<string, KeyObject | null>();

function keyHex(publicKey: Uint8Array): string {
  return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
}

/** The KeyObject of a 65-byte uncompressed point, or null when it is not a point of P-256. Cached. */
export function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || publicKey[0] !== 0x04) return null;
  const hex = keyHex(publicKey);
  const cached = publicKeys.get(hex);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33, 65)) },
      format: 'jwk',
    });
  } catch {
    key = null; // OpenSSL refuses coordinates that are not a point of the curve
  }
  // A bounded cache: a flood of distinct keys (hostile input) must not grow memory without limit.
  if (publicKeys.size >= CACHE_LIMIT) publicKeys.clear();
  publicKeys.set(hex, key);
  return key;
}

/** True when the 65 bytes are an uncompressed point of P-256 (what the codec's isValidPublicKey says). */
export function isCurvePoint(publicKey: Uint8Array): boolean {
  return publicKeyObject(publicKey) !== null;
}

function scalarInRange(bytes: Uint8Array): boolean {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value > 0n && value < P256_ORDER;
}

/**
 * True when `signature` (raw r || s) is a valid ECDSA P-256 SHA-256 signature of `body` by `publicKey`. False for
 * anything else: wrong lengths, r or s out of 1..n-1, a key off the curve, a signature that does not verify.
 * Never throws.
 */
export function verifySignature(signature: Uint8Array, body: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || !(body instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return false;
  if (signature.length !== SIGNATURE_LENGTH) return false;
  if (!scalarInRange(signature.subarray(0, 32)) || !scalarInRange(signature.subarray(32, 64))) return false;
  const key = publicKeyObject(publicKey);
  if (key === null) return false;
  try {
    return cryptoVerify('sha256', body, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** `verifySignature` of a codec Signed structure. */
export function verifySignedStructure(signed: Signed<unknown>, publicKey: Uint8Array): boolean {
  return verifySignature(signed.signature, signed.body, publicKey);
}

/** A private key ready to sign: its KeyObject and its public key. */
export interface SigningKey {
  readonly keyObject: KeyObject;
  /** 65-byte uncompressed point. */
  readonly publicKey: Uint8Array;
}

/** The signing key of a 32-byte private scalar. */
export function signingKeyFromScalar(privateKey: Uint8Array, publicKey: Uint8Array): SigningKey {
  const keyObject = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: b64url(publicKey.subarray(1, 33)),
      y: b64url(publicKey.subarray(33, 65)),
      d: b64url(privateKey),
    },
    format: 'jwk',
  });
  return { keyObject, publicKey: publicKey.slice() };
}

/** The signing key of a PKCS#8 PEM (the services' key files). */
export function signingKeyFromPem(pem: string): SigningKey {
  const keyObject = createPrivateKey({ key: pem, format: 'pem' });
  const jwk = keyObject.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('the key is not an ECDSA P-256 private key');
  const publicKey = new Uint8Array(65);
  publicKey[0] = 0x04;
  publicKey.set(Buffer.from(jwk.x, 'base64url'), 1);
  publicKey.set(Buffer.from(jwk.y, 'base64url'), 33);
  return { keyObject, publicKey };
}

/** PKCS#8 PEM of a signing key. */
export function signingKeyToPem(key: SigningKey): string {
  return key.keyObject.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Raw `r || s` (64 bytes) of `body` signed with `key`. */
export function signBytes(body: Uint8Array, key: SigningKey): Uint8Array {
  return new Uint8Array(cryptoSign('sha256', body, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }));
}

/** Encodes `value` and signs its body: a codec Signed structure made with node:crypto. */
export function signStructure<T>(value: T, encode: (value: T) => Uint8Array, key: SigningKey): Signed<T> {
  const body = encode(value);
  return { value, body, signature: signBytes(body, key) };
}
