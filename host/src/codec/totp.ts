// Inverted TOTP: payment confirmation codes for a merchant whose point-of-sale device is offline, byte-compatible
// with GNU Taler (taler-exchange `crypto_confirmation.c`, TALER_build_pos_confirmation, December 2024).
//
// The merchant's device and the merchant's backend share a key. When a buyer pays online, the backend answers
// with `pos_confirmation`: five codes for the 30-second steps C-2 .. C+2 around the payment time (C = the payment
// time's step), oldest first, one per line. The device computes its own code and finds it in the buyer's list.
//
// - Codes: HOTP (RFC 4226) with HMAC-SHA1, counter = floor(unix seconds / 30) as 8 bytes big-endian, dynamic
//   truncation, 8 digits zero-padded. Steps below 0 are clamped at 0.
// - TOTP_WITHOUT_PRICE: the HMAC key is the decoded device key (so any RFC 6238 app with 8 digits, 30 s, SHA1
//   shows the same code).
// - TOTP_WITH_PRICE: the HMAC key is 64 bytes derived from the device key and the amount paid:
//   PRK = HMAC-SHA512(key = the amount's 24 bytes, message = decoded device key);
//   key = HKDF-Expand (RFC 5869) with HMAC-SHA256 over PRK, empty info, 64 bytes.
// - NONE: no codes.
//
// Everything here is a pure function of its arguments (except `generateOtpKey`, which draws random bytes), so the
// backend (device registry, `pos_confirmation` in payment answers) and the offline CLI share one implementation.

import { randomBytes } from 'node:crypto';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { type Amount, amountToBytes, assertAmount, parseAmount } from './amount.ts';
import { decodeBase32, encodeBase32 } from './base32.ts';
import { assertBytes, assertInteger, assertString } from './hex.ts';

/** A value the TOTP functions cannot use: names the argument and what is wrong. */
export class TotpError extends Error {
  override name = 'TotpError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Seconds per TOTP step (Taler's TOTP_VALIDITY_PERIOD). */
export const TOTP_PERIOD_SECONDS = 30;
/** Digits per code (Taler always uses 8). */
export const TOTP_DIGITS = 8;
/** Steps on each side of the payment time's step (Taler's TIME_INTERVAL_RANGE): codes for C-2 .. C+2. */
export const TOTP_WINDOW_STEPS = 2;
/** Codes per confirmation. */
export const TOTP_CODES = 2 * TOTP_WINDOW_STEPS + 1;
/** Bytes of a generated device key: 20 (RFC 4226's recommended 160 bits), i.e. 32 base32 characters. */
export const OTP_KEY_BYTES = 20;
/** Bytes of the key derived for TOTP_WITH_PRICE. */
export const PRICE_KEY_BYTES = 64;

/** Taler's confirmation algorithms, by their JSON names; the index is the number Taler also accepts. */
export const OTP_ALGORITHMS = ['NONE', 'TOTP_WITHOUT_PRICE', 'TOTP_WITH_PRICE'] as const;
export type OtpAlgorithm = (typeof OTP_ALGORITHMS)[number];

/** A device key: base32 text (decoded by Taler's rules) or the decoded bytes. */
export type OtpKey = string | Uint8Array;

/**
 * An algorithm as Taler reads it from JSON: one of the names, compared case-insensitively, or its number
 * (0, 1, 2; as a number or a string of digits). Throws a TotpError naming `name` for anything else.
 */
export function parseOtpAlgorithm(value: unknown, name = 'algorithm'): OtpAlgorithm {
  if (typeof value === 'number' || (typeof value === 'string' && /^[0-9]+$/.test(value))) {
    const n = Number(value);
    if (Number.isInteger(n) && n >= 0 && n < OTP_ALGORITHMS.length) return OTP_ALGORITHMS[n];
    throw new TotpError(`${name} ${String(value)} is not an algorithm number: 0 (NONE), 1 (TOTP_WITHOUT_PRICE) or 2 (TOTP_WITH_PRICE)`);
  }
  if (typeof value === 'string') {
    const upper = value.toUpperCase();
    const found = OTP_ALGORITHMS.find((a) => a === upper);
    if (found !== undefined) return found;
    throw new TotpError(`${name} ${JSON.stringify(value)} is not one of ${OTP_ALGORITHMS.join(', ')} (or 0, 1, 2)`);
  }
  throw new TotpError(`${name} must be an algorithm name or number, got ${value === null ? 'null' : typeof value}`);
}

