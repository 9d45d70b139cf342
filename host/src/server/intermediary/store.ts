// The intermediary's repositories: the interfaces the money logic uses, and their SQL implementation.
//
// The service sees only `IntermediaryRepositories` inside `transaction(async (r) => ...)`; every method is async so
// that a PostgreSQL implementation (a connection from a pool, awaited queries) fits the same interface.

import { SqlIdempotency, SqlLedger, SqlOutbox, SqlSettings } from '../db/common-store.ts';
import type { SqliteDatabase } from '../db/sqlite.ts';
import type { IdempotencyRepository, LedgerRepository, OutboxRepository, SettingsRepository } from '../ledger.ts';
import type { PayerState, RecipientState } from './rules.ts';

export interface UserRow {
  id: string;
  name: string;
  tokenHash: string;
  createdAt: number;
}

export type CardStatus = 'active' | 'blocked' | 'closed';

export interface CardRow {
  id: string;
  serial: number;
  userId: string;
  role: number;
  publicKey: string;
  certificate: string;
  status: CardStatus;
  /** The lifecycle state the card last reported (STATE value). */
  lifecycle: number;
  /** The lifecycle state the intermediary wants; a SET LIFECYCLE is due while it differs. */
  targetLifecycle: number;
  /** Hex of the policy the card holds, as far as known. */
  policy: string;
  /** Hex of a newer policy to deliver, or null. */
  targetPolicy: string | null;
  lostAt: number | null;
  refundedAt: number | null;
  lastOrderSeq: number;
  lastTxSeq: number;
  lastReport: string | null;
  lastReportAt: number | null;
  createdAt: number;
}

export interface CoverageRow {
  cardId: string;
  lastReport: string | null;
  refundedAt: number | null;
  shadow: number;
  pendingIn: number;
  pendingOut: number;
  reservedTopUps: number;
  unfundedDefunds: number;
  withheld: number;
}

export type OrderState = 'open' | 'applied' | 'completed' | 'superseded' | 'cancelled';

export interface OrderRow {
  id: number;
  cardId: string;
  kind: 'TOP_UP' | 'DEFUND';
  amount: number;
  orderSeq: number | null;
  state: OrderState;
  requestKey: string | null;
  createdAt: number;
  closedAt: number | null;
}

