import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base32Error, decodeBase32, encodeBase32 } from '../../host/src/codec/base32.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import vectors from './vectors/base32.json' with { type: 'json' };

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('RFC 4648 base32 vectors', () => {
  for (const v of vectors.rfc4648) {
    it(`encodes ${JSON.stringify(v.text)} as ${JSON.stringify(v.unpadded)} (no padding)`, () => {
      expect(encodeBase32(ascii(v.text))).toBe(v.unpadded);
    });
    it(`decodes ${JSON.stringify(v.unpadded)} to ${JSON.stringify(v.text)}`, () => {
      expect(toHex(decodeBase32(v.unpadded))).toBe(toHex(ascii(v.text)));
    });
    const padding = v.padded.length - v.unpadded.length;
    if (padding <= 2) {
      it(`decodes RFC 4648's padded ${JSON.stringify(v.padded)} (${padding} '=', accepted by Taler)`, () => {
        expect(toHex(decodeBase32(v.padded))).toBe(toHex(ascii(v.text)));
      });
    } else {
      it(`refuses RFC 4648's padded ${JSON.stringify(v.padded)}: ${padding} '=' is more than Taler accepts`, () => {
        expect(() => decodeBase32(v.padded)).toThrow(Base32Error);
        expect(() => decodeBase32(v.padded)).toThrow(`ends with ${padding} '=' characters: at most 2 are accepted`);
      });
    }
  }
});

describe('decodeBase32 follows Taler', () => {
  for (const v of vectors.decode.valid) {
    it(`decodes ${v.name}: ${JSON.stringify(v.base32)} -> ${v.hex || '(nothing)'}`, () => {
      expect(toHex(decodeBase32(v.base32))).toBe(v.hex);
    });
  }
  for (const v of vectors.decode.invalid) {
    it(`refuses ${v.name}`, () => {
      expect(() => decodeBase32(v.base32, 'key')).toThrow(Base32Error);
      expect(() => decodeBase32(v.base32, 'key')).toThrow(`key ${v.error}`);
    });
  }

  it('names the argument in a type error', () => {
    expect(() => decodeBase32(42 as unknown as string, 'otp_key')).toThrow('otp_key must be a string, got the number 42');
  });
});

describe('base32 properties', () => {
  it('decodes what it encodes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(toHex(decodeBase32(encodeBase32(bytes)))).toBe(toHex(bytes));
      }),
    );
  });

  it('writes ceil(8n / 5) characters of A-Z 2-7 and never padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = encodeBase32(bytes);
        expect(text).toHaveLength(Math.ceil((bytes.length * 8) / 5));
        expect(text).toMatch(/^[A-Z2-7]*$/);
      }),
    );
  });

  it('ignores case and accepts up to two trailing "="', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2 }), (bytes, pad) => {
        const text = encodeBase32(bytes);
        expect(toHex(decodeBase32(text.toLowerCase() + '='.repeat(pad)))).toBe(toHex(bytes));
      }),
    );
  });

  it('decodes floor(5n / 8) bytes from n characters, dropping leftover bits', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), maxLength: 60 }), (text) => {
        const bytes = decodeBase32(text);
        expect(bytes).toHaveLength(Math.floor((text.length * 5) / 8));
        // Re-encoding gives the same prefix: only the dropped bits can differ, in the last character.
        const again = encodeBase32(bytes);
        expect(text.startsWith(again.slice(0, Math.floor((bytes.length * 8) / 5)))).toBe(true);
      }),
    );
  });
});
