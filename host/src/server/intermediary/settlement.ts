// The intermediary's settlement bookkeeping (docs/NETWORK.md section 2), inside database transactions: the payer
// path (fund from the shadow wallet, ask the pool, or wait), the answers of the register, the central bank's
// movements, de-fund completion and claw-backs. Every function takes the repositories of the running transaction
// and an `Outgoing` collector; the messages it collects are written to the outbox by the same transaction.
//
// Accounts: `treasury`, `online:<user>`, `shadow:<card>`, `clearing` (paid by a payer's shadow, not yet confirmed by
// the register) and `position` (minus the central bank's position of this intermediary, as booked here).

import { randomUUID } from 'node:crypto';
import type { CentralBankMovement, DeclineItem, SettleResult, SignedTransactionJson } from '../api.ts';
import { fromHex, toHex } from '../../codec/hex.ts';
import { cardIdHex } from '../../codec/ids.ts';
import { decodeTransaction, type Transaction, transactionId } from '../../codec/messages.ts';
import { LedgerError, type OutboxMessage } from '../ledger.ts';
import { fundingDecision, isPendingIn, type Liquidity, type PayerState } from './rules.ts';
import type { CardRow, IntermediaryRepositories, TransactionRow } from './store.ts';

export const TREASURY = 'treasury';
export const CLEARING = 'clearing';
export const POSITION = 'position';
export const online = (userId: string) => `online:${userId}`;
export const shadow = (cardId: string) => `shadow:${cardId}`;

/** Payer states in which the card has spent the money and its shadow has not paid it yet. */
export const PENDING_OUT_STATES: readonly PayerState[] = ['known', 'pending', 'advance-requested', 'advanced'];
/** Payer states the payer path works on: new, waiting for funds, owing the pool. */
const WAITING_STATES: readonly PayerState[] = ['known', 'pending', 'advanced'];
/** Payer states whose money sits in `clearing`. */
export const CLEARING_STATES: readonly PayerState[] = ['debited', 'repaying'];

/** The account a card's payments are paid from and its credits go to: its shadow, or its user's online wallet once refunded or closed. */
export function cardAccount(card: CardRow): string {
  return card.refundedAt !== null ? online(card.userId) : shadow(card.id);
}

/** Items per outbox message. */
export const OUTBOX_BATCH = 64;

/** Messages a transaction decided to send; written to the outbox at its end. */
export class Outgoing {
  readonly settle: SignedTransactionJson[] = [];
  readonly advance: SignedTransactionJson[] = [];
  readonly repay: string[] = [];
  readonly declines: DeclineItem[] = [];
  readonly claims = new Map<number, SignedTransactionJson[]>();

  claim(payerIntermediary: number, tx: SignedTransactionJson): void {
    const list = this.claims.get(payerIntermediary) ?? [];
    list.push(tx);
    this.claims.set(payerIntermediary, list);
  }

  /**
   * Writes one outbox message per kind and target (split in chunks of OUTBOX_BATCH items, well inside the
   * receivers' body limit); answers their ids, to deliver after the commit.
   */
  async flush(r: IntermediaryRepositories, now: number): Promise<OutboxMessage[]> {
    const ids: OutboxMessage[] = [];
    const add = async (target: string, path: string, items: unknown[]) => {
      for (let at = 0; at < items.length; at += OUTBOX_BATCH) {
        const body = JSON.stringify({ items: items.slice(at, at + OUTBOX_BATCH) });
        const idempotencyKey = randomUUID();
        const id = await r.outbox.add({ target, path, body, idempotencyKey, at: now });
        ids.push({ id, target, path, body, idempotencyKey, attempts: 0, nextAttemptAt: now, lastError: null, createdAt: now });
      }
    };
    await add('central-bank', '/register/settle', this.settle);
    await add('central-bank', '/pool/advance', this.advance);
    await add('central-bank', '/pool/repay', this.repay.map((txId) => ({ txId })));
    await add('central-bank', '/register/decline', this.declines);
    for (const [im, items] of this.claims) await add(`im:${im}`, '/interbank/claims', items);
    return ids;
  }
}

export interface BooksContext {
  intermediaryId: number;
  liquidity: Liquidity;
  now: () => number;
}

function signedJson(row: TransactionRow): SignedTransactionJson {
  return { body: row.body, signature: row.signature };
}