export interface TransactionRow {
  id: string;
  body: string;
  signature: string;
  payerCard: string;
  payerSeq: number;
  payerIm: number;
  recipientCard: string;
  recipientIm: number;
  requestNo: number;
  amount: number;
  payerState: PayerState | null;
  recipientState: RecipientState | null;
  /** 1 when the recipient card reported it (INCOMING), else 0. */
  recipientReported: number;
  fundedBy: 'shadow' | 'pool' | 'online' | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeclineRow {
  recipientCard: string;
  requestNo: number;
  source: 'decline' | 'void';
  evidence: string;
  createdAt: number;
}

export interface SyncRow {
  cardId: string;
  challenge: string;
  report: string;
  reportOrderSeq: number;
  outcome: string;
  newBalance: number | null;
  answer: string;
  at: number;
  /** The excess swept when the card applies this result (booked then). */
  sweep: number;
  sweepBooked: number;
}

export interface AnomalyRow {
  id: number;
  cardId: string;
  kind: string;
  detail: string;
  evidence: string;
  at: number;
}

export interface ForeignCardRow {
  cardId: string;
  intermediaryId: number;
  publicKey: string;
  certificate: string;
  fetchedAt: number;
}

export interface UsersRepository {
  create(user: UserRow): Promise<void>;
  get(id: string): Promise<UserRow | undefined>;
  byTokenHash(hash: string): Promise<UserRow | undefined>;
  /** The user's token replaced: the old one stops working. */
  replaceToken(id: string, tokenHash: string): Promise<void>;
}

export interface CardsRepository {
  /** The next card serial (1, 2, ...), never handed out twice. */
  nextSerial(): Promise<number>;
  create(card: CardRow): Promise<void>;
  get(id: string): Promise<CardRow | undefined>;
  byPublicKey(publicKey: string): Promise<CardRow | undefined>;
  byUser(userId: string): Promise<CardRow[]>;
  update(id: string, patch: Partial<Omit<CardRow, 'id'>>): Promise<void>;
  /** Every card's coverage figures in one pass (the audit): shadow, pending in and out, reserved top-ups, de-funds waiting for funds. */
  coverage(): Promise<CoverageRow[]>;
  /** Lost cards whose grace period ended at `before` and that are not refunded yet. */
  lostBefore(before: number): Promise<CardRow[]>;
}

export interface OrdersRepository {
  create(order: Omit<OrderRow, 'id'>): Promise<number>;
  get(id: number): Promise<OrderRow | undefined>;
  byRequestKey(cardId: string, key: string): Promise<OrderRow | undefined>;
  /** Orders of the card in state open or applied (applied: a de-fund the card applied whose money has not moved yet). */
  unfinished(cardId: string): Promise<OrderRow[]>;
  forCard(cardId: string): Promise<OrderRow[]>;
  /** The order of that kind, number and amount, whatever its state. */
  matching(cardId: string, kind: 'TOP_UP' | 'DEFUND', orderSeq: number, amount: number): Promise<OrderRow | undefined>;
  update(id: number, patch: Partial<Omit<OrderRow, 'id'>>): Promise<void>;
  /** Sum of the open top-up orders of the card (money reserved in its shadow for them). */
  reservedTopUps(cardId: string): Promise<number>;
  /** Sum of the de-funds the card applied (state applied or completed) at order number `fromSeq` or later. */
  defundedSince(cardId: string, fromSeq: number): Promise<number>;
}

export interface TransactionsRepository {
  get(id: string): Promise<TransactionRow | undefined>;
  /** The rows of these ids that exist, by id (one query). */
  getMany(ids: readonly string[]): Promise<Map<string, TransactionRow>>;
  /** The bodies (hex) of these ids that exist, by id (one query). */
  bodies(ids: readonly string[]): Promise<Map<string, string>>;
  insert(row: TransactionRow): Promise<void>;
  /** Inserts the row unless its id exists; true when inserted. */
  insertIfAbsent(row: TransactionRow): Promise<boolean>;
  update(id: string, patch: Partial<Pick<TransactionRow, 'payerState' | 'recipientState' | 'recipientReported' | 'fundedBy' | 'updatedAt'>>): Promise<void>;
  /**
   * Payments credited to the card that it never reported, for requests it reported no payment of: withheld from
   * its sync results until it reports one (or declines the request).
   */
  withheld(cardId: string): Promise<number>;
  /** Transactions paid by the card in the given payer states, by payer sequence number. */
  byPayer(cardId: string, states: readonly PayerState[]): Promise<TransactionRow[]>;
  /** Transactions paid to the card in the given recipient states. */
  byRecipient(cardId: string, states: readonly RecipientState[]): Promise<TransactionRow[]>;
  /** The transaction paying that request of that recipient, if one is known. */
  forRequest(recipientCard: string, requestNo: number): Promise<TransactionRow[]>;
  /** Sum of the card's payments in these payer states, from payer sequence number `fromSeq` on. */
  sumByPayer(cardId: string, states: readonly PayerState[], fromSeq?: number): Promise<number>;
  /** True when the card has a payment in one of these payer states, or a de-fund waiting for funds (one cheap query). */
  hasWaiting(cardId: string, states: readonly PayerState[]): Promise<boolean>;
  /** `hasWaiting` of several cards in one query: those of them that have. */
  waitingAmong(cardIds: readonly string[], states: readonly PayerState[]): Promise<Set<string>>;
  sumByRecipient(cardId: string, states: readonly RecipientState[]): Promise<number>;
  /** Sum of all transactions in the given payer states (the audit's clearing check). */
  sumAllByPayerState(states: readonly PayerState[]): Promise<number>;
}

export interface DeclinesRepository {
  get(recipientCard: string, requestNo: number): Promise<DeclineRow | undefined>;
  /** Which of these requests are declined, as `recipientCard:requestNo` keys (one query). */
  declinedOf(requests: ReadonlyArray<{ recipientCard: string; requestNo: number }>): Promise<Set<string>>;
  insert(row: DeclineRow): Promise<boolean>;
}

export interface SyncsRepository {
  get(cardId: string, challenge: string): Promise<SyncRow | undefined>;
  insert(row: SyncRow): Promise<void>;
  /** New balances of the sync results signed for reports of the card made at that order number. */
  resultBalances(cardId: string, reportOrderSeq: number): Promise<number[]>;
  /** The latest result signed for the card's report at that order number with that new balance: the one it applied (its sweep). */
  appliedResult(cardId: string, reportOrderSeq: number, newBalance: number): Promise<Pick<SyncRow, 'challenge' | 'sweep' | 'sweepBooked'> | undefined>;
  markSweepBooked(cardId: string, challenge: string): Promise<void>;
}

export interface AnomaliesRepository {
  add(row: Omit<AnomalyRow, 'id'>): Promise<number>;
  count(): Promise<number>;
  forCard(cardId: string): Promise<AnomalyRow[]>;
  all(): Promise<AnomalyRow[]>;
}

export interface ForeignCardsRepository {
  get(cardId: string): Promise<ForeignCardRow | undefined>;
  put(row: ForeignCardRow): Promise<void>;
}

export interface IntermediaryRepositories {
  ledger: LedgerRepository;
  outbox: OutboxRepository;
  idempotency: IdempotencyRepository;
  settings: SettingsRepository;
  users: UsersRepository;
  cards: CardsRepository;
  orders: OrdersRepository;
  transactions: TransactionsRepository;
  declines: DeclinesRepository;
  syncs: SyncsRepository;
  anomalies: AnomaliesRepository;
  foreignCards: ForeignCardsRepository;
}

// ---------------------------------------------------------------------------------------------------- SQL

type Row = Record<string, unknown>;

const snakeNames = new Map<string, string>();
/** camelCase field -> snake_case column, memoised. */
const snake = (s: string) => {
  let name = snakeNames.get(s);
  if (name === undefined) {
    name = s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeNames.set(s, name);
  }
  return name;
};

/**
 * The mapper of a table's rows (snake_case columns) to T (camelCase fields), for exactly T's fields (the compiler
 * refuses a list that misses one). It is built once per table as a function that makes each row with one object
 * literal, so every row of a table has one shape and the hot paths read its fields fast (a loop over
 * Object.entries gave them to megamorphic stores one by one, and each row a shape of its own making).
 */
function rowMapper<T>() {
  return <const F extends ReadonlyArray<keyof T & string>>(fields: F & (Exclude<keyof T, F[number]> extends never ? unknown : { missing: Exclude<keyof T, F[number]> })) => {
    const literal = fields.map((f) => `${JSON.stringify(f)}: row[${JSON.stringify(snake(f))}]`).join(', ');
    const make = new Function('row', `return { ${literal} };`) as (row: Row) => T;
    return (row: Row | undefined): T | undefined => (row === undefined ? undefined : make(row));
  };
}

const USER_FIELDS = ['id', 'name', 'tokenHash', 'createdAt'] as const;
const userOf = rowMapper<UserRow>()(USER_FIELDS);
const CARD_FIELDS = [
  'id', 'serial', 'userId', 'role', 'publicKey', 'certificate', 'status', 'lifecycle', 'targetLifecycle', 'policy', 'targetPolicy', 'lostAt', 'refundedAt',
  'lastOrderSeq', 'lastTxSeq', 'lastReport', 'lastReportAt', 'createdAt',
] as const;
const cardOf = rowMapper<CardRow>()(CARD_FIELDS);
const coverageOf = rowMapper<CoverageRow>()(['cardId', 'lastReport', 'refundedAt', 'shadow', 'pendingIn', 'pendingOut', 'reservedTopUps', 'unfundedDefunds', 'withheld']);
const NEW_ORDER_FIELDS = ['cardId', 'kind', 'amount', 'orderSeq', 'state', 'requestKey', 'createdAt', 'closedAt'] as const;
const orderOf = rowMapper<OrderRow>()(['id', ...NEW_ORDER_FIELDS]);
const TRANSACTION_FIELDS = [
  'id', 'body', 'signature', 'payerCard', 'payerSeq', 'payerIm', 'recipientCard', 'recipientIm', 'requestNo', 'amount', 'payerState', 'recipientState',
  'recipientReported', 'fundedBy', 'createdAt', 'updatedAt',
] as const;
const transactionOf = rowMapper<TransactionRow>()(TRANSACTION_FIELDS);
const declineOf = rowMapper<DeclineRow>()(['recipientCard', 'requestNo', 'source', 'evidence', 'createdAt']);
const SYNC_FIELDS = ['cardId', 'challenge', 'report', 'reportOrderSeq', 'outcome', 'newBalance', 'answer', 'at', 'sweep', 'sweepBooked'] as const;
const syncOf = rowMapper<SyncRow>()(SYNC_FIELDS);
const NEW_ANOMALY_FIELDS = ['cardId', 'kind', 'detail', 'evidence', 'at'] as const;
const anomalyOf = rowMapper<AnomalyRow>()(['id', ...NEW_ANOMALY_FIELDS]);
const foreignCardOf = rowMapper<ForeignCardRow>()(['cardId', 'intermediaryId', 'publicKey', 'certificate', 'fetchedAt']);

/** Most values bound in one IN list (a statement per list length is prepared and kept). */
const MAX_LIST = 64;

/** `items` in consecutive parts of at most MAX_LIST, one IN list each. */
function* inLists<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let at = 0; at < items.length; at += MAX_LIST) yield items.slice(at, at + MAX_LIST);
}

