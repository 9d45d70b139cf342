// Starting one service from its data folder (the body of `ekrona serve ...`).
//
// A service folder holds: `config.json` (what the service is: central bank or intermediary, its port, its
// network settings), `key.pem` (its private key, 0600), `admin-token` (0600), `db.sqlite` (its database) and, while
// it runs, `service.json` (its url and pid). The folder is created 0700. The port chosen at the first start (0 =
// any free port) is written back into config.json, so that a restarted service keeps its url (the central bank's
// directory and the other intermediaries know it by that url).

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Liquidity } from './api.ts';
import { fromHex } from '../codec/hex.ts';
import { centralBankRoutes } from './central-bank/routes.ts';
import { CentralBankService } from './central-bank/service.ts';
import { type CentralBankRepositories, centralBankRepositories } from './central-bank/store.ts';
import { SqliteDatabase, SqliteTransactions } from './db/sqlite.ts';
import { createApp, requireAdmin } from './http/app.ts';
import { MerchantService } from './intermediary/merchant.ts';
import { merchantRoutes } from './intermediary/merchant-routes.ts';
import { type MerchantRepositories, merchantRepositories } from './intermediary/merchant-store.ts';
import { intermediaryRoutes } from './intermediary/routes.ts';
import { IntermediaryService } from './intermediary/service.ts';
import { loadOrCreateAdminToken, loadOrCreateServiceKey } from './keys.ts';

export interface CentralBankSettings {
  service: 'central-bank';
  host: string;
  /** 0: any free port, chosen at the first start and kept. */
  port: number;
  liquidity: Liquidity;
  poolLimit: number;
}

export interface IntermediarySettings {
  service: 'intermediary';
  id: number;
  name: string;
  host: string;
  port: number;
  centralBankUrl: string;
  /** The central bank's root public key (hex): the service trusts this key, and no other. */
  rootPublicKey: string;
  liquidity: Liquidity;
  lostCardGraceMs: number;
}

export type ServiceSettings = CentralBankSettings | IntermediarySettings;

export const DEFAULT_POOL_LIMIT = 10_000_000_00;
export const DEFAULT_LOST_CARD_GRACE_MS = 14 * 24 * 3600 * 1000;

export class ServiceConfigError extends Error {
  override name = 'ServiceConfigError';
}

const migrationsOf = (service: 'central-bank' | 'intermediary') => fileURLToPath(new URL(`./db/migrations/${service}`, import.meta.url));

/** Creates the folder (0700) and writes its config.json. */
export function writeServiceSettings(dir: string, settings: ServiceSettings): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
}

export function readServiceSettings(dir: string): ServiceSettings {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new ServiceConfigError(`There is no service in ${dir}: ${path} is missing.`);
  let settings: unknown;
  try {
    settings = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ServiceConfigError(`${path} is not valid JSON: ${(cause as Error).message}`);
  }
  const problem = settingsProblem(settings);
  if (problem !== undefined) throw new ServiceConfigError(`${path} is damaged: ${problem}.`);
  return settings as ServiceSettings;
}

/** The first field of a config.json that is missing or of the wrong kind, in one phrase; undefined when all are right. */
function settingsProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'it is not a JSON object';
  const v = json as Record<string, unknown>;
  const got = (field: string) => `got ${JSON.stringify(v[field]) ?? 'nothing'}`;
  const whole = (field: string, min: number, max: number) => (Number.isSafeInteger(v[field]) && (v[field] as number) >= min && (v[field] as number) <= max ? undefined : `${field} must be a whole number from ${min} to ${max}, ${got(field)}`);
  const text = (field: string) => (typeof v[field] === 'string' && (v[field] as string).length > 0 ? undefined : `${field} must be a text, ${got(field)}`);
  if (v.service !== 'central-bank' && v.service !== 'intermediary') return `service must be central-bank or intermediary, ${got('service')}`;
  const common = text('host') ?? whole('port', 0, 65_535) ?? (v.liquidity === 'pending' || v.liquidity === 'pool' ? undefined : `liquidity must be pending or pool, ${got('liquidity')}`);
  if (common !== undefined) return common;
  if (v.service === 'central-bank') return whole('poolLimit', 0, Number.MAX_SAFE_INTEGER);
  return (
    whole('id', 1, 0xffff_ffff) ??
    text('name') ??
    (typeof v.centralBankUrl === 'string' && /^https?:\/\/\S+$/.test(v.centralBankUrl) ? undefined : `centralBankUrl must be an http:// URL, ${got('centralBankUrl')}`) ??
    (typeof v.rootPublicKey === 'string' && /^04[0-9A-Fa-f]{128}$/.test(v.rootPublicKey) ? undefined : `rootPublicKey must be a P-256 public key in hex (04, X, Y), ${got('rootPublicKey')}`) ??
    whole('lostCardGraceMs', 0, Number.MAX_SAFE_INTEGER)
  );
}