/** The row of a decoded transaction as first seen here. */
export function transactionRow(tx: Transaction, body: string, signature: string, me: number, recipientReported: boolean, now: number): TransactionRow {
  return {
    id: toHex(transactionId(tx)),
    body: body.toUpperCase(),
    signature: signature.toUpperCase(),
    payerCard: cardIdHex(tx.payerId),
    payerSeq: tx.payerSeq,
    payerIm: tx.payerIntermediary,
    recipientCard: cardIdHex(tx.recipientId),
    recipientIm: tx.recipientIntermediary,
    requestNo: tx.requestNo,
    amount: tx.amount,
    payerState: tx.payerIntermediary === me ? 'known' : null,
    recipientState: tx.recipientIntermediary === me ? (recipientReported ? 'reported' : 'unreported') : null,
    recipientReported: recipientReported ? 1 : 0,
    fundedBy: null,
    createdAt: now,
    updatedAt: now,
  };
}

export class Books {
  constructor(private readonly ctx: BooksContext) {}

  private get me(): number {
    return this.ctx.intermediaryId;
  }

  private async anomaly(r: IntermediaryRepositories, cardId: string, kind: string, detail: string, evidence: unknown, block: boolean): Promise<void> {
    await r.anomalies.add({ cardId, kind, detail, evidence: JSON.stringify(evidence), at: this.ctx.now() });
    if (block) {
      const card = await r.cards.get(cardId);
      if (card && card.status !== 'closed') await r.cards.update(cardId, { status: 'blocked', targetLifecycle: 3 /* STATE.BLOCKED */ });
    }
  }

  /**
   * Records a transaction (new, or known: then only the recipient's report is added). Answers the row and whether
   * the recipient's report is new (a claim is due).
   */
  async record(r: IntermediaryRepositories, tx: Transaction, body: string, signature: string, recipientReported: boolean): Promise<{ row: TransactionRow; newlyReported: boolean; inserted: boolean }> {
    const fresh = transactionRow(tx, body, signature, this.me, recipientReported, this.ctx.now());
    if (await r.transactions.insertIfAbsent(fresh)) {
      return { row: fresh, newlyReported: recipientReported && fresh.recipientState === 'reported', inserted: true };
    }
    const id = fresh.id;
    const existing = (await r.transactions.get(id))!;
    if (recipientReported && existing.recipientReported === 0) {
      // The card holds it now: no longer withheld. Not credited yet: pending in, and claimed when the payer is elsewhere.
      const recipientState = existing.recipientState === 'unreported' ? 'reported' : existing.recipientState;
      await r.transactions.update(id, { recipientState, recipientReported: 1, updatedAt: this.ctx.now() });
      return { row: { ...existing, recipientState, recipientReported: 1 }, newlyReported: recipientState === 'reported', inserted: false };
    }
    return { row: existing, newlyReported: false, inserted: false };
  }

  private async setPayerState(r: IntermediaryRepositories, row: TransactionRow, payerState: PayerState, fundedBy?: TransactionRow['fundedBy']): Promise<void> {
    await r.transactions.update(row.id, { payerState, ...(fundedBy !== undefined ? { fundedBy } : {}), updatedAt: this.ctx.now() });
    row.payerState = payerState;
  }

  /** The recipient side of a transaction that will never be paid (declined, duplicate, conflict). */
  private async rejectRecipient(r: IntermediaryRepositories, row: TransactionRow): Promise<void> {
    if (row.recipientIm === this.me && row.recipientState !== 'credited' && row.recipientState !== 'reversed') {
      await r.transactions.update(row.id, { recipientState: 'rejected', updatedAt: this.ctx.now() });
    }
  }