const placeholderLists: string[] = [];
function placeholders(n: number): string {
  return (placeholderLists[n] ??= Array.from({ length: n }, () => '?').join(', '));
}

// A card's few rows are put in order here rather than by SQL's ORDER BY, which sorts them through a temporary B-tree.
const byPayerSeq = (a: TransactionRow, b: TransactionRow) => a.payerSeq - b.payerSeq;
const byId = (a: OrderRow, b: OrderRow) => a.id - b.id;

const updateSql = new Map<string, string>();
/** `UPDATE table SET a = ?, b = ? WHERE key = ?` for the fields of `patch` (names are ours, never input); the text is built once per field set. */
function updateStatement(db: SqliteDatabase, table: string, key: string, id: unknown, patch: Row): void {
  let fieldSet = table;
  const values: unknown[] = [];
  for (const field in patch) {
    const value = patch[field];
    if (value === undefined) continue;
    fieldSet += `,${field}`;
    values.push(value);
  }
  if (values.length === 0) return;
  let sql = updateSql.get(fieldSet);
  if (sql === undefined) {
    const fields = fieldSet.split(',').slice(1);
    sql = `UPDATE ${table} SET ${fields.map((f) => `${snake(f)} = ?`).join(', ')} WHERE ${key} = ?`;
    updateSql.set(fieldSet, sql);
  }
  values.push(id);
  db.run(sql, ...values);
}

