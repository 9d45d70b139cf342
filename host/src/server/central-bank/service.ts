// The central bank (docs/NETWORK.md sections 1, 2, 4): root key, intermediary certificates, issuance, the register
// that settles every offline transaction at most once across the network, the liquidity pool, the directory, and
// the audits.
//
// Money at the central bank: `issuance` (minus all e-krona issued), `pool` (minus the advances outstanding) and one
// `position:<id>` per intermediary (never below zero). Every change is one database transaction with its journal
// lines; what an intermediary must book as a consequence travels as a "movement" (api.ts CentralBankMovement):
// in the answer when it is addressed to the caller, else through the outbox.

import { randomUUID } from 'node:crypto';
import type { CentralBankAudit, CentralBankInfo, CentralBankMovement, DeclineAnswer, DeclineItem, DirectoryEntry, IntermediaryAudit, IssueAnswer, Liquidity, NetworkAudit, RepayAnswer, SettleAnswer, SettleResult, SignedTransactionJson, AdvanceAnswer } from '../api.ts';
import { encodeIntermediaryCertificate, encodeIntermediaryCertificateBody } from '../../codec/certificates.ts';
import { CodecError } from '../../codec/errors.ts';
import { fromHex, toHex } from '../../codec/hex.ts';
import { cardIdHex } from '../../codec/ids.ts';
import { decodeTransaction, type Transaction, transactionId } from '../../codec/messages.ts';
import { decodeRecord } from '../../codec/records.ts';
import type { TransactionRunner } from '../db/sqlite.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { OutboxDelivery } from '../http/outbox.ts';
import { PeerCaller } from '../http/peers.ts';
import { CENTRAL_BANK_SENDER, sha256Hex } from '../http/service-auth.ts';
import { crashPoint } from '../crash-points.ts';
import { LedgerError } from '../ledger.ts';
import { isCurvePoint, type SigningKey, signStructure } from '../signatures.ts';
import type { CentralBankRepositories, RegisterRow } from './store.ts';

export interface CentralBankConfig {
  liquidity: Liquidity;
  /** Most the pool may have advanced and not been repaid at once (öre). */
  poolLimit: number;
}

export const position = (intermediaryId: number) => `position:${intermediaryId}`;

/** How a movement changes the receiving intermediary's position (for the network audit's in-flight sums). */
export function movementEffect(m: CentralBankMovement): number {
  switch (m.kind) {
    case 'issue':
    case 'credit':
    case 'reversal-credit':
      return m.amount;
    case 'reversal-debit':
      return -m.amount;
    case 'advance-cancelled':
      return 0;
  }
}

function decodeTx(json: SignedTransactionJson, index: number): { tx: Transaction; txId: string; body: string; signature: string } {
  try {
    const tx = decodeTransaction(fromHex(json.body));
    return { tx, txId: toHex(transactionId(tx)), body: json.body.toUpperCase(), signature: json.signature.toUpperCase() };
  } catch (cause) {
    throw badRequest('invalid-transaction', `items[${index}].body is not a valid transaction: ${(cause as Error).message}`);
  }
}

interface Effects {
  movements: Map<number, CentralBankMovement[]>;
}

function addMovement(effects: Effects, intermediaryId: number, movement: CentralBankMovement): void {
  const list = effects.movements.get(intermediaryId) ?? [];
  list.push(movement);
  effects.movements.set(intermediaryId, list);
}

export class CentralBankService {
  readonly outbox: OutboxDelivery<CentralBankRepositories>;
  private readonly peers: PeerCaller;
  private readonly urls = new Map<number, string>();
  /** Registered intermediaries' keys, by id, once read (they never change). */
  private readonly keys = new Map<number, Uint8Array>();
  readonly rootPublicKey: Uint8Array;

  constructor(
    private readonly runner: TransactionRunner<CentralBankRepositories>,
    private readonly key: SigningKey,
    readonly config: CentralBankConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.rootPublicKey = key.publicKey;
    this.peers = new PeerCaller(key, CENTRAL_BANK_SENDER);
    this.outbox = new OutboxDelivery({
      runner,
      now,
      send: async (message) => {
        const id = Number(message.target.slice(3));
        const url = await this.urlOf(id);
        return this.peers.call(url, 'POST', message.path, message.body, message.idempotencyKey);
      },
      apply: async () => undefined, // an intermediary's acknowledgement needs no booking here
    });
  }

