// Outbox delivery: group sending. Messages to the central bank's register that wait while a request to it is under
// way leave together in one request, each with its own answer booked on its own; a failed group leaves every one of
// its messages for a later attempt.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlOutbox } from '../../host/src/server/db/common-store.ts';
import { SqliteDatabase, SqliteTransactions } from '../../host/src/server/db/sqlite.ts';
import { HttpFailure, type JsonResponse } from '../../host/src/server/http/json-http.ts';
import { OutboxDelivery } from '../../host/src/server/http/outbox.ts';
import type { OutboxMessage } from '../../host/src/server/ledger.ts';

const root = mkdtempSync(join(tmpdir(), 'ekrona-outbox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const OUTBOX_SQL = `CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL, last_error TEXT);`;

interface Harness {
  outbox: OutboxDelivery<{ outbox: SqlOutbox }>;
  runner: SqliteTransactions<{ outbox: SqlOutbox }>;
  requests: string[][];
  applied: Array<{ id: number; answer: unknown }>;
  write: (count: number, target?: string) => Promise<OutboxMessage[]>;
}

/** An outbox whose peer answers each message with its own body, after `delayMs`; `fail` makes group requests fail. */
function harness(options: { fail?: boolean; maxMessages?: number } = {}): Harness {
  const dir = join(root, `case-${++n}`);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations', '001_outbox.sql'), OUTBOX_SQL);
  const db = SqliteDatabase.open(join(dir, 'db.sqlite'), { migrations: join(dir, 'migrations') });
  const runner = new SqliteTransactions(db, { outbox: new SqlOutbox(db) });
  const requests: string[][] = [];
  const applied: Array<{ id: number; answer: unknown }> = [];
  const answerLater = (body: unknown): Promise<JsonResponse> => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body }), 20));
  const outbox = new OutboxDelivery({
    runner,
    send: (message) => {
      requests.push([message.body]);
      return answerLater({ echo: message.body });
    },
    apply: async (_r, message, answer) => {
      applied.push({ id: message.id, answer });
    },
    batch: {
      accepts: (message) => message.target === 'central-bank',
      send: async (_target, messages) => {
        requests.push(messages.map((m) => m.body));
        if (options.fail) throw new HttpFailure('the central bank cannot be reached');
        await answerLater(undefined);
        return messages.map((m) => ({ status: 200, body: { echo: m.body } }));
      },
      maxMessages: options.maxMessages ?? 64,
      maxBytes: 48 * 1024,
    },
  });
  const write = (count: number, target = 'central-bank') =>
    runner.transaction(async (r) => {
      const out: OutboxMessage[] = [];
      for (let i = 0; i < count; i++) {
        const body = JSON.stringify({ message: `${target}-${n}-${out.length}-${Math.random()}` });
        const id = await r.outbox.add({ target, path: '/register/settle', body, idempotencyKey: `${n}-${Math.random()}`, at: 0 });
        out.push((await r.outbox.get(id))!);
      }
      return out;
    });
  return { outbox, runner, requests, applied, write };
}

describe('group sending', () => {
  it('sends the messages that wait for a request under way together, and books each answer for its own message', async () => {
    const h = harness();
    const [first] = await h.write(1);
    const rest = await h.write(5);
    const firstDelivery = h.outbox.deliver([first]);
    await new Promise((r) => setImmediate(r)); // the first request is under way
    await Promise.all([firstDelivery, h.outbox.deliver(rest)]);
    expect(h.requests).toEqual([[first.body], rest.map((m) => m.body)]);
    expect(h.applied.map((a) => a.id).sort((a, b) => a - b)).toEqual([first, ...rest].map((m) => m.id));
    for (const a of h.applied) expect(a.answer).toEqual({ echo: [first, ...rest].find((m) => m.id === a.id)!.body });
    expect(await h.runner.transaction((r) => r.outbox.undelivered())).toEqual([]);
  });

  it('splits a group at its most messages', async () => {
    const h = harness({ maxMessages: 2 });
    const messages = await h.write(5);
    await h.outbox.deliver(messages);
    expect(h.requests.map((r) => r.length)).toEqual([2, 2, 1]);
    expect(h.applied).toHaveLength(5);
  });

  it('sends messages to other targets alone', async () => {
    const h = harness();
    const messages = await h.write(3, 'im:2');
    await h.outbox.deliver(messages);
    expect(h.requests.map((r) => r.length)).toEqual([1, 1, 1]);
  });

  it('leaves every message of a failed group undelivered, for a later attempt', async () => {
    const h = harness({ fail: true });
    const messages = await h.write(3);
    await h.outbox.deliver(messages);
    expect(h.requests).toEqual([messages.map((m) => m.body)]);
    expect(h.applied).toEqual([]);
    const undelivered = await h.runner.transaction((r) => r.outbox.undelivered());
    expect(undelivered.map((m) => [m.id, m.attempts, m.lastError])).toEqual(messages.map((m) => [m.id, 1, 'the central bank cannot be reached']));
  });
});

describe('the outbox holds only what is still to deliver', () => {
  for (const service of ['intermediary', 'central-bank'] as const) {
    it(`removes a message as its answer is booked, and never gives its id to a message written later (${service} schema)`, async () => {
      const dir = join(root, `case-${++n}`);
      const db = SqliteDatabase.open(join(dir, 'db.sqlite'), { migrations: new URL(`../../host/src/server/db/migrations/${service}`, import.meta.url).pathname });
      const runner = new SqliteTransactions(db, { outbox: new SqlOutbox(db) });
      const write = (r: { outbox: SqlOutbox }, body: string) => r.outbox.add({ target: 'im:2', path: '/interbank/claims', body, idempotencyKey: `key-${body}`, at: 0 });
      const delivered: Array<{ id: number; body: string }> = [];
      // Each answer writes the next message, in the transaction that removes the one answered: had the removed
      // message's id been given again, the new message would join the delivery under way and wait for itself.
      const outbox = new OutboxDelivery({
        runner,
        send: async (message) => ({ status: 200, body: {} }),
        apply: async (r, message) => {
          delivered.push({ id: message.id, body: message.body });
          return message.body === 'third' ? [] : [await write(r, message.body === 'first' ? 'second' : 'third')];
        },
      });
      const first = await runner.transaction((r) => write(r, 'first'));
      await outbox.deliver([first]);
      expect(delivered.map((d) => d.body)).toEqual(['first', 'second', 'third']);
      expect(new Set(delivered.map((d) => d.id)).size).toBe(3);
      expect(await runner.transaction((r) => r.outbox.undelivered())).toEqual([]);
      expect(await runner.transaction((r) => write(r, 'fourth'))).toBeGreaterThan(Math.max(...delivered.map((d) => d.id)));
      db.close();
    });
  }
});