/**
 * The INSERT of a table's rows, for exactly T's fields (the compiler refuses a list that misses one), built once
 * like `rowMapper`: the statement's text is fixed and the values are read from one object shape.
 */
function rowInserter<T>() {
  return <const F extends ReadonlyArray<keyof T & string>>(
    table: string,
    fields: F & (Exclude<keyof T, F[number]> extends never ? unknown : { missing: Exclude<keyof T, F[number]> }),
    conflict = '',
  ) => {
    const sql = `INSERT INTO ${table} (${fields.map(snake).join(', ')}) VALUES (${placeholders(fields.length)})${conflict}`;
    const values = new Function('row', `return [${fields.map((f) => `row[${JSON.stringify(f)}]`).join(', ')}];`) as (row: T) => unknown[];
    return (db: SqliteDatabase, row: T): { changes: number; rowid: number } => db.write(sql, ...values(row));
  };
}

const insertUser = rowInserter<UserRow>()('users', USER_FIELDS);
const insertCard = rowInserter<CardRow>()('cards', CARD_FIELDS);
const insertOrder = rowInserter<Omit<OrderRow, 'id'>>()('orders', NEW_ORDER_FIELDS);
const insertTransaction = rowInserter<TransactionRow>()('transactions', TRANSACTION_FIELDS);
const insertTransactionIfAbsent = rowInserter<TransactionRow>()('transactions', TRANSACTION_FIELDS, ' ON CONFLICT (id) DO NOTHING');
const insertSync = rowInserter<SyncRow>()('syncs', SYNC_FIELDS);
const insertAnomaly = rowInserter<Omit<AnomalyRow, 'id'>>()('anomalies', NEW_ANOMALY_FIELDS);

