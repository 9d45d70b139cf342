// Amounts as GNU Taler writes them, their 24-byte binary form, and minor units (öre).
//
// Text: `CUR:VALUE[.FRACTION]`, e.g. `SEK:12.50`, `EUR:1.5`, `KUDOS:3`.
// - CUR: 1 to 11 ASCII letters. Taler accepts only upper case (TALER_check_currency: A-Z, shorter than
//   TALER_CURRENCY_LEN = 12); we upper-case ASCII letters on input (`sek:1` is read as `SEK:1`) and always write
//   upper case.
// - VALUE: decimal digits, at most 2^52 (Taler's TALER_AMOUNT_MAX_VALUE); leading zeros are accepted.
// - FRACTION: 1 to 8 digits (units of 10^-8, TALER_AMOUNT_FRAC_BASE = 10^8); more is refused ("too many
//   decimals"); a `.` with no digit after it, or before it, is refused.
// No spaces anywhere (Taler skips leading white space; we refuse it, so a value copied with a stray space is noticed).
//
// Binary (Taler's `struct TALER_AmountNBO`, 24 bytes): value as uint64 big-endian, fraction as uint32 big-endian,
// currency as 12 bytes of ASCII padded with zero bytes. EUR:1.50 = 0000000000000001 02FAF080 455552000000000000000000.
//
// Minor units: the integer count of the currency's smallest unit (öre for SEK, 2 decimals), as the card protocol
// and the intermediaries count money. An amount with more decimals than the currency has is refused there.

import { assertBytes, assertInteger, assertString } from './hex.ts';

/** A value Taler would refuse as an amount: names the argument and what is wrong. */
export class AmountError extends Error {
  override name = 'AmountError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface Amount {
  /** 1..11 upper-case ASCII letters. */
  readonly currency: string;
  /** Whole units, 0..2^52. */
  readonly value: number;
  /** Units of 10^-8, 0..99 999 999. */
  readonly fraction: number;
}

/** Largest `value` of an amount (Taler: 2^52, so that values stay exact in JavaScript numbers). */
export const AMOUNT_MAX_VALUE = 2 ** 52;
/** Number of fraction units in one whole unit. */
export const AMOUNT_FRACTION_BASE = 100_000_000;
/** Most digits after the decimal point. */
export const AMOUNT_FRACTION_DIGITS = 8;
/** Most letters in a currency name (Taler's TALER_CURRENCY_LEN 12, minus the terminating zero byte). */
export const CURRENCY_MAX_LENGTH = 11;
/** Length of the binary form. */
export const AMOUNT_BYTES = 24;

const CURRENCY_FIELD_BYTES = 12;

/**
 * Decimals of the minor unit of the currencies we know (ISO 4217). Others need an explicit count of decimals.
 */
export const CURRENCY_MINOR_DIGITS: Readonly<Record<string, number>> = Object.freeze({
  SEK: 2,
  EUR: 2,
  NOK: 2,
  DKK: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  JPY: 0,
});

/** Upper-cases and checks a currency name (1..11 ASCII letters); returns it in upper case. */
export function normalizeCurrency(currency: string, name = 'currency'): string {
  assertString(currency, name);
  if (currency.length === 0) throw new AmountError(`${name} is empty: a currency has 1 to ${CURRENCY_MAX_LENGTH} letters`);
  if (currency.length > CURRENCY_MAX_LENGTH) {
    throw new AmountError(`${name} has ${currency.length} characters: a currency has at most ${CURRENCY_MAX_LENGTH} letters`);
  }
  let out = '';
  for (let i = 0; i < currency.length; i++) {
    const code = currency.charCodeAt(i);
    if (code >= 0x61 && code <= 0x7a) out += String.fromCharCode(code - 0x20);
    else if (code >= 0x41 && code <= 0x5a) out += currency[i];
    else {
      throw new AmountError(
        `${name} has the character ${JSON.stringify(currency[i])} at position ${i}: a currency has only ASCII letters A-Z`,
      );
    }
  }
  return out;
}

