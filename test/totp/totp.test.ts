import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amountToBytes, parseAmount } from '../../host/src/codec/amount.ts';
import { Base32Error, encodeBase32 } from '../../host/src/codec/base32.ts';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import {
  assertCode,
  confirmationCodes,
  decodeOtpKey,
  generateOtpKey,
  hotp,
  OTP_ALGORITHMS,
  otpAlgorithmNumber,
  otpauthUri,
  parseOtpAlgorithm,
  parseOtpDeviceRecord,
  posConfirmation,
  priceMixedKey,
  TotpError,
  totp,
  totpStep,
  verifyCode,
  windowSteps,
} from '../../host/src/codec/totp.ts';
import vectors from './vectors/totp.json' with { type: 'json' };

const KEY = vectors.key;
const KEY_BYTES = fromHex(vectors.keyHex);

describe("Taler's pos_confirmation vectors (TALER-TOTP.md)", () => {
  for (const v of vectors.taler) {
    const lines = v.output?.split('\n');
    it(`gives ${v.name}${v.output ? ` exactly: ${lines?.join(' ')}` : `: third code ${v.third}`}`, () => {
      const out = posConfirmation(KEY, v.algorithm as 'TOTP_WITHOUT_PRICE', v.time, v.amount);
      if (v.output !== undefined) expect(out).toBe(v.output);
      else expect(out?.split('\n')[2]).toBe(v.third);
    });
    it(`gives the same for ${v.name} from the key's bytes and the algorithm's number`, () => {
      const number = OTP_ALGORITHMS.indexOf(v.algorithm as 'TOTP_WITH_PRICE');
      const amount = v.amount === undefined ? undefined : parseAmount(v.amount);
      const out = posConfirmation(KEY_BYTES, parseOtpAlgorithm(number), v.time, amount);
      expect(out).toBe(posConfirmation(KEY, v.algorithm as 'TOTP_WITH_PRICE', v.time, v.amount));
    });
  }

  it('mixes in the amount as the 24 bytes 0000000000000001 02faf080 455552000000000000000000 (EUR:1.50)', () => {
    const v = vectors.taler.find((x) => x.amount !== undefined);
    expect(toHex(amountToBytes(parseAmount(v?.amount as string)))).toBe(v?.amountHex);
  });

  it('writes five lines joined by "\\n" with no trailing newline', () => {
    const out = posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', 1234567890) as string;
    expect(out.endsWith('\n')).toBe(false);
    expect(out.split('\n')).toHaveLength(5);
  });

  it('gives no codes for NONE (Taler returns NULL: no pos_confirmation)', () => {
    expect(posConfirmation(KEY, 'NONE', 1234567890)).toBeUndefined();
    expect(confirmationCodes(KEY, 'NONE', 1234567890)).toEqual([]);
  });

  it('ignores the amount for TOTP_WITHOUT_PRICE, as Taler does', () => {
    expect(posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', 1234567890, 'EUR:1.50')).toBe(vectors.taler[1].output);
  });

  it('refuses TOTP_WITH_PRICE without an amount', () => {
    expect(() => posConfirmation(KEY, 'TOTP_WITH_PRICE', 1234567890)).toThrow(new TotpError('TOTP_WITH_PRICE needs the amount paid'));
  });

  it('gives other codes for another amount, or the same amount in another currency', () => {
    const base = posConfirmation(KEY, 'TOTP_WITH_PRICE', 1234567890, 'EUR:1.50');
    expect(posConfirmation(KEY, 'TOTP_WITH_PRICE', 1234567890, 'EUR:1.51')).not.toBe(base);
    expect(posConfirmation(KEY, 'TOTP_WITH_PRICE', 1234567890, 'SEK:1.50')).not.toBe(base);
    expect(posConfirmation(KEY, 'TOTP_WITH_PRICE', 1234567890, 'EUR:1.5')).toBe(base);
  });

  it('clamps steps below 0 at 0 (time 0: steps 0, 0, 0, 1, 2; time 59: steps 0, 0, 1, 2, 3)', () => {
    expect(windowSteps(totpStep(0))).toEqual([0, 0, 0, 1, 2]);
    expect(windowSteps(totpStep(59))).toEqual([0, 0, 1, 2, 3]);
    expect(posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', 0)?.split('\n')).toEqual(['84755224', '84755224', '84755224', '94287082', '37359152']);
  });
});

describe('RFC 6238 (SHA1, 8 digits) and RFC 4226', () => {
  for (const v of vectors.rfc6238) {
    it(`gives ${v.code} at ${v.time} (step ${v.step})`, () => {
      expect(totpStep(v.time)).toBe(v.step);
      expect(totp(KEY_BYTES, v.time)).toBe(v.code);
      expect(posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', v.time)?.split('\n')[2]).toBe(v.code);
    });
  }
  for (const v of vectors.rfc4226) {
    it(`gives HOTP ${v.hotp6} (6 digits) and ${String(v.truncated % 1e8).padStart(8, '0')} (8 digits) for counter ${v.counter}`, () => {
      expect(hotp(KEY_BYTES, v.counter, 6)).toBe(v.hotp6);
      expect(hotp(KEY_BYTES, v.counter)).toBe(String(v.truncated % 1e8).padStart(8, '0'));
    });
  }
  it('uses all 64 bits of the counter: 2^32 + 1 gives another code than 1 (see the python check for exact values)', () => {
    expect(hotp(KEY_BYTES, 2 ** 32 + 1)).not.toBe(hotp(KEY_BYTES, 1));
  });
});

describe('the price-mixed key', () => {
  it('is HKDF-Expand-SHA256 of HMAC-SHA512(amount bytes, key), 64 bytes', () => {
    const k = priceMixedKey(KEY_BYTES, parseAmount('EUR:1.50'));
    expect(k).toHaveLength(64);
    const v = vectors.taler[4];
    expect(confirmationCodes(KEY, 'TOTP_WITH_PRICE', v.time, v.amount)).toEqual(
      windowSteps(totpStep(v.time)).map((s) => hotp(k, s)),
    );
  });
});

describe('verifyCode, the offline device', () => {
  // Payment at a step boundary; the merchant types the middle code, the one for the payment time.
  const PAYMENT = 1234567890;
  const CODE = '89005924';
  const cases = [
    { skew: -60, accepted: true, stepOffset: 2 },
    { skew: -31, accepted: true, stepOffset: 2 },
    { skew: -30, accepted: true, stepOffset: 1 },
    { skew: 0, accepted: true, stepOffset: 0 },
    { skew: 29, accepted: true, stepOffset: 0 },
    { skew: 89, accepted: true, stepOffset: -2 },
    { skew: -61, accepted: false },
    { skew: 90, accepted: false },
    { skew: 91, accepted: false },
  ];
  for (const c of cases) {
    it(`${c.accepted ? 'accepts' : 'refuses'} the payment's code with the device clock ${c.skew} s from the payment time`, () => {
      const r = verifyCode(KEY, 'TOTP_WITHOUT_PRICE', CODE, PAYMENT + c.skew);
      expect(r.accepted).toBe(c.accepted);
      if (r.accepted) {
        expect(r.stepOffset).toBe(c.stepOffset);
        expect(r.step).toBe(totpStep(PAYMENT));
      }
    });
  }

  it('accepts every one of the five codes a payment carries, at the payment time, with offsets -2..+2', () => {
    const codes = confirmationCodes(KEY, 'TOTP_WITH_PRICE', PAYMENT, 'EUR:1.50');
    expect(codes.map((c) => verifyCode(KEY, 'TOTP_WITH_PRICE', c, PAYMENT, 'EUR:1.50'))).toMatchObject(
      [-2, -1, 0, 1, 2].map((stepOffset) => ({ accepted: true, stepOffset })),
    );
  });

  it('refuses a price-mixed code checked with another amount', () => {
    const [, , middle] = confirmationCodes(KEY, 'TOTP_WITH_PRICE', PAYMENT, 'SEK:12.50');
    expect(verifyCode(KEY, 'TOTP_WITH_PRICE', middle, PAYMENT, 'SEK:12.50').accepted).toBe(true);
    expect(verifyCode(KEY, 'TOTP_WITH_PRICE', middle, PAYMENT, 'SEK:1.25').accepted).toBe(false);
  });

  it('reports the refused window', () => {
    expect(verifyCode(KEY, 'TOTP_WITHOUT_PRICE', '00000000', PAYMENT)).toEqual({
      accepted: false,
      deviceStep: 41152263,
      firstStep: 41152261,
      lastStep: 41152265,
    });
  });

  it('prefers the step nearest the device clock when clamped steps repeat a code (near 1970)', () => {
    // At time 0 the window is steps 0,0,0,1,2: the code of step 0 matches at offset 0, not -2.
    expect(verifyCode(KEY, 'TOTP_WITHOUT_PRICE', '84755224', 0)).toMatchObject({ accepted: true, step: 0, stepOffset: 0 });
  });

  it('refuses to verify with NONE', () => {
    expect(() => verifyCode(KEY, 'NONE', CODE, PAYMENT)).toThrow('algorithm NONE has no codes to verify');
  });
});

describe('bad input gives specific errors', () => {
  for (const v of vectors.badKeys) {
    it(`refuses a key with ${v.name}`, () => {
      expect(() => posConfirmation(v.key, 'TOTP_WITHOUT_PRICE', 59)).toThrow(v.error);
      expect(() => decodeOtpKey(v.key)).toThrow(v.error.includes('empty') ? TotpError : Base32Error);
    });
  }
  it("accepts a key with Taler's two trailing '=' and lower case: the same codes", () => {
    expect(posConfirmation('gezdgnbvgy3tqojqgezdgnbvgy3tqojq==', 'TOTP_WITHOUT_PRICE', 59)).toBe(vectors.taler[0].output);
  });
  for (const v of vectors.badCodes) {
    it(`refuses a code with ${v.name}`, () => {
      expect(() => verifyCode(KEY, 'TOTP_WITHOUT_PRICE', v.code, 1234567890)).toThrow(TotpError);
      expect(() => verifyCode(KEY, 'TOTP_WITHOUT_PRICE', v.code, 1234567890)).toThrow(v.error);
    });
  }
  for (const v of vectors.badTimes) {
    const time = v.time === 'NaN' ? Number.NaN : (v.time as number);
    it(`refuses a ${v.name} time`, () => {
      expect(() => posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', time)).toThrow(TotpError);
      expect(() => posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', time)).toThrow(v.error);
      expect(() => verifyCode(KEY, 'TOTP_WITHOUT_PRICE', '89005924', time)).toThrow(v.error);
    });
  }
  it('refuses a code that is not a string', () => {
    expect(() => assertCode(89005924)).toThrow('code must be a string, got the number 89005924');
  });
});

describe('algorithms', () => {
  const valid: [unknown, string][] = [
    ['NONE', 'NONE'],
    ['totp_without_price', 'TOTP_WITHOUT_PRICE'],
    ['Totp_With_Price', 'TOTP_WITH_PRICE'],
    [0, 'NONE'],
    [1, 'TOTP_WITHOUT_PRICE'],
    [2, 'TOTP_WITH_PRICE'],
    ['2', 'TOTP_WITH_PRICE'],
  ];
  for (const [input, name] of valid) {
    it(`reads ${JSON.stringify(input)} as ${name}`, () => {
      expect(parseOtpAlgorithm(input)).toBe(name);
      expect(otpAlgorithmNumber(name as 'NONE')).toBe(OTP_ALGORITHMS.indexOf(name as 'NONE'));
    });
  }
  const invalid: [unknown, string][] = [
    [3, 'otp_algorithm 3 is not an algorithm number: 0 (NONE), 1 (TOTP_WITHOUT_PRICE) or 2 (TOTP_WITH_PRICE)'],
    [-1, 'otp_algorithm -1 is not an algorithm number'],
    [1.5, 'otp_algorithm 1.5 is not an algorithm number'],
    ['TOTP', 'otp_algorithm "TOTP" is not one of NONE, TOTP_WITHOUT_PRICE, TOTP_WITH_PRICE (or 0, 1, 2)'],
    ['', 'otp_algorithm "" is not one of'],
    [null, 'otp_algorithm must be an algorithm name or number, got null'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      expect(() => parseOtpAlgorithm(input, 'otp_algorithm')).toThrow(TotpError);
      expect(() => parseOtpAlgorithm(input, 'otp_algorithm')).toThrow(message);
    });
  }
});

describe('key generation', () => {
  it('makes 32 base32 characters (20 bytes, no padding) from node:crypto', () => {
    const keys = new Set(Array.from({ length: 20 }, () => generateOtpKey()));
    expect(keys.size).toBe(20);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Z2-7]{32}$/);
      expect(decodeOtpKey(key)).toHaveLength(20);
    }
  });

  it('encodes the random bytes it is given', () => {
    expect(generateOtpKey(() => KEY_BYTES)).toBe(KEY);
  });

  it('refuses a random source that gives the wrong number of bytes', () => {
    expect(() => generateOtpKey(() => new Uint8Array(16))).toThrow('random bytes must be 20 bytes long, got 16');
  });
});

describe('otpauth URI', () => {
  it('is the exact Google key URI for a plain issuer and account', () => {
    expect(otpauthUri({ secret: KEY, issuer: 'Kafe', account: 'kassa-1' })).toBe(
      `otpauth://totp/Kafe:kassa-1?secret=${KEY}&issuer=Kafe&digits=8&period=30&algorithm=SHA1`,
    );
  });

  it('percent-encodes issuer and account (UTF-8, space as %20) and normalises the secret', () => {
    expect(otpauthUri({ secret: `${KEY.toLowerCase()}==`, issuer: 'Kaffe & Bullar', account: 'kassa 1/ö?' })).toBe(
      `otpauth://totp/Kaffe%20%26%20Bullar:kassa%201%2F%C3%B6%3F?secret=${KEY}&issuer=Kaffe%20%26%20Bullar&digits=8&period=30&algorithm=SHA1`,
    );
  });

  it("refuses ':' in issuer or account, empty parts and a bad secret", () => {
    expect(() => otpauthUri({ secret: KEY, issuer: 'a:b', account: 'x' })).toThrow("issuer must not contain ':'");
    expect(() => otpauthUri({ secret: KEY, issuer: 'a', account: 'x:y' })).toThrow("account must not contain ':'");
    expect(() => otpauthUri({ secret: KEY, issuer: '', account: 'x' })).toThrow('issuer is empty');
    expect(() => otpauthUri({ secret: 'GEZ1', issuer: 'a', account: 'x' })).toThrow('secret has the character "1"');
  });
});

describe('device records (key files, registrations)', () => {
  it('reads a record, normalising the key and the algorithm', () => {
    expect(
      parseOtpDeviceRecord({ otp_device_id: 'kassa-1', otp_key: `${KEY.toLowerCase()}=`, otp_algorithm: 2, extra: true }),
    ).toEqual({ otp_device_id: 'kassa-1', otp_key: KEY, otp_algorithm: 'TOTP_WITH_PRICE' });
  });
  const bad: [unknown, string][] = [
    [[], 'device must be a JSON object with otp_device_id, otp_key and otp_algorithm'],
    [{ otp_key: KEY, otp_algorithm: 1 }, 'device has no otp_device_id'],
    [{ otp_device_id: 'a', otp_algorithm: 1 }, 'device has no otp_key'],
    [{ otp_device_id: 'a', otp_key: KEY }, 'device has no otp_algorithm'],
    [{ otp_device_id: '', otp_key: KEY, otp_algorithm: 1 }, 'device otp_device_id must be a non-empty string'],
    [{ otp_device_id: 'a/b', otp_key: KEY, otp_algorithm: 1 }, "device otp_device_id must not contain '/' or control characters"],
    [{ otp_device_id: 'a', otp_key: 'GEZ1', otp_algorithm: 1 }, 'device otp_key has the character "1" at position 3'],
    [{ otp_device_id: 'a', otp_key: KEY, otp_algorithm: 'SHA1' }, 'device otp_algorithm "SHA1" is not one of'],
    [{ otp_device_id: 'a', otp_key: KEY, otp_algorithm: 1, otp_ctr: -1 }, 'device otp_ctr must be a whole number >= 0'],
  ];
  for (const [json, message] of bad) {
    it(`refuses ${JSON.stringify(json)}: ${message}`, () => {
      expect(() => parseOtpDeviceRecord(json)).toThrow(message);
    });
  }
});

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 64 });
const timeArb = fc.integer({ min: 0, max: 2 ** 40 });
const amountArb = fc
  .record({ value: fc.integer({ min: 0, max: 10_000_000 }), cents: fc.integer({ min: 0, max: 99 }) })
  .map(({ value, cents }) => `SEK:${value}.${String(cents).padStart(2, '0')}`);

