// The shapes of the services' HTTP API (docs/NETWORK.md "Endpoints"): what the services answer and what the typed
// client (./client.ts) returns. Byte strings are upper-case hex on the way out (either case is accepted on the way
// in); amounts are integers of öre; times are milliseconds since 1970.

import type { Policy } from '../codec/policy.ts';

export type Liquidity = 'pending' | 'pool';

// ------------------------------------------------------------------------------------------- central bank

export interface CentralBankInfo {
  service: 'central-bank';
  /** The root public key (65 bytes, hex). */
  rootPublicKey: string;
  liquidity: Liquidity;
  /** Most the pool advances at once (öre), in pool mode. */
  poolLimit: number;
}

export interface DirectoryEntry {
  id: number;
  name: string;
  url: string;
  /** The intermediary certificate (135 bytes, hex), signed by the root. */
  certificate: string;
}

export interface IssueAnswer {
  issueId: number;
  intermediaryId: number;
  amount: number;
  /** The intermediary's position after the issue. */
  position: number;
}

/** A signed offline transaction: body (46 bytes) and the payer card's signature (64), hex. */
export interface SignedTransactionJson {
  body: string;
  signature: string;
}

/** A money movement the central bank tells an intermediary to book (once, by `id`). */
export type CentralBankMovement =
  | { id: string; kind: 'issue'; amount: number }
  /** To the recipient's intermediary: credit the recipient card (the payer's intermediary paid, or the pool). */
  | { id: string; kind: 'credit'; amount: number; txId: string; transaction: SignedTransactionJson; fundedBy: 'shadow' | 'pool' }
  /** To the payer's intermediary: a settled transaction was declined; give the payer its money back. */
  | { id: string; kind: 'reversal-credit'; amount: number; txId: string }
  /** To the recipient's intermediary: a credited transaction was declined; take it back. */
  | { id: string; kind: 'reversal-debit'; amount: number; txId: string }
  /** To the payer's intermediary: the pool's advance for a transaction was cancelled by a decline; the payer owes nothing. */
  | { id: string; kind: 'advance-cancelled'; amount: number; txId: string };

export type SettleOutcome = 'settled' | 'already' | 'declined' | 'duplicate-request' | 'conflict' | 'refused';

export interface SettleResult {
  txId: string;
  outcome: SettleOutcome;
  /** For `already`: how the register holds it. */
  fundedBy?: 'shadow' | 'pool';
  state?: 'settled' | 'reversed';
  advanceState?: 'outstanding' | 'repaid' | 'cancelled' | null;
  reason?: string;
}

export interface SettleAnswer {
  results: SettleResult[];
  /** Movements addressed to the caller (its recipient cards, for transactions within one intermediary). */
  movements: CentralBankMovement[];
}

export type AdvanceOutcome = 'advanced' | 'pool-unavailable' | SettleOutcome;

export interface AdvanceAnswer {
  results: Array<{ txId: string; outcome: AdvanceOutcome; reason?: string; state?: 'settled' | 'reversed'; fundedBy?: 'shadow' | 'pool'; advanceState?: 'outstanding' | 'repaid' | 'cancelled' | null }>;
  movements: CentralBankMovement[];
}

export interface RepayAnswer {
  results: Array<{ txId: string; outcome: 'repaid' | 'already' | 'cancelled' | 'unknown' }>;
}

export interface DeclineItem {
  recipientCard: string;
  requestNo: number;
  recipientIntermediary: number;
  source: 'decline' | 'void';
  /** The record that proves it (112 bytes, hex): the recipient's DECLINED record or the payer's voided OUTGOING one. */
  evidence: string;
}

export interface DeclineAnswer {
  results: Array<{ recipientCard: string; requestNo: number; outcome: 'declined' | 'already'; reversed?: { txId: string; amount: number } }>;
  movements: CentralBankMovement[];
}

// ------------------------------------------------------------------------------------------- intermediary

/** The central bank's endpoints that an intermediary's outbox may send several of in one POST /register/batch. */
export type RegisterPath = '/register/settle' | '/pool/advance' | '/pool/repay' | '/register/decline';
export const REGISTER_PATHS: readonly RegisterPath[] = ['/register/settle', '/pool/advance', '/pool/repay', '/register/decline'];

/** At most this many requests in one POST /register/batch, and at most this many bytes of their bodies together. */
export const MAX_BATCHED_REQUESTS = 64;
export const MAX_BATCHED_BYTES = 48 * 1024;

/** One request inside POST /register/batch: what it would be alone (its body as the exact text it would send). */
export interface BatchedRequest {
  path: RegisterPath;
  idempotencyKey: string;
  body: string;
}

