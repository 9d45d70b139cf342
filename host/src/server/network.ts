// A local e-krona network on loopback (the body of `ekrona network up|down` and `ekrona serve ...`).
//
//   const network = await networkUp({ dir: '.ekrona' });       // central bank + 2 intermediaries, child processes
//   network.intermediaries[0].url, .adminToken                 // also written to .ekrona/network.json (0600)
//   await networkDown('.ekrona');                              // stops exactly the processes it started
//
// Layout of the folder: `central-bank/`, `intermediary-<id>/` (each a service folder: see services.ts),
// `network.json` (urls, ids, pids, admin tokens). At the first start the central bank certifies each intermediary
// and issues e-krona to it; later starts reuse the folders (same keys, ports, databases) and issue nothing.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAmount, fromMinorUnits } from '../codec/amount.ts';
import { formatDuration } from '../codec/duration.ts';
import type { Liquidity } from './api.ts';
import { CentralBankClient, IntermediaryClient } from './client.ts';
import { readSecretFile, writeSecretFile } from './keys.ts';
import { centralBankDir, type NetworkFile, NetworkError, networkFilePath, noNetworkReason, readNetworkFile } from './network-file.ts';
import {
  DEFAULT_LOST_CARD_GRACE_MS,
  DEFAULT_POOL_LIMIT,
  readServiceSettings,
  type RunningCentralBank,
  type RunningIntermediary,
  startCentralBank,
  startIntermediary,
  type StartOptions,
  writeServiceSettings,
} from './services.ts';

export { centralBankDir, hasNetworkData, type NetworkFile, NetworkError, networkFilePath, type NetworkService, noNetworkReason, parseNetworkFile, readNetworkFile } from './network-file.ts';

export const DEFAULT_NETWORK_DIR = '.ekrona';
export const DEFAULT_INTERMEDIARIES: ReadonlyArray<{ id: number; name: string }> = [
  { id: 1, name: 'Alfa Bank' },
  { id: 2, name: 'Beta Bank' },
];
/** E-krona issued to each intermediary at the network's first start: SEK 10 000 000. */
export const DEFAULT_ISSUE = 1_000_000_000;

