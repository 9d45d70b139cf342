// Storage: versioned migrations (and refusing a database newer than the code), grouped transactions where a failing
// work rolls back alone, the ledger's rules (no overdraft, each movement once), and secret files (0600, refused
// when others may read them).

import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlLedger } from '../../host/src/server/db/common-store.ts';
import { DatabaseError, readMigrations, SqliteDatabase, SqliteTransactions } from '../../host/src/server/db/sqlite.ts';
import { type CardRow, intermediaryRepositories } from '../../host/src/server/intermediary/store.ts';
import { KeyFileError, loadOrCreateAdminToken, loadOrCreateServiceKey } from '../../host/src/server/keys.ts';
import { LedgerError } from '../../host/src/server/ledger.ts';

const root = mkdtempSync(join(tmpdir(), 'ekrona-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `case-${++n}`);

function migrations(...sql: string[]): string {
  const dir = fresh();
  mkdirSync(dir, { recursive: true });
  sql.forEach((s, i) => writeFileSync(join(dir, `${String(i + 1).padStart(3, '0')}_step.sql`), s));
  return dir;
}

const LEDGER_SQL = `
CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0, may_be_negative INTEGER NOT NULL DEFAULT 0, CHECK (may_be_negative = 1 OR balance >= 0));
CREATE TABLE ledger (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, debit TEXT NOT NULL, credit TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount > 0), kind TEXT NOT NULL, reference TEXT NOT NULL, UNIQUE (kind, reference));`;

describe('migrations', () => {
  it('applies numbered files in order, records the version, and reopens without applying them again', () => {
    const dir = migrations('CREATE TABLE a (x INTEGER);', 'INSERT INTO a VALUES (1);');
    const path = join(fresh(), 'db.sqlite');
    const db = SqliteDatabase.open(path, { migrations: dir });
    expect(db.schemaVersion()).toBe(2);
    db.close();
    const again = SqliteDatabase.open(path, { migrations: dir });
    expect(again.all('SELECT x FROM a')).toEqual([{ x: 1 }]);
    expect(again.connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(again.connection.pragma('synchronous', { simple: true })).toBe(2); // FULL
    again.close();
  });

  it('keeps the database and its WAL files readable by the owner only', () => {
    const path = join(fresh(), 'db.sqlite');
    const db = SqliteDatabase.open(path, { migrations: migrations('CREATE TABLE a (x INTEGER);') });
    db.run('INSERT INTO a VALUES (1)');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    db.close();
  });

  it('refuses a database written by newer code', () => {
    const path = join(fresh(), 'db.sqlite');
    SqliteDatabase.open(path, { migrations: migrations('CREATE TABLE a (x INTEGER);', 'CREATE TABLE b (y INTEGER);') }).close();
    expect(() => SqliteDatabase.open(path, { migrations: migrations('CREATE TABLE a (x INTEGER);') })).toThrow(/schema version 2, newer than this code knows \(1\)/);
  });

  it('refuses gaps in the numbering, and rolls back a failing migration', () => {
    const gap = fresh();
    mkdirSync(gap);
    writeFileSync(join(gap, '001_a.sql'), 'SELECT 1;');
    writeFileSync(join(gap, '003_c.sql'), 'SELECT 1;');
    expect(() => readMigrations(gap)).toThrow(DatabaseError);
    const path = join(fresh(), 'db.sqlite');
    expect(() => SqliteDatabase.open(path, { migrations: migrations('CREATE TABLE a (x INTEGER);', 'CREATE TABLE b (y INTEGER); CREATE TABLE b (y INTEGER);') })).toThrow(/002_step.sql failed/);
    const db = SqliteDatabase.open(path, { migrations: migrations('CREATE TABLE a (x INTEGER);') });
    expect(db.schemaVersion()).toBe(1);
    db.close();
  });

  it('the shipped migrations of both services apply', () => {
    for (const service of ['central-bank', 'intermediary']) {
      const db = SqliteDatabase.open(join(fresh(), 'db.sqlite'), { migrations: new URL(`../../host/src/server/db/migrations/${service}`, import.meta.url).pathname });
      expect(db.schemaVersion()).toBeGreaterThanOrEqual(1);
      db.close();
    }
  });

  it('keeps the undelivered messages of an outbox written before delivered ones were removed, and numbers new ones above all', () => {
    for (const [service, before] of [['intermediary', 3], ['central-bank', 1]] as const) {
      const shipped = new URL(`../../host/src/server/db/migrations/${service}`, import.meta.url).pathname;
      const older = fresh();
      mkdirSync(older, { recursive: true });
      for (const m of readMigrations(shipped).slice(0, before)) writeFileSync(join(older, m.name), m.sql);
      const path = join(fresh(), 'db.sqlite');
      const old = SqliteDatabase.open(path, { migrations: older });
      const add = old.connection.prepare("INSERT INTO outbox (id, target, path, body, idempotency_key, created_at, attempts, next_attempt_at, delivered_at) VALUES (?, 'central-bank', '/register/settle', '{}', ?, 0, 0, 0, ?)");
      add.run(1, 'k1', 5);
      add.run(2, 'k2', null);
      add.run(3, 'k3', 7);
      old.close();
      const db = SqliteDatabase.open(path, { migrations: shipped });
      expect(db.all<{ id: number }>('SELECT id FROM outbox')).toEqual([{ id: 2 }]);
      expect(db.insert("INSERT INTO outbox (target, path, body, idempotency_key, created_at, next_attempt_at) VALUES ('central-bank', '/register/settle', '{}', 'k4', 0, 0)")).toBe(4);
      db.close();
    }
  });
});

function books() {
  const db = SqliteDatabase.open(join(fresh(), 'db.sqlite'), { migrations: migrations(LEDGER_SQL) });
  const runner = new SqliteTransactions(db, { ledger: new SqlLedger(db) });
  return { db, runner };
}

describe('grouped transactions and the ledger', () => {
  it('commits many works in one batch; a work that throws rolls back alone', async () => {
    const { db, runner } = books();
    await runner.transaction(async (r) => {
      await r.ledger.open('source', { source: true });
      await r.ledger.open('a');
    });
    const works = Array.from({ length: 20 }, (_, i) =>
      runner.transaction(async (r) => {
        await r.ledger.move({ debit: 'source', credit: 'a', amount: 1, kind: 'gift', reference: String(i) });
        if (i % 5 === 0) throw new Error(`work ${i} fails after moving`);
        return i;
      }),
    );
    const outcomes = await Promise.allSettled(works);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(4);
    expect(await runner.transaction((r) => r.ledger.balance('a'))).toBe(16);
    expect(runner.stats.commits).toBeLessThan(runner.stats.works);
    expect(await runner.transaction((r) => r.ledger.journalMismatches())).toEqual([]);
    db.close();
  });

  it('never overdraws an account and moves each (kind, reference) once', async () => {
    const { db, runner } = books();
    await runner.transaction(async (r) => {
      await r.ledger.open('source', { source: true });
      await r.ledger.open('a');
      await r.ledger.open('b');
      await r.ledger.move({ debit: 'source', credit: 'a', amount: 10, kind: 'issue', reference: '1' });
    });
    await expect(runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'b', amount: 11, kind: 'pay', reference: 'x' }))).rejects.toMatchObject({ code: 'insufficient-funds' });
    expect(await runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'b', amount: 4, kind: 'pay', reference: 'y' }))).toBe(true);
    expect(await runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'b', amount: 4, kind: 'pay', reference: 'y' }))).toBe(false);
    await expect(runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'a', amount: 1, kind: 'pay', reference: 'z' }))).rejects.toBeInstanceOf(LedgerError);
    await expect(runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'b', amount: 0, kind: 'pay', reference: 'z' }))).rejects.toBeInstanceOf(LedgerError);
    expect(await runner.transaction(async (r) => [await r.ledger.balance('a'), await r.ledger.balance('b'), await r.ledger.balance('source')])).toEqual([6, 4, -10]);
    // The database itself refuses a negative balance, whatever the code does.
    expect(() => db.run("UPDATE accounts SET balance = -1 WHERE name = 'a'")).toThrow(/CHECK constraint/);
    db.close();
  });
});