/** The answer of POST /register/batch: per request, in order, the status and body it would have been answered alone. */
export interface BatchAnswer {
  answers: Array<{ status: number; body: unknown }>;
}

export interface IntermediaryInfo {
  service: 'intermediary';
  intermediaryId: number;
  name: string;
  publicKey: string;
  /** Null until the central bank has certified this intermediary. */
  certificate: string | null;
  rootPublicKey: string;
  liquidity: Liquidity;
}

export interface NewUser {
  userId: string;
  name: string;
  /** The user's bearer token: shown once, only its hash is kept. */
  token: string;
}

export interface CardView {
  cardId: string;
  userId: string;
  role: 'USER' | 'MERCHANT';
  status: 'active' | 'blocked' | 'closed';
  /** The lifecycle state the card last reported. */
  lifecycle: 'ACTIVE' | 'BLOCKED' | 'TERMINATED';
  /** The state an instruction will set at the card's next contact, when it differs. */
  pendingLifecycle: 'ACTIVE' | 'BLOCKED' | 'TERMINATED' | null;
  /** The policy the card last reported having. */
  policy: Policy;
  /** The policy an instruction will set at the card's next contact, when one is due. */
  pendingPolicy: Policy | null;
  shadow: number;
  pendingIn: number;
  pendingOut: number;
  reservedTopUps: number;
  /** Payments credited to the card that it never reported receiving: kept out of its balance until it does (or declines). */
  withheld: number;
  /** shadow + pending in - pending out - reserved top-ups - withheld: what the card's balance is covered by. */
  coverage: number;
  lost: boolean;
  refunded: boolean;
  certificate: string;
}

export interface UserView {
  userId: string;
  name: string;
  online: number;
  cards: CardView[];
}

export interface CertifiedCard {
  cardId: string;
  /** The card certificate (144 bytes, hex). */
  certificate: string;
}

export interface OrderView {
  orderId: number;
  cardId: string;
  kind: 'TOP_UP' | 'DEFUND';
  amount: number;
  /** The card's order number, fixed when the order is first signed. */
  orderSeq: number | null;
  state: 'open' | 'applied' | 'completed' | 'superseded' | 'cancelled';
}

/** The answer to an instruction request: the signed instruction (hex), or null with the reason nothing is due. */
export interface InstructionAnswer {
  instruction: string | null;
  reason?: string;
}

export interface SyncAnswer {
  /**
   * synchronised: `instruction` is the SYNC_RESULT to apply. blocked: an anomaly; `instruction` is a SET LIFECYCLE
   * BLOCKED for the report's challenge. lifecycle: a lifecycle change is due first; `instruction` is it, sync again
   * after. closed: the card is terminated; its records are settled and its money moved online; nothing to apply.
   */
  outcome: 'synchronised' | 'blocked' | 'lifecycle' | 'closed';
  instruction: string | null;
  newBalance?: number;
  swept?: number;
  anomalies?: Array<{ kind: string; detail: string }>;
}

export interface ClaimResult {
  txId: string;
  outcome: 'accepted' | 'rejected';
  reason?: string;
}

// ------------------------------------------------------------------------------------------------- audits

export interface CardCoverage {
  cardId: string;
  shadow: number;
  pendingIn: number;
  pendingOut: number;
  reservedTopUps: number;
  coverage: number;
  /** The balance in the card's last signed report, minus its payments and de-funds known since; null before its first sync. */
  reportedBalance: number | null;
  /** True when the coverage is below the reported balance. */
  uncovered: boolean;
}

export interface IntermediaryAudit {
  intermediaryId: number;
  treasury: number;
  online: number;
  shadow: number;
  clearing: number;
  /** What this intermediary believes its central-bank position is (minus its mirror account). */
  position: number;
  /** treasury + online + shadow + clearing = position, the journal agrees with the balances, clearing matches the transactions in flight. */
  balanced: boolean;
  problems: string[];
  undeliveredOutbox: number;
  anomalies: number;
  /** Cards whose coverage was checked (all of them). */
  cardsChecked: number;
  /** The cards whose coverage is below what their last report proves they hold (details per card: GET /cards/{id}). */
  cards: CardCoverage[];
  uncoveredCards: string[];
}

export interface CentralBankAudit {
  issued: number;
  poolOutstanding: number;
  positions: Record<string, number>;
  /** Σ positions = issued + pool outstanding, the journal agrees with the balances. */
  balanced: boolean;
  problems: string[];
  register: { settled: number; reversed: number; declines: number; amountSettled: number };
  undeliveredOutbox: number;
}

export interface NetworkAudit {
  centralBank: CentralBankAudit;
  intermediaries: IntermediaryAudit[];
  /** Every service balanced, every position equal to what its intermediary books (in-flight amounts counted), every card covered. */
  balanced: boolean;
  problems: string[];
}