class SqlUsers implements UsersRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async create(user: UserRow) {
    insertUser(this.db, user);
  }
  async get(id: string) {
    return userOf(this.db.get('SELECT * FROM users WHERE id = ?', id));
  }
  async byTokenHash(hash: string) {
    return userOf(this.db.get('SELECT * FROM users WHERE token_hash = ?', hash));
  }
  async replaceToken(id: string, tokenHash: string) {
    this.db.write('UPDATE users SET token_hash = ? WHERE id = ?', tokenHash, id);
  }
}

/** Most cards kept in memory by SqlCards; beyond it the oldest entry makes room (the row is read again when needed). */
const CARD_CACHE_SIZE = 50_000;

/**
 * Cards by id, mirrored as this connection writes them (write-through), so that a sync reads its cards' rows once
 * instead of at every step that needs them (about eleven times). Only SqlCards writes the cards table, and every
 * rollback empties the cache (SqliteDatabase.onRollback): what it holds is always what the open transaction sees.
 * Callers get copies, never the cached objects.
 */
class CardCache {
  private readonly rows = new Map<string, CardRow>();

  constructor(private readonly size: number) {}

  get(id: string): CardRow | undefined {
    const row = this.rows.get(id);
    return row && { ...row };
  }

  put(row: CardRow): void {
    if (this.rows.size >= this.size && !this.rows.has(row.id)) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(row.id, { ...row });
  }

  patch(id: string, patch: Row): void {
    const row = this.rows.get(id) as Row | undefined;
    if (!row) return;
    for (const key of Object.keys(patch)) if (patch[key] !== undefined) row[key] = patch[key];
  }

  clear(): void {
    this.rows.clear();
  }
}

class SqlCards implements CardsRepository {
  private readonly cache: CardCache;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly settings: SqlSettings,
  ) {
    this.cache = new CardCache(CARD_CACHE_SIZE);
    db.onRollback(() => this.cache.clear());
  }
  async nextSerial() {
    const current = Number((await this.settings.get('card_serial')) ?? '0');
    await this.settings.set('card_serial', String(current + 1));
    return current + 1;
  }
  async create(card: CardRow) {
    insertCard(this.db, card);
  }
  async get(id: string) {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = cardOf(this.db.get('SELECT * FROM cards WHERE id = ?', id));
    if (row) this.cache.put(row);
    return row;
  }
  async byPublicKey(publicKey: string) {
    return cardOf(this.db.get('SELECT * FROM cards WHERE public_key = ?', publicKey));
  }
  async byUser(userId: string) {
    return this.db.all<Row>('SELECT * FROM cards WHERE user_id = ? ORDER BY serial', userId).map((r) => cardOf(r)!);
  }
  async update(id: string, patch: Partial<Omit<CardRow, 'id'>>) {
    updateStatement(this.db, 'cards', 'id', id, patch as Row);
    this.cache.patch(id, patch as Row);
  }
  async coverage() {
    return this.db
      .all<Row>(
        `SELECT c.id AS card_id, c.last_report AS last_report, c.refunded_at AS refunded_at,
                COALESCE(a.balance, 0) AS shadow, COALESCE(pi.total, 0) AS pending_in, COALESCE(po.total, 0) AS pending_out,
                COALESCE(rt.total, 0) AS reserved_top_ups, COALESCE(ud.total, 0) AS unfunded_defunds, COALESCE(wh.total, 0) AS withheld
           FROM cards c
           LEFT JOIN accounts a ON a.name = 'shadow:' || c.id
           LEFT JOIN (SELECT recipient_card, SUM(amount) AS total FROM transactions WHERE recipient_state = 'reported' GROUP BY recipient_card) pi ON pi.recipient_card = c.id
           LEFT JOIN (SELECT payer_card, SUM(amount) AS total FROM transactions WHERE payer_state IN ('known', 'pending', 'advance-requested', 'advanced') GROUP BY payer_card) po ON po.payer_card = c.id
           LEFT JOIN (SELECT card_id, SUM(amount) AS total FROM orders WHERE kind = 'TOP_UP' AND state = 'open' GROUP BY card_id) rt ON rt.card_id = c.id
           LEFT JOIN (SELECT card_id, SUM(amount) AS total FROM orders WHERE kind = 'DEFUND' AND state = 'applied' GROUP BY card_id) ud ON ud.card_id = c.id
           LEFT JOIN (SELECT t.recipient_card, SUM(t.amount) AS total FROM transactions t
                       WHERE t.recipient_state = 'credited' AND t.recipient_reported = 0
                         AND NOT EXISTS (SELECT 1 FROM transactions u WHERE u.recipient_card = t.recipient_card AND u.request_no = t.request_no AND u.recipient_reported = 1)
                       GROUP BY t.recipient_card) wh ON wh.recipient_card = c.id
          ORDER BY c.serial`,
      )
      .map((r) => coverageOf(r)!);
  }
  async lostBefore(before: number) {
    return this.db.all<Row>('SELECT * FROM cards WHERE lost_at IS NOT NULL AND lost_at <= ? AND refunded_at IS NULL ORDER BY serial', before).map((r) => cardOf(r)!);
  }
}