/** Taler's number for an algorithm: NONE 0, TOTP_WITHOUT_PRICE 1, TOTP_WITH_PRICE 2. */
export function otpAlgorithmNumber(algorithm: OtpAlgorithm): number {
  return OTP_ALGORITHMS.indexOf(parseOtpAlgorithm(algorithm));
}

/**
 * The bytes of a device key given as base32 (Taler's rules: see base32.ts) or as bytes. Refuses an empty key.
 * Errors name `name`.
 */
export function decodeOtpKey(key: OtpKey, name = 'key'): Uint8Array {
  let bytes: Uint8Array;
  if (typeof key === 'string') bytes = decodeBase32(key, name);
  else bytes = assertBytes(key, name);
  if (bytes.length === 0) throw new TotpError(`${name} is empty: a device key has at least one byte (we generate ${OTP_KEY_BYTES})`);
  return bytes;
}

/** Checks that `unixSeconds` is a whole, non-negative number of seconds; returns it. */
export function assertUnixSeconds(unixSeconds: unknown, name = 'time'): number {
  if (typeof unixSeconds !== 'number' || !Number.isFinite(unixSeconds)) {
    throw new TotpError(`${name} must be a number of seconds since 1970-01-01T00:00:00Z, got ${unixSeconds === null ? 'null' : typeof unixSeconds}`);
  }
  if (unixSeconds < 0) throw new TotpError(`${name} must not be negative (before 1970), got ${unixSeconds}`);
  if (!Number.isSafeInteger(unixSeconds)) throw new TotpError(`${name} must be a whole number of seconds up to 2^53 - 1, got ${unixSeconds}`);
  return unixSeconds;
}

/** The TOTP step (counter) of a time: floor(unix seconds / 30). */
export function totpStep(unixSeconds: number): number {
  return Math.floor(assertUnixSeconds(unixSeconds) / TOTP_PERIOD_SECONDS);
}

/** The first second of a step. */
export function stepStartSeconds(step: number): number {
  return assertInteger(step, 'step', 0, Number.MAX_SAFE_INTEGER) * TOTP_PERIOD_SECONDS;
}

/** HOTP (RFC 4226): HMAC-SHA1 over the 8-byte big-endian counter, dynamic truncation, `digits` digits zero-padded. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS): string {
  assertBytes(key, 'key');
  assertInteger(counter, 'counter', 0, Number.MAX_SAFE_INTEGER);
  assertInteger(digits, 'digits', 6, 8);
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter % 2 ** 32);
  const mac = hmac(sha1, key, message);
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = new DataView(mac.buffer, mac.byteOffset, mac.byteLength).getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** TOTP (RFC 6238) with SHA1, 30-second steps and 8 digits: the code of `key` at `unixSeconds`. */
export function totp(key: Uint8Array, unixSeconds: number): string {
  return hotp(key, totpStep(unixSeconds));
}

/**
 * The 64-byte HMAC key of TOTP_WITH_PRICE: HKDF-Expand(SHA-256, PRK, empty info, 64) with
 * PRK = HMAC-SHA512(key = amount's 24 bytes, message = device key).
 */
export function priceMixedKey(deviceKey: Uint8Array, amount: Amount): Uint8Array {
  assertBytes(deviceKey, 'deviceKey');
  const prk = hmac(sha512, amountToBytes(assertAmount(amount)), deviceKey);
  return expand(sha256, prk, new Uint8Array(0), PRICE_KEY_BYTES);
}

/**
 * The key that goes into HMAC-SHA1 for `algorithm`: the device key itself (TOTP_WITHOUT_PRICE; `amount` is ignored,
 * as Taler ignores it) or the price-mixed key (TOTP_WITH_PRICE; `amount` required). NONE has no key.
 */
export function codeKey(key: OtpKey, algorithm: OtpAlgorithm, amount?: Amount | string): Uint8Array {
  const alg = parseOtpAlgorithm(algorithm);
  const deviceKey = decodeOtpKey(key);
  switch (alg) {
    case 'NONE':
      throw new TotpError('algorithm NONE computes no codes');
    case 'TOTP_WITHOUT_PRICE':
      return deviceKey;
    case 'TOTP_WITH_PRICE': {
      if (amount === undefined) throw new TotpError('TOTP_WITH_PRICE needs the amount paid');
      const a = typeof amount === 'string' ? parseAmount(amount) : assertAmount(amount);
      return priceMixedKey(deviceKey, a);
    }
  }
}

