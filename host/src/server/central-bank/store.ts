// The central bank's repositories: the interfaces its money logic uses, and their SQL implementation.

import { SqlIdempotency, SqlLedger, SqlOutbox, SqlSettings } from '../db/common-store.ts';
import type { SqliteDatabase } from '../db/sqlite.ts';
import type { IdempotencyRepository, LedgerRepository, OutboxRepository, SettingsRepository } from '../ledger.ts';

export interface IntermediaryRow {
  id: number;
  name: string;
  url: string;
  publicKey: string;
  certificate: string;
  registeredAt: number;
}

export interface RegisterRow {
  txId: string;
  body: string;
  payerSignature: string;
  payerCard: string;
  payerIm: number;
  recipientCard: string;
  recipientIm: number;
  requestNo: number;
  amount: number;
  fundedBy: 'shadow' | 'pool';
  state: 'settled' | 'reversed';
  advanceState: 'outstanding' | 'repaid' | 'cancelled' | null;
  settledAt: number;
  changedAt: number;
}

export interface DeclineRow {
  recipientCard: string;
  requestNo: number;
  recipientIm: number;
  source: 'decline' | 'void';
  declaredBy: number;
  evidence: string;
  at: number;
}

export interface IntermediariesRepository {
  get(id: number): Promise<IntermediaryRow | undefined>;
  byPublicKey(publicKey: string): Promise<IntermediaryRow | undefined>;
  all(): Promise<IntermediaryRow[]>;
  put(row: IntermediaryRow): Promise<void>;
  setUrl(id: number, url: string): Promise<void>;
}

export interface IssuesRepository {
  add(intermediaryId: number, amount: number, at: number): Promise<number>;
  total(): Promise<number>;
}

export interface RegisterRepository {
  get(txId: string): Promise<RegisterRow | undefined>;
  forRequest(recipientCard: string, requestNo: number): Promise<RegisterRow | undefined>;
  insert(row: RegisterRow): Promise<void>;
  update(txId: string, patch: Partial<Pick<RegisterRow, 'state' | 'advanceState' | 'changedAt'>>): Promise<void>;
  /** Sum of pool advances not repaid. */
  outstandingAdvances(): Promise<number>;
  counts(): Promise<{ settled: number; reversed: number; declines: number; amountSettled: number }>;
}

export interface DeclinesRepository {
  get(recipientCard: string, requestNo: number): Promise<DeclineRow | undefined>;
  insert(row: DeclineRow): Promise<void>;
}

export interface CentralBankRepositories {
  ledger: LedgerRepository;
  outbox: OutboxRepository;
  idempotency: IdempotencyRepository;
  settings: SettingsRepository;
  intermediaries: IntermediariesRepository;
  issues: IssuesRepository;
  register: RegisterRepository;
  declines: DeclinesRepository;
}

type Row = Record<string, unknown>;

function intermediaryOf(row: Row | undefined): IntermediaryRow | undefined {
  if (!row) return undefined;
  return {
    id: row.id as number,
    name: row.name as string,
    url: row.url as string,
    publicKey: row.public_key as string,
    certificate: row.certificate as string,
    registeredAt: row.registered_at as number,
  };
}

function registerOf(row: Row | undefined): RegisterRow | undefined {
  if (!row) return undefined;
  return {
    txId: row.tx_id as string,
    body: row.body as string,
    payerSignature: row.payer_signature as string,
    payerCard: row.payer_card as string,
    payerIm: row.payer_im as number,
    recipientCard: row.recipient_card as string,
    recipientIm: row.recipient_im as number,
    requestNo: row.request_no as number,
    amount: row.amount as number,
    fundedBy: row.funded_by as RegisterRow['fundedBy'],
    state: row.state as RegisterRow['state'],
    advanceState: (row.advance_state as RegisterRow['advanceState']) ?? null,
    settledAt: row.settled_at as number,
    changedAt: row.changed_at as number,
  };
}

class SqlIntermediaries implements IntermediariesRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(id: number) {
    return intermediaryOf(this.db.get('SELECT * FROM intermediaries WHERE id = ?', id));
  }
  async byPublicKey(publicKey: string) {
    return intermediaryOf(this.db.get('SELECT * FROM intermediaries WHERE public_key = ?', publicKey));
  }
  async all() {
    return this.db.all<Row>('SELECT * FROM intermediaries ORDER BY id').map((r) => intermediaryOf(r)!);
  }
  async put(r: IntermediaryRow) {
    this.db.run(
      'INSERT INTO intermediaries (id, name, url, public_key, certificate, registered_at) VALUES (?, ?, ?, ?, ?, ?)',
      r.id,
      r.name,
      r.url,
      r.publicKey,
      r.certificate,
      r.registeredAt,
    );
  }
  async setUrl(id: number, url: string) {
    this.db.run('UPDATE intermediaries SET url = ? WHERE id = ?', url, id);
  }
}

