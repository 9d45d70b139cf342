// Keys and signatures of the wallet protocol: ECDSA on P-256 with SHA-256 (docs/PROTOCOL.md, section 1).
//
// - Private keys are 32-byte scalars 1..n-1; public keys are uncompressed points `04 || X || Y` (65 bytes).
// - Signatures travel as raw `r || s` (64 bytes, each big-endian and left-padded). Signing is deterministic
//   (RFC 6979, by @noble/curves) and produces low-S signatures; verification accepts high and low S, as the
//   protocol says, and refuses r or s outside 1..n-1 and public keys that are not points of the curve.
// - Cards speak DER internally; `signatureToDer` / `signatureFromDer` convert, strictly (minimal INTEGERs, short
//   lengths, nothing after the SEQUENCE).

import { p256 } from '@noble/curves/nist.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { CodecError } from './errors.ts';
import { bytesField } from './fields.ts';
import { isBytes } from './hex.ts';
import { LEN } from './protocol-constants.ts';

/** The order n of the P-256 group. */
export const P256_ORDER: bigint = p256.Point.CURVE().n;
/** The prime p of the P-256 field. */
export const P256_PRIME: bigint = p256.Point.CURVE().p;

export interface KeyPair {
  /** 32-byte scalar, 1..n-1. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed point. */
  publicKey: Uint8Array;
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(bytesField(data, 'data'));
}

function bigintOf(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}

function bytes32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Checks a private key: 32 bytes, a scalar 1..n-1. */
export function assertPrivateKey(privateKey: unknown, field = 'privateKey'): Uint8Array {
  const key = bytesField(privateKey, field, 32);
  const d = bigintOf(key);
  if (d === 0n || d >= P256_ORDER) throw new CodecError(field, `${field} must be a scalar 1 to n-1 of P-256.`);
  return key;
}

/** The private key of scalar `d` (1..n-1), as 32 bytes. */
export function privateKeyFromScalar(d: bigint): Uint8Array {
  if (typeof d !== 'bigint' || d <= 0n || d >= P256_ORDER) {
    throw new CodecError('scalar', `scalar must be a bigint 1 to n-1 of P-256.`);
  }
  return bytes32(d);
}

/** The uncompressed public key (65 bytes) of `privateKey`. */
export function getPublicKey(privateKey: Uint8Array): Uint8Array {
  return p256.getPublicKey(assertPrivateKey(privateKey), false);
}

/** A fresh random key pair. */
export function generateKeyPair(): KeyPair {
  const privateKey = p256.utils.randomSecretKey();
  return { privateKey, publicKey: getPublicKey(privateKey) };
}

/** The key pair of `privateKey`. */
export function keyPairFromPrivateKey(privateKey: Uint8Array): KeyPair {
  return { privateKey: assertPrivateKey(privateKey).slice(), publicKey: getPublicKey(privateKey) };
}

