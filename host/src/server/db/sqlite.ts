// SQLite for the services: one connection per service process, durable, versioned, and transactions that the
// money logic sees only as `transaction(async (repositories) => ...)`.
//
// Durability: WAL with `synchronous=FULL`, so a COMMIT has reached the disk (fsync) before `transaction` resolves,
// and a service answers a request only after that. Schema: numbered SQL files (`001_initial.sql`, ...) applied in
// order inside one transaction each, the version kept in `schema_version`; a database whose version is above the
// highest file is refused (it was written by newer code that this code does not understand).
//
// Transactions are serialised on the connection (SQLite has one writer anyway) and grouped: the works queued
// while a commit is being written run in the next batch, each inside its own SAVEPOINT, and the batch commits once.
// A work that throws is rolled back to its savepoint alone; the others commit. Every caller's promise settles only
// after the batch's COMMIT, so an answer is never given for data that could still be lost. This is group commit:
// one fsync for many transactions, the only way to settle thousands of transactions a second durably on one disk.
//
// A work must touch the database only through the repositories it is given and must not wait for anything else
// (network, timers) while it runs: the connection is busy for everyone until it finishes.
//
// Checkpoints: SQLite copies the WAL back into the database file every 1000 pages by default, inside the COMMIT
// that crosses the mark, on the connection that runs the service (and so its event loop) for the time of a
// thousand page writes and an fsync. A file database instead gets a checkpointer thread (checkpoint-worker.mjs)
// with its own connection, running PASSIVE checkpoints every CHECKPOINT_INTERVAL_MS, which never block the writer;
// the service's connection checkpoints itself only if the WAL still reaches CHECKPOINT_FALLBACK_PAGES (the thread
// is missing or cannot keep up). Durability does not depend on checkpoints: every COMMIT is fsynced in the WAL.

import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

const CHECKPOINT_INTERVAL_MS = 20;
const CHECKPOINT_FALLBACK_PAGES = 20_000;
const CHECKPOINT_WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);