  async init(): Promise<void> {
    await this.runner.transaction(async (r) => {
      await r.ledger.open('issuance', { source: true });
      await r.ledger.open('pool', { source: true });
      for (const im of await r.intermediaries.all()) this.urls.set(im.id, im.url);
    });
  }

  info(): CentralBankInfo {
    return { service: 'central-bank', rootPublicKey: toHex(this.rootPublicKey), liquidity: this.config.liquidity, poolLimit: this.config.poolLimit };
  }

  private async urlOf(id: number): Promise<string> {
    const known = this.urls.get(id);
    if (known) return known;
    const row = await this.runner.transaction((r) => r.intermediaries.get(id));
    if (!row) throw new Error(`intermediary ${id} is not registered`);
    this.urls.set(id, row.url);
    return row.url;
  }

  /**
   * The public key of a registered intermediary (to verify its service requests). Kept once read: a registered
   * intermediary's key never changes (registering its id again with another key is refused), and every register
   * request needs it, so no request waits for a database transaction of its own to learn it.
   */
  async intermediaryKey(id: number): Promise<Uint8Array | undefined> {
    const known = this.keys.get(id);
    if (known) return known;
    const row = await this.runner.transaction((r) => r.intermediaries.get(id));
    if (!row) return undefined;
    const key = fromHex(row.publicKey);
    this.keys.set(id, key);
    return key;
  }

  // ------------------------------------------------------------------------------------------- directory

  /** Certifies an intermediary's key (the key must be a point of the curve) and lists it in the directory. */
  async registerIntermediary(request: { id: number; name: string; url: string; publicKey: string }): Promise<DirectoryEntry> {
    const publicKey = fromHex(request.publicKey);
    if (!isCurvePoint(publicKey)) throw badRequest('invalid-key', 'publicKey is not a point of P-256.');
    const entry = await this.runner.transaction(async (r) => {
      const existing = await r.intermediaries.get(request.id);
      const keyHex = toHex(publicKey);
      if (existing) {
        if (existing.publicKey !== keyHex) throw conflict('intermediary-exists', `Intermediary ${request.id} is registered with another key.`);
        await r.intermediaries.setUrl(request.id, request.url);
        return { id: existing.id, name: existing.name, url: request.url, certificate: existing.certificate };
      }
      if (await r.intermediaries.byPublicKey(keyHex)) throw conflict('key-in-use', 'This key is registered for another intermediary.');
      const certificate = signStructure({ intermediaryId: request.id, publicKey }, encodeIntermediaryCertificateBody, this.key);
      const row = { id: request.id, name: request.name, url: request.url, publicKey: keyHex, certificate: toHex(encodeIntermediaryCertificate(certificate)), registeredAt: this.now() };
      await r.intermediaries.put(row);
      await r.ledger.open(position(request.id));
      return { id: row.id, name: row.name, url: row.url, certificate: row.certificate };
    });
    this.urls.set(entry.id, entry.url);
    return entry;
  }

  async directory(): Promise<DirectoryEntry[]> {
    const rows = await this.runner.transaction((r) => r.intermediaries.all());
    return rows.map((row) => ({ id: row.id, name: row.name, url: row.url, certificate: row.certificate }));
  }

  async directoryEntry(id: number): Promise<DirectoryEntry> {
    const row = await this.runner.transaction((r) => r.intermediaries.get(id));
    if (!row) throw notFound('unknown-intermediary', `No intermediary has id ${id}.`);
    return { id: row.id, name: row.name, url: row.url, certificate: row.certificate };
  }

  // --------------------------------------------------------------------------------------------- issuance

  /** New e-krona for an intermediary: issuance -> position, and an outbox message crediting its treasury. */
  async issue(intermediaryId: number, amount: number): Promise<IssueAnswer> {
    const { answer, outboxIds } = await this.runner.transaction(async (r) => {
      if (!(await r.intermediaries.get(intermediaryId))) throw notFound('unknown-intermediary', `No intermediary has id ${intermediaryId}.`);
      const issueId = await r.issues.add(intermediaryId, amount, this.now());
      await r.ledger.move({ debit: 'issuance', credit: position(intermediaryId), amount, kind: 'issue', reference: String(issueId) });
      const effects: Effects = { movements: new Map() };
      addMovement(effects, intermediaryId, { id: `issue:${issueId}`, kind: 'issue', amount });
      const outboxIds = await this.enqueue(r, effects, undefined);
      return { answer: { issueId, intermediaryId, amount, position: await r.ledger.balance(position(intermediaryId)) }, outboxIds };
    });
    await this.outbox.deliver(outboxIds);
    return answer;
  }

