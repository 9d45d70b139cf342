// Double-entry money (docs/NETWORK.md section 1): the movement rule and the repositories every service keeps.
//
// A movement debits one account and credits another by the same positive amount, and writes one journal line.
// Each (kind, reference) pair moves at most once: "the top-up of order 17", "the debit of transaction X" can never
// happen twice, whatever retries or crashes occur, because the journal has a unique constraint on it. An account
// never goes below zero, except the few accounts marked as sources (the central bank's issuance and pool, an
// intermediary's mirror of its position), whose balance is minus what they have put out; so the balances of a
// service always sum to zero, which the audit checks.

export class LedgerError extends Error {
  override name = 'LedgerError';
  constructor(
    readonly code: 'insufficient-funds' | 'unknown-account' | 'invalid-movement',
    message: string,
  ) {
    super(message);
  }
}

export interface Movement {
  /** The account that gives. */
  debit: string;
  /** The account that receives. */
  credit: string;
  /** Öre, a positive safe integer. */
  amount: number;
  /** What kind of movement ("top-up", "tx-debit"): with `reference`, unique in the journal. */
  kind: string;
  /** What it is for (an order id, a transaction id). */
  reference: string;
}

/** The movement rule, before any account is read: a positive integer amount, two different accounts, names set. */
export function movementProblem(m: Movement): string | undefined {
  if (!Number.isSafeInteger(m.amount) || m.amount <= 0) return `the amount must be a positive integer of öre, got ${m.amount}`;
  if (m.debit === m.credit) return `a movement needs two different accounts, got ${m.debit} twice`;
  if (!m.debit || !m.credit || !m.kind || !m.reference) return 'a movement needs a debit account, a credit account, a kind and a reference';
  return undefined;
}

export interface AccountBalance {
  name: string;
  balance: number;
}

export interface LedgerRepository {
  /** Creates the account when it does not exist (a source account may go below zero). */
  open(name: string, options?: { source?: boolean }): Promise<void>;
  /** The balance; LedgerError unknown-account when there is no such account. */
  balance(name: string): Promise<number>;
  /**
   * Moves the amount unless this (kind, reference) moved before: true when it moved now, false when it had
   * already (nothing moves). LedgerError insufficient-funds when the debit account would go below zero.
   */
  move(movement: Movement): Promise<boolean>;
  /** True when this (kind, reference) has moved. */
  moved(kind: string, reference: string): Promise<boolean>;
  /** Accounts whose name starts with `prefix` (all accounts for ''). */
  accounts(prefix?: string): Promise<AccountBalance[]>;
  /** Sum of the balances of the accounts whose name starts with `prefix`. */
  total(prefix: string): Promise<number>;
  /** Accounts whose stored balance differs from what the journal adds up to (empty when the books are right). */
  journalMismatches(): Promise<Array<{ name: string; stored: number; journal: number }>>;
}

/** Outgoing messages to other services, written in the same database transaction as the change that needs them. */
export interface OutboxMessage {
  id: number;
  /** `central-bank` or `im:<id>`. */
  target: string;
  /** POST path on the target. */
  path: string;
  /** JSON body, exactly as sent (and signed). */
  body: string;
  idempotencyKey: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
}

export interface OutboxRepository {
  add(message: { target: string; path: string; body: string; idempotencyKey: string; at: number }): Promise<number>;
  get(id: number): Promise<OutboxMessage | undefined>;
  /** Undelivered messages due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxMessage[]>;
  undelivered(): Promise<OutboxMessage[]>;
  /**
   * Removes a message whose answer is being booked (the outbox holds only what is still to deliver); false when it
   * was removed already (another delivery of the same message won).
   */
  delivered(id: number): Promise<boolean>;
  markFailed(id: number, error: string, nextAttemptAt: number): Promise<void>;
}

/** Answers stored by idempotency key: a repeated request answers the stored answer, another body under the same key is refused. */
export interface IdempotencyRepository {
  find(scope: string, key: string): Promise<{ requestHash: string; status: number; response: string } | undefined>;
  save(entry: { scope: string; key: string; requestHash: string; status: number; response: string; at: number }): Promise<void>;
}

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}
