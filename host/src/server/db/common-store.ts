// SQL implementations of the repositories both services keep: ledger, outbox, idempotency answers, settings.
//
// Plain SQL (SELECT, INSERT, UPDATE with `?` placeholders), nothing SQLite-only: a PostgreSQL port rewrites the
// placeholders ($1...) and runs the same statements; see docs/NETWORK.md "Storage".

import { type AccountBalance, type IdempotencyRepository, LedgerError, type LedgerRepository, type Movement, movementProblem, type OutboxMessage, type OutboxRepository, type SettingsRepository } from '../ledger.ts';
import type { SqliteDatabase } from './sqlite.ts';

export class SqlLedger implements LedgerRepository {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async open(name: string, options: { source?: boolean } = {}): Promise<void> {
    this.db.run('INSERT INTO accounts (name, balance, may_be_negative) VALUES (?, 0, ?) ON CONFLICT (name) DO NOTHING', name, options.source ? 1 : 0);
  }

  async balance(name: string): Promise<number> {
    const row = this.db.get<{ balance: number }>('SELECT balance FROM accounts WHERE name = ?', name);
    if (!row) throw new LedgerError('unknown-account', `There is no account ${name}.`);
    return row.balance;
  }

  async moved(kind: string, reference: string): Promise<boolean> {
    return this.db.get('SELECT 1 AS one FROM ledger WHERE kind = ? AND reference = ?', kind, reference) !== undefined;
  }

  async move(m: Movement): Promise<boolean> {
    const problem = movementProblem(m);
    if (problem) throw new LedgerError('invalid-movement', `The movement ${m.kind} ${m.reference} is invalid: ${problem}.`);
    // Three one-row statements (an UPDATE of two rows at once costs SQLite several times more): the debit only if the
    // balance allows it, the journal line only if this (kind, reference) never moved (its unique constraint decides),
    // the credit. A movement that cannot complete takes back what it did.
    if (this.db.run('UPDATE accounts SET balance = balance - ? WHERE name = ? AND (may_be_negative = 1 OR balance >= ?)', m.amount, m.debit, m.amount) !== 1) {
      const from = this.db.get<{ balance: number }>('SELECT balance FROM accounts WHERE name = ?', m.debit);
      if (!from) throw new LedgerError('unknown-account', `There is no account ${m.debit}.`);
      throw new LedgerError('insufficient-funds', `The account ${m.debit} holds ${from.balance} öre, less than the ${m.amount} öre of ${m.kind} ${m.reference}.`);
    }
    const journaled = this.db.run(
      'INSERT INTO ledger (at, debit, credit, amount, kind, reference) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, reference) DO NOTHING',
      this.now(),
      m.debit,
      m.credit,
      m.amount,
      m.kind,
      m.reference,
    );
    if (journaled !== 1) {
      this.undoDebit(m); // moved before
      return false;
    }
    if (this.db.run('UPDATE accounts SET balance = balance + ? WHERE name = ?', m.amount, m.credit) !== 1) {
      this.undoDebit(m);
      this.unjournal(m);
      throw new LedgerError('unknown-account', `There is no account ${m.credit}.`);
    }
    return true;
  }

  private undoDebit(m: Movement): void {
    this.db.run('UPDATE accounts SET balance = balance + ? WHERE name = ?', m.amount, m.debit);
  }

  private unjournal(m: Movement): void {
    this.db.run('DELETE FROM ledger WHERE kind = ? AND reference = ?', m.kind, m.reference);
  }

  async accounts(prefix = ''): Promise<AccountBalance[]> {
    return this.db.all<AccountBalance>('SELECT name, balance FROM accounts WHERE substr(name, 1, ?) = ? ORDER BY name', prefix.length, prefix);
  }

  async total(prefix: string): Promise<number> {
    const row = this.db.get<{ total: number | null }>('SELECT SUM(balance) AS total FROM accounts WHERE substr(name, 1, ?) = ?', prefix.length, prefix);
    return row?.total ?? 0;
  }

  async journalMismatches(): Promise<Array<{ name: string; stored: number; journal: number }>> {
    // One pass over the journal (grouped by account), not one per account.
    return this.db.all(
      `SELECT a.name AS name, a.balance AS stored, COALESCE(c.total, 0) - COALESCE(d.total, 0) AS journal
         FROM accounts a
         LEFT JOIN (SELECT credit AS name, SUM(amount) AS total FROM ledger GROUP BY credit) c ON c.name = a.name
         LEFT JOIN (SELECT debit AS name, SUM(amount) AS total FROM ledger GROUP BY debit) d ON d.name = a.name
        WHERE a.balance <> COALESCE(c.total, 0) - COALESCE(d.total, 0)`,
    );
  }
}

interface OutboxRow {
  id: number;
  target: string;
  path: string;
  body: string;
  idempotency_key: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
}

function outboxMessage(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    target: row.target,
    path: row.path,
    body: row.body,
    idempotencyKey: row.idempotency_key,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export class SqlOutbox implements OutboxRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async add(m: { target: string; path: string; body: string; idempotencyKey: string; at: number }): Promise<number> {
    return this.db.insert(
      'INSERT INTO outbox (target, path, body, idempotency_key, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
      m.target,
      m.path,
      m.body,
      m.idempotencyKey,
      m.at,
      m.at,
    );
  }

  async get(id: number): Promise<OutboxMessage | undefined> {
    const row = this.db.get<OutboxRow>('SELECT * FROM outbox WHERE id = ?', id);
    return row ? outboxMessage(row) : undefined;
  }

  async due(now: number, limit: number): Promise<OutboxMessage[]> {
    return this.db.all<OutboxRow>('SELECT * FROM outbox WHERE next_attempt_at <= ? ORDER BY id LIMIT ?', now, limit).map(outboxMessage);
  }

  async undelivered(): Promise<OutboxMessage[]> {
    return this.db.all<OutboxRow>('SELECT * FROM outbox ORDER BY id').map(outboxMessage);
  }

  async delivered(id: number): Promise<boolean> {
    return this.db.run('DELETE FROM outbox WHERE id = ?', id) === 1;
  }

  async markFailed(id: number, error: string, nextAttemptAt: number): Promise<void> {
    this.db.run('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?', error.slice(0, 500), nextAttemptAt, id);
  }
}

export class SqlIdempotency implements IdempotencyRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async find(scope: string, key: string): Promise<{ requestHash: string; status: number; response: string } | undefined> {
    const row = this.db.get<{ request_hash: string; status: number; response: string }>('SELECT request_hash, status, response FROM idempotency WHERE scope = ? AND key = ?', scope, key);
    return row ? { requestHash: row.request_hash, status: row.status, response: row.response } : undefined;
  }

  async save(e: { scope: string; key: string; requestHash: string; status: number; response: string; at: number }): Promise<void> {
    this.db.run('INSERT INTO idempotency (scope, key, request_hash, status, response, at) VALUES (?, ?, ?, ?, ?, ?)', e.scope, e.key, e.requestHash, e.status, e.response, e.at);
  }
}

export class SqlSettings implements SettingsRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async get(key: string): Promise<string | undefined> {
    return this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key)?.value;
  }

  async set(key: string, value: string): Promise<void> {
    this.db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }
}