describe('refused movements', () => {
  it('leave no balance changed and no journal line, even when the work catches the refusal and commits', async () => {
    const { db, runner } = books();
    const outcome = await runner.transaction(async (r) => {
      await r.ledger.open('source', { source: true });
      await r.ledger.open('a');
      await r.ledger.open('b');
      await r.ledger.move({ debit: 'source', credit: 'a', amount: 10, kind: 'issue', reference: '1' });
      const refusals: string[] = [];
      for (const m of [
        { debit: 'a', credit: 'b', amount: 11, kind: 'pay', reference: 'over' },
        { debit: 'a', credit: 'nowhere', amount: 1, kind: 'pay', reference: 'to-nowhere' },
        { debit: 'nowhere', credit: 'b', amount: 1, kind: 'pay', reference: 'from-nowhere' },
      ]) {
        await r.ledger.move(m).catch((error: LedgerError) => refusals.push(`${error.code}: ${error.message}`));
      }
      return refusals;
    });
    expect(outcome).toEqual([
      'insufficient-funds: The account a holds 10 öre, less than the 11 öre of pay over.',
      'unknown-account: There is no account nowhere.',
      'unknown-account: There is no account nowhere.',
    ]);
    expect(db.all('SELECT name, balance FROM accounts ORDER BY name')).toEqual([
      { name: 'a', balance: 10 },
      { name: 'b', balance: 0 },
      { name: 'source', balance: -10 },
    ]);
    expect(db.all('SELECT kind, reference FROM ledger')).toEqual([{ kind: 'issue', reference: '1' }]);
    // The refused (kind, reference) can move later, once there is money for it.
    expect(await runner.transaction((r) => r.ledger.move({ debit: 'a', credit: 'b', amount: 10, kind: 'pay', reference: 'over' }))).toBe(true);
    db.close();
  });
});