class SqlIssues implements IssuesRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async add(intermediaryId: number, amount: number, at: number) {
    return this.db.insert('INSERT INTO issues (intermediary_id, amount, at) VALUES (?, ?, ?)', intermediaryId, amount, at);
  }
  async total() {
    return this.db.get<{ total: number | null }>('SELECT SUM(amount) AS total FROM issues')?.total ?? 0;
  }
}

class SqlRegister implements RegisterRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(txId: string) {
    return registerOf(this.db.get('SELECT * FROM register WHERE tx_id = ?', txId));
  }
  async forRequest(recipientCard: string, requestNo: number) {
    return registerOf(this.db.get('SELECT * FROM register WHERE recipient_card = ? AND request_no = ?', recipientCard, requestNo));
  }
  async insert(r: RegisterRow) {
    this.db.run(
      `INSERT INTO register (tx_id, body, payer_signature, payer_card, payer_im, recipient_card, recipient_im, request_no, amount, funded_by, state, advance_state, settled_at, changed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.txId,
      r.body,
      r.payerSignature,
      r.payerCard,
      r.payerIm,
      r.recipientCard,
      r.recipientIm,
      r.requestNo,
      r.amount,
      r.fundedBy,
      r.state,
      r.advanceState,
      r.settledAt,
      r.changedAt,
    );
  }
  async update(txId: string, patch: Partial<Pick<RegisterRow, 'state' | 'advanceState' | 'changedAt'>>) {
    if (patch.state !== undefined) this.db.run('UPDATE register SET state = ? WHERE tx_id = ?', patch.state, txId);
    if (patch.advanceState !== undefined) this.db.run('UPDATE register SET advance_state = ? WHERE tx_id = ?', patch.advanceState, txId);
    if (patch.changedAt !== undefined) this.db.run('UPDATE register SET changed_at = ? WHERE tx_id = ?', patch.changedAt, txId);
  }
  async outstandingAdvances() {
    return this.db.get<{ total: number | null }>("SELECT SUM(amount) AS total FROM register WHERE funded_by = 'pool' AND advance_state = 'outstanding'")?.total ?? 0;
  }
  async counts() {
    const row = this.db.get<{ settled: number; reversed: number; amount: number | null }>(
      "SELECT SUM(CASE WHEN state = 'settled' THEN 1 ELSE 0 END) AS settled, SUM(CASE WHEN state = 'reversed' THEN 1 ELSE 0 END) AS reversed, SUM(CASE WHEN state = 'settled' THEN amount ELSE 0 END) AS amount FROM register",
    )!;
    const declines = this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM declines')!.n;
    return { settled: row.settled ?? 0, reversed: row.reversed ?? 0, declines, amountSettled: row.amount ?? 0 };
  }
}

class SqlDeclines implements DeclinesRepository {
  constructor(private readonly db: SqliteDatabase) {}
  async get(recipientCard: string, requestNo: number) {
    const row = this.db.get<Row>('SELECT * FROM declines WHERE recipient_card = ? AND request_no = ?', recipientCard, requestNo);
    if (!row) return undefined;
    return {
      recipientCard: row.recipient_card as string,
      requestNo: row.request_no as number,
      recipientIm: row.recipient_im as number,
      source: row.source as DeclineRow['source'],
      declaredBy: row.declared_by as number,
      evidence: row.evidence as string,
      at: row.at as number,
    };
  }
  async insert(r: DeclineRow) {
    this.db.run(
      'INSERT INTO declines (recipient_card, request_no, recipient_im, source, declared_by, evidence, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      r.recipientCard,
      r.requestNo,
      r.recipientIm,
      r.source,
      r.declaredBy,
      r.evidence,
      r.at,
    );
  }
}

export function centralBankRepositories(db: SqliteDatabase, now: () => number = Date.now): CentralBankRepositories {
  return {
    ledger: new SqlLedger(db, now),
    outbox: new SqlOutbox(db),
    idempotency: new SqlIdempotency(db),
    settings: new SqlSettings(db),
    intermediaries: new SqlIntermediaries(db),
    issues: new SqlIssues(db),
    register: new SqlRegister(db),
    declines: new SqlDeclines(db),
  };
}
