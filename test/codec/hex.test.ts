import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertByte,
  assertBytes,
  assertBytesLength,
  assertInteger,
  bytesOf,
  concatBytes,
  equalBytes,
  fromHex,
  readU16,
  toHex,
  u16,
} from '../../host/src/codec/hex.ts';

describe('toHex / fromHex', () => {
  it('writes upper-case hex', () => {
    expect(toHex(Uint8Array.of(0x00, 0x0f, 0xa5, 0xff))).toBe('000FA5FF');
  });

  it('writes the empty string for no bytes', () => {
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('reads upper and lower case', () => {
    expect(fromHex('0aFf9C')).toEqual(Uint8Array.of(0x0a, 0xff, 0x9c));
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
      }),
    );
  });

  it('writes the same hex for short and long values, and for a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(16), fc.nat(16), (bytes, before, after) => {
        const expected = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
        const wider = new Uint8Array(before + bytes.length + after).fill(0xee);
        wider.set(bytes, before);
        expect(toHex(bytes)).toBe(expected);
        expect(toHex(wider.subarray(before, before + bytes.length))).toBe(expected);
      }),
    );
  });

  it('round-trips any hex string, up to case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, lower) => {
        const hex = lower ? toHex(bytes).toLowerCase() : toHex(bytes);
        expect(toHex(fromHex(hex))).toBe(hex.toUpperCase());
      }),
    );
  });

  it('refuses an odd number of digits, naming the argument', () => {
    expect(() => fromHex('ABC', 'cardId')).toThrow('cardId must have an even number of hex digits, got 3');
  });

  it('refuses a non-hex character, naming the argument and the position', () => {
    expect(() => fromHex('00g1', 'aid')).toThrow('aid has a non-hex character "g" at position 2');
  });

  it.each([' 0', '0x00', '00 ', '-1', 'zz'])('refuses %j', (hex) => {
    expect(() => fromHex(hex)).toThrow(RangeError);
  });

  it('refuses a non-string, naming the argument', () => {
    expect(() => fromHex(12 as unknown as string, 'pin')).toThrow('pin must be a string, got the number 12');
  });

  it('refuses a non-Uint8Array in toHex', () => {
    expect(() => toHex([1, 2] as unknown as Uint8Array)).toThrow('bytes must be a Uint8Array, got an array of 2 items');
  });
});

describe('concatBytes / equalBytes', () => {
  it('concatenates in order', () => {
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('returns an empty array for no arguments', () => {
    expect(concatBytes()).toEqual(new Uint8Array(0));
  });

  it('returns a copy, not one of its arguments', () => {
    const a = Uint8Array.of(1, 2);
    const joined = concatBytes(a);
    joined[0] = 9;
    expect(a[0]).toBe(1);
  });

  it('names the bad argument', () => {
    expect(() => concatBytes(Uint8Array.of(1), 'ab' as unknown as Uint8Array)).toThrow('concatBytes argument 1 must be a Uint8Array');
  });

  it('compares contents and lengths', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
  });

  it('agrees with hex comparison on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        expect(equalBytes(a, b)).toBe(toHex(a) === toHex(b));
      }),
    );
  });
});

describe('guards', () => {
  it('accepts bytes of an allowed length and returns them', () => {
    const b = new Uint8Array(65);
    expect(assertBytes(b, 'publicKey', 33, 65)).toBe(b);
  });

  it('names the argument and the lengths allowed', () => {
    expect(() => assertBytes(new Uint8Array(3), 'publicKey', 33, 65)).toThrow('publicKey must be one of 33, 65 bytes long, got 3');
    expect(() => assertBytes(new Uint8Array(3), 'aid', 7)).toThrow('aid must be 7 bytes long, got 3');
  });

  it('refuses a non-Uint8Array with a TypeError', () => {
    expect(() => assertBytes('00', 'signature')).toThrow(TypeError);
    expect(() => assertBytes(null, 'signature')).toThrow('signature must be a Uint8Array, got null');
  });

  it('checks a length range', () => {
    expect(() => assertBytesLength(new Uint8Array(17), 'aid', 5, 16)).toThrow('aid must be 5 to 16 bytes long, got 17');
    expect(assertBytesLength(new Uint8Array(5), 'aid', 5, 16)).toHaveLength(5);
  });

  it('checks integers and their range', () => {
    expect(assertInteger(3, 'n', 0, 3)).toBe(3);
    expect(() => assertInteger(4, 'n', 0, 3)).toThrow('n must be 0 to 3, got 4');
    expect(() => assertInteger(1.5, 'n', 0, 3)).toThrow('n must be an integer, got the number 1.5');
    expect(() => assertByte(256, 'p1')).toThrow('p1 must be 0 to 255, got 256');
  });

  it('builds bytes from checked values', () => {
    expect(bytesOf(0x80, 0x01)).toEqual(Uint8Array.of(0x80, 0x01));
    expect(() => bytesOf(1, 300)).toThrow('byte 1 must be 0 to 255, got 300');
  });

  it('reads and writes big-endian 16-bit values', () => {
    expect(readU16(Uint8Array.of(0, 0x12, 0x34), 1)).toBe(0x1234);
    expect(u16(0xbeef)).toEqual(Uint8Array.of(0xbe, 0xef));
    expect(() => u16(0x10000)).toThrow('value must be 0 to 65535, got 65536');
    expect(() => readU16(Uint8Array.of(1), 0, 'balance')).toThrow('balance must be at least 2 bytes long, got 1');
  });
});