/** Checks every field of an amount object and returns it with the currency upper-cased. */
export function makeAmount(currency: string, value: number, fraction = 0, name = 'amount'): Amount {
  const cur = normalizeCurrency(currency, `${name} currency`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AmountError(`${name} value must be a whole number from 0 to 2^52, got ${String(value)}`);
  }
  if (value > AMOUNT_MAX_VALUE) throw new AmountError(`${name} value ${value} is larger than 2^52 (${AMOUNT_MAX_VALUE})`);
  if (typeof fraction !== 'number' || !Number.isInteger(fraction) || fraction < 0 || fraction >= AMOUNT_FRACTION_BASE) {
    throw new AmountError(`${name} fraction must be a whole number from 0 to 99999999 (units of 10^-8), got ${String(fraction)}`);
  }
  return Object.freeze({ currency: cur, value, fraction });
}

/** Checks that `amount` is an amount object (see `makeAmount`); returns it normalised. */
export function assertAmount(amount: unknown, name = 'amount'): Amount {
  if (typeof amount !== 'object' || amount === null) {
    throw new AmountError(`${name} must be an amount object { currency, value, fraction }, got ${amount === null ? 'null' : typeof amount}`);
  }
  const a = amount as Partial<Amount>;
  return makeAmount(a.currency as string, a.value as number, a.fraction as number, name);
}

/** Parses `CUR:VALUE[.FRACTION]` (see the top of this file). Errors name `name`. */
export function parseAmount(text: string, name = 'amount'): Amount {
  assertString(text, name);
  const colon = text.indexOf(':');
  if (colon < 0) throw new AmountError(`${name} ${JSON.stringify(text)} has no ':': write CURRENCY:VALUE, e.g. SEK:12.50`);
  const currency = normalizeCurrency(text.slice(0, colon), `${name} currency`);
  const number = text.slice(colon + 1);
  if (number.length === 0) throw new AmountError(`${name} ${JSON.stringify(text)} has no value after ':'`);
  const dot = number.indexOf('.');
  const whole = dot < 0 ? number : number.slice(0, dot);
  const decimals = dot < 0 ? undefined : number.slice(dot + 1);
  if (whole.length === 0) throw new AmountError(`${name} ${JSON.stringify(text)} has no digit before '.'`);
  const checkDigits = (digits: string, offset: number): void => {
    for (let i = 0; i < digits.length; i++) {
      const c = digits.charCodeAt(i);
      if (c < 0x30 || c > 0x39) {
        throw new AmountError(
          `${name} ${JSON.stringify(text)} has the character ${JSON.stringify(digits[i])} at position ${colon + 1 + offset + i} where a digit belongs`,
        );
      }
    }
  };
  checkDigits(whole, 0);
  // Leading zeros are accepted; compare without them so that a long run of zeros is not "too large".
  const significant = whole.replace(/^0+(?=\d)/, '');
  if (significant.length > 16 || Number(significant) > AMOUNT_MAX_VALUE) {
    throw new AmountError(`${name} ${JSON.stringify(text)} has a value larger than 2^52 (${AMOUNT_MAX_VALUE})`);
  }
  const value = Number(significant);
  let fraction = 0;
  if (decimals !== undefined) {
    if (decimals.length === 0) throw new AmountError(`${name} ${JSON.stringify(text)} ends with '.' and no digit after it`);
    checkDigits(decimals, whole.length + 1);
    if (decimals.length > AMOUNT_FRACTION_DIGITS) {
      throw new AmountError(
        `${name} ${JSON.stringify(text)} has too many decimals: ${decimals.length}, at most ${AMOUNT_FRACTION_DIGITS}`,
      );
    }
    fraction = Number(decimals.padEnd(AMOUNT_FRACTION_DIGITS, '0'));
  }
  return Object.freeze({ currency, value, fraction });
}

/**
 * The amount as Taler writes it: `CUR:VALUE` when the fraction is zero, else `CUR:VALUE.DIGITS` with trailing
 * zeros dropped (`EUR:1.5`). With `minDecimals`, at least that many decimals are written (`SEK:12.50`).
 */
export function formatAmount(amount: Amount, minDecimals = 0): string {
  const a = assertAmount(amount);
  assertInteger(minDecimals, 'minDecimals', 0, AMOUNT_FRACTION_DIGITS);
  let decimals = String(a.fraction).padStart(AMOUNT_FRACTION_DIGITS, '0').replace(/0+$/, '');
  if (decimals.length < minDecimals) decimals = decimals.padEnd(minDecimals, '0');
  return decimals.length === 0 ? `${a.currency}:${a.value}` : `${a.currency}:${a.value}.${decimals}`;
}

