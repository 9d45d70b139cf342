// Durations as people write them on the command line and read them in messages: whole units, largest first
// (`14d`, `36h`, `1d12h`, `90m`, `30s`, `0s`). The CLI parses them (cli/time.ts); the CLI and the services print them.

/** Milliseconds in each unit a duration is written with. */
export const DURATION_UNITS: Readonly<Record<'d' | 'h' | 'm' | 's', number>> = { d: 24 * 3600 * 1000, h: 3600 * 1000, m: 60 * 1000, s: 1000 };

/** `14d`, `1d12h`, `90s`: a duration as parseDuration reads it. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const n = Math.floor(rest / DURATION_UNITS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * DURATION_UNITS[unit];
  }
  return out;
}