  /** Writes one outbox message per intermediary other than `caller`; returns their ids. */
  private async enqueue(r: CentralBankRepositories, effects: Effects, caller: number | undefined): Promise<number[]> {
    const ids: number[] = [];
    for (const [target, movements] of effects.movements) {
      if (target === caller) continue;
      ids.push(
        await r.outbox.add({ target: `im:${target}`, path: '/interbank/movements', body: JSON.stringify({ movements }), idempotencyKey: randomUUID(), at: this.now() }),
      );
    }
    return ids;
  }

  // --------------------------------------------------------------------------------------------- register

  private async recordSettlement(
    r: CentralBankRepositories,
    callerId: number,
    item: { tx: Transaction; txId: string; body: string; signature: string },
    fundedBy: 'shadow' | 'pool',
    effects: Effects,
  ): Promise<Omit<SettleResult, 'outcome'> & { outcome: SettleResult['outcome'] | 'advanced' | 'pool-unavailable' }> {
    const { tx, txId } = item;
    const recipientCard = cardIdHex(tx.recipientId);
    const existing = await r.register.get(txId);
    if (existing) {
      if (existing.body !== item.body) return { txId, outcome: 'conflict', reason: 'The register holds this transaction id with other content.' };
      return { txId, outcome: 'already', fundedBy: existing.fundedBy, state: existing.state, advanceState: existing.advanceState };
    }
    if (await r.declines.get(recipientCard, tx.requestNo)) return { txId, outcome: 'declined' };
    if (await r.register.forRequest(recipientCard, tx.requestNo)) return { txId, outcome: 'duplicate-request', reason: 'Another transaction already paid this request.' };
    // The caller is registered (its signature was checked against its registered key): only another one is looked up.
    if (tx.recipientIntermediary !== callerId && !(await r.intermediaries.get(tx.recipientIntermediary))) {
      return { txId, outcome: 'refused', reason: `The recipient's intermediary ${tx.recipientIntermediary} is not registered.` };
    }
    if (fundedBy === 'pool') {
      if (this.config.liquidity !== 'pool') return { txId, outcome: 'pool-unavailable', reason: 'This network has no liquidity pool.' };
      if ((await r.register.outstandingAdvances()) + tx.amount > this.config.poolLimit) return { txId, outcome: 'pool-unavailable', reason: 'The pool is at its limit.' };
      await r.ledger.move({ debit: 'pool', credit: position(tx.recipientIntermediary), amount: tx.amount, kind: 'advance', reference: txId });
    } else if (tx.payerIntermediary !== tx.recipientIntermediary) {
      try {
        await r.ledger.move({ debit: position(callerId), credit: position(tx.recipientIntermediary), amount: tx.amount, kind: 'settle', reference: txId });
      } catch (error) {
        if (error instanceof LedgerError && error.code === 'insufficient-funds') return { txId, outcome: 'refused', reason: "The payer's intermediary's position does not cover it." };
        throw error;
      }
    }
    const at = this.now();
    await r.register.insert({
      txId,
      body: item.body,
      payerSignature: item.signature,
      payerCard: cardIdHex(tx.payerId),
      payerIm: tx.payerIntermediary,
      recipientCard,
      recipientIm: tx.recipientIntermediary,
      requestNo: tx.requestNo,
      amount: tx.amount,
      fundedBy,
      state: 'settled',
      advanceState: fundedBy === 'pool' ? 'outstanding' : null,
      settledAt: at,
      changedAt: at,
    });
    // Between two cards of one intermediary paid from a shadow wallet no position changes: the register's answer is
    // all that intermediary needs to credit the recipient (docs/NETWORK.md section 2).
    if (fundedBy === 'shadow' && tx.payerIntermediary === tx.recipientIntermediary) return { txId, outcome: 'settled' };
    addMovement(effects, tx.recipientIntermediary, {
      id: `credit:${txId}`,
      kind: 'credit',
      amount: tx.amount,
      txId,
      transaction: { body: item.body, signature: item.signature },
      fundedBy,
    });
    return { txId, outcome: fundedBy === 'pool' ? 'advanced' : 'settled' };
  }

  private decodeItems(callerId: number, items: SignedTransactionJson[]) {
    const decoded = items.map(decodeTx);
    decoded.forEach((d, i) => {
      if (d.tx.payerIntermediary !== callerId) throw forbidden(`items[${i}] is paid by a card of intermediary ${d.tx.payerIntermediary}: only the payer's intermediary settles a transaction.`);
    });
    return decoded;
  }