  /**
   * The payer path for every payment of `cardId` that waits for money, in payer sequence order: debit the card's
   * account and ask the register; or ask the pool; or wait. Also repays pool advances and completes de-funds the card
   * applied, when the money is there. Called after anything that may have credited the card. `waiting`: all the
   * card's payments that wait, when the caller knows them (those it has just recorded for a card that had none
   * waiting, `hasWaiting`); otherwise they are read.
   */
  async fundPayer(r: IntermediaryRepositories, cardId: string, out: Outgoing, waiting?: readonly TransactionRow[]): Promise<void> {
    if (waiting === undefined && !(await this.hasWaiting(r, cardId))) return; // the usual case after a credit: nothing waits
    const card = await r.cards.get(cardId);
    if (!card) return;
    const account = cardAccount(card);
    // Money credited for payments the card never reported is not spent for it: a decline may still take it back.
    const withheld = account === shadow(card.id) ? await r.transactions.withheld(card.id) : 0;
    const rows = waiting ? [...waiting].sort((a, b) => a.payerSeq - b.payerSeq) : await r.transactions.byPayer(cardId, WAITING_STATES);
    const declined = await r.declines.declinedOf(rows.filter((row) => row.payerState !== 'advanced'));
    // Only this loop's own debits change the account while it runs.
    let available = (await r.ledger.balance(account)) - withheld;
    for (const row of rows) {
      if (row.payerState !== 'advanced' && declined.has(`${row.recipientCard}:${row.requestNo}`)) {
        await this.setPayerState(r, row, 'declined');
        await this.rejectRecipient(r, row);
        continue;
      }
      if (row.payerState === 'advanced') {
        if (available >= row.amount) {
          await r.ledger.move({ debit: account, credit: CLEARING, amount: row.amount, kind: 'repay-debit', reference: row.id });
          available -= row.amount;
          await this.setPayerState(r, row, 'repaying');
          out.repay.push(row.id);
        }
        continue;
      }
      const decision = fundingDecision(available, row.amount, this.ctx.liquidity);
      if (decision === 'debit') {
        await r.ledger.move({ debit: account, credit: CLEARING, amount: row.amount, kind: 'tx-debit', reference: row.id });
        available -= row.amount;
        await this.setPayerState(r, row, 'debited', card.refundedAt !== null ? 'online' : 'shadow');
        out.settle.push(signedJson(row));
      } else if (decision === 'advance' && row.payerState === 'known') {
        await this.setPayerState(r, row, 'advance-requested');
        out.advance.push(signedJson(row));
      } else if (row.payerState === 'known') {
        await this.setPayerState(r, row, 'pending');
      }
    }
    for (const order of await r.orders.unfinished(cardId)) {
      if (order.kind === 'DEFUND' && order.state === 'applied') await this.completeDefund(r, card, order.id, order.amount);
    }
  }

  /** True when the card has a payment waiting for money (or a de-fund it applied waiting for funds). */
  hasWaiting(r: IntermediaryRepositories, cardId: string): Promise<boolean> {
    return r.transactions.hasWaiting(cardId, WAITING_STATES);
  }

  /** A de-fund the card applied: shadow -> online once, when the shadow holds it (else it waits for funds). */
  async completeDefund(r: IntermediaryRepositories, card: CardRow, orderId: number, amount: number): Promise<boolean> {
    const from = cardAccount(card);
    if (from === online(card.userId)) {
      await r.orders.update(orderId, { state: 'completed', closedAt: this.ctx.now() });
      return true;
    }
    if ((await r.ledger.balance(from)) < amount) {
      await r.orders.update(orderId, { state: 'applied' });
      return false;
    }
    await r.ledger.move({ debit: from, credit: online(card.userId), amount, kind: 'defund', reference: String(orderId) });
    await r.orders.update(orderId, { state: 'completed', closedAt: this.ctx.now() });
    return true;
  }

  /**
   * Money for a card arrived (a settlement, an advance, a reversal): credit its account and let it pay what waits.
   * It comes from `position` (through the central bank) or, for a payment between two cards of this intermediary,
   * straight from `clearing`.
   */
  private async creditCard(r: IntermediaryRepositories, cardId: string, amount: number, kind: string, reference: string, out: Outgoing, from = POSITION, mayWait = true): Promise<void> {
    const card = await r.cards.get(cardId);
    if (!card) {
      // A payment to a card this intermediary does not know: it cannot have been signed for one of ours. Keep the
      // money in the treasury and record it, so the books stay whole and someone looks at it.
      if (await r.ledger.move({ debit: from, credit: TREASURY, amount, kind, reference })) {
        await r.anomalies.add({ cardId, kind: 'unknown-recipient', detail: `A credit of ${amount} öre (${kind} ${reference}) names a card this intermediary did not issue.`, evidence: '{}', at: this.ctx.now() });
      }
      return;
    }
    await r.ledger.move({ debit: from, credit: cardAccount(card), amount, kind, reference });
    if (mayWait) await this.fundPayer(r, cardId, out);
  }

  // ------------------------------------------------------------------------------------- central bank answers

  /**
   * The register's answers for transactions this intermediary debited, each on its own row (`applySettleResult`).
   * Which of the recipients here have payments waiting is asked once for all of them: booking these answers makes
   * no card wait (only a card's own payer path takes from it), so what a card credited below may pay is known now.
   */
  async applySettleResults(r: IntermediaryRepositories, results: readonly SettleResult[], out: Outgoing): Promise<void> {
    const rows = await r.transactions.getMany(results.map((result) => result.txId));
    const recipientsHere = [...rows.values()].filter((row) => row.payerState === 'debited' && row.recipientIm === this.me).map((row) => row.recipientCard);
    const waiting = await r.transactions.waitingAmong(recipientsHere, WAITING_STATES);
    for (const result of results) await this.applySettleResult(r, result, out, rows.get(result.txId), waiting);
  }