class SqlOrders implements OrdersRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async create(order: Omit<OrderRow, 'id'>) {
    return insertOrder(this.db, order).rowid;
  }
  async get(id: number) {
    return orderOf(this.db.get('SELECT * FROM orders WHERE id = ?', id));
  }
  async byRequestKey(cardId: string, key: string) {
    return orderOf(this.db.get('SELECT * FROM orders WHERE card_id = ? AND request_key = ?', cardId, key));
  }
  async unfinished(cardId: string) {
    return this.db
      .all<Row>("SELECT * FROM orders WHERE card_id = ? AND state IN ('open', 'applied')", cardId)
      .map((r) => orderOf(r)!)
      .sort(byId);
  }
  async forCard(cardId: string) {
    return this.db.all<Row>('SELECT * FROM orders WHERE card_id = ? ORDER BY id', cardId).map((r) => orderOf(r)!);
  }
  async matching(cardId: string, kind: 'TOP_UP' | 'DEFUND', orderSeq: number, amount: number) {
    return orderOf(this.db.get("SELECT * FROM orders WHERE card_id = ? AND kind = ? AND order_seq = ? AND amount = ? AND state <> 'cancelled'", cardId, kind, orderSeq, amount));
  }
  async update(id: number, patch: Partial<Omit<OrderRow, 'id'>>) {
    updateStatement(this.db, 'orders', 'id', id, patch as Row);
  }
  async defundedSince(cardId: string, fromSeq: number) {
    return (
      this.db.get<{ total: number | null }>("SELECT SUM(amount) AS total FROM orders WHERE card_id = ? AND kind = 'DEFUND' AND state IN ('applied', 'completed') AND order_seq >= ?", cardId, fromSeq)?.total ?? 0
    );
  }
  async reservedTopUps(cardId: string) {
    return this.db.get<{ total: number | null }>("SELECT SUM(amount) AS total FROM orders WHERE card_id = ? AND kind = 'TOP_UP' AND state = 'open'", cardId)?.total ?? 0;
  }
}

