// Times on the command line: `now`, unix seconds, or an ISO 8601 date and time with a time zone.

import { DURATION_UNITS } from '../codec/duration.ts';

/** Latest time a JavaScript Date can show (year 275760), in unix seconds. */
export const MAX_UNIX_SECONDS = 8_640_000_000_000;

/** Thrown for a time the CLI cannot read; the message names the option (the CLI turns it into a usage error). */
export class TimeError extends Error {
  override name = 'TimeError';
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Unix seconds of `text`: `now` (the current time, `nowMs`), whole unix seconds (`1234567890`), or ISO 8601 with a
 * time zone (`2009-02-13T23:31:30Z`, `2009-02-14T00:31:30+01:00`; fractions of a second are dropped).
 */
export function parseTime(text: string, label: string, nowMs: number): number {
  if (text === 'now') return Math.floor(nowMs / 1000);
  if (/^-\d+$/.test(text)) throw new TimeError(`${label} must not be before 1970 (a negative unix time), got ${text}`);
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    if (seconds > MAX_UNIX_SECONDS) throw new TimeError(`${label} ${text} is after the year 275760 (more than ${MAX_UNIX_SECONDS} s)`);
    return seconds;
  }
  const m = ISO.exec(text);
  if (m === null) {
    throw new TimeError(`${label} must be 'now', unix seconds (1234567890) or an ISO 8601 time (2009-02-13T23:31:30Z), got '${text}'`);
  }
  const [, y, mo, d, h, mi, s = '0', , z, sign, zh, zm] = m;
  if (z === undefined && sign === undefined) {
    throw new TimeError(`${label} '${text}' has no time zone: add Z (UTC) or an offset such as +01:00`);
  }
  const fields = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s) };
  const ms = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== fields.year ||
    check.getUTCMonth() !== fields.month - 1 ||
    check.getUTCDate() !== fields.day ||
    check.getUTCHours() !== fields.hour ||
    check.getUTCMinutes() !== fields.minute ||
    check.getUTCSeconds() !== fields.second
  ) {
    throw new TimeError(`${label} '${text}' is not a real date and time`);
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    if (Number(zh) > 23 || Number(zm) > 59) throw new TimeError(`${label} '${text}' has an impossible time zone offset`);
    offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  }
  const seconds = ms / 1000 - offsetMinutes * 60;
  if (seconds < 0) throw new TimeError(`${label} '${text}' is before 1970-01-01T00:00:00Z`);
  return seconds;
}

/** `2009-02-13T23:31:30Z`: ISO 8601 in UTC, whole seconds. */
export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Longest duration the CLI takes: ten years. */
export const MAX_DURATION_MS = 3650 * 24 * 3600 * 1000;

/** Milliseconds of a duration written as whole units, largest first: `14d`, `36h`, `1d12h`, `90m`, `30s`, `0s`. */
export function parseDuration(text: string, label: string): number {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (text === '' || match === null) throw new TimeError(`${label} must be a duration such as 14d, 36h, 1d12h, 90m or 30s, got '${text}'`);
  const [, d, h, m, sec] = match;
  const ms = [d, h, m, sec].reduce((sum, value, i) => sum + Number(value ?? 0) * DURATION_UNITS[(['d', 'h', 'm', 's'] as const)[i]], 0);
  if (ms > MAX_DURATION_MS) throw new TimeError(`${label} ${text} is longer than ten years`);
  return ms;
}