describe('properties', () => {
  it('gives five lines of 8 digits whose middle is the RFC 6238 code of the time', () => {
    fc.assert(
      fc.property(keyArb, timeArb, (key, time) => {
        const lines = (posConfirmation(encodeBase32(key), 'TOTP_WITHOUT_PRICE', time) as string).split('\n');
        expect(lines).toHaveLength(5);
        for (const line of lines) expect(line).toMatch(/^\d{8}$/);
        expect(lines[2]).toBe(totp(key, time));
      }),
    );
  });

  it('slides by one line every 30 s', () => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 60, max: 2 ** 40 }), amountArb, (key, time, amount) => {
        const now = confirmationCodes(key, 'TOTP_WITH_PRICE', time, amount);
        const later = confirmationCodes(key, 'TOTP_WITH_PRICE', time + 30, amount);
        expect(later.slice(0, 4)).toEqual(now.slice(1));
      }),
    );
  });

  it('accepts a code exactly when it is among the device codes of D-2..D+2 (a model check)', () => {
    fc.assert(
      fc.property(keyArb, timeArb, fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 4 }), (key, payment, steps, line) => {
        const code = confirmationCodes(key, 'TOTP_WITHOUT_PRICE', payment)[line];
        const device = Math.max(0, payment + steps * 30);
        const model = windowSteps(totpStep(device)).some((s) => hotp(key, s) === code);
        const r = verifyCode(key, 'TOTP_WITHOUT_PRICE', code, device);
        expect(r.accepted).toBe(model);
        if (r.accepted) expect(hotp(key, r.step)).toBe(code);
      }),
    );
  });

  it('mixes the whole amount into the key: different amounts give different keys', () => {
    fc.assert(
      fc.property(keyArb, amountArb, amountArb, (key, a, b) => {
        fc.pre(a !== b);
        expect(toHex(priceMixedKey(key, parseAmount(a)))).not.toBe(toHex(priceMixedKey(key, parseAmount(b))));
      }),
    );
  });
});