  /** POST /register/settle: each transaction settles at most once; a declined or already paid request never. */
  async settle(callerId: number, items: SignedTransactionJson[], request: { key: string; raw: string }): Promise<SettleAnswer> {
    const decoded = this.decodeItems(callerId, items);
    return this.registerChange(callerId, request, async (r, effects) => {
      const results: SettleResult[] = [];
      for (const item of decoded) results.push((await this.recordSettlement(r, callerId, item, 'shadow', effects)) as SettleResult);
      return { results };
    });
  }

  /** POST /pool/advance: the pool pays the recipient now for a payer whose shadow wallet is short. */
  async advance(callerId: number, items: SignedTransactionJson[], request: { key: string; raw: string }): Promise<AdvanceAnswer> {
    const decoded = this.decodeItems(callerId, items);
    return this.registerChange(callerId, request, async (r, effects) => {
      const results: AdvanceAnswer['results'] = [];
      for (const item of decoded) results.push(await this.recordSettlement(r, callerId, item, 'pool', effects));
      return { results };
    });
  }

  /** POST /pool/repay: the payer's intermediary pays an advance back (position -> pool). */
  async repay(callerId: number, txIds: string[], request: { key: string; raw: string }): Promise<RepayAnswer> {
    const answer = await this.registerChange(callerId, request, async (r) => {
      const results: RepayAnswer['results'] = [];
      for (const raw of txIds) {
        const txId = raw.toUpperCase();
        const row = await r.register.get(txId);
        if (!row || row.payerIm !== callerId || row.fundedBy !== 'pool') {
          results.push({ txId, outcome: 'unknown' });
        } else if (row.advanceState === 'repaid') {
          results.push({ txId, outcome: 'already' });
        } else if (row.advanceState === 'cancelled') {
          results.push({ txId, outcome: 'cancelled' });
        } else {
          await this.moveOrConflict(r, position(callerId), 'pool', row.amount, 'repay', txId, "The intermediary's position does not cover the repayment.");
          await r.register.update(txId, { advanceState: 'repaid', changedAt: this.now() });
          results.push({ txId, outcome: 'repaid' });
        }
      }
      return { results };
    });
    return { results: answer.results };
  }