export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** Runs a work inside one database transaction with the repositories `R`; what the money logic depends on. */
export interface TransactionRunner<R> {
  transaction<T>(work: (repositories: R) => Promise<T>): Promise<T>;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The numbered SQL files of a folder (`NNN_name.sql`), in order; gaps and duplicates are refused. */
export function readMigrations(folder: string): Migration[] {
  const migrations = readdirSync(folder)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => {
      const match = /^(\d{3})_[a-z0-9_-]+\.sql$/.exec(f);
      if (!match) throw new DatabaseError(`The migration file ${f} is not named NNN_name.sql.`);
      return { version: Number(match[1]), name: f, sql: readFileSync(join(folder, f), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new DatabaseError(`The migrations of ${folder} must be numbered 001, 002, ... without gaps; ${m.name} is number ${i + 1}.`);
  });
  return migrations;
}

export interface OpenOptions {
  /** Folder of numbered SQL files. */
  migrations: string;
  /** Most works grouped in one commit (default 256). */
  maxBatch?: number;
}

/** What the repositories run: a prepared statement, or one wrapped to be timed. */
type Statement = Pick<Database.Statement, 'get' | 'all' | 'run'>;

/**
 * EKRONA_SQL_TIMING=<folder>: a diagnostic (docs/NETWORK.md section 8). Each statement's count and time spent, written
 * to <folder>/sql.<pid>.txt, slowest first, when the connection closes.
 */
const SQL_TIMING_DIR = process.env.EKRONA_SQL_TIMING;

function timedStatement(statement: Database.Statement, sql: string, timing: Map<string, { count: number; ns: bigint }>): Statement {
  const entry = { count: 0, ns: 0n };
  timing.set(sql, entry);
  const timed =
    <A extends unknown[], T>(f: (...args: A) => T) =>
    (...args: A): T => {
      const started = process.hrtime.bigint();
      try {
        return f(...args);
      } finally {
        entry.count += 1;
        entry.ns += process.hrtime.bigint() - started;
      }
    };
  return { get: timed(statement.get.bind(statement)), all: timed(statement.all.bind(statement)), run: timed(statement.run.bind(statement)) };
}

/**
 * The connection. `sql` gives the repositories cached prepared statements; the schema is migrated on open.
 * Nothing else in the server imports better-sqlite3.
 */
export class SqliteDatabase {
  readonly connection: Database.Database;
  private readonly statements = new Map<string, Statement>();
  private readonly timing = SQL_TIMING_DIR ? new Map<string, { count: number; ns: bigint }>() : undefined;
  private checkpointer: Worker | undefined;
  /** Statements run (for benchmarks). */
  statementsRun = 0;
  private readonly rollbackListeners: Array<() => void> = [];

  private constructor(connection: Database.Database) {
    this.connection = connection;
  }

  static open(path: string, options: OpenOptions): SqliteDatabase {
    mkdirSync(dirname(path), { recursive: true });
    let connection: Database.Database;
    try {
      connection = new Database(path);
    } catch (cause) {
      throw new DatabaseError(`The database ${path} cannot be opened: ${(cause as Error).message}`);
    }
    // The database holds tokens' hashes and device keys: owner only, set before WAL mode creates its -wal and -shm
    // files (SQLite gives them the database's permissions).
    if (path !== ':memory:') chmodSync(path, 0o600);
    const db = new SqliteDatabase(connection);
    try {
      connection.pragma('journal_mode = WAL');
      connection.pragma('synchronous = FULL');
      connection.pragma('foreign_keys = ON');
      connection.pragma('busy_timeout = 5000');
      // 64 MiB of page cache instead of SQLite's 2 MiB: a sync's reads find their pages without a read() of the file.
      connection.pragma('cache_size = -65536');
      // Statement journals (a work's savepoint keeps the pages it changes until it is released) in memory: a large
      // work's journal otherwise spills to a temporary file, opened, written and deleted on the event loop.
      connection.pragma('temp_store = MEMORY');
      db.migrate(readMigrations(options.migrations));
      if (path !== ':memory:') db.startCheckpointer(path);
    } catch (error) {
      connection.close();
      throw error;
    }
    return db;
  }

  /** The checkpointer thread (see the header); without it the connection checkpoints itself as SQLite does. */
  private startCheckpointer(path: string): void {
    let worker: Worker;
    try {
      worker = new Worker(CHECKPOINT_WORKER, { workerData: { path, intervalMs: CHECKPOINT_INTERVAL_MS } });
    } catch {
      return;
    }
    worker.unref();
    const fallBack = () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      if (this.connection.open) this.connection.pragma('wal_autocheckpoint = 1000');
    };
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
    this.checkpointer = worker;
    this.connection.pragma(`wal_autocheckpoint = ${CHECKPOINT_FALLBACK_PAGES}`);
  }

  /** The schema version written in the database (0 for a new one). */
  schemaVersion(): number {
    this.connection.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = this.connection.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
    return row.version ?? 0;
  }

  private migrate(migrations: Migration[]): void {
    const current = this.schemaVersion();
    const newest = migrations.length;
    if (current > newest) {
      throw new DatabaseError(`The database has schema version ${current}, newer than this code knows (${newest}): run the newer code, or restore a backup.`);
    }
    for (const migration of migrations.slice(current)) {
      const apply = this.connection.transaction(() => {
        this.connection.exec(migration.sql);
        this.connection.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migration.version);
      });
      try {
        apply.immediate();
      } catch (cause) {
        throw new DatabaseError(`The migration ${migration.name} failed: ${(cause as Error).message}`, { cause });
      }
    }
  }

