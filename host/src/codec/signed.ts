// A signed structure: its decoded value, the exact body bytes that were signed, and the raw signature.
//
// Every signed structure of the protocol travels as `body || signature`. Keeping the body bytes next to the value
// means a signature is always checked over the bytes that travelled (never over a re-encoding), and a test can
// tamper with `body` or `signature` to prove the card refuses the result.

import { CodecError } from './errors.ts';
import { sign, verify } from './ecdsa.ts';
import { bytesField } from './fields.ts';
import { concatBytes } from './hex.ts';
import { LEN } from './protocol-constants.ts';

export interface Signed<T> {
  value: T;
  /** The exact bytes signed. */
  body: Uint8Array;
  /** Raw `r || s`, 64 bytes. */
  signature: Uint8Array;
}

/** Encodes `value` with `encode` and signs the body with `privateKey`. */
export function signWith<T>(value: T, encode: (value: T) => Uint8Array, privateKey: Uint8Array): Signed<T> {
  const body = encode(value);
  return { value, body, signature: sign(body, privateKey) };
}

/** True when `signed.signature` verifies over `signed.body` with `publicKey`. */
export function verifySigned(signed: Signed<unknown>, publicKey: Uint8Array): boolean {
  return verify(signed.signature, signed.body, publicKey);
}

/** `body || signature`. */
export function encodeSigned(signed: Signed<unknown>, field = 'signed'): Uint8Array {
  return concatBytes(bytesField(signed.body, `${field}.body`), bytesField(signed.signature, `${field}.signature`, LEN.SIGNATURE));
}

/** Splits `body(bodyLength) || signature(64)` and decodes the body. */
export function decodeSigned<T>(bytes: Uint8Array, bodyLength: number, decode: (body: Uint8Array) => T, field: string): Signed<T> {
  bytesField(bytes, field);
  if (bytes.length !== bodyLength + LEN.SIGNATURE) {
    throw new CodecError(field, `${field} must be ${bodyLength + LEN.SIGNATURE} bytes long (body ${bodyLength}, signature ${LEN.SIGNATURE}), got ${bytes.length}.`);
  }
  const body = bytes.slice(0, bodyLength);
  return { value: decode(body), body, signature: bytes.slice(bodyLength) };
}