  private async moveOrConflict(r: CentralBankRepositories, debit: string, credit: string, amount: number, kind: string, reference: string, reason: string): Promise<void> {
    try {
      await r.ledger.move({ debit, credit, amount, kind, reference });
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'insufficient-funds') throw conflict('position-short', reason);
      throw error;
    }
  }

  /** POST /register/decline: the request can never be paid; a transaction that paid it is reversed. */
  async decline(callerId: number, items: DeclineItem[], request: { key: string; raw: string }): Promise<DeclineAnswer> {
    items.forEach((item, i) => this.checkDeclineEvidence(callerId, item, i));
    return this.registerChange(callerId, request, async (r, effects) => {
      const results: DeclineAnswer['results'] = [];
      for (const item of items) {
        const recipientCard = item.recipientCard.toUpperCase();
        if (await r.declines.get(recipientCard, item.requestNo)) {
          results.push({ recipientCard, requestNo: item.requestNo, outcome: 'already' });
          continue;
        }
        await r.declines.insert({
          recipientCard,
          requestNo: item.requestNo,
          recipientIm: item.recipientIntermediary,
          source: item.source,
          declaredBy: callerId,
          evidence: item.evidence.toUpperCase(),
          at: this.now(),
        });
        const settled = await r.register.forRequest(recipientCard, item.requestNo);
        if (settled && settled.state === 'settled') {
          await this.reverse(r, settled, effects);
          results.push({ recipientCard, requestNo: item.requestNo, outcome: 'declined', reversed: { txId: settled.txId, amount: settled.amount } });
        } else {
          results.push({ recipientCard, requestNo: item.requestNo, outcome: 'declined' });
        }
      }
      return { results };
    });
  }

  private async reverse(r: CentralBankRepositories, row: RegisterRow, effects: Effects): Promise<void> {
    const reason = "The recipient's intermediary's position does not cover the reversal; it is retried.";
    if (row.fundedBy === 'pool' && row.advanceState === 'outstanding') {
      await this.moveOrConflict(r, position(row.recipientIm), 'pool', row.amount, 'advance-cancel', row.txId, reason);
      await r.register.update(row.txId, { advanceState: 'cancelled' });
      addMovement(effects, row.payerIm, { id: `advance-cancelled:${row.txId}`, kind: 'advance-cancelled', amount: row.amount, txId: row.txId });
    } else {
      if (row.payerIm !== row.recipientIm) await this.moveOrConflict(r, position(row.recipientIm), position(row.payerIm), row.amount, 'reverse', row.txId, reason);
      addMovement(effects, row.payerIm, { id: `reversal-credit:${row.txId}`, kind: 'reversal-credit', amount: row.amount, txId: row.txId });
    }
    addMovement(effects, row.recipientIm, { id: `reversal-debit:${row.txId}`, kind: 'reversal-debit', amount: row.amount, txId: row.txId });
    await r.register.update(row.txId, { state: 'reversed', changedAt: this.now() });
  }

  /** The evidence must be the record the decline comes from, and the caller the intermediary entitled to send it. */
  private checkDeclineEvidence(callerId: number, item: DeclineItem, index: number): void {
    let record;
    try {
      record = decodeRecord(fromHex(item.evidence));
    } catch (cause) {
      throw badRequest('invalid-evidence', `items[${index}].evidence is not a log record: ${(cause as CodecError).message}`);
    }
    const card = item.recipientCard.toUpperCase();
    if (item.source === 'decline') {
      if (record.kind !== 'DECLINED' || cardIdHex(record.decline.recipientId) !== card || record.decline.requestNo !== item.requestNo || record.decline.recipientIntermediary !== item.recipientIntermediary) {
        throw badRequest('invalid-evidence', `items[${index}].evidence is not the DECLINED record of this request.`);
      }
      if (callerId !== item.recipientIntermediary) throw forbidden(`items[${index}]: only the recipient's intermediary sends a decline.`);
    } else {
      if (record.kind !== 'OUTGOING' || !record.voided || cardIdHex(record.transaction.recipientId) !== card || record.transaction.requestNo !== item.requestNo || record.transaction.recipientIntermediary !== item.recipientIntermediary) {
        throw badRequest('invalid-evidence', `items[${index}].evidence is not a voided OUTGOING record paying this request.`);
      }
      if (callerId !== record.transaction.payerIntermediary) throw forbidden(`items[${index}]: only the payer's intermediary reports a voided payment.`);
    }
  }

  /**
   * One register request: idempotent by (caller, key), one database transaction; movements for the caller go in the
   * answer, the others into the outbox, delivered right after the commit.
   */
  private async registerChange<T extends object>(
    callerId: number,
    request: { key: string; raw: string },
    work: (r: CentralBankRepositories, effects: Effects) => Promise<T>,
  ): Promise<T & { movements: CentralBankMovement[] }> {
    const { answer, outboxIds } = await this.idempotentWork(`im:${callerId}`, request, async (r) => {
      const effects: Effects = { movements: new Map() };
      const result = await work(r, effects);
      const outboxIds = await this.enqueue(r, effects, callerId);
      return { answer: { ...result, movements: effects.movements.get(callerId) ?? [] }, outboxIds };
    });
    crashPoint('register-committed');
    if (outboxIds.length > 0) void this.outbox.deliver(outboxIds);
    return answer;
  }

  private async idempotentWork<T>(scope: string, request: { key: string; raw: string }, work: (r: CentralBankRepositories) => Promise<{ answer: T; outboxIds: number[] }>): Promise<{ answer: T; outboxIds: number[] }> {
    const requestHash = sha256Hex(request.raw);
    return this.runner.transaction(async (r) => {
      const prior = await r.idempotency.find(scope, request.key);
      if (prior) {
        if (prior.requestHash !== requestHash) throw conflict('idempotency-key-reused', 'This idempotency key was used before with another request.');
        return { answer: JSON.parse(prior.response) as T, outboxIds: [] };
      }
      const done = await work(r);
      await r.idempotency.save({ scope, key: request.key, requestHash, status: 200, response: JSON.stringify(done.answer), at: this.now() });
      return done;
    });
  }

  // ------------------------------------------------------------------------------------------------- audit

  async audit(): Promise<CentralBankAudit> {
    return this.runner.transaction(async (r) => {
      const problems: string[] = [];
      const issued = await r.issues.total();
      const poolOutstanding = await r.register.outstandingAdvances();
      const accounts = await r.ledger.accounts('');
      const positions: Record<string, number> = {};
      let positionsTotal = 0;
      let all = 0;
      for (const a of accounts) {
        all += a.balance;
        if (a.name.startsWith('position:')) {
          positions[a.name.slice('position:'.length)] = a.balance;
          positionsTotal += a.balance;
        }
      }
      const issuance = await r.ledger.balance('issuance');
      const pool = await r.ledger.balance('pool');
      if (-issuance !== issued) problems.push(`The issuance account says ${-issuance} öre issued, the issues add up to ${issued}.`);
      if (-pool !== poolOutstanding) problems.push(`The pool account says ${-pool} öre advanced, the register's outstanding advances add up to ${poolOutstanding}.`);
      if (positionsTotal !== issued + poolOutstanding) problems.push(`The positions add up to ${positionsTotal} öre, not issued ${issued} + pool ${poolOutstanding}.`);
      if (all !== 0) problems.push(`The accounts add up to ${all}, not 0.`);
      for (const m of await r.ledger.journalMismatches()) problems.push(`The account ${m.name} holds ${m.stored} öre, its journal adds up to ${m.journal}.`);
      for (const [id, value] of Object.entries(positions)) if (value < 0) problems.push(`The position of intermediary ${id} is negative.`);
      return {
        issued,
        poolOutstanding,
        positions,
        balanced: problems.length === 0,
        problems,
        register: await r.register.counts(),
        undeliveredOutbox: (await r.outbox.undelivered()).length,
      };
    });
  }

  /**
   * The audit of the whole network: drains the outboxes (the central bank's, then each intermediary's through
   * POST /interbank/audit, which answers that intermediary's audit), then checks every intermediary's books against
   * its position here, counting the movements still undelivered, and every card's coverage.
   */
  async networkAudit(): Promise<NetworkAudit> {
    const intermediaries = await this.runner.transaction((r) => r.intermediaries.all());
    let audits: IntermediaryAudit[] = [];
    let unanswered: string[] = [];
    let centralBank = await this.audit();
    // Messages cause messages (a credit funds a waiting payment, which goes to the register, which credits another
    // intermediary): drain and audit in rounds until two rounds in a row see the same books and nothing undelivered.
    let previous = '';
    for (let round = 0; round < 10; round++) {
      await this.outbox.drain();
      audits = [];
      unanswered = [];
      for (const im of intermediaries) {
        try {
          const response = await this.peers.call(im.url, 'POST', '/interbank/audit', '{}', randomUUID(), 300_000);
          if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(response.body)}`);
          audits.push(response.body as IntermediaryAudit);
        } catch (error) {
          unanswered.push(`Intermediary ${im.id} did not answer its audit: ${(error as Error).message}`);
        }
      }
      centralBank = await this.audit();
      const snapshot = JSON.stringify({ centralBank, audits });
      const quiet = unanswered.length === 0 && centralBank.undeliveredOutbox === 0 && audits.every((a) => a.undeliveredOutbox === 0);
      if (quiet && snapshot === previous) break;
      previous = snapshot;
    }
    const problems: string[] = [...unanswered];
    problems.push(...centralBank.problems.map((p) => `Central bank: ${p}`));
    const inFlight = new Map<number, number>();
    for (const message of await this.runner.transaction((r) => r.outbox.undelivered())) {
      const target = Number(message.target.slice(3));
      const { movements } = JSON.parse(message.body) as { movements: CentralBankMovement[] };
      inFlight.set(target, (inFlight.get(target) ?? 0) + movements.reduce((sum, m) => sum + movementEffect(m), 0));
    }
    for (const audit of audits) {
      const id = audit.intermediaryId;
      problems.push(...audit.problems.map((p) => `Intermediary ${id}: ${p}`));
      const expected = centralBank.positions[String(id)] ?? 0;
      const booked = audit.position + (inFlight.get(id) ?? 0);
      if (audit.undeliveredOutbox > 0) {
        problems.push(`Intermediary ${id} has ${audit.undeliveredOutbox} undelivered outbox messages: its position cannot be compared exactly.`);
      } else if (booked !== expected) {
        problems.push(`Intermediary ${id} books a position of ${audit.position} öre (+${inFlight.get(id) ?? 0} in flight), the central bank holds ${expected}.`);
      }
      for (const card of audit.uncoveredCards) problems.push(`Intermediary ${id}: card ${card} holds more than its shadow wallet and pending payments cover.`);
    }
    return { centralBank, intermediaries: audits, balanced: problems.length === 0, problems };
  }
}