  /**
   * The register's answer for a transaction this intermediary debited (`debited` -> settled, or refunded), on its
   * row as read. `waiting`: the cards here that have payments waiting (a recipient not among them is credited without
   * its payer path).
   */
  private async applySettleResult(r: IntermediaryRepositories, result: SettleResult, out: Outgoing, row: TransactionRow | undefined, waiting: ReadonlySet<string>): Promise<void> {
    if (!row || row.payerState !== 'debited') return; // answered before: nothing twice
    let outcome = result.outcome;
    if (outcome === 'already') {
      if (result.state === 'reversed') outcome = 'declined';
      else if (result.fundedBy === 'pool' && result.advanceState === 'outstanding') {
        // The pool paid the recipient already: the debit becomes the repayment.
        await this.setPayerState(r, row, 'repaying', 'pool');
        out.repay.push(row.id);
        return;
      } else if (result.fundedBy === 'pool') outcome = 'declined';
      else outcome = 'settled';
    }
    if (outcome === 'settled') {
      if (row.recipientIm === this.me) {
        // Both cards are ours: the central bank's positions do not change and no credit comes back from it; the
        // register's answer is the settlement, and the money goes from clearing to the recipient at once.
        await r.transactions.update(row.id, { payerState: 'settled', recipientState: 'credited', updatedAt: this.ctx.now() });
        row.payerState = 'settled';
        row.recipientState = 'credited';
        await this.creditCard(r, row.recipientCard, row.amount, 'tx-settle', row.id, out, CLEARING, waiting.has(row.recipientCard));
      } else {
        await r.ledger.move({ debit: CLEARING, credit: POSITION, amount: row.amount, kind: 'tx-settle', reference: row.id });
        await this.setPayerState(r, row, 'settled');
      }
      return;
    }
    await this.refundPayer(r, row, 'tx-refund', out);
    await this.setPayerState(r, row, 'declined');
    await this.rejectRecipient(r, row);
    if (outcome === 'duplicate-request' || outcome === 'conflict' || outcome === 'refused') {
      await this.anomaly(r, row.payerCard, outcome, `The register refused transaction ${row.id}: ${result.reason ?? outcome}.`, { txId: row.id, body: row.body, signature: row.signature }, outcome === 'conflict');
    }
  }

  private async refundPayer(r: IntermediaryRepositories, row: TransactionRow, kind: string, out: Outgoing): Promise<void> {
    const card = await r.cards.get(row.payerCard);
    const account = card ? cardAccount(card) : TREASURY;
    await r.ledger.move({ debit: CLEARING, credit: account, amount: row.amount, kind, reference: row.id });
    if (card) await this.fundPayer(r, card.id, out);
  }

  async applyAdvanceResult(r: IntermediaryRepositories, result: { txId: string; outcome: string; state?: string; fundedBy?: string; advanceState?: string | null; reason?: string }, out: Outgoing): Promise<void> {
    const row = await r.transactions.get(result.txId);
    if (!row || row.payerState !== 'advance-requested') return;
    const outcome = result.outcome === 'already' ? (result.state === 'settled' && result.fundedBy === 'pool' && result.advanceState === 'outstanding' ? 'advanced' : 'declined') : result.outcome;
    if (outcome === 'advanced') {
      await this.setPayerState(r, row, 'advanced', 'pool');
      await this.fundPayer(r, row.payerCard, out); // the money may be there by now: repay at once
    } else if (outcome === 'pool-unavailable') {
      await this.setPayerState(r, row, 'pending');
      await this.fundPayer(r, row.payerCard, out);
    } else {
      await this.setPayerState(r, row, 'declined');
      await this.rejectRecipient(r, row);
      if (outcome !== 'declined') await this.anomaly(r, row.payerCard, outcome, `The register refused the advance for ${row.id}: ${result.reason ?? outcome}.`, { txId: row.id }, outcome === 'conflict');
    }
  }

  async applyRepayResult(r: IntermediaryRepositories, result: { txId: string; outcome: string }, out: Outgoing): Promise<void> {
    const row = await r.transactions.get(result.txId);
    if (!row || row.payerState !== 'repaying') return;
    if (result.outcome === 'repaid' || result.outcome === 'already') {
      await r.ledger.move({ debit: CLEARING, credit: POSITION, amount: row.amount, kind: 'repay-settle', reference: row.id });
      await this.setPayerState(r, row, 'settled');
    } else if (result.outcome === 'cancelled') {
      await this.refundPayer(r, row, 'repay-refund', out);
      await this.setPayerState(r, row, 'declined');
    }
  }

