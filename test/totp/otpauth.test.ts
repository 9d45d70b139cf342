// The otpauth:// URI read by an independent implementation (python3 standard library, test/totp/otpauth_check.py)
// must give the same codes as ours: that is what an RFC 6238 app provisioned from our QR code will show.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32 } from '../../host/src/codec/base32.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { generateOtpKey, otpauthUri, posConfirmation, totp } from '../../host/src/codec/totp.ts';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'otpauth_check.py');
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const PYTHON = python.error === undefined && python.status === 0;
if (!PYTHON) {
  console.warn(`SKIPPED: otpauth URI cross-check: python3 is not available (${python.error?.message ?? `exit ${python.status}`})`);
}

interface PythonReading {
  label_issuer: string;
  account: string;
  issuer: string;
  digits: number;
  period: number;
  algorithm: string;
  secret_hex: string;
  codes: string[];
}

function readWithPython(uri: string, times: number[]): PythonReading {
  const r = spawnSync('python3', [SCRIPT, uri, ...times.map(String)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`otpauth_check.py failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PythonReading;
}

/** Many readings in one python3 process: one "URI TIME..." line each. */
function readManyWithPython(requests: { uri: string; times: number[] }[]): PythonReading[] {
  const input = requests.map((q) => `${q.uri} ${q.times.join(' ')}\n`).join('');
  const r = spawnSync('python3', [SCRIPT, '-'], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`otpauth_check.py failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as PythonReading);
}

// Times of RFC 6238 appendix B, plus one whose counter exceeds 2^32.
const TIMES = [59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000, 200000000000];

describe.skipIf(!PYTHON)('otpauth URI read by python3 (independent implementation)', () => {
  it('gives the RFC 6238 codes for the test key, and our codes', () => {
    const key = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const py = readWithPython(otpauthUri({ secret: key, issuer: 'ekrona', account: 'kassa-1' }), TIMES);
    expect(py).toMatchObject({ label_issuer: 'ekrona', account: 'kassa-1', issuer: 'ekrona', digits: 8, period: 30, algorithm: 'SHA1' });
    expect(py.codes.slice(0, 6)).toEqual(['94287082', '07081804', '14050471', '89005924', '69279037', '65353130']);
    expect(py.codes).toEqual(TIMES.map((t) => totp(decodeBase32(key), t)));
  });

  it('reads back issuer and account with spaces, &, /, ?, %, + and non-ASCII letters', () => {
    const issuer = 'Kaffe & Bullar + Co 100% ö';
    const account = 'kassa 1/?#=å';
    const key = generateOtpKey();
    const py = readWithPython(otpauthUri({ secret: key, issuer, account }), [1234567890]);
    expect(py).toMatchObject({ label_issuer: issuer, account, issuer });
    expect(py.secret_hex).toBe(toHex(decodeBase32(key)));
  });

  it('agrees on the middle pos_confirmation code for random keys and times', () => {
    const samples = fc.sample(
      fc.tuple(fc.uint8Array({ minLength: 10, maxLength: 40 }), fc.integer({ min: 0, max: 2 ** 38 })),
      { numRuns: 200 },
    );
    const readings = readManyWithPython(
      samples.map(([bytes, time]) => ({ uri: otpauthUri({ secret: encodeBase32(bytes), issuer: 'ekrona', account: 'x' }), times: [time] })),
    );
    expect(readings).toHaveLength(samples.length);
    samples.forEach(([bytes, time], n) => {
      expect(readings[n].secret_hex).toBe(toHex(bytes));
      expect(readings[n].codes[0]).toBe((posConfirmation(encodeBase32(bytes), 'TOTP_WITHOUT_PRICE', time) as string).split('\n')[2]);
    });
  });
});