export interface NetworkOptions {
  /** Data folder (default `.ekrona`). */
  dir?: string;
  intermediaries?: ReadonlyArray<{ id: number; name: string }>;
  /** Öre issued to each intermediary at the first start (default SEK 10 000 000). */
  issue?: number;
  liquidity?: Liquidity;
  poolLimit?: number;
  lostCardGraceMs?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** How long to wait for a service to start (default 30 s). */
  startTimeoutMs?: number;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export const intermediaryDir = (dir: string, id: number) => join(dir, `intermediary-${id}`);

// --------------------------------------------------------------------------------------- service folders

/** Writes the central bank's config.json unless it exists. */
export function initCentralBankDir(dir: string, options: { host?: string; port?: number; liquidity?: Liquidity; poolLimit?: number } = {}): void {
  if (existsSync(join(dir, 'config.json'))) return;
  writeServiceSettings(dir, {
    service: 'central-bank',
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    liquidity: options.liquidity ?? 'pending',
    poolLimit: options.poolLimit ?? DEFAULT_POOL_LIMIT,
  });
}

/**
 * Writes an intermediary's config.json unless it exists. Without `rootPublicKey` the central bank's key is read
 * from its /info (trust on first use: give the key when the network is not yours).
 */
export async function initIntermediaryDir(
  dir: string,
  options: { id: number; name: string; centralBankUrl: string; rootPublicKey?: string; host?: string; port?: number; liquidity?: Liquidity; lostCardGraceMs?: number },
): Promise<void> {
  if (existsSync(join(dir, 'config.json'))) return;
  const info = options.rootPublicKey && options.liquidity ? undefined : await new CentralBankClient(options.centralBankUrl).info();
  writeServiceSettings(dir, {
    service: 'intermediary',
    id: options.id,
    name: options.name,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    centralBankUrl: options.centralBankUrl,
    rootPublicKey: options.rootPublicKey ?? info!.rootPublicKey,
    liquidity: options.liquidity ?? info!.liquidity,
    lostCardGraceMs: options.lostCardGraceMs ?? DEFAULT_LOST_CARD_GRACE_MS,
  });
}

/**
 * Registers an intermediary at the central bank (certificate installed in the intermediary) and issues `issue`
 * öre to it if its position is still zero. Safe to repeat.
 */
export async function registerIntermediary(
  centralBank: { url: string; adminToken: string },
  intermediary: { id: number; name: string; url: string; adminToken: string },
  issue: number,
): Promise<void> {
  const bank = new CentralBankClient(centralBank.url, { adminToken: centralBank.adminToken });
  const im = new IntermediaryClient(intermediary.url, { token: intermediary.adminToken });
  const info = await im.info();
  const entry = await bank.registerIntermediary({ id: intermediary.id, name: intermediary.name, url: intermediary.url, publicKey: info.publicKey });
  if (info.certificate !== entry.certificate) await im.installCertificate(entry.certificate);
  const audit = await bank.audit();
  if (issue > 0 && (audit.positions[String(intermediary.id)] ?? 0) === 0) await bank.issue(intermediary.id, issue);
}

/**
 * `ekrona serve central-bank`: writes the folder's config at the first start (later starts keep it, whatever the
 * options say) and runs the central bank in this process until `close()`.
 */
export async function serveCentralBank(options: { dir: string; host?: string; port?: number; liquidity?: Liquidity; poolLimit?: number }, start: StartOptions = {}): Promise<RunningCentralBank> {
  initCentralBankDir(options.dir, options);
  return startCentralBank(options.dir, start);
}

/**
 * `ekrona serve intermediary`: the same for an intermediary; it still needs registering at the central bank
 * (`registerIntermediary`, with both admin tokens) before it can issue cards.
 */
export async function serveIntermediary(
  options: { dir: string; id: number; name: string; centralBankUrl: string; rootPublicKey?: string; host?: string; port?: number; liquidity?: Liquidity; lostCardGraceMs?: number },
  start: StartOptions = {},
): Promise<RunningIntermediary> {
  await initIntermediaryDir(options.dir, options);
  return startIntermediary(options.dir, start);
}

// ------------------------------------------------------------------------------------------- processes

/** The last lines the service wrote to its log from byte `from` on (this start's, not those of earlier runs). */
function tail(path: string, from: number): string {
  try {
    return readFileSync(path).subarray(from).toString('utf8').trimEnd().split('\n').slice(-8).join('\n');
  } catch {
    return '';
  }
}

/**
 * V8's young generation of a service: semi-spaces of 64 MiB (Node's default is 16 MiB). With hundreds of syncs in
 * flight, what each holds between its stages no longer outlives the young generation: fewer objects are copied and
 * promoted, and the CPU a sync fell by about 6 % (five alternating pairs at 384 in flight: 5 052 -> 5 472 tx/s,
 * medians, docs/NETWORK.md section 8).
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * Starts `main.ts serve <dir>` as a detached child (its output in `<dir>/service.log`) and waits until it listens;
 * answers its url and pid. `env` adds variables to the child's environment.
 */
export async function spawnService(dir: string, options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ url: string; pid: number }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  rmSync(join(dir, 'service.json'), { force: true });
  const logPath = join(dir, 'service.log');
  const log = openSync(logPath, 'a', 0o600);
  const logStart = fstatSync(log).size;
  // EKRONA_CPU_PROFILE_DIR: each service writes a V8 CPU profile (.cpuprofile) there when it stops (docs/NETWORK.md section 8).
  const profile = process.env.EKRONA_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.EKRONA_CPU_PROFILE_DIR)}`] : [];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...profile, '--import', 'tsx', MAIN, 'serve', resolve(dir)], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  closeSync(log);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new NetworkError(`The service in ${dir} ${exited} at start:\n${tail(logPath, logStart)}`);
    try {
      const info = JSON.parse(readFileSync(join(dir, 'service.json'), 'utf8')) as { url: string; pid: number };
      if (info.pid === child.pid) return info;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.pid) process.kill(child.pid, 'SIGKILL');
  throw new NetworkError(`The service in ${dir} did not start within ${timeoutMs} ms:\n${tail(logPath, logStart)}`);
}

/** True when `pid` is a live process running `main.ts serve <dir>` (never another process that reused the pid). */
export function isServiceProcess(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes('serve') && cmdline.includes(resolve(dir)) && cmdline.some((a) => a.endsWith('main.ts'));
  } catch {
    // No /proc: trust the service's own service.json, which it removes when it stops.
    try {
      return (JSON.parse(readFileSync(join(dir, 'service.json'), 'utf8')) as { pid: number }).pid === pid;
    } catch {
      return false;
    }
  }
}

/** An amount in öre as `--pool-limit` takes it (SEK:12.50). */
const sek = (ore: number) => formatAmount(fromMinorUnits('SEK', ore), 2);
/** A duration as `--lost-card-grace` takes it (14d, 90m), or in milliseconds when it is not whole seconds. */
const duration = (ms: number) => (ms % 1000 === 0 ? formatDuration(ms) : `${ms} ms`);

/** The settings asked for that differ from those the network in `dir` was created with (one sentence each), in the units the CLI takes them. */
function fixedSettingProblems(dir: string, options: NetworkOptions): string[] {
  const problems: string[] = [];
  const cbDir = centralBankDir(dir);
  if (existsSync(join(cbDir, 'config.json'))) {
    const cb = readServiceSettings(cbDir);
    if (cb.service === 'central-bank') {
      if (options.liquidity !== undefined && options.liquidity !== cb.liquidity) problems.push(`The network in ${dir} was created with liquidity ${cb.liquidity}, not ${options.liquidity}.`);
      if (options.poolLimit !== undefined && options.poolLimit !== cb.poolLimit) problems.push(`The network in ${dir} was created with a pool limit of ${sek(cb.poolLimit)}, not ${sek(options.poolLimit)}.`);
    }
  }
  if (options.lostCardGraceMs !== undefined) {
    for (const { id } of options.intermediaries ?? DEFAULT_INTERMEDIARIES) {
      const imDir = intermediaryDir(dir, id);
      if (!existsSync(join(imDir, 'config.json'))) continue;
      const im = readServiceSettings(imDir);
      if (im.service === 'intermediary' && im.lostCardGraceMs !== options.lostCardGraceMs) {
        problems.push(`Intermediary ${id} in ${dir} was created with a lost-card grace period of ${duration(im.lostCardGraceMs)}, not ${duration(options.lostCardGraceMs)}.`);
      }
    }
  }
  return problems;
}

/** Starts the central bank and the intermediaries as child processes, registers, certifies, issues; writes network.json. */
export async function networkUp(options: NetworkOptions = {}): Promise<NetworkFile> {
  const dir = resolve(options.dir ?? DEFAULT_NETWORK_DIR);
  const running = readNetworkFile(dir);
  if (running) {
    const alive = [running.centralBank, ...running.intermediaries].filter((s) => s.pid !== undefined && isServiceProcess(s.pid, s.dir));
    if (alive.length > 0) throw new NetworkError(`A network is already running in ${dir} (pids ${alive.map((s) => s.pid).join(', ')}): run network down first.`);
  }
  const timeout = options.startTimeoutMs ?? 30_000;
  const cbDir = centralBankDir(dir);
  const fixed = fixedSettingProblems(dir, options);
  if (fixed.length > 0) throw new NetworkError(`${fixed.join(' ')} The first start fixes these settings: use another folder for other ones.`);
  initCentralBankDir(cbDir, options);
  const started: number[] = [];
  try {
    const cb = await spawnService(cbDir, { timeoutMs: timeout });
    started.push(cb.pid);
    const cbSettings = readServiceSettings(cbDir);
    const centralBank = { url: cb.url, pid: cb.pid, dir: cbDir, adminToken: readSecretFile(join(cbDir, 'admin-token')).trim(), rootPublicKey: (await new CentralBankClient(cb.url).info()).rootPublicKey };
    const intermediaries: NetworkFile['intermediaries'] = [];
    for (const { id, name } of options.intermediaries ?? DEFAULT_INTERMEDIARIES) {
      const imDir = intermediaryDir(dir, id);
      await initIntermediaryDir(imDir, { id, name, centralBankUrl: cb.url, rootPublicKey: centralBank.rootPublicKey, host: options.host, liquidity: cbSettings.liquidity, lostCardGraceMs: options.lostCardGraceMs });
      const im = await spawnService(imDir, { timeoutMs: timeout });
      started.push(im.pid);
      const member = { id, name, url: im.url, pid: im.pid, dir: imDir, adminToken: readSecretFile(join(imDir, 'admin-token')).trim() };
      await registerIntermediary(centralBank, member, options.issue ?? DEFAULT_ISSUE);
      intermediaries.push(member);
    }
    const file: NetworkFile = { dir, liquidity: cbSettings.liquidity, centralBank, intermediaries, startedAt: new Date().toISOString() };
    writeSecretFile(networkFilePath(dir), `${JSON.stringify(file, null, 2)}\n`);
    return file;
  } catch (error) {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    throw error;
  }
}

/** True once `pid` has exited (false when it still runs after `timeoutMs`). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * The services of `dir`'s folders (intermediaries first, then the central bank) with the pid each one's service.json
 * names while it runs: what networkDown stops when network.json is damaged.
 */
function servicesInFolders(dir: string): Array<{ dir: string; pid?: number }> {
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^intermediary-[1-9][0-9]*$/.test(e.name))
    .map((e) => join(dir, e.name));
  return [...folders, centralBankDir(dir)].map((folder) => {
    try {
      const pid = (JSON.parse(readFileSync(join(folder, 'service.json'), 'utf8')) as { pid?: unknown }).pid;
      return { dir: folder, pid: Number.isSafeInteger(pid) ? (pid as number) : undefined };
    } catch {
      return { dir: folder }; // not running (a service removes its service.json when it stops), or never started
    }
  });
}

/**
 * Stops the services networkUp started (by pid, after checking each pid still runs that service); removes network.json.
 * When network.json is damaged, the services are found from their folders' service.json instead.
 */
export async function networkDown(dirOption: string = DEFAULT_NETWORK_DIR): Promise<{ stopped: number[]; notRunning: number[] }> {
  const dir = resolve(dirOption);
  let services: Array<{ dir: string; pid?: number }>;
  try {
    const file = readNetworkFile(dir);
    if (!file) throw new NetworkError(`${noNetworkReason(dir)} Nothing to stop.`);
    services = [...file.intermediaries, file.centralBank];
  } catch (error) {
    if (!(error instanceof NetworkError) || !existsSync(networkFilePath(dir))) throw error;
    services = servicesInFolders(dir);
  }
  const stopped: number[] = [];
  const notRunning: number[] = [];
  for (const service of services) {
    if (service.pid === undefined) continue;
    if (!isServiceProcess(service.pid, service.dir)) {
      notRunning.push(service.pid);
      continue;
    }
    process.kill(service.pid, 'SIGTERM');
    if (!(await waitForExit(service.pid, 10_000))) {
      process.kill(service.pid, 'SIGKILL');
      await waitForExit(service.pid, 5_000);
    }
    stopped.push(service.pid);
  }
  rmSync(networkFilePath(dir), { force: true });
  return { stopped, notRunning };
}

// ------------------------------------------------------------------------------------------- in process

export interface InProcessNetwork {
  file: NetworkFile;
  centralBank: RunningCentralBank;
  intermediaries: RunningIntermediary[];
  close(): Promise<void>;
}

/** The same network inside this process (tests, benchmarks): same folders, same bootstrap, real HTTP on loopback. */
export async function startLocalNetwork(options: NetworkOptions & { start?: StartOptions } = {}): Promise<InProcessNetwork> {
  const dir = resolve(options.dir ?? DEFAULT_NETWORK_DIR);
  const cbDir = centralBankDir(dir);
  initCentralBankDir(cbDir, options);
  const centralBank = await startCentralBank(cbDir, options.start);
  const intermediaries: RunningIntermediary[] = [];
  try {
    const rootPublicKey = centralBank.service.info().rootPublicKey;
    const members: NetworkFile['intermediaries'] = [];
    for (const { id, name } of options.intermediaries ?? DEFAULT_INTERMEDIARIES) {
      const imDir = intermediaryDir(dir, id);
      await initIntermediaryDir(imDir, { id, name, centralBankUrl: centralBank.url, rootPublicKey, host: options.host, liquidity: centralBank.service.config.liquidity, lostCardGraceMs: options.lostCardGraceMs });
      const im = await startIntermediary(imDir, options.start);
      intermediaries.push(im);
      const member = { id, name, url: im.url, dir: imDir, adminToken: im.adminToken };
      await registerIntermediary({ url: centralBank.url, adminToken: centralBank.adminToken }, member, options.issue ?? DEFAULT_ISSUE);
      members.push(member);
    }
    const file: NetworkFile = {
      dir,
      liquidity: centralBank.service.config.liquidity,
      centralBank: { url: centralBank.url, dir: cbDir, adminToken: centralBank.adminToken, rootPublicKey },
      intermediaries: members,
      startedAt: new Date().toISOString(),
    };
    return {
      file,
      centralBank,
      intermediaries,
      async close() {
        for (const im of intermediaries) await im.close();
        await centralBank.close();
      },
    };
  } catch (error) {
    for (const im of intermediaries) await im.close();
    await centralBank.close();
    throw error;
  }
}