class SqlTransactions implements TransactionsRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(id: string) {
    return transactionOf(this.db.get('SELECT * FROM transactions WHERE id = ?', id));
  }
  async getMany(ids: readonly string[]) {
    const rows = new Map<string, TransactionRow>();
    for (const part of inLists(ids)) {
      for (const row of this.db.all<Row>(`SELECT * FROM transactions WHERE id IN (${placeholders(part.length)})`, ...part)) {
        const tx = transactionOf(row)!;
        rows.set(tx.id, tx);
      }
    }
    return rows;
  }
  async bodies(ids: readonly string[]) {
    const bodies = new Map<string, string>();
    for (const part of inLists(ids)) {
      for (const row of this.db.all<{ id: string; body: string }>(`SELECT id, body FROM transactions WHERE id IN (${placeholders(part.length)})`, ...part)) bodies.set(row.id, row.body);
    }
    return bodies;
  }
  async insert(row: TransactionRow) {
    insertTransaction(this.db, row);
  }
  async insertIfAbsent(row: TransactionRow) {
    return insertTransactionIfAbsent(this.db, row).changes === 1;
  }
  async withheld(cardId: string) {
    return (
      this.db.get<{ total: number | null }>(
        `SELECT SUM(t.amount) AS total FROM transactions t
          WHERE t.recipient_card = ? AND t.recipient_state = 'credited' AND t.recipient_reported = 0
            AND NOT EXISTS (SELECT 1 FROM transactions u WHERE u.recipient_card = t.recipient_card AND u.request_no = t.request_no AND u.recipient_reported = 1)`,
        cardId,
      )?.total ?? 0
    );
  }
  async update(id: string, patch: Partial<Pick<TransactionRow, 'payerState' | 'recipientState' | 'recipientReported' | 'fundedBy' | 'updatedAt'>>) {
    updateStatement(this.db, 'transactions', 'id', id, patch as Row);
  }
  async byPayer(cardId: string, states: readonly PayerState[]) {
    return this.db
      .all<Row>(`SELECT * FROM transactions WHERE payer_card = ? AND payer_state IN (${placeholders(states.length)})`, cardId, ...states)
      .map((r) => transactionOf(r)!)
      .sort(byPayerSeq);
  }
  async byRecipient(cardId: string, states: readonly RecipientState[]) {
    return this.db
      .all<Row>(`SELECT * FROM transactions WHERE recipient_card = ? AND recipient_state IN (${placeholders(states.length)}) ORDER BY created_at, id`, cardId, ...states)
      .map((r) => transactionOf(r)!);
  }
  async forRequest(recipientCard: string, requestNo: number) {
    return this.db.all<Row>('SELECT * FROM transactions WHERE recipient_card = ? AND request_no = ?', recipientCard, requestNo).map((r) => transactionOf(r)!);
  }
  async sumByPayer(cardId: string, states: readonly PayerState[], fromSeq = 0) {
    return (
      this.db.get<{ total: number | null }>(`SELECT SUM(amount) AS total FROM transactions WHERE payer_card = ? AND payer_state IN (${placeholders(states.length)}) AND payer_seq >= ?`, cardId, ...states, fromSeq)
        ?.total ?? 0
    );
  }
  async hasWaiting(cardId: string, states: readonly PayerState[]) {
    return (
      this.db.get(
        `SELECT 1 AS one FROM transactions WHERE payer_card = ? AND payer_state IN (${placeholders(states.length)})
         UNION ALL SELECT 1 AS one FROM orders WHERE card_id = ? AND kind = 'DEFUND' AND state = 'applied' LIMIT 1`,
        cardId,
        ...states,
        cardId,
      ) !== undefined
    );
  }
  async waitingAmong(cardIds: readonly string[], states: readonly PayerState[]) {
    const waiting = new Set<string>();
    for (const part of inLists([...new Set(cardIds)])) {
      const rows = this.db.all<{ card: string }>(
        `SELECT DISTINCT payer_card AS card FROM transactions WHERE payer_card IN (${placeholders(part.length)}) AND payer_state IN (${placeholders(states.length)})
         UNION SELECT card_id AS card FROM orders WHERE card_id IN (${placeholders(part.length)}) AND kind = 'DEFUND' AND state = 'applied'`,
        ...part,
        ...states,
        ...part,
      );
      for (const row of rows) waiting.add(row.card);
    }
    return waiting;
  }
  async sumByRecipient(cardId: string, states: readonly RecipientState[]) {
    return (
      this.db.get<{ total: number | null }>(`SELECT SUM(amount) AS total FROM transactions WHERE recipient_card = ? AND recipient_state IN (${placeholders(states.length)})`, cardId, ...states)?.total ?? 0
    );
  }
  async sumAllByPayerState(states: readonly PayerState[]) {
    return this.db.get<{ total: number | null }>(`SELECT SUM(amount) AS total FROM transactions WHERE payer_state IN (${placeholders(states.length)})`, ...states)?.total ?? 0;
  }
}