function intermediaryBooks() {
  const db = SqliteDatabase.open(join(fresh(), 'db.sqlite'), { migrations: new URL('../../host/src/server/db/migrations/intermediary', import.meta.url).pathname });
  const runner = new SqliteTransactions(db, intermediaryRepositories(db));
  return { db, runner };
}

const card = (id: string): CardRow => ({
  id,
  serial: 1,
  userId: 'u',
  role: 1,
  publicKey: '04AA',
  certificate: 'CC',
  status: 'active',
  lifecycle: 2,
  targetLifecycle: 2,
  policy: '00',
  targetPolicy: null,
  lostAt: null,
  refundedAt: null,
  lastOrderSeq: 0,
  lastTxSeq: 0,
  lastReport: null,
  lastReportAt: null,
  createdAt: 1,
});

describe("the intermediary's card rows (read through a write-through cache)", () => {
  async function withCard() {
    const { db, runner } = intermediaryBooks();
    await runner.transaction(async (r) => {
      await r.users.create({ id: 'u', name: 'u', tokenHash: 'h', createdAt: 1 });
      await r.cards.create(card('C1'));
    });
    return { db, runner };
  }

  it('a card read after an update shows the update, as the table holds it', async () => {
    const { db, runner } = await withCard();
    expect((await runner.transaction((r) => r.cards.get('C1')))!.status).toBe('active');
    await runner.transaction((r) => r.cards.update('C1', { status: 'blocked', lastTxSeq: 5, lostAt: undefined }));
    const read = (await runner.transaction((r) => r.cards.get('C1')))!;
    expect(read).toMatchObject({ status: 'blocked', lastTxSeq: 5, lostAt: null });
    expect(db.get('SELECT status, last_tx_seq FROM cards WHERE id = ?', 'C1')).toEqual({ status: 'blocked', last_tx_seq: 5 });
    db.close();
  });

  it('an update rolled back with its work is not seen afterwards', async () => {
    const { db, runner } = await withCard();
    await runner.transaction((r) => r.cards.get('C1'));
    await expect(
      runner.transaction(async (r) => {
        await r.cards.update('C1', { status: 'blocked' });
        expect((await r.cards.get('C1'))!.status).toBe('blocked'); // the work itself sees its own write
        throw new Error('the work fails after the update');
      }),
    ).rejects.toThrow('the work fails');
    expect((await runner.transaction((r) => r.cards.get('C1')))!.status).toBe('active');
    db.close();
  });

  it('a caller changing the row it was given changes neither the table nor what others read', async () => {
    const { db, runner } = await withCard();
    const first = (await runner.transaction((r) => r.cards.get('C1')))!;
    first.status = 'closed';
    expect((await runner.transaction((r) => r.cards.get('C1')))!.status).toBe('active');
    db.close();
  });
});

