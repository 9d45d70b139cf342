// Operations: `network up` (central bank and two intermediaries as child processes, registered, certified, funded,
// network.json written 0600), `network down` (stops exactly what it started), a restart on the same folder (same
// keys, ports and books, nothing issued twice), one service started alone, and the refusals at start (a key file
// others can read, a database newer than the code).

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CentralBankClient, IntermediaryClient } from '../../host/src/server/client.ts';
import { SqliteDatabase } from '../../host/src/server/db/sqlite.ts';
import { readServiceSettings, ServiceConfigError } from '../../host/src/server/services.ts';
import { DEFAULT_ISSUE, initCentralBankDir, isServiceProcess, NetworkError, networkDown, networkUp, parseNetworkFile, readNetworkFile, spawnService, waitForExit } from '../../host/src/server/network.ts';

const root = mkdtempSync(join(tmpdir(), 'ekrona-ops-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // stopped by the test
    }
  }
  rmSync(root, { recursive: true, force: true });
});

const MAIN = fileURLToPath(new URL('../../host/src/server/main.ts', import.meta.url));
const PROJECT = fileURLToPath(new URL('../../', import.meta.url));

describe('network up and down', () => {
  it('starts, registers and funds the network, refuses a second start, stops exactly its processes, and restarts on the same data', async () => {
    const dir = join(root, 'net');
    const file = await networkUp({ dir });
    const pids = [file.centralBank.pid!, ...file.intermediaries.map((i) => i.pid!)];
    started.push(...pids);
    expect(file.intermediaries.map((i) => [i.id, i.name])).toEqual([
      [1, 'Alfa Bank'],
      [2, 'Beta Bank'],
    ]);
    expect(statSync(join(dir, 'network.json')).mode & 0o777).toBe(0o600);
    expect(readNetworkFile(dir)).toEqual(file);
    for (const service of [file.centralBank, ...file.intermediaries]) {
      expect(isServiceProcess(service.pid!, service.dir)).toBe(true);
      expect(statSync(join(service.dir, 'key.pem')).mode & 0o777).toBe(0o600);
      expect(statSync(join(service.dir, 'admin-token')).mode & 0o777).toBe(0o600);
    }
    expect(isServiceProcess(process.pid, file.centralBank.dir)).toBe(false);

    const bank = new CentralBankClient(file.centralBank.url, { adminToken: file.centralBank.adminToken });
    const audit = await bank.networkAudit();
    expect(audit.problems).toEqual([]);
    expect(audit.centralBank.issued).toBe(2 * DEFAULT_ISSUE);
    const info = await new IntermediaryClient(file.intermediaries[0].url).info();
    expect(info.certificate).toBe((await bank.directoryEntry(1)).certificate);

    await expect(networkUp({ dir })).rejects.toThrow(/already running/);

    const down = await networkDown(dir);
    expect(down.stopped.sort()).toEqual([...pids].sort());
    for (const pid of pids) expect(await waitForExit(pid, 5_000)).toBe(true);
    expect(existsSync(join(dir, 'network.json'))).toBe(false);
    await expect(networkDown(dir)).rejects.toThrow(/is stopped \(its data is kept\)\. Nothing to stop\./);

    const again = await networkUp({ dir });
    started.push(again.centralBank.pid!, ...again.intermediaries.map((i) => i.pid!));
    expect([again.centralBank.url, ...again.intermediaries.map((i) => i.url)]).toEqual([file.centralBank.url, ...file.intermediaries.map((i) => i.url)]);
    expect(again.centralBank.rootPublicKey).toBe(file.centralBank.rootPublicKey);
    expect((await new CentralBankClient(again.centralBank.url, { adminToken: again.centralBank.adminToken }).audit()).issued).toBe(2 * DEFAULT_ISSUE);
    await networkDown(dir);
  }, 60_000);

  it('keeps the settings of its first start, and refuses a start that asks for others without starting anything', async () => {
    const dir = join(root, 'settings');
    const file = await networkUp({ dir, liquidity: 'pool', poolLimit: 500_00, lostCardGraceMs: 3_600_000 });
    started.push(file.centralBank.pid!, ...file.intermediaries.map((i) => i.pid!));
    const config = (service: string) => JSON.parse(readFileSync(join(dir, service, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config('central-bank')).toMatchObject({ liquidity: 'pool', poolLimit: 500_00 });
    expect(config('intermediary-1')).toMatchObject({ liquidity: 'pool', lostCardGraceMs: 3_600_000 });
    expect(config('intermediary-2')).toMatchObject({ lostCardGraceMs: 3_600_000 });
    await networkDown(dir);
    await expect(networkUp({ dir, lostCardGraceMs: 60_000 })).rejects.toThrow(
      /Intermediary 1 in .* was created with a lost-card grace period of 1h, not 1m\. Intermediary 2 .* The first start fixes these settings/,
    );
    await expect(networkUp({ dir, liquidity: 'pending', poolLimit: 1 })).rejects.toThrow(/created with liquidity pool, not pending\. .* pool limit of SEK:500\.00, not SEK:0\.01\./);
    expect(readNetworkFile(dir)).toBeUndefined();
    const same = await networkUp({ dir, liquidity: 'pool', lostCardGraceMs: 3_600_000 });
    started.push(same.centralBank.pid!, ...same.intermediaries.map((i) => i.pid!));
    await networkDown(dir);
  }, 60_000);

  it('runs through main.ts too: up, down', () => {
    const dir = join(root, 'main');
    const up = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'up', '--dir', dir, '--liquidity', 'pool'], { cwd: PROJECT, encoding: 'utf8' });
    expect(up.status, up.stderr).toBe(0);
    const file = readNetworkFile(dir)!;
    started.push(file.centralBank.pid!, ...file.intermediaries.map((i) => i.pid!));
    expect(file.liquidity).toBe('pool');
    expect(up.stdout).not.toContain(file.centralBank.adminToken);
    const down = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'down', '--dir', dir], { cwd: PROJECT, encoding: 'utf8' });
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/stopped 3 services/);
  }, 60_000);
});

