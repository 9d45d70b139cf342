import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AMOUNT_MAX_VALUE,
  AmountError,
  amountFromBytes,
  amountToBytes,
  equalAmounts,
  formatAmount,
  fromMinorUnits,
  makeAmount,
  minorUnitDigits,
  parseAmount,
  toMinorUnits,
} from '../../host/src/codec/amount.ts';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import vectors from './vectors/amount.json' with { type: 'json' };

describe('parseAmount', () => {
  for (const v of vectors.parse.valid) {
    it(`reads ${v.text} as ${v.currency} ${v.value} + ${v.fraction} x 10^-8`, () => {
      const a = parseAmount(v.text);
      expect(a).toEqual({ currency: v.currency, value: v.value, fraction: v.fraction });
    });
  }
  for (const v of vectors.parse.invalid) {
    it(`refuses ${v.name}: ${JSON.stringify(v.text)}`, () => {
      expect(() => parseAmount(v.text, '--amount')).toThrow(AmountError);
      expect(() => parseAmount(v.text, '--amount')).toThrow(v.error);
    });
  }

  it('names the argument in its errors', () => {
    expect(() => parseAmount('EUR:1.123456789', '--amount')).toThrow(/^--amount "EUR:1.123456789" has too many decimals/);
  });

  it('accepts exactly 2^52 and refuses one more', () => {
    expect(parseAmount(`EUR:${AMOUNT_MAX_VALUE}`).value).toBe(AMOUNT_MAX_VALUE);
    expect(() => parseAmount(`EUR:${AMOUNT_MAX_VALUE + 1}`)).toThrow('larger than 2^52');
  });
});

describe('formatAmount', () => {
  for (const v of vectors.parse.valid) {
    it(`writes ${v.text} as Taler does: ${v.taler}`, () => {
      expect(formatAmount(parseAmount(v.text))).toBe(v.taler);
    });
  }

  it('writes at least minDecimals decimals when asked (SEK:12.50)', () => {
    expect(formatAmount(parseAmount('SEK:12.5'), 2)).toBe('SEK:12.50');
    expect(formatAmount(parseAmount('SEK:12'), 2)).toBe('SEK:12.00');
    expect(formatAmount(parseAmount('SEK:0.125'), 2)).toBe('SEK:0.125');
  });
});

describe('binary form (Taler TALER_AmountNBO)', () => {
  it('encodes EUR:1.50 as the 24 bytes of TALER-TOTP.md', () => {
    expect(toHex(amountToBytes(parseAmount('EUR:1.50')))).toBe('000000000000000102FAF080455552000000000000000000');
  });
  for (const v of vectors.parse.valid) {
    it(`encodes ${v.text} as ${v.hex} and reads it back`, () => {
      const bytes = amountToBytes(parseAmount(v.text));
      expect(toHex(bytes)).toBe(v.hex);
      expect(amountFromBytes(bytes)).toEqual(parseAmount(v.text));
    });
  }
  for (const v of vectors.bytes.invalid) {
    it(`refuses bytes with ${v.name}`, () => {
      expect(() => amountFromBytes(fromHex(v.hex))).toThrow(AmountError);
      expect(() => amountFromBytes(fromHex(v.hex))).toThrow(v.error);
    });
  }
  it('refuses bytes of the wrong length, naming them', () => {
    expect(() => amountFromBytes(new Uint8Array(23), 'price')).toThrow('price must be 24 bytes long, got 23');
  });
});

describe('minor units', () => {
  for (const v of vectors.minor.valid) {
    it(`counts ${v.text} as ${v.minor} minor units (${v.digits} decimals) and back`, () => {
      const a = parseAmount(v.text);
      expect(toMinorUnits(a, v.digits)).toBe(v.minor);
      expect(equalAmounts(fromMinorUnits(a.currency, v.minor, v.digits), a)).toBe(true);
    });
  }
  for (const v of vectors.minor.invalid) {
    it(`refuses ${v.name}`, () => {
      expect(() => toMinorUnits(parseAmount(v.text), v.digits)).toThrow(AmountError);
      expect(() => toMinorUnits(parseAmount(v.text), v.digits)).toThrow(v.error);
    });
  }

  it('knows that SEK has 2 decimals (öre) and refuses a currency it does not know without a count', () => {
    expect(minorUnitDigits('SEK')).toBe(2);
    expect(toMinorUnits(parseAmount('SEK:12.50'))).toBe(1250);
    expect(() => toMinorUnits(parseAmount('KUDOS:1'))).toThrow('currency KUDOS has no known minor unit');
  });

  it('refuses negative, fractional or unsafe minor units', () => {
    expect(() => fromMinorUnits('SEK', -1)).toThrow('minor units must be a whole number from 0 to 2^53 - 1, got -1');
    expect(() => fromMinorUnits('SEK', 1.5)).toThrow('got 1.5');
    expect(() => fromMinorUnits('SEK', 2 ** 53)).toThrow('got 9007199254740992');
  });
});

describe('amount objects', () => {
  it('refuses a value above 2^52, a fraction of 10^8 and a bad currency, naming the field', () => {
    expect(() => makeAmount('SEK', AMOUNT_MAX_VALUE + 1)).toThrow('amount value 4503599627370497 is larger than 2^52');
    expect(() => makeAmount('SEK', 1, 100_000_000)).toThrow('amount fraction must be a whole number from 0 to 99999999');
    expect(() => makeAmount('SE K', 1)).toThrow('amount currency has the character " " at position 2');
  });
});

const currencyArb = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 1, maxLength: 11 });
const amountArb = fc.record({
  currency: currencyArb,
  value: fc.integer({ min: 0, max: AMOUNT_MAX_VALUE }),
  fraction: fc.integer({ min: 0, max: 99_999_999 }),
});

describe('amount properties', () => {
  it('parses what it formats', () => {
    fc.assert(
      fc.property(amountArb, (a) => {
        expect(parseAmount(formatAmount(a))).toEqual(a);
      }),
    );
  });

  it('reads back the 24 bytes it writes', () => {
    fc.assert(
      fc.property(amountArb, (a) => {
        expect(amountFromBytes(amountToBytes(a))).toEqual(a);
      }),
    );
  });

  it('orders bytes as it orders values within a currency (value, then fraction, big-endian)', () => {
    fc.assert(
      fc.property(currencyArb, amountArb, amountArb, (currency, x, y) => {
        const a = { ...x, currency };
        const b = { ...y, currency };
        const byValue = a.value - b.value || a.fraction - b.fraction;
        const byBytes = Buffer.compare(Buffer.from(amountToBytes(a)), Buffer.from(amountToBytes(b)));
        expect(Math.sign(byBytes)).toBe(Math.sign(byValue));
      }),
    );
  });

  it('round-trips öre through amounts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ore) => {
        expect(toMinorUnits(fromMinorUnits('SEK', ore))).toBe(ore);
      }),
    );
  });
});