/** The steps of a confirmation around `step`: step-2 .. step+2, each clamped at 0, oldest first. */
export function windowSteps(step: number): number[] {
  assertInteger(step, 'step', 0, Number.MAX_SAFE_INTEGER - TOTP_WINDOW_STEPS);
  const steps: number[] = [];
  for (let offset = -TOTP_WINDOW_STEPS; offset <= TOTP_WINDOW_STEPS; offset++) steps.push(Math.max(0, step + offset));
  return steps;
}

/** The five codes of a confirmation at `unixSeconds` (steps C-2 .. C+2), oldest first; none for NONE. */
export function confirmationCodes(key: OtpKey, algorithm: OtpAlgorithm, unixSeconds: number, amount?: Amount | string): string[] {
  const alg = parseOtpAlgorithm(algorithm);
  const step = totpStep(unixSeconds);
  if (alg === 'NONE') return [];
  const k = codeKey(key, alg, amount);
  return windowSteps(step).map((s) => hotp(k, s));
}

/**
 * Exactly what Taler's TALER_build_pos_confirmation returns, i.e. the `pos_confirmation` of a payment answer:
 * the five codes joined by "\n", no trailing newline; `undefined` for NONE (Taler returns NULL and the field is
 * left out). `unixSeconds` is the payment time, `amount` the amount paid (needed for TOTP_WITH_PRICE).
 */
export function posConfirmation(key: OtpKey, algorithm: OtpAlgorithm, unixSeconds: number, amount?: Amount | string): string | undefined {
  const codes = confirmationCodes(key, algorithm, unixSeconds, amount);
  return codes.length === 0 ? undefined : codes.join('\n');
}

/** Checks that `code` is a string of exactly 8 digits 0-9; returns it. Errors name `name`. */
export function assertCode(code: unknown, name = 'code'): string {
  assertString(code, name);
  const text = code as string;
  if (text.length !== TOTP_DIGITS) throw new TotpError(`${name} must be ${TOTP_DIGITS} digits, got ${text.length} characters`);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) {
      throw new TotpError(`${name} must contain only digits 0-9, found ${JSON.stringify(text[i])} at position ${i}`);
    }
  }
  return text;
}

export type VerifyResult =
  | {
      readonly accepted: true;
      /** The step whose code matched. */
      readonly step: number;
      /** The device's own step (of `deviceUnixSeconds`). */
      readonly deviceStep: number;
      /**
       * matched step - device step, -2..+2. Positive: the code is from a later step than the device's clock, i.e.
       * the device clock is behind the payment time (when the code typed is the one for the payment time).
       */
      readonly stepOffset: number;
    }
  | { readonly accepted: false; readonly deviceStep: number; readonly firstStep: number; readonly lastStep: number };