/** True when `publicKey` is 65 bytes `04 || X || Y` and (X, Y) is a point of P-256 (not the identity). */
export function isValidPublicKey(publicKey: unknown): boolean {
  if (!isBytes(publicKey) || publicKey.length !== LEN.PUBLIC_KEY || publicKey[0] !== 0x04) return false;
  try {
    p256.Point.fromBytes(publicKey).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `publicKey` has the form of an uncompressed point: 65 bytes, `04`, X and Y both below p. This is what
 * the card checks of a key inside a certificate (PROTOCOL.md section 2): the issuer checked it on the curve before
 * signing, and the card does not repeat that costly check.
 */
export function isPublicKeyForm(publicKey: unknown): boolean {
  if (!isBytes(publicKey) || publicKey.length !== LEN.PUBLIC_KEY || publicKey[0] !== 0x04) return false;
  return bigintOf(publicKey.subarray(1, 33)) < P256_PRIME && bigintOf(publicKey.subarray(33, 65)) < P256_PRIME;
}

/** Checks the form of a public key as `isPublicKeyForm` does; throws a CodecError naming `field`. */
export function assertPublicKeyForm(publicKey: unknown, field = 'publicKey'): Uint8Array {
  const key = bytesField(publicKey, field, LEN.PUBLIC_KEY);
  if (key[0] !== 0x04) throw new CodecError(field, `${field} must be an uncompressed point (first byte 04), got first byte ${key[0].toString(16).padStart(2, '0').toUpperCase()}.`);
  if (!isPublicKeyForm(key)) throw new CodecError(field, `${field} must have both coordinates below the field prime p.`);
  return key;
}

/** Checks a public key as `isValidPublicKey` does (form, and a point of the curve); throws a CodecError naming `field`. */
export function assertPublicKey(publicKey: unknown, field = 'publicKey'): Uint8Array {
  const key = assertPublicKeyForm(publicKey, field);
  if (!isValidPublicKey(key)) throw new CodecError(field, `${field} is not a point of P-256.`);
  return key;
}

/** r and s of a raw signature, unchecked. */
export function signatureParts(signature: Uint8Array, field = 'signature'): { r: bigint; s: bigint } {
  const sig = bytesField(signature, field, LEN.SIGNATURE);
  return { r: bigintOf(sig.subarray(0, 32)), s: bigintOf(sig.subarray(32, 64)) };
}

/** The raw signature `r || s` of two integers 0..2^256-1 (unchecked: any r and s can be written, for tests). */
export function signatureFromParts(r: bigint, s: bigint): Uint8Array {
  const limit = 1n << 256n;
  if (typeof r !== 'bigint' || r < 0n || r >= limit) throw new CodecError('r', 'r must be a bigint 0 to 2^256-1.');
  if (typeof s !== 'bigint' || s < 0n || s >= limit) throw new CodecError('s', 's must be a bigint 0 to 2^256-1.');
  const out = new Uint8Array(64);
  out.set(bytes32(r), 0);
  out.set(bytes32(s), 32);
  return out;
}

function inRange(v: bigint): boolean {
  return v > 0n && v < P256_ORDER;
}

/** True when r and s of `signature` are both 1..n-1. */
export function isWellFormedSignature(signature: Uint8Array): boolean {
  const { r, s } = signatureParts(signature);
  return inRange(r) && inRange(s);
}

/** The raw signature (64 bytes) of `body` by `privateKey`: ECDSA P-256 over SHA-256(body), RFC 6979, low S. */
export function sign(body: Uint8Array, privateKey: Uint8Array): Uint8Array {
  bytesField(body, 'body');
  return p256.sign(body, assertPrivateKey(privateKey), { prehash: true, lowS: true, format: 'compact' });
}

/**
 * True when `signature` (raw, 64 bytes) is a valid signature of `body` by `publicKey`. False when r or s is zero
 * or not below n, when `publicKey` is not a point of P-256, or when the signature does not verify. High and low S
 * are both accepted. A signature or key of the wrong type or length is a caller's mistake: CodecError.
 */
export function verify(signature: Uint8Array, body: Uint8Array, publicKey: Uint8Array): boolean {
  bytesField(signature, 'signature', LEN.SIGNATURE);
  bytesField(body, 'body');
  bytesField(publicKey, 'publicKey', LEN.PUBLIC_KEY);
  if (!isWellFormedSignature(signature) || !isValidPublicKey(publicKey)) return false;
  try {
    return p256.verify(signature, body, publicKey, { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

/** The same signature with S replaced by n - S (the other valid signature of the same body). */
export function flipS(signature: Uint8Array): Uint8Array {
  const { r, s } = signatureParts(signature);
  if (!inRange(s)) throw new CodecError('signature.s', 'signature.s must be 1 to n-1 to be flipped.');
  return signatureFromParts(r, P256_ORDER - s);
}

// ------------------------------------------------------------------------------------------------------------ DER

function derInteger(value: bigint): Uint8Array {
  let bytes = bytes32(value);
  let start = 0;
  while (start < 31 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes[0] & 0x80) {
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes, 1);
    bytes = padded;
  }
  return Uint8Array.of(0x02, bytes.length, ...bytes);
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` of a raw signature; r and s must be 1..n-1. */
export function signatureToDer(signature: Uint8Array): Uint8Array {
  const { r, s } = signatureParts(signature);
  if (!inRange(r)) throw new CodecError('signature.r', 'signature.r must be 1 to n-1.');
  if (!inRange(s)) throw new CodecError('signature.s', 'signature.s must be 1 to n-1.');
  const body = [...derInteger(r), ...derInteger(s)];
  return Uint8Array.of(0x30, body.length, ...body);
}

function readDerInteger(der: Uint8Array, at: number, field: string): { value: bigint; next: number } {
  if (at + 2 > der.length) throw new CodecError(field, `${field} is missing: the DER signature ends at byte ${der.length}.`);
  if (der[at] !== 0x02) throw new CodecError(field, `${field} must be a DER INTEGER (tag 02), got tag ${der[at].toString(16).padStart(2, '0')}.`);
  const length = der[at + 1];
  if (length === 0 || length > 33) throw new CodecError(field, `${field} must have 1 to 33 content bytes, got ${length}.`);
  const start = at + 2;
  if (start + length > der.length) throw new CodecError(field, `${field} runs past the end of the DER signature.`);
  const content = der.subarray(start, start + length);
  if (content[0] & 0x80) throw new CodecError(field, `${field} must not be negative.`);
  if (length > 1 && content[0] === 0 && !(content[1] & 0x80)) {
    throw new CodecError(field, `${field} must be minimally encoded (no needless leading zero byte).`);
  }
  const value = bigintOf(content);
  if (!inRange(value)) throw new CodecError(field, `${field} must be 1 to n-1.`);
  return { value, next: start + length };
}

/** The raw signature (64 bytes) of a strict DER signature; r and s must be 1..n-1. */
export function signatureFromDer(der: Uint8Array): Uint8Array {
  bytesField(der, 'der');
  if (der.length < 8 || der.length > 72) throw new CodecError('der', `der must be 8 to 72 bytes long, got ${der.length}.`);
  if (der[0] !== 0x30) throw new CodecError('der', `der must start with a SEQUENCE (tag 30), got ${der[0].toString(16).padStart(2, '0')}.`);
  if (der[1] !== der.length - 2) throw new CodecError('der', `der's SEQUENCE length must be ${der.length - 2} (the rest of the bytes), got ${der[1]}.`);
  const r = readDerInteger(der, 2, 'der.r');
  const s = readDerInteger(der, r.next, 'der.s');
  if (s.next !== der.length) throw new CodecError('der', `der has ${der.length - s.next} bytes after s.`);
  return signatureFromParts(r.value, s.value);
}
