// `ekrona otp codes` and `ekrona otp verify`, run as a user types them (node bin/ekrona.js ...) and in-process.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../host/src/cli/output.ts';
import { runCli } from '../../host/src/cli/run.ts';
import vectors from '../totp/vectors/totp.json' with { type: 'json' };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin', 'ekrona.js');
const KEY = vectors.key;
const PAYMENT = 1234567890; // a 30 s step boundary: 2009-02-13T23:31:30Z, step 41152263
const WITHOUT_PRICE = vectors.taler[1].output as string;
const WITH_PRICE = vectors.taler[4].output as string;
const MIDDLE = WITHOUT_PRICE.split('\n')[2];

/** Runs the real command: node bin/ekrona.js ARGS, with only the given environment added to PATH. */
async function ekrona(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs in-process, with a fixed clock and optionally a terminal on stdout. */
async function inProcess(args: string[], options: { env?: Record<string, string>; now?: number; isTTY?: boolean } = {}) {
  const io = memoryIo({ env: options.env, now: (options.now ?? PAYMENT) * 1000, isTTY: options.isTTY });
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function keyFile(contents: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ekrona-otp-'));
  tempDirs.push(dir);
  const path = join(dir, 'kassa-1.json');
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return path;
}

describe.concurrent('ekrona otp, spawned as a user runs it', () => {
  it("prints Taler's pos_confirmation for the test key at 1234567890, and nothing else", async () => {
    expect(await ekrona(['otp', 'codes', '--key', KEY, '--at', String(PAYMENT)])).toEqual({ code: 0, stdout: `${WITHOUT_PRICE}\n`, stderr: '' });
  });

  it('prints the price-mixed vector for --amount EUR:1.50 at an ISO 8601 time', async () => {
    const r = await ekrona(['otp', 'codes', '--key', KEY, '--amount', 'EUR:1.50', '--at', '2009-02-13T23:31:30Z']);
    expect(r).toEqual({ code: 0, stdout: `${WITH_PRICE}\n`, stderr: '' });
  });

  it('reads the key from EKRONA_OTP_KEY', async () => {
    const r = await ekrona(['otp', 'codes', '--at', '59'], { EKRONA_OTP_KEY: KEY });
    expect(r.stdout).toBe(`${vectors.taler[0].output}\n`);
  });

  const skews = [
    { skew: -60, clock: 'device clock is 60 s behind the payment (2 steps of 30 s)' },
    { skew: 0, clock: 'device clock agrees with the payment time (same 30 s step)' },
    { skew: 89, clock: 'device clock is 60 s ahead of the payment (2 steps of 30 s)' },
  ];
  for (const { skew, clock } of skews) {
    it(`accepts the middle code with the device clock at ${skew} s from the payment`, async () => {
      const r = await ekrona(['otp', 'verify', '--code', MIDDLE, '--key', KEY, '--at', String(PAYMENT + skew)]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`accepted: ${MIDDLE} is the code for 2009-02-13T23:31:30Z (step 41152263; TOTP_WITHOUT_PRICE)\n${clock}\n`);
    });
  }
  for (const skew of [-61, 91]) {
    it(`refuses the middle code with the device clock at ${skew} s from the payment (exit 1, the reason)`, async () => {
      const r = await ekrona(['otp', 'verify', '--code', MIDDLE, '--key', KEY, '--at', String(PAYMENT + skew)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^ekrona: refused: ${MIDDLE} is none of this device's codes from .* \\(TOTP_WITHOUT_PRICE\\): a wrong code, or a clock more than 2 steps off\\n$`));
    });
  }

  it('verifies a price-mixed code from a key file', async () => {
    const path = keyFile({ otp_device_id: 'kassa-1', otp_key: KEY, otp_algorithm: 'TOTP_WITH_PRICE' });
    const code = WITH_PRICE.split('\n')[2];
    const ok = await ekrona(['otp', 'verify', '--code', code, '--key-file', path, '--amount', 'EUR:1.50', '--at', String(PAYMENT)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('(step 41152263; device kassa-1, TOTP_WITH_PRICE, EUR:1.50)');
    const wrongAmount = await ekrona(['otp', 'verify', '--code', code, '--key-file', path, '--amount', 'EUR:1.05', '--at', String(PAYMENT)]);
    expect(wrongAmount.code).toBe(1);
    expect(wrongAmount.stderr).toContain('a wrong code or amount');
  });

  const usage: [string, string[], string][] = [
    ['a key outside the base32 alphabet', ['otp', 'codes', '--key', 'GEZDGNBVGY3TQOJ1'], 'ekrona: --key has the character "1" at position 15, which is not base32 (A-Z, 2-7)'],
    ['a key with three =', ['otp', 'codes', '--key', 'GEZDGNBVGY3TQOJQGE==='], "ekrona: --key ends with 3 '=' characters: at most 2 are accepted"],
    ['a code of 7 digits', ['otp', 'verify', '--key', KEY, '--code', '8900592'], 'ekrona: --code must be 8 digits, got 7 characters'],
    ['a code with a letter', ['otp', 'verify', '--key', KEY, '--code', '8900592O'], 'ekrona: --code must contain only digits 0-9, found "O" at position 7'],
    ['a missing code', ['otp', 'verify', '--key', KEY], 'ekrona: missing required option --code <digits>'],
    ['no key at all', ['otp', 'codes'], 'ekrona: missing --key or --key-file (or set EKRONA_OTP_KEY)'],
    ['an unknown option', ['otp', 'codes', '--key', KEY, '--window', '3'], "ekrona: unknown option --window for 'ekrona otp codes'"],
    ['a negative time', ['otp', 'codes', '--key', KEY, '--at=-5'], 'ekrona: --at must not be before 1970 (a negative unix time), got -5'],
    ['a time without a value', ['otp', 'codes', '--key', KEY, '--at', '-5'], "ekrona: option --at needs a value <time>, got the option-like '-5' (write --at=-5 if you mean it)"],
    ['an amount with too many decimals', ['otp', 'codes', '--key', KEY, '--amount', 'SEK:1.123456789'], 'ekrona: --amount "SEK:1.123456789" has too many decimals: 9, at most 8'],
  ];
  for (const [what, args, message] of usage) {
    it(`refuses ${what} with exit 2 and one line`, async () => {
      const r = await ekrona(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.startsWith(message)).toBe(true);
    });
  }

  it('prints help with examples for ekrona --help, ekrona otp --help and ekrona otp codes --help', async () => {
    const [root, group, codes] = await Promise.all([
      ekrona(['--help']),
      ekrona(['otp', '--help']),
      ekrona(['otp', 'codes', '--help']),
    ]);
    for (const r of [root, group, codes]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`ekrona otp codes --key ${KEY} --at 1234567890`);
    }
    expect(root.stdout).toMatch(/\n {2}otp verify +check a code the buyer shows/); // the column widens with longer command names
    expect(group.stdout).toContain('Usage: ekrona otp <command> [options]');
    expect(codes.stdout).toContain('Usage: ekrona otp codes (--key <base32> | --key-file <path>) [--amount <amount>] [--at <time>]');
    expect(codes.stdout).toContain('env EKRONA_OTP_KEY');
  });
});

describe('ekrona otp codes, in-process', () => {
  it('labels the codes on a terminal, marking the one for now', async () => {
    const r = await inProcess(['otp', 'codes', '--key', KEY], { isTTY: true, now: PAYMENT + 7 });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Codes for 2009-02-13T23:31:37Z (step 41152263; TOTP_WITHOUT_PRICE):',
        '  66186057  -60 s',
        '  39980357  -30 s',
        '  89005924  now  <- the code for this time',
        '  38590587  +30 s',
        '  76240500  +60 s',
        '',
      ].join('\n'),
    );
  });

  it('marks the code of the --at time as "the given time"', async () => {
    const r = await inProcess(['otp', 'codes', '--key', KEY, '--at', String(PAYMENT)], { isTTY: true });
    expect(r.stdout.split('\n')[3]).toBe('  89005924  the given time  <- the code for this time');
  });

  it('prints bare codes when stdout is not a terminal, at the current time by default', async () => {
    const r = await inProcess(['otp', 'codes', '--key', KEY], { now: 59 });
    expect(r.stdout).toBe(`${vectors.taler[0].output}\n`);
  });

  it('prints JSON with --json', async () => {
    const r = await inProcess(['otp', 'codes', '--key', KEY, '--amount', 'EUR:1.50', '--at', '2009-02-14T00:31:30+01:00', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      algorithm: 'TOTP_WITH_PRICE',
      device_id: null,
      amount: 'EUR:1.5',
      time: PAYMENT,
      time_iso: '2009-02-13T23:31:30Z',
      step: 41152263,
      steps: [41152261, 41152262, 41152263, 41152264, 41152265],
      codes: WITH_PRICE.split('\n'),
      pos_confirmation: WITH_PRICE,
    });
  });

  it('takes the algorithm from the key file', async () => {
    const path = keyFile({ otp_device_id: 'kassa-1', otp_key: KEY, otp_algorithm: 2 });
    expect((await inProcess(['otp', 'codes', '--key-file', path, '--amount', 'EUR:1.50'])).stdout).toBe(`${WITH_PRICE}\n`);
    const r = await inProcess(['otp', 'codes', '--key-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ekrona: --amount is required: key file '${path}' says TOTP_WITH_PRICE, whose codes depend on the amount paid`);
  });

  it('prefers --key-file over EKRONA_OTP_KEY', async () => {
    const path = keyFile({ otp_device_id: 'k', otp_key: KEY, otp_algorithm: 'totp_without_price' });
    const r = await inProcess(['otp', 'codes', '--key-file', path], { env: { EKRONA_OTP_KEY: 'AAAAAAAAAAAAAAAA' } });
    expect(r.stdout).toBe(`${WITHOUT_PRICE}\n`);
  });

  const refusals: [string, string[], number, string][] = [
    ['--amount with TOTP_WITHOUT_PRICE', ['--algorithm', 'TOTP_WITHOUT_PRICE', '--amount', 'SEK:1'], 2, 'ekrona: --amount is not used by TOTP_WITHOUT_PRICE (--algorithm): leave it out, or use a TOTP_WITH_PRICE device'],
    ['TOTP_WITH_PRICE without --amount', ['--algorithm', '2'], 2, 'ekrona: --amount is required: --algorithm says TOTP_WITH_PRICE'],
    ['an unknown algorithm', ['--algorithm', 'HOTP'], 2, 'ekrona: --algorithm "HOTP" is not one of NONE, TOTP_WITHOUT_PRICE, TOTP_WITH_PRICE (or 0, 1, 2)'],
    ['an ISO time without a zone', ['--at', '2009-02-13T23:31:30'], 2, "ekrona: --at '2009-02-13T23:31:30' has no time zone: add Z (UTC) or an offset such as +01:00"],
    ['a date that does not exist', ['--at', '2009-02-30T00:00:00Z'], 2, "ekrona: --at '2009-02-30T00:00:00Z' is not a real date and time"],
    ['a time that is neither', ['--at', 'yesterday'], 2, "ekrona: --at must be 'now', unix seconds (1234567890) or an ISO 8601 time (2009-02-13T23:31:30Z), got 'yesterday'"],
  ];
  for (const [what, args, code, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const r = await inProcess(['otp', 'codes', '--key', KEY, ...args]);
      expect(r.code).toBe(code);
      expect(r.stderr.startsWith(message)).toBe(true);
    });
  }

  it('prints no codes for NONE, saying why on stderr', async () => {
    expect(await inProcess(['otp', 'codes', '--key', KEY, '--algorithm', 'none'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'algorithm NONE: a payment carries no confirmation codes\n',
    });
  });
});

describe('ekrona otp verify, in-process', () => {
  it('prints JSON with the step offset and the clock offset', async () => {
    const r = await inProcess(['otp', 'verify', '--code', MIDDLE, '--key', KEY, '--at', String(PAYMENT - 45), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      accepted: true,
      code: MIDDLE,
      algorithm: 'TOTP_WITHOUT_PRICE',
      device_id: null,
      amount: null,
      device_time: PAYMENT - 45,
      device_step: 41152261,
      matched_step: 41152263,
      step_offset: 2,
      device_clock_offset_seconds: -60,
    });
  });

  it('prints JSON and the reason when refusing with --json', async () => {
    const r = await inProcess(['otp', 'verify', '--code', '12345678', '--key', KEY, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: false, code: '12345678', device_step: 41152263 });
    expect(r.stderr).toMatch(/^ekrona: refused: 12345678 is none of this device's codes from 2009-02-13T23:30:30Z to 2009-02-13T23:32:59Z/);
  });

  it('says "1 step" for an offset of one step', async () => {
    const r = await inProcess(['otp', 'verify', '--code', MIDDLE, '--key', KEY, '--at', String(PAYMENT + 30)]);
    expect(r.stdout).toContain('device clock is 30 s ahead of the payment (1 step of 30 s)');
  });

  it('refuses to verify for a NONE device (exit 1)', async () => {
    const path = keyFile({ otp_device_id: 'k', otp_key: KEY, otp_algorithm: 0 });
    const r = await inProcess(['otp', 'verify', '--code', MIDDLE, '--key-file', path]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `ekrona: key file '${path}' uses algorithm NONE: there are no codes to verify\n` });
  });

  it('refuses --algorithm contradicting the key file', async () => {
    const path = keyFile({ otp_device_id: 'k', otp_key: KEY, otp_algorithm: 'TOTP_WITH_PRICE' });
    const r = await inProcess(['otp', 'verify', '--code', MIDDLE, '--key-file', path, '--algorithm', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ekrona: --algorithm TOTP_WITHOUT_PRICE contradicts the otp_algorithm TOTP_WITH_PRICE of key file '${path}'`);
  });

  const badFiles: [string, string | undefined, string][] = [
    ['a missing key file', undefined, 'no such file'],
    ['a key file that is not JSON', '{ otp_key: ', 'is not valid JSON'],
    ['a key file without otp_key', JSON.stringify({ otp_device_id: 'k', otp_algorithm: 1 }), 'has no otp_key'],
    ['a key file with a bad key', JSON.stringify({ otp_device_id: 'k', otp_key: 'GEZ1', otp_algorithm: 1 }), 'otp_key has the character "1" at position 3'],
  ];
  for (const [what, contents, message] of badFiles) {
    it(`refuses ${what} (exit 1, naming the file)`, async () => {
      const path = contents === undefined ? join(tmpdir(), 'ekrona-no-such-dir', 'missing.json') : keyFile(contents);
      const r = await inProcess(['otp', 'verify', '--code', MIDDLE, '--key-file', path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`key file '${path}'`);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  }
});