/** Compares two equal-length strings without stopping at the first difference. */
function sameCode(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * The merchant's offline check: accepts when `code` equals the device's code for one of the steps D-2 .. D+2
 * (D = the step of `deviceUnixSeconds`, clamped at 0), and reports which. When two steps share the code (clamped
 * steps near 1970), the one nearest D counts. With the code of the payment time typed in, this accepts a device
 * clock from 60 s behind to 89 s ahead of the payment time (at a step boundary; up to 89 s either way in general).
 */
export function verifyCode(
  key: OtpKey,
  algorithm: OtpAlgorithm,
  code: string,
  deviceUnixSeconds: number,
  amount?: Amount | string,
): VerifyResult {
  const alg = parseOtpAlgorithm(algorithm);
  const wanted = assertCode(code);
  const deviceStep = totpStep(deviceUnixSeconds);
  if (alg === 'NONE') throw new TotpError('algorithm NONE has no codes to verify');
  const k = codeKey(key, alg, amount);
  const steps = windowSteps(deviceStep);
  let best: { step: number; stepOffset: number } | undefined;
  for (const step of steps) {
    const match = sameCode(hotp(k, step), wanted); // every step is computed and compared, match or not
    const stepOffset = step - deviceStep;
    if (match && (best === undefined || Math.abs(stepOffset) < Math.abs(best.stepOffset))) best = { step, stepOffset };
  }
  if (best === undefined) return { accepted: false, deviceStep, firstStep: steps[0], lastStep: steps[steps.length - 1] };
  return { accepted: true, step: best.step, deviceStep, stepOffset: best.stepOffset };
}

/**
 * A new device key: 20 random bytes (node:crypto unless `random` is given) in base32 without padding, 32 characters.
 */
export function generateOtpKey(random: (length: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): string {
  const bytes = assertBytes(random(OTP_KEY_BYTES), 'random bytes', OTP_KEY_BYTES);
  return encodeBase32(bytes);
}

/** A key in the form to store and show: upper case, no padding. Checks it decodes (Taler's rules). */
export function normalizeOtpKey(key: string, name = 'key'): string {
  return encodeBase32(decodeOtpKey(assertString(key, name), name));
}

export interface OtpauthParams {
  /** The device key, base32. */
  readonly secret: string;
  /** Who issued it, e.g. the merchant or intermediary ("Kaffe & Bullar"). No ':'. */
  readonly issuer: string;
  /** The account, e.g. the device id ("kassa-1"). No ':'. */
  readonly account: string;
}

function assertLabelPart(value: unknown, name: string): string {
  const text = assertString(value, name);
  if (text.length === 0) throw new TotpError(`${name} is empty`);
  if (text.includes(':')) throw new TotpError(`${name} must not contain ':' (it separates issuer and account in the label)`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new TotpError(`${name} must not contain control characters`);
  return text;
}

/**
 * The `otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&digits=8&period=30&algorithm=SHA1` URI (Google
 * Authenticator's key URI format) that provisions an RFC 6238 app for TOTP_WITHOUT_PRICE. Issuer and account are
 * percent-encoded (UTF-8, space as %20); the secret is written upper case without padding.
 */
export function otpauthUri(params: OtpauthParams): string {
  const secret = normalizeOtpKey(params.secret, 'secret');
  const issuer = encodeURIComponent(assertLabelPart(params.issuer, 'issuer'));
  const account = encodeURIComponent(assertLabelPart(params.account, 'account'));
  return (
    `otpauth://totp/${issuer}:${account}?secret=${secret}&issuer=${issuer}` +
    `&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_SECONDS}&algorithm=SHA1`
  );
}

/** A device as the backend's device registry stores it, and as the CLI's key file holds it (see docs/TOTP.md). */
export interface OtpDeviceRecord {
  readonly otp_device_id: string;
  readonly otp_key: string;
  readonly otp_algorithm: OtpAlgorithm;
  readonly otp_device_description?: string;
  readonly otp_ctr?: number;
}

/**
 * Checks a device record (a parsed key file, or a device registration body): `otp_device_id` (non-empty, no '/'
 * nor control characters), `otp_key` (base32 that decodes to at least one byte), `otp_algorithm` (name or number),
 * optional `otp_device_description` (string) and `otp_ctr` (integer >= 0). Other fields are ignored. Returns the
 * record with the key normalised (upper case, no padding) and the algorithm as its name.
 */
export function parseOtpDeviceRecord(json: unknown, name = 'device'): OtpDeviceRecord {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TotpError(`${name} must be a JSON object with otp_device_id, otp_key and otp_algorithm`);
  }
  const o = json as Record<string, unknown>;
  for (const field of ['otp_device_id', 'otp_key', 'otp_algorithm']) {
    if (o[field] === undefined) throw new TotpError(`${name} has no ${field}`);
  }
  const id = o.otp_device_id;
  if (typeof id !== 'string' || id.length === 0) throw new TotpError(`${name} otp_device_id must be a non-empty string`);
  if (/[/\u0000-\u001f\u007f]/.test(id)) throw new TotpError(`${name} otp_device_id must not contain '/' or control characters`);
  if (typeof o.otp_key !== 'string') throw new TotpError(`${name} otp_key must be a base32 string`);
  const record: { -readonly [K in keyof OtpDeviceRecord]: OtpDeviceRecord[K] } = {
    otp_device_id: id,
    otp_key: normalizeOtpKey(o.otp_key, `${name} otp_key`),
    otp_algorithm: parseOtpAlgorithm(o.otp_algorithm, `${name} otp_algorithm`),
  };
  if (o.otp_device_description !== undefined) {
    if (typeof o.otp_device_description !== 'string') throw new TotpError(`${name} otp_device_description must be a string`);
    record.otp_device_description = o.otp_device_description;
  }
  if (o.otp_ctr !== undefined) {
    if (typeof o.otp_ctr !== 'number' || !Number.isSafeInteger(o.otp_ctr) || o.otp_ctr < 0) {
      throw new TotpError(`${name} otp_ctr must be a whole number >= 0`);
    }
    record.otp_ctr = o.otp_ctr;
  }
  return record;
}
