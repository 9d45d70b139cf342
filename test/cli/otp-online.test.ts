// The round trip from the command line, as a user types it, against a real intermediary (in this process,
// on loopback, its clock pinned to a 30 s step boundary): the merchant registers its offline device
// (`ekrona otp device add`), the buyer pays online (`ekrona pay-online`) and shows the code, the merchant's offline
// device checks it (`ekrona otp verify --key-file`) with its clock off by -60 s, 0, +89 s (accepted) and -61 s,
// +91 s (refused). Bad input: one line naming the option, exit 2 (usage) or 1 (refused), nothing stored or paid.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyFile } from '../../host/src/cli/commands/otp-device.ts';
import { memoryIo } from '../../host/src/cli/output.ts';
import { runCli } from '../../host/src/cli/run.ts';
import { posConfirmation, TOTP_PERIOD_SECONDS } from '../../host/src/codec/totp.ts';
import { IntermediaryClient } from '../../host/src/server/client.ts';
import { writeSecretFile } from '../../host/src/server/keys.ts';
import { type InProcessNetwork, startLocalNetwork } from '../../host/src/server/network.ts';

const PAYMENT = 1_750_000_020; // 2025-06-15T15:07:00Z, the first second of step 58333334
if (PAYMENT % TOTP_PERIOD_SECONDS !== 0) throw new Error('the pinned payment time must be a step boundary');

let dir: string;
let network: InProcessNetwork;
let admin: IntermediaryClient;
let url: string;
let kaffe: { userId: string; token: string };
let alice: { userId: string; token: string };