  private statement(sql: string): Statement {
    this.statementsRun++;
    let statement = this.statements.get(sql);
    if (!statement) {
      const prepared = this.connection.prepare(sql);
      statement = this.timing ? timedStatement(prepared, sql, this.timing) : prepared;
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** One row or undefined. */
  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  /** Runs a statement; answers the number of rows changed. */
  run(sql: string, ...params: unknown[]): number {
    return this.statement(sql).run(...params).changes;
  }

  /** Runs a statement that inserts one row; answers its rowid. */
  insert(sql: string, ...params: unknown[]): number {
    return Number(this.statement(sql).run(...params).lastInsertRowid);
  }

  /** Runs a statement; answers the rows changed and the last rowid. */
  write(sql: string, ...params: unknown[]): { changes: number; rowid: number } {
    const result = this.statement(sql).run(...params);
    return { changes: result.changes, rowid: Number(result.lastInsertRowid) };
  }

  /**
   * `listener` runs whenever writes of this connection are rolled back (a work's savepoint, a whole batch): a cache
   * that mirrors rows as they are written must forget what it holds, since some of it may now be undone.
   */
  onRollback(listener: () => void): void {
    this.rollbackListeners.push(listener);
  }

  /** Tells the rollback listeners that writes were undone (SqliteTransactions calls it on every rollback path). */
  rolledBack(): void {
    for (const listener of this.rollbackListeners) listener();
  }

  exec(sql: string): void {
    this.connection.exec(sql);
  }

  /** Runs a statement without parameters through the statement cache (BEGIN, SAVEPOINT... parsed once). */
  control(sql: string): void {
    this.statement(sql).run();
  }

  close(): void {
    if (this.timing && SQL_TIMING_DIR) {
      const lines = [...this.timing]
        .filter(([, t]) => t.count > 0)
        .sort(([, a], [, b]) => Number(b.ns - a.ns))
        .map(([sql, t]) => `${t.count}\t${(Number(t.ns) / 1e6).toFixed(1)} ms\t${(Number(t.ns) / t.count / 1e3).toFixed(1)} us\t${sql.replace(/\s+/g, ' ')}`);
      writeFileSync(join(SQL_TIMING_DIR, `sql.${process.pid}.txt`), `count\ttotal\teach\tstatement\n${lines.join('\n')}\n`);
    }
    const worker = this.checkpointer;
    this.checkpointer = undefined;
    if (worker) void worker.terminate(); // a checkpoint cut short is like a crash in one: SQLite redoes it later
    if (this.connection.open) this.connection.close();
  }
}

interface Queued<R> {
  work: (repositories: R) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Serialised, grouped transactions on one SQLite connection (see the header). */
export class SqliteTransactions<R> implements TransactionRunner<R> {
  private readonly queue: Queued<R>[] = [];
  private running = false;
  private readonly maxBatch: number;
  /** Commits written, and works committed: how well grouping works (for benchmarks). */
  readonly stats = { commits: 0, works: 0 };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly repositories: R,
    options: { maxBatch?: number } = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
  }

  transaction<T>(work: (repositories: R) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // Wait for the I/O callbacks of this turn of the event loop: their transactions join this batch.
        setImmediate(() => void this.runBatches());
      }
    });
  }

  private async runBatches(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.runBatch(batch);
        if (this.queue.length > 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: Queued<R>[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.control('BEGIN IMMEDIATE');
    } catch (error) {
      for (const item of batch) item.reject(new DatabaseError(`The database could not start a transaction: ${(error as Error).message}`, { cause: error }));
      return;
    }
    for (const item of batch) {
      this.db.control('SAVEPOINT work');
      try {
        const value = await item.work(this.repositories);
        this.db.control('RELEASE work');
        outcomes.push({ ok: true, value });
      } catch (error) {
        try {
          this.db.control('ROLLBACK TO work');
          this.db.control('RELEASE work');
        } catch {
          // the transaction itself is gone (SQLite rolled it back): the COMMIT below fails and reports it
        }
        this.db.rolledBack();
        outcomes.push({ ok: false, error });
      }
    }
    try {
      this.db.control('COMMIT');
    } catch (error) {
      try {
        this.db.control('ROLLBACK');
      } catch {
        // nothing left to roll back
      }
      this.db.rolledBack();
      const failure = new DatabaseError(`The database could not commit: ${(error as Error).message}`, { cause: error });
      for (const item of batch) item.reject(failure);
      return;
    }
    this.stats.commits += 1;
    this.stats.works += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
