import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../host/src/codec/duration.ts';
import { formatTime, MAX_UNIX_SECONDS, parseDuration, parseTime, TimeError } from '../../host/src/cli/time.ts';

const NOW_MS = 1_234_567_890_123;

describe('--at times', () => {
  const valid: [string, number][] = [
    ['now', 1234567890],
    ['0', 0],
    ['1234567890', 1234567890],
    ['20000000000', 20000000000],
    ['2009-02-13T23:31:30Z', 1234567890],
    ['2009-02-13t23:31:30z', 1234567890],
    ['2009-02-13 23:31:30Z', 1234567890],
    ['2009-02-13T23:31:30.999Z', 1234567890],
    ['2009-02-13T23:31Z', 1234567860],
    ['2009-02-14T00:31:30+01:00', 1234567890],
    ['2009-02-13T18:31:30-0500', 1234567890],
    ['1970-01-01T00:00:00Z', 0],
  ];
  for (const [text, seconds] of valid) {
    it(`reads ${text} as ${seconds}`, () => {
      expect(parseTime(text, '--at', NOW_MS)).toBe(seconds);
    });
  }
  const invalid: [string, string][] = [
    ['-1', '--at must not be before 1970 (a negative unix time), got -1'],
    ['1969-12-31T23:59:59Z', "--at '1969-12-31T23:59:59Z' is before 1970-01-01T00:00:00Z"],
    ['2009-02-13T23:31:30', 'has no time zone: add Z (UTC) or an offset such as +01:00'],
    ['2009-02-13', "--at must be 'now', unix seconds (1234567890) or an ISO 8601 time"],
    ['2009-13-01T00:00:00Z', 'is not a real date and time'],
    ['2009-02-13T24:00:00Z', 'is not a real date and time'],
    ['2009-02-13T23:31:30+25:00', 'has an impossible time zone offset'],
    ['1.5', "--at must be 'now', unix seconds"],
    ['', "--at must be 'now', unix seconds"],
    [String(MAX_UNIX_SECONDS + 1), 'is after the year 275760'],
  ];
  for (const [text, message] of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(() => parseTime(text, '--at', NOW_MS)).toThrow(TimeError);
      expect(() => parseTime(text, '--at', NOW_MS)).toThrow(message);
    });
  }

  it('reads back every time it writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (seconds) => {
        expect(parseTime(formatTime(seconds), '--at', NOW_MS)).toBe(seconds);
      }),
    );
  });
});

describe('durations (--lost-card-grace)', () => {
  const valid: [string, number][] = [
    ['14d', 14 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['1d12h', 36 * 3_600_000],
    ['90m', 5_400_000],
    ['30s', 30_000],
    ['0s', 0],
    ['1d2h3m4s', 93_784_000],
    ['3650d', 3650 * 86_400_000],
  ];
  for (const [text, ms] of valid) {
    it(`reads ${text} as ${ms} ms`, () => {
      expect(parseDuration(text, '--lost-card-grace')).toBe(ms);
    });
  }
  for (const text of ['', '14', 'd', '1.5d', '-1d', '2h1d', '14 d', '1w', '14D']) {
    it(`refuses '${text}', naming the option and the forms it takes`, () => {
      expect(() => parseDuration(text, '--lost-card-grace')).toThrow(`--lost-card-grace must be a duration such as 14d, 36h, 1d12h, 90m or 30s, got '${text}'`);
    });
  }
  it('refuses more than ten years', () => {
    expect(() => parseDuration('3651d', '--lost-card-grace')).toThrow('--lost-card-grace 3651d is longer than ten years');
  });
  it('writes every duration of whole seconds in a form it reads back', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3650 * 86_400 }), (seconds) => parseDuration(formatDuration(seconds * 1000), 'd') === seconds * 1000));
  });
});