describe('network.json', () => {
  const whole = {
    dir: '/data/net',
    liquidity: 'pending',
    centralBank: { url: 'http://127.0.0.1:4000', dir: '/data/net/central-bank', adminToken: 'token-of-the-central-bank', pid: 10, rootPublicKey: `04${'AB'.repeat(64)}` },
    intermediaries: [{ id: 1, name: 'Alfa Bank', url: 'http://127.0.0.1:4001', dir: '/data/net/intermediary-1', adminToken: 'token-of-intermediary-1', pid: 11 }],
    startedAt: '2026-12-04T03:00:00.000Z',
  };
  const path = '/data/net/network.json';

  it('is read back as it was written', () => {
    expect(parseNetworkFile(JSON.stringify(whole), path)).toEqual(whole);
  });

  it('is refused when damaged, naming the file and its first defect', () => {
    const im = whole.intermediaries[0];
    for (const [text, defect] of [
      ['{"dir": "/data', /\(not JSON: /],
      ['[]', /\(not a JSON object\)/],
      [JSON.stringify({ ...whole, liquidity: 'always' }), /\(liquidity is neither pending nor pool\)/],
      [JSON.stringify({ ...whole, centralBank: { ...whole.centralBank, url: 'ftp://x' } }), /\(centralBank\.url is not an http:\/\/ URL\)/],
      [JSON.stringify({ ...whole, centralBank: { ...whole.centralBank, adminToken: 7 } }), /\(centralBank\.adminToken is not a text\)/],
      [JSON.stringify({ ...whole, centralBank: { ...whole.centralBank, rootPublicKey: undefined } }), /\(centralBank\.rootPublicKey is not a text\)/],
      [JSON.stringify({ ...whole, intermediaries: [] }), /\(intermediaries is not a list of services\)/],
      [JSON.stringify({ ...whole, intermediaries: [{ ...im, id: 0 }] }), /\(intermediaries\[0\]\.id is not an intermediary id\)/],
      [JSON.stringify({ ...whole, intermediaries: [{ ...im, pid: -1 }] }), /\(intermediaries\[0\]\.pid is not a process id\)/],
      [JSON.stringify({ ...whole, startedAt: undefined }), /\(startedAt is not a text\)/],
    ] as const) {
      expect(() => parseNetworkFile(text, path), text).toThrow(NetworkError);
      expect(() => parseNetworkFile(text, path), text).toThrow(new RegExp(`^/data/net/network\\.json is damaged ${defect.source}`));
    }
  });
});

describe('one service alone', () => {
  it('starts from its folder, stops on SIGTERM, and keeps its port', async () => {
    const dir = join(root, 'alone');
    initCentralBankDir(dir);
    const first = await spawnService(dir);
    started.push(first.pid);
    expect((await new CentralBankClient(first.url).info()).service).toBe('central-bank');
    process.kill(first.pid, 'SIGTERM');
    expect(await waitForExit(first.pid, 10_000)).toBe(true);
    expect(existsSync(join(dir, 'service.json'))).toBe(false);
    const second = await spawnService(dir);
    started.push(second.pid);
    expect(second.url).toBe(first.url);
    process.kill(second.pid, 'SIGTERM');
    await waitForExit(second.pid, 10_000);
  }, 30_000);

  it("runs with the young generation the settlement load needs (V8 semi-spaces of 64 MiB)", async () => {
    const dir = join(root, 'young-generation');
    initCentralBankDir(dir);
    const service = await spawnService(dir);
    started.push(service.pid);
    const flags = readFileSync(`/proc/${service.pid}/cmdline`, 'utf8').split('\0');
    process.kill(service.pid, 'SIGTERM');
    await waitForExit(service.pid, 10_000);
    expect(flags).toContain('--max-semi-space-size=64');
  }, 30_000);

  it('refuses to start when its key file is readable by others', async () => {
    const dir = join(root, 'exposed');
    initCentralBankDir(dir);
    const first = await spawnService(dir);
    started.push(first.pid);
    process.kill(first.pid, 'SIGTERM');
    await waitForExit(first.pid, 10_000);
    chmodSync(join(dir, 'key.pem'), 0o644);
    const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', dir], { cwd: PROJECT, encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/key.pem has mode 644: others may read it/);
  }, 30_000);

  it('refuses to start on a database newer than its code', async () => {
    const dir = join(root, 'newer');
    initCentralBankDir(dir);
    const first = await spawnService(dir);
    started.push(first.pid);
    process.kill(first.pid, 'SIGTERM');
    await waitForExit(first.pid, 10_000);
    const db = SqliteDatabase.open(join(dir, 'db.sqlite'), { migrations: fileURLToPath(new URL('../../host/src/server/db/migrations/central-bank', import.meta.url)) });
    db.run('INSERT INTO schema_version (version) VALUES (99)');
    db.close();
    const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', dir], { cwd: PROJECT, encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/schema version 99, newer than this code knows/);
  }, 30_000);

  it('refuses a config.json field of the wrong kind, naming the file and the field, and shows only that start\'s log', async () => {
    const dir = join(root, 'bad-config');
    initCentralBankDir(dir);
    const path = join(dir, 'config.json');
    const whole = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'service.log'), 'a line of an earlier run\n');
    writeFileSync(path, JSON.stringify({ ...whole, port: 'abc' }));
    const refused = spawnService(dir);
    await expect(refused).rejects.toThrow(/exited with code 1 at start:\n.*config\.json is damaged: port must be a whole number from 0 to 65535, got "abc"\./);
    await expect(refused).rejects.not.toThrow(/earlier run/);
  }, 30_000);
});

