// Field guards and fixed-offset readers and writers for the wallet's structures.
//
// Two kinds of checks, on purpose:
// - guards for *encoding* (`u8`, `u32`, `bytesField`) check only that a value can be written in its field (an
//   integer 0..2^32-1 for a u32, exactly N bytes for a byte field). Encoders therefore can write a structure the
//   protocol forbids (an amount of zero, role 7): the conformance suite needs exactly such structures, signed, to
//   prove the card refuses them.
// - checks for *decoding* (`amountAt`, `oneOf`...) enforce the protocol's ranges, so a decoded value is always a
//   valid protocol value.
// Every failure is a CodecError naming the field.
//
// Integers: every u8 and u32 is a JavaScript `number` (a u32 is at most 2^32 - 1, well inside the safe range).

import { CodecError } from './errors.ts';
import { isBytes } from './hex.ts';

/** The largest amount, in öre: amounts are unsigned 4-byte values of at most 0x7FFFFFFF. */
export const MAX_AMOUNT = 0x7fffffff;
export const MAX_U32 = 0xffffffff;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (isBytes(value)) return `${value.length} bytes`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `the bigint ${value}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return `a ${typeof value}`;
}

/** Checks that `value` is an integer in `min..max`; returns it. */
export function integerField(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new CodecError(field, `${field} must be an integer, got ${describe(value)}.`);
  }
  if (value < min || value > max) throw new CodecError(field, `${field} must be ${min} to ${max}, got ${value}.`);
  return value;
}

/** An integer 0..255. */
export function u8(value: unknown, field: string): number {
  return integerField(value, field, 0, 0xff);
}

/** An integer 0..2^32-1. */
export function u32(value: unknown, field: string): number {
  return integerField(value, field, 0, MAX_U32);
}

/** A Uint8Array of exactly `length` bytes (or one of `lengths`). */
export function bytesField(value: unknown, field: string, ...lengths: number[]): Uint8Array {
  if (!isBytes(value)) throw new CodecError(field, `${field} must be a Uint8Array, got ${describe(value)}.`);
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    const expected = lengths.length === 1 ? `${lengths[0]}` : `one of ${lengths.join(', ')}`;
    throw new CodecError(field, `${field} must be ${expected} bytes long, got ${value.length}.`);
  }
  return value;
}

/** Checks that `bytes` is a Uint8Array of exactly `length` bytes: the length check of every decoder. */
export function exactLength(bytes: unknown, field: string, length: number): Uint8Array {
  return bytesField(bytes, field, length);
}

export function writeU32(out: Uint8Array, offset: number, value: number, field: string): void {
  u32(value, field);
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) >>> 0) + (bytes[offset + 1] << 16) + (bytes[offset + 2] << 8) + bytes[offset + 3];
}

/** Four big-endian bytes of a u32. */
export function u32Bytes(value: number, field = 'value'): Uint8Array {
  const out = new Uint8Array(4);
  writeU32(out, 0, value, field);
  return out;
}

export function writeBytes(out: Uint8Array, offset: number, value: unknown, field: string, length: number): void {
  out.set(bytesField(value, field, length), offset);
}

/** A copy of `length` bytes at `offset` (decoded values never alias the input). */
export function bytesAt(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  return bytes.slice(offset, offset + length);
}

/** Checks the tag byte at `offset` (decoding). */
export function expectTag(bytes: Uint8Array, offset: number, expected: number, field: string, tagName: string): void {
  if (bytes[offset] !== expected) {
    throw new CodecError(field, `${field} must be ${hex2(expected)} (${tagName}), got ${hex2(bytes[offset])}.`);
  }
}

/** A u32 amount at `offset` (decoding): 1..MAX_AMOUNT, or 0..MAX_AMOUNT when `zeroAllowed`. */
export function amountAt(bytes: Uint8Array, offset: number, field: string, zeroAllowed = false): number {
  const value = readU32(bytes, offset);
  const min = zeroAllowed ? 0 : 1;
  if (value < min || value > MAX_AMOUNT) {
    throw new CodecError(field, `${field} must be an amount of ${min} to ${MAX_AMOUNT} öre, got ${value}.`);
  }
  return value;
}

/** The byte at `offset` (decoding), which must be one of `allowed` (a name -> value table). */
export function oneOfAt(bytes: Uint8Array, offset: number, field: string, allowed: Record<string, number>): number {
  const value = bytes[offset];
  if (!Object.values(allowed).includes(value)) {
    const list = Object.entries(allowed)
      .map(([name, v]) => `${hex2(v)} ${name}`)
      .join(', ');
    throw new CodecError(field, `${field} must be one of ${list}; got ${hex2(value)}.`);
  }
  return value;
}

/** Checks that `bytes[from..to)` are all zero (padding, decoding). */
export function expectZeros(bytes: Uint8Array, from: number, to: number, field: string): void {
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0) throw new CodecError(field, `${field} must be zero bytes, got ${hex2(bytes[i])} at offset ${i}.`);
  }
}

export function hex2(value: number): string {
  return (value & 0xff).toString(16).toUpperCase().padStart(2, '0');
}