class SqlDeclines implements DeclinesRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(recipientCard: string, requestNo: number) {
    return declineOf(this.db.get('SELECT * FROM declines WHERE recipient_card = ? AND request_no = ?', recipientCard, requestNo));
  }
  async declinedOf(requests: ReadonlyArray<{ recipientCard: string; requestNo: number }>) {
    const declined = new Set<string>();
    for (const part of inLists(requests)) {
      const rows = this.db.all<{ recipient_card: string; request_no: number }>(
        `SELECT recipient_card, request_no FROM declines WHERE (recipient_card, request_no) IN (VALUES ${part.map(() => '(?, ?)').join(', ')})`,
        ...part.flatMap((q) => [q.recipientCard, q.requestNo]),
      );
      for (const row of rows) declined.add(`${row.recipient_card}:${row.request_no}`);
    }
    return declined;
  }
  async insert(row: DeclineRow) {
    return (
      this.db.run(
        'INSERT INTO declines (recipient_card, request_no, source, evidence, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (recipient_card, request_no) DO NOTHING',
        row.recipientCard,
        row.requestNo,
        row.source,
        row.evidence,
        row.createdAt,
      ) === 1
    );
  }
}

class SqlSyncs implements SyncsRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(cardId: string, challenge: string) {
    return syncOf(this.db.get('SELECT * FROM syncs WHERE card_id = ? AND challenge = ?', cardId, challenge));
  }
  async insert(row: SyncRow) {
    insertSync(this.db, row);
  }
  async appliedResult(cardId: string, reportOrderSeq: number, newBalance: number) {
    const rows = this.db.all<{ challenge: string; at: number; sweep: number; sweep_booked: number }>(
      "SELECT challenge, at, sweep, sweep_booked FROM syncs WHERE card_id = ? AND report_order_seq = ? AND new_balance = ? AND outcome = 'synchronised'",
      cardId,
      reportOrderSeq,
      newBalance,
    );
    const latest = rows.reduce<(typeof rows)[number] | undefined>((best, row) => (best === undefined || row.at > best.at ? row : best), undefined);
    return latest && { challenge: latest.challenge, sweep: latest.sweep, sweepBooked: latest.sweep_booked };
  }
  async markSweepBooked(cardId: string, challenge: string) {
    this.db.run('UPDATE syncs SET sweep_booked = 1 WHERE card_id = ? AND challenge = ?', cardId, challenge);
  }
  async resultBalances(cardId: string, reportOrderSeq: number) {
    return this.db
      .all<{ new_balance: number }>("SELECT new_balance FROM syncs WHERE card_id = ? AND report_order_seq = ? AND outcome = 'synchronised'", cardId, reportOrderSeq)
      .map((r) => r.new_balance);
  }
}

class SqlAnomalies implements AnomaliesRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async add(row: Omit<AnomalyRow, 'id'>) {
    return insertAnomaly(this.db, row).rowid;
  }
  async count() {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM anomalies')!.n;
  }
  async forCard(cardId: string) {
    return this.db.all<Row>('SELECT * FROM anomalies WHERE card_id = ? ORDER BY id', cardId).map((r) => anomalyOf(r)!);
  }
  async all() {
    return this.db.all<Row>('SELECT * FROM anomalies ORDER BY id').map((r) => anomalyOf(r)!);
  }
}

class SqlForeignCards implements ForeignCardsRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(cardId: string) {
    return foreignCardOf(this.db.get('SELECT * FROM foreign_cards WHERE card_id = ?', cardId));
  }
  async put(row: ForeignCardRow) {
    this.db.run(
      'INSERT INTO foreign_cards (card_id, intermediary_id, public_key, certificate, fetched_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (card_id) DO NOTHING',
      row.cardId,
      row.intermediaryId,
      row.publicKey,
      row.certificate,
      row.fetchedAt,
    );
  }
}

/** The SQL repositories of an intermediary on one connection. */
export function intermediaryRepositories(db: SqliteDatabase, now: () => number = Date.now): IntermediaryRepositories {
  const settings = new SqlSettings(db);
  return {
    ledger: new SqlLedger(db, now),
    outbox: new SqlOutbox(db),
    idempotency: new SqlIdempotency(db),
    settings,
    users: new SqlUsers(db),
    cards: new SqlCards(db, settings),
    orders: new SqlOrders(db),
    transactions: new SqlTransactions(db),
    declines: new SqlDeclines(db),
    syncs: new SqlSyncs(db),
    anomalies: new SqlAnomalies(db),
    foreignCards: new SqlForeignCards(db),
  };
}