/** The buyer's environment: the intermediary and her token, as `export EKRONA_...` would give them. */
let aliceEnv: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-otp-online-'));
  network = await startLocalNetwork({ dir, intermediaries: [{ id: 1, name: 'Alfa Bank' }], start: { outboxIntervalMs: 200, now: () => PAYMENT * 1000 } });
  url = network.file.intermediaries[0].url;
  admin = new IntermediaryClient(url, { token: network.file.intermediaries[0].adminToken });
  kaffe = await admin.createUser('Kaffe & Bullar');
  alice = await admin.createUser('Alice');
  await admin.deposit(alice.userId, 100_00);
  // The merchant is a user saved in the network folder (the shape `ekrona user create` writes).
  const users = join(dir, 'users');
  mkdirSync(users, { mode: 0o700 });
  writeSecretFile(join(users, 'kaffe.json'), JSON.stringify({ userId: kaffe.userId, token: kaffe.token, intermediaryUrl: url }));
  aliceEnv = { EKRONA_INTERMEDIARY: url, EKRONA_TOKEN: alice.token, EKRONA_DIR: dir };
});
afterAll(async () => {
  await network?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `ekrona ARGS` in this process, with the given environment and clock (unix seconds). */
async function ekrona(args: string[], options: { env?: Record<string, string>; at?: number } = {}) {
  const io = memoryIo({ env: options.env ?? {}, now: (options.at ?? PAYMENT) * 1000 });
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const merchant = (...args: string[]) => [...args, '--user', 'kaffe', '--dir', dir];
const balances = async () => [(await admin.as(alice.token).me()).online, (await admin.as(kaffe.token).me()).online];
const deviceIds = async () => (await admin.as(kaffe.token).otpDevices()).otp_devices.map((d) => d.otp_device_id);

/** The code marked as the one for now in pay-online's output. */
function codeForNow(stdout: string): string {
  const m = /^ {2}(\d{8}) {2}now {2}<- the code for the payment time$/m.exec(stdout);
  if (!m) throw new Error(`no code for now in:\n${stdout}`);
  return m[1];
}

describe('the round trip: register the device, pay online, verify offline', () => {
  let keyFile: string;
  let code: string;

  it('ekrona otp device add registers the device, saves its key file (0600) and prints its otpauth URI and QR code', async () => {
    keyFile = join(dir, 'kassa-1.json');
    const r = await ekrona(merchant('otp', 'device', 'add', '--id', 'kassa-1', '--description', 'Till 1', '--key-out', keyFile));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`registered OTP device kassa-1 (TOTP_WITHOUT_PRICE) at ${url}`);
    const record = readKeyFile(keyFile);
    expect(record).toMatchObject({ otp_device_id: 'kassa-1', otp_device_description: 'Till 1', otp_algorithm: 'TOTP_WITHOUT_PRICE' });
    expect(record.otp_key).toMatch(/^[A-Z2-7]{32}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`otpauth://totp/Kaffe%20%26%20Bullar:kassa-1?secret=${record.otp_key}&issuer=Kaffe%20%26%20Bullar&digits=8&period=30&algorithm=SHA1`);
    expect(r.stdout).toMatch(/[▀▄█]{10}/); // the QR code's half blocks
    // The intermediary computes the same codes from its copy of the key.
    expect((await admin.as(kaffe.token).otpDevice('kassa-1', { faketime: 1234567890 })).otp_code).toBe(posConfirmation(record.otp_key, 'TOTP_WITHOUT_PRICE', 1234567890));
  });

  it('ekrona pay-online pays once and prints the codes, the one for the payment time large and marked', async () => {
    const r = await ekrona(['pay-online', '--merchant', 'kaffe', '--amount', 'SEK:12.50'], { env: aliceEnv });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^paid SEK:12.50 to merchant ${kaffe.userId} at 2025-06-15T15:07:00Z \\(payment [0-9a-f-]{36}\\)$`, 'm'));
    code = codeForNow(r.stdout);
    const codes = posConfirmation(readKeyFile(keyFile).otp_key, 'TOTP_WITHOUT_PRICE', PAYMENT)!.split('\n');
    expect(code).toBe(codes[2]);
    for (const c of codes) expect(r.stdout).toContain(`  ${c}  `);
    expect(r.stdout).toContain('████'); // the big digits
    expect(await balances()).toEqual([87_50, 12_50]);
  });

  for (const skew of [-60, 0, 89]) {
    it(`ekrona otp verify --key-file accepts the code on a device whose clock is ${skew >= 0 ? '+' : ''}${skew} s off`, async () => {
      const r = await ekrona(['otp', 'verify', '--code', code, '--key-file', keyFile], { at: PAYMENT + skew });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^accepted: ${code} is the code for 2025-06-15T15:07:00Z`));
    });
  }

  for (const skew of [-61, 91]) {
    it(`ekrona otp verify --key-file refuses the code on a device whose clock is ${skew >= 0 ? '+' : ''}${skew} s off (exit 1)`, async () => {
      const r = await ekrona(['otp', 'verify', '--code', code, '--key-file', keyFile], { at: PAYMENT + skew });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^ekrona: refused: ${code} is none of this device's codes`));
    });
  }

  it('the same round trip with the price mixed in: the device checks the amount paid, a wrong amount is refused', async () => {
    const priced = join(dir, 'kassa-2.json');
    expect((await ekrona(merchant('otp', 'device', 'add', '--id', 'kassa-2', '--algorithm', 'TOTP_WITH_PRICE', '--key-out', priced))).code).toBe(0);
    // The merchant has two devices now: the buyer names the one at the till.
    const paid = await ekrona(['pay-online', '--merchant', kaffe.userId, '--amount', 'SEK:12.50', '--device', 'kassa-2'], { env: aliceEnv });
    expect(paid.code).toBe(0);
    expect(paid.stdout).toContain('(device kassa-2, TOTP_WITH_PRICE, SEK:12.50)');
    const priceCode = codeForNow(paid.stdout);
    for (const skew of [-60, 0, 89]) {
      expect((await ekrona(['otp', 'verify', '--code', priceCode, '--key-file', priced, '--amount', 'SEK:12.50'], { at: PAYMENT + skew })).code, `skew ${skew}`).toBe(0);
    }
    for (const skew of [-61, 91]) {
      expect((await ekrona(['otp', 'verify', '--code', priceCode, '--key-file', priced, '--amount', 'SEK:12.50'], { at: PAYMENT + skew })).code, `skew ${skew}`).toBe(1);
    }
    expect((await ekrona(['otp', 'verify', '--code', priceCode, '--key-file', priced, '--amount', 'SEK:12.51'])).code).toBe(1);
    expect(await balances()).toEqual([75_00, 25_00]);
  });

  it('the books still balance after the online payments', async () => {
    const audit = await admin.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.balanced).toBe(true);
  });
});

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../totp/otpauth_check.py');
const PYTHON = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!PYTHON)('the otpauth URI of ekrona otp device add, read by python3 (an independent RFC 6238 implementation)', () => {
  it('gives the codes the intermediary answers for payments at those times', async () => {
    const keyFile = join(dir, 'phone.json');
    const r = await ekrona(merchant('otp', 'device', 'add', '--id', 'phone', '--key-out', keyFile, '--json'));
    expect(r.code).toBe(0);
    const { otpauth_uri: uri } = JSON.parse(r.stdout) as { otpauth_uri: string };
    const times = [59, 1234567890, PAYMENT, PAYMENT + 29, 2000000000];
    const py = spawnSync('python3', [SCRIPT, uri, ...times.map(String)], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const reading = JSON.parse(py.stdout) as { account: string; issuer: string; digits: number; period: number; algorithm: string; codes: string[] };
    expect(reading).toMatchObject({ account: 'phone', issuer: 'Kaffe & Bullar', digits: 8, period: 30, algorithm: 'SHA1' });
    const client = admin.as(kaffe.token);
    for (const [n, t] of times.entries()) {
      expect(reading.codes[n], `time ${t}`).toBe((await client.otpDevice('phone', { faketime: t })).otp_code!.split('\n')[2]);
    }
    await client.deleteOtpDevice('phone');
  });
});

describe('listing and removing devices', () => {
  it('ekrona otp device list shows the merchant\'s devices with their algorithms', async () => {
    const r = await ekrona(merchant('otp', 'device', 'list'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('kassa-1  TOTP_WITHOUT_PRICE  Till 1\nkassa-2  TOTP_WITH_PRICE\n');
    const json = JSON.parse((await ekrona(merchant('otp', 'device', 'list', '--json'))).stdout) as { otp_devices: unknown[] };
    expect(json.otp_devices).toHaveLength(2);
  });

  it('ekrona otp device remove deletes one (exit 0), and an unknown id fails (exit 1)', async () => {
    expect((await ekrona(merchant('otp', 'device', 'add', '--id', 'spare', '--key-out', join(dir, 'spare.json')))).code).toBe(0);
    const r = await ekrona(merchant('otp', 'device', 'remove', '--id', 'spare'));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(await deviceIds()).toEqual(['kassa-1', 'kassa-2']);
    const again = await ekrona(merchant('otp', 'device', 'remove', '--id', 'spare'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^ekrona: cannot remove the device spare: The merchant has no OTP device "spare" \(404 unknown-otp-device\)\n$/);
  });
});

describe('bad input: one line naming the problem, nothing stored or paid', () => {
  const usage: Array<[string, string[], RegExp]> = [
    ['a key that is not base32', ['--id', 'bad', '--key', 'GEZDGNBV-GY3TQOJQ'], /^ekrona: --key has the character "-" at position 8/],
    ['a key with padding Taler refuses', ['--id', 'bad', '--key', 'GEZDGNBVGY3TQOJQGEZDGNBVGY======'], /^ekrona: --key ends with 6 '=' characters/],
    ['a key under 128 bits', ['--id', 'bad', '--key', 'JBSWY3DPEHPK3PXP'], /^ekrona: --key decodes to 10 bytes/],
    ['an unknown algorithm', ['--id', 'bad', '--algorithm', 'TOTP_SHA256'], /^ekrona: --algorithm "TOTP_SHA256" is not one of/],
    ['an id with /', ['--id', 'a/b'], /^ekrona: --id must be 1 to 64 letters/],
    ['an id over 64 characters', ['--id', 'k'.repeat(65)], /^ekrona: --id must be 1 to 64/],
  ];
  for (const [what, args, message] of usage) {
    it(`otp device add refuses ${what} (exit 2)`, async () => {
      const r = await ekrona(merchant('otp', 'device', 'add', ...args, '--key-out', join(dir, 'bad.json')));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(existsSync(join(dir, 'bad.json'))).toBe(false);
      expect(await deviceIds()).toEqual(['kassa-1', 'kassa-2']);
    });
  }

  it('otp device add refuses an id the merchant has (exit 1) and an existing key file (exit 1), registering nothing', async () => {
    const taken = await ekrona(merchant('otp', 'device', 'add', '--id', 'kassa-1', '--key-out', join(dir, 'again.json')));
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^ekrona: the merchant already has a device kassa-1 \(409 otp-device-exists\)/);
    expect(existsSync(join(dir, 'again.json'))).toBe(false);
    const existing = join(dir, 'existing.json');
    writeFileSync(existing, '{}');
    const r = await ekrona(merchant('otp', 'device', 'add', '--id', 'kassa-3', '--key-out', existing));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ekrona: the key file .*existing\.json exists: it is never replaced/);
    expect(await deviceIds()).toEqual(['kassa-1', 'kassa-2']);
  });

  const payments: Array<[string, string[], number, RegExp]> = [
    ['an amount with too many decimals', ['--merchant', 'kaffe', '--amount', 'SEK:12.505'], 2, /^ekrona: SEK:12.505 has more decimals than SEK allows \(2\)/],
    ['an amount in another currency', ['--merchant', 'kaffe', '--amount', 'EUR:12.50'], 2, /^ekrona: --amount must be in SEK/],
    ['an amount without currency', ['--merchant', 'kaffe', '--amount', '12.50'], 2, /^ekrona: --amount "12.50" has no ':'/],
    ['an amount of zero', ['--merchant', 'kaffe', '--amount', 'SEK:0'], 2, /^ekrona: --amount must be at least SEK:0.01/],
    ['no amount', ['--merchant', 'kaffe'], 2, /^ekrona: missing required option --amount/],
    ['a merchant that is neither a user id nor a saved user', ['--merchant', 'nobody', '--amount', 'SEK:1'], 2, /^ekrona: --merchant must be a user id/],
    ['an unknown merchant', ['--merchant', '00000000-0000-4000-8000-000000000000', '--amount', 'SEK:1'], 1, /\(404 unknown-merchant\)$/m],
    ['an unknown device', ['--merchant', 'kaffe', '--amount', 'SEK:1', '--device', 'kassa-9'], 1, /\(404 unknown-otp-device\)$/m],
    ['no device named when the merchant has several', ['--merchant', 'kaffe', '--amount', 'SEK:1'], 1, /name the one to confirm to in otp_device_id \(400 otp-device-required\)$/m],
    ['more than the online wallet holds', ['--merchant', 'kaffe', '--amount', 'SEK:75.01', '--device', 'kassa-1'], 1, /^ekrona: the intermediary refused the payment of SEK:75.01: The online wallet does not hold that much \(409 online-short\)$/m],
  ];
  for (const [what, args, exit, message] of payments) {
    it(`pay-online refuses ${what} (exit ${exit})`, async () => {
      const r = await ekrona(['pay-online', ...args], { env: aliceEnv });
      expect(r.code).toBe(exit);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(await balances()).toEqual([75_00, 25_00]);
    });
  }

  it('pay-online without an intermediary or token says which option is missing (exit 2)', async () => {
    const r = await ekrona(['pay-online', '--merchant', kaffe.userId, '--amount', 'SEK:1'], { env: { EKRONA_TOKEN: alice.token } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ekrona: missing --intermediary <url> \(or EKRONA_INTERMEDIARY\)/);
    expect(await balances()).toEqual([75_00, 25_00]);
  });

  it('a user file that others may read is refused (exit 1): it holds a token', async () => {
    const path = join(dir, 'users', 'kaffe.json');
    chmodSync(path, 0o644);
    try {
      const r = await ekrona(merchant('otp', 'device', 'list'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/has mode 644: others may read it; run chmod 600/);
    } finally {
      chmodSync(path, 0o600);
    }
  });
});