/** The 24-byte binary form (Taler's TALER_AmountNBO): value u64 BE, fraction u32 BE, currency 12 bytes zero-padded. */
export function amountToBytes(amount: Amount): Uint8Array {
  const a = assertAmount(amount);
  const out = new Uint8Array(AMOUNT_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(a.value));
  view.setUint32(8, a.fraction);
  for (let i = 0; i < a.currency.length; i++) out[12 + i] = a.currency.charCodeAt(i);
  return out;
}

/** Reads the 24-byte binary form back, with every field checked (upper-case currency, zero padding, ranges). */
export function amountFromBytes(bytes: Uint8Array, name = 'amount bytes'): Amount {
  assertBytes(bytes, name, AMOUNT_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const value = view.getBigUint64(0);
  if (value > BigInt(AMOUNT_MAX_VALUE)) throw new AmountError(`${name} hold a value larger than 2^52`);
  const fraction = view.getUint32(8);
  if (fraction >= AMOUNT_FRACTION_BASE) throw new AmountError(`${name} hold a fraction of ${fraction}, at most 99999999`);
  const field = bytes.subarray(12, 12 + CURRENCY_FIELD_BYTES);
  const length = field.indexOf(0);
  if (length < 0) throw new AmountError(`${name} hold a currency without a terminating zero byte`);
  if (length === 0) throw new AmountError(`${name} hold an empty currency`);
  for (let i = length; i < field.length; i++) {
    if (field[i] !== 0) throw new AmountError(`${name} hold a non-zero byte at position ${12 + i}, after the currency's end`);
  }
  let currency = '';
  for (let i = 0; i < length; i++) {
    if (field[i] < 0x41 || field[i] > 0x5a) {
      throw new AmountError(`${name} hold a currency byte 0x${field[i].toString(16).padStart(2, '0')} at position ${12 + i}: only A-Z`);
    }
    currency += String.fromCharCode(field[i]);
  }
  return Object.freeze({ currency, value: Number(value), fraction });
}

/** Decimals of the minor unit of `currency` (SEK: 2). Throws for a currency not in CURRENCY_MINOR_DIGITS. */
export function minorUnitDigits(currency: string): number {
  const cur = normalizeCurrency(currency);
  const digits = CURRENCY_MINOR_DIGITS[cur];
  if (digits === undefined) {
    throw new AmountError(`currency ${cur} has no known minor unit: give the number of decimals explicitly`);
  }
  return digits;
}

/**
 * The amount counted in minor units: SEK:12.50 -> 1250 (öre). Refuses an amount with more decimals than the
 * currency has (SEK:12.505), and a result beyond Number.MAX_SAFE_INTEGER.
 */
export function toMinorUnits(amount: Amount, digits?: number): number {
  const a = assertAmount(amount);
  const d = digits === undefined ? minorUnitDigits(a.currency) : assertInteger(digits, 'digits', 0, AMOUNT_FRACTION_DIGITS);
  const unit = 10 ** (AMOUNT_FRACTION_DIGITS - d);
  if (a.fraction % unit !== 0) {
    throw new AmountError(`${formatAmount(a)} has more decimals than ${a.currency} allows (${d})`);
  }
  const minor = BigInt(a.value) * BigInt(10 ** d) + BigInt(a.fraction / unit);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AmountError(`${formatAmount(a)} is too large to count in minor units exactly (more than 2^53 - 1)`);
  }
  return Number(minor);
}

/** The amount of `minor` minor units of `currency`: (SEK, 1250) -> SEK:12.50. */
export function fromMinorUnits(currency: string, minor: number, digits?: number): Amount {
  const cur = normalizeCurrency(currency);
  const d = digits === undefined ? minorUnitDigits(cur) : assertInteger(digits, 'digits', 0, AMOUNT_FRACTION_DIGITS);
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || minor < 0) {
    throw new AmountError(`minor units must be a whole number from 0 to 2^53 - 1, got ${String(minor)}`);
  }
  const per = 10 ** d;
  return makeAmount(cur, Math.floor(minor / per), (minor % per) * 10 ** (AMOUNT_FRACTION_DIGITS - d));
}

/** True when both amounts have the same currency, value and fraction. */
export function equalAmounts(a: Amount, b: Amount): boolean {
  const x = assertAmount(a, 'a');
  const y = assertAmount(b, 'b');
  return x.currency === y.currency && x.value === y.value && x.fraction === y.fraction;
}