describe('checkpoints', () => {
  it("copies committed pages into the database file in the background, without the service's connection", async () => {
    const dir = migrations('CREATE TABLE a (x INTEGER PRIMARY KEY, y TEXT);');
    const path = join(fresh(), 'db.sqlite');
    const db = SqliteDatabase.open(path, { migrations: dir });
    // Far below the 1000 pages at which SQLite would checkpoint inside a COMMIT.
    const insert = db.connection.prepare('INSERT INTO a (y) VALUES (?)');
    db.connection.transaction(() => {
      for (let i = 0; i < 50; i++) insert.run('x'.repeat(500));
    })();
    expect(db.connection.pragma('wal_autocheckpoint', { simple: true })).toBeGreaterThan(1000);
    // The database file alone (without its WAL) holds the rows once the checkpointer has run.
    const copy = join(fresh(), 'copy.sqlite');
    mkdirSync(join(copy, '..'), { recursive: true });
    let rows = 0;
    for (let attempt = 0; attempt < 100 && rows < 50; attempt++) {
      await new Promise((r) => setTimeout(r, 20));
      copyFileSync(path, copy);
      const alone = new Database(copy, { readonly: true });
      rows = (alone.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'a'").get() as { n: number }).n === 1 ? (alone.prepare('SELECT COUNT(*) AS n FROM a').get() as { n: number }).n : 0;
      alone.close();
    }
    db.close();
    expect(rows).toBe(50);
  });

  it('leaves an in-memory database to SQLite', () => {
    const db = SqliteDatabase.open(':memory:', { migrations: migrations('CREATE TABLE a (x INTEGER);') });
    expect(db.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });
});

describe('secret files', () => {
  it('creates the key and the admin token 0600, and refuses them once others may read them', () => {
    const dir = fresh();
    mkdirSync(dir);
    const key = loadOrCreateServiceKey(dir);
    const token = loadOrCreateAdminToken(dir);
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateServiceKey(dir).publicKey).toEqual(key.publicKey);
    expect(loadOrCreateAdminToken(dir)).toBe(token);
    chmodSync(join(dir, 'key.pem'), 0o644);
    expect(() => loadOrCreateServiceKey(dir)).toThrow(KeyFileError);
    chmodSync(join(dir, 'admin-token'), 0o640);
    expect(() => loadOrCreateAdminToken(dir)).toThrow(/chmod 600/);
  });

  it('refuses a key file that holds no P-256 key', () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'key.pem'), 'not a key', { mode: 0o600 });
    expect(() => loadOrCreateServiceKey(dir)).toThrow(/does not hold an ECDSA P-256 private key/);
  });
});