describe('config.json', () => {
  const central = { service: 'central-bank', host: '127.0.0.1', port: 0, liquidity: 'pending', poolLimit: 100 };
  const intermediary = {
    service: 'intermediary',
    id: 1,
    name: 'Alfa Bank',
    host: '127.0.0.1',
    port: 4001,
    centralBankUrl: 'http://127.0.0.1:4000',
    rootPublicKey: `04${'AB'.repeat(64)}`,
    liquidity: 'pool',
    lostCardGraceMs: 60_000,
  };
  const read = (settings: unknown) => {
    const dir = mkdtempSync(join(root, 'config-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(settings));
    return () => readServiceSettings(dir);
  };

  it('is read back as it was written, for both services', () => {
    expect(read(central)()).toEqual(central);
    expect(read(intermediary)()).toEqual(intermediary);
  });

  it('is refused with the first field that is missing or of the wrong kind', () => {
    for (const [settings, reason] of [
      [[], /is damaged: it is not a JSON object\./],
      [{ ...central, service: 'bank' }, /service must be central-bank or intermediary, got "bank"/],
      [{ ...central, host: '' }, /host must be a text, got ""/],
      [{ ...central, port: 70_000 }, /port must be a whole number from 0 to 65535, got 70000/],
      [{ ...central, liquidity: undefined }, /liquidity must be pending or pool, got nothing/],
      [{ ...central, poolLimit: 1.5 }, /poolLimit must be a whole number from 0 to/],
      [{ ...intermediary, id: '1' }, /id must be a whole number from 1 to 4294967295, got "1"/],
      [{ ...intermediary, name: 7 }, /name must be a text, got 7/],
      [{ ...intermediary, centralBankUrl: 'ftp://cb' }, /centralBankUrl must be an http:\/\/ URL, got "ftp:\/\/cb"/],
      [{ ...intermediary, rootPublicKey: '04AB' }, /rootPublicKey must be a P-256 public key in hex/],
      [{ ...intermediary, lostCardGraceMs: -5 }, /lostCardGraceMs must be a whole number from 0 to .*, got -5/],
    ] as const) {
      expect(read(settings), JSON.stringify(settings)).toThrow(ServiceConfigError);
      expect(read(settings), JSON.stringify(settings)).toThrow(reason);
    }
  });
});