export interface RunningService {
  readonly kind: 'central-bank' | 'intermediary';
  readonly dir: string;
  readonly url: string;
  readonly app: FastifyInstance;
  readonly adminToken: string;
  /** Commits and grouped works of the database (how well group commit works). */
  readonly stats: { commits: number; works: number };
  close(): Promise<void>;
}

export interface RunningCentralBank extends RunningService {
  readonly kind: 'central-bank';
  readonly service: CentralBankService;
}

export interface RunningIntermediary extends RunningService {
  readonly kind: 'intermediary';
  readonly service: IntermediaryService;
}

export interface StartOptions {
  /** Deliver due outbox messages this often (ms; default 500). */
  outboxIntervalMs?: number;
  /** Called with errors answered 500 (for logs). */
  onInternalError?: (error: unknown) => void;
  /** The clock of an intermediary's online payments and OTP device codes (ms since 1970; tests pin it). Default Date.now. */
  now?: () => number;
}

async function listen(app: FastifyInstance, dir: string, settings: ServiceSettings): Promise<string> {
  await app.listen({ host: settings.host, port: settings.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  if (settings.port === 0) writeServiceSettings(dir, { ...settings, port });
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host}:${port}`;
  writeFileSync(join(dir, 'service.json'), `${JSON.stringify({ service: settings.service, url, pid: process.pid, startedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
  return url;
}

function closer(app: FastifyInstance, db: SqliteDatabase, dir: string, stop: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      await stop();
      await app.close();
      db.close();
      rmSync(join(dir, 'service.json'), { force: true });
    })());
}

export async function startCentralBank(dir: string, options: StartOptions = {}): Promise<RunningCentralBank> {
  const settings = readServiceSettings(dir);
  if (settings.service !== 'central-bank') throw new ServiceConfigError(`${dir} holds an ${settings.service}, not the central bank.`);
  const key = loadOrCreateServiceKey(dir);
  const adminToken = loadOrCreateAdminToken(dir);
  const db = SqliteDatabase.open(join(dir, 'db.sqlite'), { migrations: migrationsOf('central-bank') });
  const runner = new SqliteTransactions<CentralBankRepositories>(db, centralBankRepositories(db));
  const service = new CentralBankService(runner, key, { liquidity: settings.liquidity, poolLimit: settings.poolLimit });
  await service.init();
  const app = createApp({ onInternalError: (e) => options.onInternalError?.(e) });
  centralBankRoutes(app, service, adminToken);
  app.get('/admin/stats', { preHandler: async (request) => requireAdmin(request, adminToken) }, async () => ({ ...runner.stats, statements: db.statementsRun }));
  const url = await listen(app, dir, settings);
  service.outbox.start(options.outboxIntervalMs ?? 500);
  return { kind: 'central-bank', dir, url, app, adminToken, service, stats: runner.stats, close: closer(app, db, dir, () => service.outbox.stop()) };
}

export async function startIntermediary(dir: string, options: StartOptions = {}): Promise<RunningIntermediary> {
  const settings = readServiceSettings(dir);
  if (settings.service !== 'intermediary') throw new ServiceConfigError(`${dir} holds the ${settings.service}, not an intermediary.`);
  const key = loadOrCreateServiceKey(dir);
  const adminToken = loadOrCreateAdminToken(dir);
  const db = SqliteDatabase.open(join(dir, 'db.sqlite'), { migrations: migrationsOf('intermediary') });
  // The intermediary's repositories plus the merchants' (OTP devices, online payments), on one runner.
  const runner = new SqliteTransactions<MerchantRepositories>(db, merchantRepositories(db));
  const service = new IntermediaryService(runner, key, {
    id: settings.id,
    name: settings.name,
    liquidity: settings.liquidity,
    lostCardGraceMs: settings.lostCardGraceMs,
    centralBankUrl: settings.centralBankUrl,
    rootPublicKey: fromHex(settings.rootPublicKey),
  });
  await service.init();
  const app = createApp({ onInternalError: (e) => options.onInternalError?.(e) });
  intermediaryRoutes(app, service, adminToken);
  merchantRoutes(app, new MerchantService(runner, service, { now: options.now }), service, adminToken);
  app.get('/admin/stats', { preHandler: async (request) => requireAdmin(request, adminToken) }, async () => ({ ...runner.stats, statements: db.statementsRun }));
  const url = await listen(app, dir, settings);
  service.outbox.start(options.outboxIntervalMs ?? 500);
  // Lost cards are refunded when their grace period ends: checked once a minute.
  const refunds = setInterval(() => void service.refundLostCards().catch((e) => options.onInternalError?.(e)), 60_000);
  refunds.unref();
  const stop = async () => {
    clearInterval(refunds);
    await service.outbox.stop();
  };
  return { kind: 'intermediary', dir, url, app, adminToken, service, stats: runner.stats, close: closer(app, db, dir, stop) };
}

/** Starts whatever service `dir` holds. */
export async function startService(dir: string, options: StartOptions = {}): Promise<RunningCentralBank | RunningIntermediary> {
  const settings = readServiceSettings(dir);
  return settings.service === 'central-bank' ? startCentralBank(dir, options) : startIntermediary(dir, options);
}
