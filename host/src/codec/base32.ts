// RFC 4648 base32 (alphabet A-Z 2-7; not Crockford's), decoded exactly as GNU Taler decodes TOTP device keys.
//
// Taler's rules (taler-exchange `crypto_confirmation.c`, December 2024), which `decodeBase32` follows:
// - letters are upper-cased before decoding (only ASCII a-z; no locale rules);
// - at most two `=` are accepted, and only at the very end; `=` anywhere else, or more than two, is refused;
// - any other character (spaces, hyphens, `0`, `1`, `8`, `9`, non-ASCII) is refused;
// - bits left over at the end that do not fill a whole byte are dropped (not checked to be zero).
// So RFC 4648's own padded forms with three or more `=` ("MY======") are refused: generate keys whose length is a
// multiple of 5 bytes and write them without padding, as `encodeBase32` does.

import { assertBytes, assertString } from './hex.ts';

/** A base32 text that Taler would refuse: names the argument, the character and its position. */
export class Base32Error extends Error {
  override name = 'Base32Error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** At most this many trailing `=` are accepted (Taler's limit). */
export const BASE32_MAX_PADDING = 2;

/** Value 0..31 of one base32 character code (a-z upper-cased), or -1. */
function base32Value(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41; // A-Z
  if (code >= 0x61 && code <= 0x7a) return code - 0x61; // a-z, upper-cased
  if (code >= 0x32 && code <= 0x37) return code - 0x32 + 26; // 2-7
  return -1;
}

/** Describes one character for an error message, code point included when it is not printable ASCII. */
function showChar(text: string, at: number): string {
  const cp = text.codePointAt(at) ?? 0;
  const ch = String.fromCodePoint(cp);
  return cp >= 0x21 && cp <= 0x7e ? JSON.stringify(ch) : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Base32 of `bytes`, upper case, without padding (RFC 4648 section 6, padding omitted). */
export function encodeBase32(bytes: Uint8Array, name = 'bytes'): string {
  assertBytes(bytes, name);
  let out = '';
  let buffer = 0; // pending bits, at most 12
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >> bits) & 0x1f];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 0x1f];
  return out;
}

/**
 * Bytes of a base32 text, decoded as Taler decodes device keys (see the top of this file). Throws a Base32Error
 * naming `name` for a character outside the alphabet, `=` that is not trailing, or more than two `=`.
 */
export function decodeBase32(text: string, name = 'base32 text'): Uint8Array {
  assertString(text, name);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  const padding = text.length - end;
  if (padding > BASE32_MAX_PADDING) {
    throw new Base32Error(
      `${name} ends with ${padding} '=' characters: at most ${BASE32_MAX_PADDING} are accepted (write keys without padding)`,
    );
  }
  const out = new Uint8Array(Math.floor((end * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = base32Value(code);
    if (value < 0) {
      if (code === 0x3d) {
        throw new Base32Error(`${name} has '=' at position ${i}: padding is accepted only at the end`);
      }
      throw new Base32Error(`${name} has the character ${showChar(text, i)} at position ${i}, which is not base32 (A-Z, 2-7)`);
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits (fewer than 8) are dropped, as Taler does.
  return out;
}