  /** A claim this intermediary sent was refused by the payer's intermediary: the recipient will not be paid through it. */
  async applyClaimResult(r: IntermediaryRepositories, result: { txId: string; outcome: string; reason?: string }): Promise<void> {
    if (result.outcome !== 'rejected') return;
    const row = await r.transactions.get(result.txId);
    if (!row || !isPendingIn(row.recipientState)) return;
    await r.transactions.update(row.id, { recipientState: 'rejected', updatedAt: this.ctx.now() });
    await r.anomalies.add({
      cardId: row.recipientCard,
      kind: 'claim-rejected',
      detail: `The payer's intermediary ${row.payerIm} rejected the claim for ${row.id}: ${result.reason ?? 'no reason given'}.`,
      evidence: JSON.stringify({ txId: row.id, body: row.body, signature: row.signature }),
      at: this.ctx.now(),
    });
  }

  // ---------------------------------------------------------------------------------------------- movements

  /** Books one movement of the central bank, once (every booking is unique by kind and reference). */
  async applyMovement(r: IntermediaryRepositories, m: CentralBankMovement, out: Outgoing): Promise<void> {
    switch (m.kind) {
      case 'issue':
        await r.ledger.move({ debit: POSITION, credit: TREASURY, amount: m.amount, kind: 'issue', reference: m.id });
        return;
      case 'credit': {
        if (await r.ledger.moved('credit', m.txId)) return;
        const tx = decodeTransaction(fromHex(m.transaction.body));
        const { row } = await this.record(r, tx, m.transaction.body, m.transaction.signature, false);
        await r.transactions.update(row.id, { recipientState: 'credited', updatedAt: this.ctx.now() });
        await this.creditCard(r, row.recipientCard, m.amount, 'credit', m.txId, out);
        return;
      }
      case 'reversal-credit': {
        const row = await r.transactions.get(m.txId);
        if (!row || (await r.ledger.moved('reversal-credit', m.txId))) return;
        await this.setPayerState(r, row, 'reversed');
        await this.creditCard(r, row.payerCard, m.amount, 'reversal-credit', m.txId, out);
        return;
      }
      case 'reversal-debit': {
        const row = await r.transactions.get(m.txId);
        if (!row) return;
        await this.clawBack(r, row, m.amount);
        return;
      }
      case 'advance-cancelled': {
        const row = await r.transactions.get(m.txId);
        if (!row) return;
        if (row.payerState === 'advanced' || row.payerState === 'advance-requested') {
          await this.setPayerState(r, row, 'declined');
        } else if (row.payerState === 'repaying') {
          await this.refundPayer(r, row, 'repay-refund', out);
          await this.setPayerState(r, row, 'declined');
        }
        return;
      }
    }
  }

  /**
   * A credited transaction was declined: take the amount back from the recipient card's account, then its user's
   * online wallet, and what is still missing from the treasury (recorded as an anomaly: the user owes it). If even
   * that is short the movement is refused and retried later (money in clearing comes back).
   */
  private async clawBack(r: IntermediaryRepositories, row: TransactionRow, amount: number): Promise<void> {
    if (row.recipientState === 'reversed') return;
    const card = await r.cards.get(row.recipientCard);
    const sources = card ? [...new Set([cardAccount(card), online(card.userId), TREASURY])] : [TREASURY];
    let missing = amount;
    const plan: Array<{ account: string; amount: number }> = [];
    for (const account of sources) {
      if (missing === 0) break;
      const take = Math.min(missing, await r.ledger.balance(account));
      if (take > 0) plan.push({ account, amount: take });
      missing -= take;
    }
    if (missing > 0) throw new LedgerError('insufficient-funds', `The claw-back of ${row.id} is short of ${missing} öre; it is retried.`);
    for (const [i, step] of plan.entries()) {
      await r.ledger.move({ debit: step.account, credit: POSITION, amount: step.amount, kind: `clawback-${i + 1}`, reference: row.id });
    }
    await r.transactions.update(row.id, { recipientState: 'reversed', updatedAt: this.ctx.now() });
    if (plan.some((s) => s.account === TREASURY)) {
      await r.anomalies.add({
        cardId: row.recipientCard,
        kind: 'reversal-shortfall',
        detail: `Transaction ${row.id} was declined after its ${amount} öre reached the recipient; the treasury paid what the recipient's wallets lacked.`,
        evidence: JSON.stringify({ txId: row.id, plan }),
        at: this.ctx.now(),
      });
    }
  }
}
