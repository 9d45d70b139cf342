// An intermediary (docs/NETWORK.md sections 1 to 4): users and their online wallets, cards and their shadow
// wallets, personalisation, top-up and de-fund orders, synchronisation with anomaly detection, instructions (policy,
// lifecycle, PIN unblock), lost cards, and the claims and credits exchanged with the other services.
//
// Side effects stay at the edges: signatures are checked before any database transaction, each change is one
// transaction (./settlement.ts books it), and outbox messages are delivered after the commit.

import { randomUUID } from 'node:crypto';
import {
  type AdvanceAnswer,
  type BatchedRequest,
  type CardCoverage,
  type CardView,
  type CentralBankMovement,
  type CertifiedCard,
  type ClaimResult,
  type DeclineAnswer,
  type InstructionAnswer,
  type IntermediaryAudit,
  type IntermediaryInfo,
  type Liquidity,
  type NewUser,
  type OrderView,
  type RepayAnswer,
  type SettleAnswer,
  type SignedTransactionJson,
  type SyncAnswer,
  type UserView,
  MAX_BATCHED_BYTES,
  MAX_BATCHED_REQUESTS,
  REGISTER_PATHS,
} from '../api.ts';
import { decodeCardCertificate, decodeIntermediaryCertificate, encodeCardCertificate, encodeCardCertificateBody, type IntermediaryCertificate } from '../../codec/certificates.ts';
import { equalBytes, fromHex, toHex } from '../../codec/hex.ts';
import { cardIdHex, cardIdOf } from '../../codec/ids.ts';
import { encodeInstruction, type Instruction, type SignedInstruction } from '../../codec/instructions.ts';
import { decodeSignedDefundConfirmation, decodeSignedReport, decodeTransaction, encodeTransaction, type Report, transactionId } from '../../codec/messages.ts';
import { decodePolicy, defaultPolicy, encodePolicy, type Policy, policyProblems } from '../../codec/policy.ts';
import { ROLE, STATE } from '../../codec/protocol-constants.ts';
import { decodeRecord, type LogRecord, orderRecordInstruction, recordDecline, recordsDigest, recordTransaction } from '../../codec/records.ts';
import type { Signed } from '../../codec/signed.ts';
import type { TransactionRunner } from '../db/sqlite.ts';
import { badRequest, conflict, notFound, ServiceError, unavailable } from '../errors.ts';
import { idempotent } from '../http/app.ts';
import { connectionPool, HttpFailure, type JsonResponse, requestJson } from '../http/json-http.ts';
import { OutboxDelivery } from '../http/outbox.ts';
import { PeerCaller } from '../http/peers.ts';
import { intermediarySender } from '../http/service-auth.ts';
import { newToken, tokenHash } from '../keys.ts';
import type { OutboxMessage } from '../ledger.ts';
import { isCurvePoint, type SigningKey, signStructure, verifySignature, verifySignedStructure } from '../signatures.ts';
import { type Anomaly, appliedResultOrderSeq, type PayerState, decideOrders, detectAnomalies, type RecordCheck, recordTransactionId, syncBalance } from './rules.ts';
import { Books, CLEARING, CLEARING_STATES, Outgoing, online, PENDING_OUT_STATES, POSITION, shadow, TREASURY } from './settlement.ts';
import type { CardRow, IntermediaryRepositories, OrderRow, TransactionRow } from './store.ts';
import { crashPoint } from '../crash-points.ts';
import { sharedVerifyPool } from '../verify-pool.ts';

export interface IntermediaryConfig {
  id: number;
  name: string;
  liquidity: Liquidity;
  /** How long after a card is reported lost its shadow wallet is refunded to the online wallet (ms). */
  lostCardGraceMs: number;
  centralBankUrl: string;
  /** The central bank's root public key (65 bytes). */
  rootPublicKey: Uint8Array;
}

/** GET CHALLENGE's answer as the API carries it (hex byte strings). */
export interface ChallengeJson {
  challenge: string;
  cardId: string;
  stateCounter: number;
  orderSeq: number;
  balance: number;
}

/** Payer states of a payment the card made and that is not declined or reversed: spent, whether paid yet or not. */
const SPENT_STATES: readonly PayerState[] = [...PENDING_OUT_STATES, ...CLEARING_STATES, 'settled'];

const STATE_NAMES: Record<number, 'ACTIVE' | 'BLOCKED' | 'TERMINATED'> = { [STATE.ACTIVE]: 'ACTIVE', [STATE.BLOCKED]: 'BLOCKED', [STATE.TERMINATED]: 'TERMINATED' };

interface DirectoryKey {
  url: string;
  publicKey: Uint8Array;
  certificate: IntermediaryCertificate;
}

/** One async task at a time per key (syncs of one card never interleave). */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

function decodeHex<T>(hex: string, field: string, decode: (bytes: Uint8Array) => T): T {
  try {
    return decode(fromHex(hex));
  } catch (cause) {
    throw badRequest('invalid-structure', `${field} is not valid: ${(cause as Error).message}`);
  }
}

function orderView(order: OrderRow): OrderView {
  return { orderId: order.id, cardId: order.cardId, kind: order.kind, amount: order.amount, orderSeq: order.orderSeq, state: order.state };
}

function policyHex(policy: Policy): string {
  return toHex(encodePolicy(policy));
}

/** A record's signature still to verify, and what the record's check is when it verifies and when it does not. */
interface SignatureToCheck {
  signed: Signed<unknown>;
  key: Uint8Array;
  verified: RecordCheck;
  refused: RecordCheck;
}

type PendingRecordCheck = SignatureToCheck | RecordCheck;

/** The idempotency scope of POST /admin/users: its saved answer holds the user, never the token. */
const CREATE_USER_SCOPE = 'admin:create-user';

export class IntermediaryService {
  readonly outbox: OutboxDelivery<IntermediaryRepositories>;
  private readonly books: Books;
  private readonly peers: PeerCaller;
  private readonly directory = new Map<number, DirectoryKey>();
  private readonly syncLock = new KeyedLock();
  private readonly directoryPool = connectionPool(8);
  private certificateValue: IntermediaryCertificate | undefined;
  private readonly verifier = sharedVerifyPool();

  constructor(
    private readonly runner: TransactionRunner<IntermediaryRepositories>,
    private readonly key: SigningKey,
    readonly config: IntermediaryConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.books = new Books({ intermediaryId: config.id, liquidity: config.liquidity, now });
    this.peers = new PeerCaller(key, intermediarySender(config.id));
    this.outbox = new OutboxDelivery({
      runner,
      now,
      send: async (message) => this.peers.call(await this.urlOf(message.target), 'POST', message.path, message.body, message.idempotencyKey),
      apply: (r, message, answer) => this.applyAnswer(r, message, answer),
      batch: {
        accepts: (message) => message.target === 'central-bank' && (REGISTER_PATHS as readonly string[]).includes(message.path),
        send: (target, messages) => this.sendBatch(target, messages),
        maxMessages: MAX_BATCHED_REQUESTS,
        maxBytes: MAX_BATCHED_BYTES,
      },
    });
  }

  /** Several register requests in one POST /register/batch; one response per message, in order. */
  private async sendBatch(target: string, messages: readonly OutboxMessage[]): Promise<JsonResponse[]> {
    const requests: BatchedRequest[] = messages.map((m) => ({ path: m.path as BatchedRequest['path'], idempotencyKey: m.idempotencyKey, body: m.body }));
    const body = JSON.stringify({ requests });
    const response = await this.peers.call(await this.urlOf(target), 'POST', '/register/batch', body);
    const answers = (response.body as { answers?: unknown } | undefined)?.answers;
    if (response.status !== 200 || !Array.isArray(answers)) {
      // The batch as a whole was refused (or never arrived): every message gets that answer and is retried.
      return messages.map(() => response);
    }
    return answers.map((a) => a as JsonResponse);
  }

  get publicKey(): Uint8Array {
    return this.key.publicKey;
  }

  async init(): Promise<void> {
    await this.runner.transaction(async (r) => {
      await r.ledger.open(POSITION, { source: true });
      await r.ledger.open(TREASURY);
      await r.ledger.open(CLEARING);
      const stored = await r.settings.get('certificate');
      if (stored) this.certificateValue = decodeIntermediaryCertificate(fromHex(stored));
    });
  }

  get certificate(): IntermediaryCertificate | undefined {
    return this.certificateValue;
  }

  info(): IntermediaryInfo {
    return {
      service: 'intermediary',
      intermediaryId: this.config.id,
      name: this.config.name,
      publicKey: toHex(this.key.publicKey),
      certificate: this.certificateValue ? toHex(this.certificateEncoded()) : null,
      rootPublicKey: toHex(this.config.rootPublicKey),
      liquidity: this.config.liquidity,
    };
  }

  private certificateEncoded(): Uint8Array {
    const c = this.certificateValue!;
    const out = new Uint8Array(c.body.length + c.signature.length);
    out.set(c.body);
    out.set(c.signature, c.body.length);
    return out;
  }

  /** Installs the certificate the central bank made for this intermediary's key. */
  async installCertificate(hex: string): Promise<IntermediaryInfo> {
    const certificate = decodeHex(hex, 'certificate', decodeIntermediaryCertificate);
    if (!verifySignedStructure(certificate, this.config.rootPublicKey)) throw badRequest('bad-certificate', 'The certificate does not verify with the root key.');
    if (certificate.value.intermediaryId !== this.config.id || !equalBytes(certificate.value.publicKey, this.key.publicKey)) {
      throw badRequest('bad-certificate', `The certificate is not for intermediary ${this.config.id} and this service's key.`);
    }
    await this.runner.transaction((r) => r.settings.set('certificate', hex.toUpperCase()));
    this.certificateValue = certificate;
    return this.info();
  }

  private requireCertified(): IntermediaryCertificate {
    if (!this.certificateValue) throw new ServiceError(503, 'not-certified', 'This intermediary has no certificate from the central bank yet.');
    return this.certificateValue;
  }

  // --------------------------------------------------------------------------------------------- directory

  private async urlOf(target: string): Promise<string> {
    if (target === 'central-bank') return this.config.centralBankUrl;
    return (await this.intermediary(Number(target.slice(3)))).url;
  }

  /** Another intermediary's url and key, from the central bank's directory (certificate checked against the root). */
  async intermediary(id: number): Promise<DirectoryKey> {
    const known = this.directory.get(id);
    if (known) return known;
    let response;
    try {
      response = await requestJson({ method: 'GET', url: `${this.config.centralBankUrl}/directory/${id}`, pool: this.directoryPool });
    } catch (cause) {
      throw unavailable('central-bank-unreachable', `The central bank's directory cannot be reached: ${(cause as Error).message}`, cause);
    }
    if (response.status === 404) throw notFound('unknown-intermediary', `No intermediary has id ${id}.`);
    if (response.status !== 200) throw unavailable('central-bank-error', `The central bank's directory answered ${response.status}.`);
    const entry = response.body as { url: string; certificate: string };
    const certificate = decodeIntermediaryCertificate(fromHex(entry.certificate));
    if (!verifySignedStructure(certificate, this.config.rootPublicKey) || certificate.value.intermediaryId !== id) {
      throw unavailable('bad-directory', `The directory's certificate of intermediary ${id} does not verify with the root key.`);
    }
    const value = { url: entry.url, publicKey: certificate.value.publicKey, certificate };
    this.directory.set(id, value);
    return value;
  }

  /** The key that signs a service request from `sender`, or undefined when nobody by that name is known. */
  async senderKey(sender: string): Promise<Uint8Array | undefined> {
    if (sender === 'central-bank') return this.config.rootPublicKey;
    const id = Number(sender.slice(3));
    try {
      return (await this.intermediary(id)).publicKey;
    } catch (error) {
      if (error instanceof ServiceError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  // ------------------------------------------------------------------------------------------------ users

  /**
   * A new user and its token. With `requestKey` the creation can be repeated after an answer that was lost (the
   * caller killed before it saved the token): the same key answers the same user with a fresh token, and the token
   * answered before stops working, since only its hash is kept and no answer holds a token twice.
   */
  async createUser(name: string, requestKey?: string): Promise<NewUser> {
    const token = newToken();
    const userId = await this.runner.transaction(async (r) => {
      if (requestKey !== undefined) {
        const prior = await r.idempotency.find(CREATE_USER_SCOPE, requestKey);
        if (prior) {
          const created = JSON.parse(prior.response) as { userId: string; name: string };
          if (created.name !== name) throw conflict('idempotency-key-reused', `This idempotency key created the user '${created.name}', not '${name}'.`);
          await r.users.replaceToken(created.userId, tokenHash(token));
          return created.userId;
        }
      }
      const id = randomUUID();
      await r.users.create({ id, name, tokenHash: tokenHash(token), createdAt: this.now() });
      await r.ledger.open(online(id));
      if (requestKey !== undefined) {
        await r.idempotency.save({ scope: CREATE_USER_SCOPE, key: requestKey, requestHash: '', status: 200, response: JSON.stringify({ userId: id, name }) /* a repeat must name the same user */, at: this.now() });
      }
      return id;
    });
    return { userId, name, token };
  }

  async userByToken(token: string): Promise<string | undefined> {
    return (await this.runner.transaction((r) => r.users.byTokenHash(tokenHash(token))))?.id;
  }

  /** A user buys e-krona: treasury -> online wallet (and payments of refunded cards waiting for it go out). */
  async deposit(userId: string, amount: number, requestKey: string | undefined): Promise<UserView> {
    const ids = await this.runner.transaction(async (r) => {
      if (!(await r.users.get(userId))) throw notFound('unknown-user', `There is no user ${userId}.`);
      const reference = requestKey ?? randomUUID();
      try {
        await r.ledger.move({ debit: TREASURY, credit: online(userId), amount, kind: 'deposit', reference: `${userId}:${reference}` });
      } catch (error) {
        if ((error as { code?: string }).code === 'insufficient-funds') throw conflict('treasury-short', 'The treasury does not hold that much e-krona.');
        throw error;
      }
      return this.fundRefundedCards(r, userId);
    });
    await this.outbox.deliver(ids);
    return this.userView(userId);
  }

  private async fundRefundedCards(r: IntermediaryRepositories, userId: string): Promise<OutboxMessage[]> {
    const out = new Outgoing();
    for (const card of await r.cards.byUser(userId)) if (card.refundedAt !== null) await this.books.fundPayer(r, card.id, out);
    return out.flush(r, this.now());
  }

  /**
   * Money reached `userId`'s online wallet from outside this class (an online payment to a merchant, merchant.ts):
   * as after a deposit, the payments of the user's refunded cards that wait for it go out. Call inside the
   * transaction that credited the wallet; deliver the answer with `outbox.deliver` after the commit.
   */
  creditedOnline(r: IntermediaryRepositories, userId: string): Promise<OutboxMessage[]> {
    return this.fundRefundedCards(r, userId);
  }

  async userView(userId: string): Promise<UserView> {
    return this.runner.transaction(async (r) => {
      const user = await r.users.get(userId);
      if (!user) throw notFound('unknown-user', `There is no user ${userId}.`);
      const cards: CardView[] = [];
      for (const card of await r.cards.byUser(userId)) cards.push(await this.cardViewOf(r, card));
      return { userId, name: user.name, online: await r.ledger.balance(online(userId)), cards };
    });
  }

  // ------------------------------------------------------------------------------------------------ cards

  /** Personalisation: assigns `intermediaryId || serial`, checks the card's key is on the curve, signs its certificate. */
  async certifyCard(userId: string, publicKeyHex: string, role: 'USER' | 'MERCHANT'): Promise<CertifiedCard> {
    this.requireCertified();
    const publicKey = fromHex(publicKeyHex);
    if (!isCurvePoint(publicKey)) throw badRequest('invalid-key', 'publicKey is not a point of P-256.');
    return this.runner.transaction(async (r) => {
      if (!(await r.users.get(userId))) throw notFound('unknown-user', `There is no user ${userId}.`);
      if (await r.cards.byPublicKey(toHex(publicKey))) throw conflict('key-in-use', 'A card with this public key is already certified.');
      const serial = await r.cards.nextSerial();
      const cardId = cardIdOf(this.config.id, serial);
      const certificate = signStructure({ cardId, role: ROLE[role], intermediaryId: this.config.id, publicKey }, encodeCardCertificateBody, this.key);
      const id = cardIdHex(cardId);
      const certificateHex = toHex(encodeCardCertificate(certificate));
      await r.cards.create({
        id,
        serial,
        userId,
        role: ROLE[role],
        publicKey: toHex(publicKey),
        certificate: certificateHex,
        status: 'active',
        lifecycle: STATE.ACTIVE,
        targetLifecycle: STATE.ACTIVE,
        policy: policyHex(defaultPolicy(ROLE[role])),
        targetPolicy: null,
        lostAt: null,
        refundedAt: null,
        lastOrderSeq: 0,
        lastTxSeq: 0,
        lastReport: null,
        lastReportAt: null,
        createdAt: this.now(),
      });
      await r.ledger.open(shadow(id));
      return { cardId: id, certificate: certificateHex };
    });
  }

  /** The card, if `userId` owns it (undefined: any owner, for admin requests). */
  private async ownedCard(r: IntermediaryRepositories, cardId: string, userId: string | undefined): Promise<CardRow> {
    const card = await r.cards.get(cardId.toUpperCase());
    if (!card || (userId !== undefined && card.userId !== userId)) throw notFound('unknown-card', `There is no card ${cardId.toUpperCase()} of this user.`);
    return card;
  }

  private async coverageFacts(r: IntermediaryRepositories, card: CardRow) {
    const unfinished = await r.orders.unfinished(card.id);
    const total = (orders: OrderRow[]) => orders.reduce((s, o) => s + o.amount, 0);
    const unfundedDefunds = total(unfinished.filter((o) => o.kind === 'DEFUND' && o.state === 'applied'));
    return {
      shadow: await r.ledger.balance(shadow(card.id)),
      pendingIn: await r.transactions.sumByRecipient(card.id, ['reported']),
      pendingOut: (await r.transactions.sumByPayer(card.id, PENDING_OUT_STATES)) + unfundedDefunds,
      // The open top-ups are among the unfinished orders (what reservedTopUps sums).
      reservedTopUps: total(unfinished.filter((o) => o.kind === 'TOP_UP' && o.state === 'open')),
      withheld: await r.transactions.withheld(card.id),
      maxBalance: decodePolicy(fromHex(card.policy)).maxBalance,
    };
  }

  private async cardViewOf(r: IntermediaryRepositories, card: CardRow): Promise<CardView> {
    const facts = await this.coverageFacts(r, card);
    return {
      cardId: card.id,
      userId: card.userId,
      role: card.role === ROLE.MERCHANT ? 'MERCHANT' : 'USER',
      status: card.status,
      lifecycle: STATE_NAMES[card.lifecycle] ?? 'ACTIVE',
      pendingLifecycle: card.targetLifecycle !== card.lifecycle ? (STATE_NAMES[card.targetLifecycle] ?? null) : null,
      policy: decodePolicy(fromHex(card.policy)),
      pendingPolicy: card.targetPolicy ? decodePolicy(fromHex(card.targetPolicy)) : null,
      shadow: facts.shadow,
      pendingIn: facts.pendingIn,
      pendingOut: facts.pendingOut,
      reservedTopUps: facts.reservedTopUps,
      withheld: facts.withheld,
      coverage: facts.shadow + facts.pendingIn - facts.pendingOut - facts.reservedTopUps - facts.withheld,
      lost: card.lostAt !== null,
      refunded: card.refundedAt !== null,
      certificate: card.certificate,
    };
  }

  async cardView(cardId: string, userId: string | undefined): Promise<CardView> {
    return this.runner.transaction(async (r) => this.cardViewOf(r, await this.ownedCard(r, cardId, userId)));
  }

  /** A card certificate, for another intermediary checking a payment of this card. */
  async cardCertificate(cardId: string): Promise<string> {
    const card = await this.runner.transaction((r) => r.cards.get(cardId.toUpperCase()));
    if (!card) throw notFound('unknown-card', `There is no card ${cardId.toUpperCase()}.`);
    return card.certificate;
  }

  // ----------------------------------------------------------------------------------------------- orders

  /**
   * A top-up (online -> shadow at once, reserved for the order) or de-fund order; one open order per card. With the
   * same request key the same order is answered (a retried request creates nothing).
   */
  async createOrder(cardId: string, userId: string | undefined, kind: 'TOP_UP' | 'DEFUND', amount: number, requestKey: string | undefined): Promise<OrderView> {
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      if (requestKey !== undefined) {
        const prior = await r.orders.byRequestKey(card.id, requestKey);
        if (prior) {
          if (prior.kind !== kind || prior.amount !== amount) throw conflict('idempotency-key-reused', 'This idempotency key was used before for another order.');
          return orderView(prior);
        }
      }
      if (card.status !== 'active' || card.lostAt !== null) throw conflict('card-not-active', `The card ${card.id} is ${card.lostAt !== null ? 'reported lost' : card.status}: no new orders.`);
      for (const open of (await r.orders.unfinished(card.id)).filter((o) => o.state === 'open')) {
        // A signed top-up closes when the next order is made. Safe: a signed instruction lives only until the card's
        // next challenge, which the new order's first signature needs; so the old order was applied before (its
        // money is on the card) or never will be (its money, no longer reserved, reaches the card at the next sync).
        if (open.kind === 'TOP_UP' && open.orderSeq !== null) await r.orders.update(open.id, { state: 'completed', closedAt: this.now() });
        else throw conflict('order-open', `The card has an open ${open.kind === 'TOP_UP' ? 'top-up order never signed (cancel it, or apply it)' : 'de-fund order (apply it and send its confirmation, or synchronise)'} first.`);
      }
      if (kind === 'DEFUND') await this.requireFreeShadow(r, card, amount);
      const id = await r.orders.create({ cardId: card.id, kind, amount, orderSeq: null, state: 'open', requestKey: requestKey ?? null, createdAt: this.now(), closedAt: null });
      if (kind === 'TOP_UP') {
        try {
          await r.ledger.move({ debit: online(card.userId), credit: shadow(card.id), amount, kind: 'top-up', reference: String(id) });
        } catch (error) {
          if ((error as { code?: string }).code === 'insufficient-funds') throw conflict('online-short', 'The online wallet does not hold that much.');
          throw error;
        }
      }
      return orderView((await r.orders.get(id))!);
    });
  }

  /** A de-fund takes only money that is in the shadow wallet and not owed to payments or reserved for top-ups. */
  private async requireFreeShadow(r: IntermediaryRepositories, card: CardRow, amount: number): Promise<void> {
    const f = await this.coverageFacts(r, card);
    const free = f.shadow - f.pendingOut - f.reservedTopUps - f.withheld;
    if (free < amount) throw conflict('shadow-short', `The shadow wallet has ${Math.max(0, free)} öre free for a de-fund (payments still settling hold the rest); synchronise or try later.`);
  }

  /** The header of an instruction for the card and state of a challenge answer (hex fields, as the API carries them). */
  private headerOf(challenge: ChallengeJson) {
    return { cardId: fromHex(challenge.cardId), challenge: fromHex(challenge.challenge), stateCounter: challenge.stateCounter };
  }

  private signInstruction<I extends Instruction>(instruction: I): Signed<I> {
    return signStructure(instruction, encodeInstruction, this.key);
  }

  private static instructionHex(signed: Signed<Instruction>): string {
    return toHex(signed.body) + toHex(signed.signature);
  }

  /**
   * Signs the order for the card's fresh challenge (PROTOCOL.md section 5 "Orders"): numbered with the card's order
   * counter when first signed, signed again for every new challenge while the counter has not moved; afterwards
   * nothing (null): the order was applied or can never apply.
   */
  async signOrder(cardId: string, userId: string | undefined, orderId: number, challenge: ChallengeJson): Promise<InstructionAnswer> {
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      const order = await r.orders.get(orderId);
      if (!order || order.cardId !== card.id) throw notFound('unknown-order', `The card has no order ${orderId}.`);
      if (challenge.cardId.toUpperCase() !== card.id) throw badRequest('wrong-card', 'The challenge is of another card.');
      if (order.state !== 'open') return { instruction: null, reason: `The order is ${order.state}.` };
      if (card.status !== 'active' || card.lostAt !== null) return { instruction: null, reason: `The card is ${card.lostAt !== null ? 'reported lost' : card.status}.` };
      let orderSeq = order.orderSeq;
      if (orderSeq === null) {
        if (challenge.orderSeq < card.lastOrderSeq) throw badRequest('stale-challenge', `The challenge's order counter ${challenge.orderSeq} is below the card's last reported ${card.lastOrderSeq}.`);
        if (order.kind === 'DEFUND') await this.requireFreeShadow(r, card, order.amount);
        orderSeq = challenge.orderSeq;
        await r.orders.update(order.id, { orderSeq });
      } else if (challenge.orderSeq !== orderSeq) {
        // Past the order: it was applied, or a sync result moved the counter and it never can be. A top-up closes
        // (its money is on the card, or reaches it with the next sync); a de-fund waits for its proof.
        if (challenge.orderSeq > orderSeq && order.kind === 'TOP_UP') await r.orders.update(order.id, { state: 'completed', closedAt: this.now() });
        return { instruction: null, reason: `The card's order counter is ${challenge.orderSeq}, the order is number ${orderSeq}: it was applied, or can no longer apply.` };
      }
      const signed = this.signInstruction({ kind: order.kind, ...this.headerOf(challenge), orderSeq, amount: order.amount } as Instruction);
      return { instruction: IntermediaryService.instructionHex(signed) };
    });
  }

  /** An order never signed can be cancelled (a top-up's money goes back online); a signed one may still apply. */
  async cancelOrder(cardId: string, userId: string | undefined, orderId: number): Promise<OrderView> {
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      const order = await r.orders.get(orderId);
      if (!order || order.cardId !== card.id) throw notFound('unknown-order', `The card has no order ${orderId}.`);
      if (order.state !== 'open' || order.orderSeq !== null) throw conflict('order-signed', 'Only an open order that was never signed can be cancelled; a signed one is closed by the next sync.');
      if (order.kind === 'TOP_UP') await r.ledger.move({ debit: shadow(card.id), credit: online(card.userId), amount: order.amount, kind: 'top-up-cancel', reference: String(order.id) });
      await r.orders.update(order.id, { state: 'cancelled', closedAt: this.now() });
      return orderView((await r.orders.get(order.id))!);
    });
  }

  /** The card's signed de-fund confirmation: shadow -> online, once. */
  async confirmDefund(cardId: string, userId: string | undefined, orderId: number, confirmationHex: string): Promise<OrderView> {
    const confirmation = decodeHex(confirmationHex, 'confirmation', decodeSignedDefundConfirmation);
    const ids = await this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      const order = await r.orders.get(orderId);
      if (!order || order.cardId !== card.id || order.kind !== 'DEFUND') throw notFound('unknown-order', `The card has no de-fund order ${orderId}.`);
      if (!verifySignedStructure(confirmation, fromHex(card.publicKey))) throw badRequest('bad-signature', "The confirmation does not verify with the card's key.");
      const c = confirmation.value;
      if (cardIdHex(c.cardId) !== card.id || c.orderSeq !== order.orderSeq || c.amount !== order.amount) {
        throw badRequest('wrong-confirmation', 'The confirmation is not for this order (card, order number or amount differ).');
      }
      if (order.state === 'open' || order.state === 'applied') await this.books.completeDefund(r, card, order.id, order.amount);
      else if (order.state === 'superseded') throw conflict('order-superseded', 'A sync showed this order never applied; the confirmation contradicts it.');
      return [];
    });
    await this.outbox.deliver(ids);
    return this.runner.transaction(async (r) => orderView((await r.orders.get(orderId))!));
  }

  async orders(cardId: string, userId: string | undefined): Promise<OrderView[]> {
    return this.runner.transaction(async (r) => (await r.orders.forCard((await this.ownedCard(r, cardId, userId)).id)).map(orderView));
  }

  // ------------------------------------------------------------------------------------------ instructions

  /** Sets the lifecycle state the card gets at its next contact (block, unblock, terminate). */
  async setTargetLifecycle(cardId: string, state: 'ACTIVE' | 'BLOCKED' | 'TERMINATED'): Promise<CardView> {
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, undefined);
      if (card.status === 'closed') throw conflict('card-closed', 'The card is terminated and closed.');
      if (card.lifecycle === STATE.TERMINATED) throw conflict('card-terminated', 'The card is terminated.');
      await r.cards.update(card.id, { targetLifecycle: STATE[state], status: state === 'ACTIVE' ? 'active' : 'blocked' });
      return this.cardViewOf(r, (await r.cards.get(card.id))!);
    });
  }

  /** A new policy for the card, delivered (signed) at its next contact; its version must be above the card's. */
  async setTargetPolicy(cardId: string, policy: Policy): Promise<CardView> {
    const problems = policyProblems(policy);
    if (problems.length > 0) throw badRequest('invalid-policy', `The policy is invalid: ${problems.join(' ')}`);
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, undefined);
      const current = decodePolicy(fromHex(card.policy)).version;
      if (policy.version <= current) throw conflict('policy-not-newer', `The policy's version ${policy.version} is not above the card's ${current}.`);
      await r.cards.update(card.id, { targetPolicy: policyHex(policy) });
      return this.cardViewOf(r, (await r.cards.get(card.id))!);
    });
  }

  /**
   * The instruction of `kind` due for the card, signed for this challenge: lifecycle (when a change is due), policy
   * (when a newer one is due), unblock-pin (always, for the card's owner), or `next` (lifecycle, else policy).
   */
  async instructionFor(cardId: string, userId: string | undefined, kind: 'lifecycle' | 'policy' | 'unblock-pin' | 'next', challenge: ChallengeJson): Promise<InstructionAnswer> {
    const card = await this.runner.transaction((r) => this.ownedCard(r, cardId, userId));
    if (challenge.cardId.toUpperCase() !== card.id) throw badRequest('wrong-card', 'The challenge is of another card.');
    const header = this.headerOf(challenge);
    const lifecycleDue = card.targetLifecycle !== card.lifecycle;
    if (kind === 'lifecycle' || (kind === 'next' && lifecycleDue)) {
      if (!lifecycleDue) return { instruction: null, reason: 'No lifecycle change is due.' };
      return { instruction: IntermediaryService.instructionHex(this.signInstruction({ kind: 'LIFECYCLE', ...header, state: card.targetLifecycle })) };
    }
    if (kind === 'policy' || kind === 'next') {
      if (!card.targetPolicy) return { instruction: null, reason: 'No policy change is due.' };
      return { instruction: IntermediaryService.instructionHex(this.signInstruction({ kind: 'POLICY', ...header, policy: decodePolicy(fromHex(card.targetPolicy)) })) };
    }
    if (card.status === 'closed') return { instruction: null, reason: 'The card is closed.' };
    return { instruction: IntermediaryService.instructionHex(this.signInstruction({ kind: 'UNBLOCK_PIN', ...header })) };
  }

  // -------------------------------------------------------------------------------------------- lost cards

  /** The owner reports the card lost: it is blocked at its next contact, and refunded after the grace period. */
  async reportLost(cardId: string, userId: string | undefined): Promise<CardView> {
    return this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      if (card.lostAt === null) await r.cards.update(card.id, { lostAt: this.now(), status: card.status === 'closed' ? 'closed' : 'blocked', targetLifecycle: card.status === 'closed' ? card.targetLifecycle : STATE.BLOCKED });
      return this.cardViewOf(r, (await r.cards.get(card.id))!);
    });
  }

  /**
   * Refunds lost cards whose grace period is over: the whole shadow wallet -> online, open top-up orders cancelled.
   * From then on the card's account is the online wallet: a payment of the card that surfaces later is paid from it
   * (it was made before the loss: only the PIN holder can pay), and a payment to the card is credited to it.
   */
  async refundLostCards(): Promise<string[]> {
    const { refunded, ids } = await this.runner.transaction(async (r) => {
      const refunded: string[] = [];
      const out = new Outgoing();
      for (const card of await r.cards.lostBefore(this.now() - this.config.lostCardGraceMs)) {
        await this.closeCardBooks(r, card, 'lost-refund');
        refunded.push(card.id);
        await this.books.fundPayer(r, card.id, out);
      }
      return { refunded, ids: await out.flush(r, this.now()) };
    });
    await this.outbox.deliver(ids);
    return refunded;
  }

  private async closeCardBooks(r: IntermediaryRepositories, card: CardRow, kind: string): Promise<void> {
    for (const order of await r.orders.unfinished(card.id)) {
      // Never signed: cancelled. Signed: it may have been applied; closed (its money goes online with the shadow).
      if (order.state === 'open') await r.orders.update(order.id, { state: order.orderSeq === null ? 'cancelled' : 'completed', closedAt: this.now() });
    }
    const balance = await r.ledger.balance(shadow(card.id));
    if (balance > 0) await r.ledger.move({ debit: shadow(card.id), credit: online(card.userId), amount: balance, kind, reference: card.id });
    await r.cards.update(card.id, { refundedAt: this.now() });
  }

  // ------------------------------------------------------------------------------------------------- sync

  /**
   * POST /cards/{cardId}/sync (docs/NETWORK.md section 3). Idempotent by (card, challenge). Serialised per card.
   */
  async sync(cardId: string, userId: string | undefined, reportHex: string, recordsHex: string[]): Promise<SyncAnswer> {
    const id = cardId.toUpperCase();
    return this.syncLock.run(id, () => this.syncCard(id, userId, reportHex.toUpperCase(), recordsHex.map((h) => h.toUpperCase())));
  }

  private async syncCard(cardId: string, userId: string | undefined, reportHex: string, recordsHex: string[]): Promise<SyncAnswer> {
    this.requireCertified();
    // 1. The report and records are well formed and agree with each other.
    const report = decodeHex(reportHex, 'report', decodeSignedReport);
    const recordBytes = recordsHex.map((h) => fromHex(h));
    const records: LogRecord[] = recordsHex.map((hex, i) => decodeHex(hex, `records[${i}]`, decodeRecord));
    if (cardIdHex(report.value.cardId) !== cardId) throw badRequest('wrong-card', 'The report is of another card.');
    if (records.length !== report.value.recordCount) throw badRequest('records-mismatch', `The report counts ${report.value.recordCount} records, ${records.length} were sent.`);
    if (!equalBytes(recordsDigest(recordBytes), report.value.recordsDigest)) throw badRequest('records-mismatch', "The records do not match the report's digest.");
    const challenge = toHex(report.value.challenge);

    // 2. What the database knows: the card, an earlier answer to this report, the facts the rules need.
    const facts = await this.runner.transaction(async (r) => {
      const card = await this.ownedCard(r, cardId, userId);
      const prior = await r.syncs.get(cardId, challenge);
      const txIds = records.map(recordTransactionId).filter((id): id is string => id !== undefined);
      const knownBodies = await r.transactions.bodies(txIds);
      const localPayers = new Map<string, CardRow>();
      const orderMatches: boolean[] = [];
      for (const record of records) {
        if (record.kind === 'INCOMING' && record.transaction.payerIntermediary === this.config.id) {
          const payer = await r.cards.get(cardIdHex(record.transaction.payerId));
          if (payer) localPayers.set(payer.id, payer);
        }
        orderMatches.push(record.kind === 'TOP_UP' || record.kind === 'DEFUND' ? (await r.orders.matching(cardId, record.kind, record.orderSeq, record.amount)) !== undefined : true);
      }
      const resultSeq = appliedResultOrderSeq(report.value, records);
      const resultBalances = resultSeq === undefined ? [] : await r.syncs.resultBalances(cardId, resultSeq);
      return { card, prior, knownBodies, localPayers, orderMatches, resultBalances };
    });
    const { card } = facts;
    if (facts.prior) {
      if (facts.prior.report !== reportHex) throw conflict('challenge-reused', 'Another report was already answered for this challenge.');
      return JSON.parse(facts.prior.answer) as SyncAnswer;
    }
    if (card.status === 'closed') throw conflict('card-closed', 'The card is terminated and closed; its money is in the online wallet.');
    // Every signature of the sync in one batch, verified off the event loop: the report's with the card's key, each
    // record's with the key of whoever signed it.
    const pending: PendingRecordCheck[] = [];
    for (const [i, record] of records.entries()) pending.push(await this.recordSignature(record, i, card, facts.localPayers, facts.orderMatches[i]));
    const signed = pending.filter((p): p is SignatureToCheck => 'signed' in p);
    const [reportValid, ...valid] = await this.verifier.verifyAll([
      { signature: report.signature, body: report.body, publicKey: fromHex(card.publicKey) },
      ...signed.map((p) => ({ signature: p.signed.signature, body: p.signed.body, publicKey: p.key })),
    ]);
    if (!reportValid) throw badRequest('bad-signature', "The report's signature does not verify with the card's key.");
    const recordChecks: RecordCheck[] = pending.map((p) => ('signed' in p ? (valid[signed.indexOf(p)] ? p.verified : p.refused) : p));

    const anomalies = detectAnomalies({
      report: report.value,
      records,
      intermediaryId: this.config.id,
      recordChecks,
      knownBodies: facts.knownBodies,
      resultBalances: facts.resultBalances,
    });
    const evidence = { report: reportHex, records: recordsHex };
    if (anomalies.length > 0) return this.answerBlocked(cardId, report, anomalies, evidence);

    // 3, 4. Orders and records, in one transaction; messages go out after it.
    const ids = await this.runner.transaction(async (r) => {
      const out = new Outgoing();
      await this.applyReport(r, (await r.cards.get(cardId))!, report, reportHex, records, recordsHex, out);
      return out.flush(r, this.now());
    });
    crashPoint('sync-after-settle-commit');
    await this.outbox.deliver(ids);
    crashPoint('sync-after-delivery');
    const declineIds = ids.filter((m) => m.path === '/register/decline').map((m) => m.id);
    const undeliveredDeclines = declineIds.length === 0 ? 0 : await this.runner.transaction(async (r) => (await r.outbox.undelivered()).filter((m) => declineIds.includes(m.id)).length);
    if (undeliveredDeclines > 0) {
      throw unavailable('central-bank-unreachable', "The card's declines must reach the central bank's register before its balance can be signed; the sync is saved, repeat it later.");
    }

    // 5. The new balance, the sweep, the signed result (or the instruction due instead).
    return this.answerSynchronised(cardId, report, records.length, reportHex, evidence);
  }

  /** What decides a record: a signature to verify (and the outcome either way), or an outcome already known. */
  private async recordSignature(record: LogRecord, index: number, card: CardRow, localPayers: Map<string, CardRow>, orderMatch: boolean): Promise<PendingRecordCheck> {
    const cardKey = fromHex(card.publicKey);
    const check = (signed: Signed<unknown>, key: Uint8Array, refused: string, verified: RecordCheck = { ok: true }): SignatureToCheck => ({
      signed,
      key,
      verified,
      refused: { ok: false, kind: 'bad-signature', detail: refused },
    });
    switch (record.kind) {
      case 'OUTGOING':
        return check(recordTransaction(record), cardKey, `Record ${index} (OUTGOING) does not verify with the card's key.`);
      case 'DECLINED':
        return check(recordDecline(record), cardKey, `Record ${index} (DECLINED) does not verify with the card's key.`);
      case 'TOP_UP':
      case 'DEFUND':
        return check(
          orderRecordInstruction(record, fromHex(card.id)),
          this.key.publicKey,
          `Record ${index} (${record.kind}) does not carry this intermediary's signature.`,
          orderMatch ? { ok: true } : { ok: false, kind: 'order-mismatch', detail: `Record ${index} (${record.kind} number ${record.orderSeq}, ${record.amount} öre) matches no order this intermediary issued.` },
        );
      case 'INCOMING': {
        const tx = record.transaction;
        const payerId = cardIdHex(tx.payerId);
        let payerKey: Uint8Array | undefined;
        if (tx.payerIntermediary === this.config.id) {
          const payer = localPayers.get(payerId);
          payerKey = payer ? fromHex(payer.publicKey) : undefined;
        } else {
          payerKey = await this.foreignCardKey(payerId, tx.payerIntermediary);
        }
        if (!payerKey) return { ok: false, kind: 'unknown-key', detail: `Record ${index} (INCOMING) is paid by card ${payerId}, unknown to its intermediary ${tx.payerIntermediary}.` };
        return check(recordTransaction(record), payerKey, `Record ${index} (INCOMING) does not verify with the payer card's key.`);
      }
    }
  }

  /** A card of another intermediary: its certificate, asked from that intermediary and checked, then cached. */
  private async foreignCardKey(cardId: string, intermediaryId: number): Promise<Uint8Array | undefined> {
    const cached = await this.runner.transaction((r) => r.foreignCards.get(cardId));
    if (cached && cached.intermediaryId === intermediaryId) return fromHex(cached.publicKey);
    let issuer: DirectoryKey;
    try {
      issuer = await this.intermediary(intermediaryId);
    } catch (error) {
      if (error instanceof ServiceError && error.statusCode === 404) return undefined;
      throw error;
    }
    let response;
    try {
      response = await this.peers.call(issuer.url, 'GET', `/interbank/cards/${cardId}/certificate`);
    } catch (cause) {
      throw unavailable('intermediary-unreachable', `Intermediary ${intermediaryId} cannot be reached to check its card ${cardId}: ${(cause as HttpFailure).message} Nothing was changed; repeat the sync later.`, cause);
    }
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw unavailable('intermediary-error', `Intermediary ${intermediaryId} answered ${response.status} for its card ${cardId}; repeat the sync later.`);
    const certificate = decodeCardCertificate(fromHex((response.body as { certificate: string }).certificate));
    if (!verifySignedStructure(certificate, issuer.publicKey) || cardIdHex(certificate.value.cardId) !== cardId || certificate.value.intermediaryId !== intermediaryId) {
      return undefined;
    }
    await this.runner.transaction((r) =>
      r.foreignCards.put({ cardId, intermediaryId, publicKey: toHex(certificate.value.publicKey), certificate: toHex(encodeCardCertificate(certificate)), fetchedAt: this.now() }),
    );
    return certificate.value.publicKey;
  }

  private async answerBlocked(cardId: string, report: Signed<Report>, anomalies: Anomaly[], evidence: unknown): Promise<SyncAnswer> {
    const reportHex = toHex(report.body) + toHex(report.signature);
    return this.runner.transaction(async (r) => {
      const card = (await r.cards.get(cardId))!;
      const known = await r.anomalies.forCard(cardId);
      for (const a of anomalies) {
        if (!known.some((k) => k.kind === a.kind && k.detail === a.detail)) {
          await r.anomalies.add({ cardId, kind: a.kind, detail: a.detail, evidence: JSON.stringify(evidence), at: this.now() });
        }
      }
      await r.cards.update(cardId, { status: card.status === 'closed' ? 'closed' : 'blocked', targetLifecycle: STATE.BLOCKED, lifecycle: report.value.state });
      const instruction =
        report.value.state === STATE.ACTIVE
          ? IntermediaryService.instructionHex(this.signInstruction({ kind: 'LIFECYCLE', cardId: report.value.cardId, challenge: report.value.challenge, stateCounter: report.value.stateCounter, state: STATE.BLOCKED }))
          : null;
      const answer: SyncAnswer = { outcome: 'blocked', instruction, anomalies: anomalies.map((a) => ({ kind: a.kind, detail: a.detail })) };
      await r.syncs.insert({ cardId, challenge: toHex(report.value.challenge), report: reportHex, reportOrderSeq: report.value.orderSeq, outcome: 'blocked', newBalance: null, answer: JSON.stringify(answer), at: this.now(), sweep: 0, sweepBooked: 0 });
      return answer;
    });
  }

  /** Steps 3 and 4 of the sync: the card's state, its orders, its records. Idempotent (a repeated report books nothing twice). */
  private async applyReport(r: IntermediaryRepositories, card: CardRow, report: Signed<Report>, reportHex: string, records: LogRecord[], recordsHex: string[], out: Outgoing): Promise<void> {
    const value = report.value;
    const patch: Partial<CardRow> = {
      lastOrderSeq: Math.max(card.lastOrderSeq, value.orderSeq),
      lastTxSeq: Math.max(card.lastTxSeq, value.txSeq),
      lastReport: reportHex,
      lastReportAt: this.now(),
      lifecycle: value.state,
    };
    if (card.targetPolicy && value.policyVersion >= decodePolicy(fromHex(card.targetPolicy)).version) {
      patch.policy = card.targetPolicy;
      patch.targetPolicy = null;
    }
    if (value.state === STATE.TERMINATED) patch.targetLifecycle = STATE.TERMINATED;
    await r.cards.update(card.id, patch);

    // The result the card applied last (its last sync balance and order counter say which): its sweep is due now.
    const resultSeq = appliedResultOrderSeq(value, records);
    if (resultSeq !== undefined && card.refundedAt === null) {
      const applied = await r.syncs.appliedResult(card.id, resultSeq, value.lastSyncBalance);
      if (applied && applied.sweep > 0 && applied.sweepBooked === 0) {
        // As far as the shadow still holds it free (the card may have spent money meanwhile that its shadow paid
        // before its incoming payments arrived): what is left stays the card's, and a later result carries it.
        const free = (await r.ledger.balance(shadow(card.id))) - (await r.transactions.withheld(card.id)) - (await r.orders.reservedTopUps(card.id));
        const amount = Math.min(applied.sweep, free);
        if (amount > 0) await r.ledger.move({ debit: shadow(card.id), credit: online(card.userId), amount, kind: 'sweep', reference: `${card.id}:${applied.challenge}` });
        await r.syncs.markSweepBooked(card.id, applied.challenge);
      }
    }

    const unfinished = await r.orders.unfinished(card.id);
    const decision = decideOrders(
      unfinished.filter((o) => o.state === 'open' || o.state === 'applied').map((o) => ({ id: o.id, kind: o.kind, orderSeq: o.orderSeq, amount: o.amount, state: o.state as 'open' | 'applied' })),
      value,
      records,
    );
    for (const id of decision.applied) {
      const order = unfinished.find((o) => o.id === id)!;
      if (order.kind === 'TOP_UP') await r.orders.update(id, { state: 'completed', closedAt: this.now() });
      else if (order.state === 'open') await this.books.completeDefund(r, card, id, order.amount);
    }
    for (const id of decision.superseded) await r.orders.update(id, { state: 'superseded', closedAt: this.now() });

    const payers = new Set<string>([card.id]);
    // A card with no payment waiting before its records are booked has, after, only the payments booked now waiting:
    // its payer path gets them as they are (it does not read them back).
    const nothingWaited = !(await this.books.hasWaiting(r, card.id));
    const booked: TransactionRow[] = [];
    for (const [i, record] of records.entries()) {
      switch (record.kind) {
        case 'OUTGOING': {
          const tx = record.transaction;
          const body = toHex(encodeTransaction(tx));
          const { row, inserted } = await this.books.record(r, tx, body, toHex(record.signature), false);
          if (inserted && row.payerCard === card.id && row.payerState === 'known') booked.push(row);
          if (record.voided) {
            if (await r.declines.insert({ recipientCard: row.recipientCard, requestNo: tx.requestNo, source: 'void', evidence: recordsHex[i], createdAt: this.now() })) {
              out.declines.push({ recipientCard: row.recipientCard, requestNo: tx.requestNo, recipientIntermediary: tx.recipientIntermediary, source: 'void', evidence: recordsHex[i] });
            }
          }
          break;
        }
        case 'INCOMING': {
          const tx = record.transaction;
          const body = toHex(encodeTransaction(tx));
          const { row, newlyReported, inserted } = await this.books.record(r, tx, body, toHex(record.signature), true);
          if (inserted && row.payerCard === card.id && row.payerState === 'known') booked.push(row);
          if (tx.payerIntermediary === this.config.id) payers.add(row.payerCard);
          else if (newlyReported) out.claim(tx.payerIntermediary, { body, signature: row.signature });
          break;
        }
        case 'DECLINED': {
          const d = record.decline;
          if (await r.declines.insert({ recipientCard: card.id, requestNo: d.requestNo, source: 'decline', evidence: recordsHex[i], createdAt: this.now() })) {
            out.declines.push({ recipientCard: card.id, requestNo: d.requestNo, recipientIntermediary: this.config.id, source: 'decline', evidence: recordsHex[i] });
          }
          for (const tx of await r.transactions.forRequest(card.id, d.requestNo)) if (tx.payerIm === this.config.id) payers.add(tx.payerCard);
          break;
        }
        case 'TOP_UP':
        case 'DEFUND':
          break;
      }
    }
    for (const payer of payers) await this.books.fundPayer(r, payer, out, payer === card.id && nothingWaited && booked.length > 0 ? booked : undefined);
    if (value.state === STATE.TERMINATED) {
      // The card's last report: what its shadow still holds goes online, and the online wallet pays what surfaces later.
      await this.closeCardBooks(r, (await r.cards.get(card.id))!, 'terminate-refund');
      await this.books.fundPayer(r, card.id, out);
    }
  }

  private async answerSynchronised(cardId: string, report: Signed<Report>, recordCount: number, reportHex: string, evidence: unknown): Promise<SyncAnswer> {
    const value = report.value;
    const challenge = toHex(value.challenge);
    const result = await this.runner.transaction(async (r) => {
      const prior = await r.syncs.get(cardId, challenge);
      if (prior) return { answer: JSON.parse(prior.answer) as SyncAnswer, uncovered: undefined };
      const card = (await r.cards.get(cardId))!;
      const save = async (answer: SyncAnswer, newBalance: number | null, sweep = 0) => {
        await r.syncs.insert({ cardId, challenge, report: reportHex, reportOrderSeq: value.orderSeq, outcome: answer.outcome, newBalance, answer: JSON.stringify(answer), at: this.now(), sweep, sweepBooked: 0 });
        return { answer, uncovered: undefined };
      };
      if (value.state === STATE.TERMINATED) {
        await r.cards.update(cardId, { status: 'closed' });
        return save({ outcome: 'closed', instruction: null }, null);
      }
      const facts = await this.coverageFacts(r, card);
      const since = await this.spentSinceReport(r, card, value);
      // The card's open requests keep the room they reserved under its maximum (PROTOCOL.md, SYNC APPLY): the result
      // leaves it free, so that receiving them later never pushes the balance past the maximum.
      const balance = syncBalance({ ...facts, maxBalance: Math.max(0, facts.maxBalance - value.openAmount) });
      if (balance.coverage < value.balance - since) {
        return { answer: undefined, uncovered: { coverage: balance.coverage, reported: value.balance - since } };
      }
      if (card.targetLifecycle !== value.state && value.state !== STATE.TERMINATED) {
        const instruction = this.signInstruction({ kind: 'LIFECYCLE', cardId: value.cardId, challenge: value.challenge, stateCounter: value.stateCounter, state: card.targetLifecycle });
        return save({ outcome: 'lifecycle', instruction: IntermediaryService.instructionHex(instruction) }, null);
      }
      const signed: SignedInstruction<'SYNC_RESULT'> = this.signInstruction({
        kind: 'SYNC_RESULT',
        cardId: value.cardId,
        challenge: value.challenge,
        stateCounter: value.stateCounter,
        recordCount,
        newBalance: balance.newBalance,
      });
      // The sweep moves shadow -> online when a later report shows the card applied this result (applyReport).
      return save({ outcome: 'synchronised', instruction: IntermediaryService.instructionHex(signed), newBalance: balance.newBalance, swept: balance.sweep }, balance.newBalance, balance.sweep);
    });
    if (result.answer) return result.answer;
    const u = result.uncovered!;
    return this.answerBlocked(
      cardId,
      report,
      [{ kind: 'balance-uncovered', detail: `The card reports ${u.reported} öre (payments and de-funds since its report counted); its shadow wallet and pending payments cover ${u.coverage} öre.` }],
      evidence,
    );
  }

  /** Payments the card made after its report (payer sequence at or above the report's) and de-funds it applied after it. */
  private async spentSinceReport(r: IntermediaryRepositories, card: CardRow, report: Report): Promise<number> {
    return (await r.transactions.sumByPayer(card.id, SPENT_STATES, report.txSeq)) + (await r.orders.defundedSince(card.id, report.orderSeq));
  }

  // ------------------------------------------------------------------------------------------- interbank

  /**
   * POST /interbank/claims from the recipient's intermediary: the payer's intermediary checks the payer card's
   * signature itself, then takes the transaction on its payer path (it pays when the card's shadow can).
   */
  async receiveClaims(senderId: number, items: SignedTransactionJson[], request: { key: string; raw: string }): Promise<{ results: ClaimResult[] }> {
    const decoded = items.map((item, i) => ({ ...item, tx: decodeHex(item.body, `items[${i}].body`, decodeTransaction) }));
    const cards = await this.runner.transaction(async (r) => {
      const map = new Map<string, CardRow>();
      for (const d of decoded) {
        const card = await r.cards.get(cardIdHex(d.tx.payerId));
        if (card) map.set(card.id, card);
      }
      return map;
    });
    const verdicts: Array<{ reason?: string }> = decoded.map((d) => {
      if (d.tx.payerIntermediary !== this.config.id) return { reason: `The payer's intermediary is ${d.tx.payerIntermediary}, not this one.` };
      if (d.tx.recipientIntermediary !== senderId) return { reason: "Only the recipient's intermediary claims a payment." };
      const card = cards.get(cardIdHex(d.tx.payerId));
      if (!card) return { reason: `The payer card ${cardIdHex(d.tx.payerId)} is unknown here.` };
      if (!verifySignature(fromHex(d.signature), fromHex(d.body), fromHex(card.publicKey))) return { reason: "The payer's signature does not verify." };
      return {};
    });
    const { answer, ids } = await idempotent(this.runner, { scope: `im:${senderId}`, key: request.key, request: request.raw, now: this.now() }, async (r) => {
      const out = new Outgoing();
      const results: ClaimResult[] = [];
      const payers = new Set<string>();
      for (const [i, d] of decoded.entries()) {
        const txId = toHex(transactionId(d.tx));
        if (verdicts[i].reason) {
          results.push({ txId, outcome: 'rejected', reason: verdicts[i].reason });
          continue;
        }
        const known = await r.transactions.get(txId);
        if (known && known.body !== d.body.toUpperCase()) {
          const payer = cardIdHex(d.tx.payerId);
          await r.anomalies.add({ cardId: payer, kind: 'sequence-reused', detail: `Two different transactions signed by card ${payer} carry the id ${txId}.`, evidence: JSON.stringify({ known: known.body, claimed: d.body }), at: this.now() });
          await r.cards.update(payer, { status: 'blocked', targetLifecycle: STATE.BLOCKED });
          results.push({ txId, outcome: 'rejected', reason: 'Another transaction with this id, signed by the same card, is known: the card is blocked.' });
          continue;
        }
        const { row } = await this.books.record(r, d.tx, d.body, d.signature, false);
        payers.add(row.payerCard);
        results.push({ txId, outcome: 'accepted' });
      }
      for (const payer of payers) await this.books.fundPayer(r, payer, out);
      return { answer: { results }, ids: await out.flush(r, this.now()) };
    });
    crashPoint('claims-committed');
    if (ids.length > 0) void this.outbox.deliver(ids);
    return answer;
  }

  /** POST /interbank/movements from the central bank: each movement booked once. */
  async receiveMovements(movements: CentralBankMovement[], request: { key: string; raw: string }): Promise<{ applied: number }> {
    for (const [i, m] of movements.entries()) {
      if (m.kind === 'credit') decodeHex(m.transaction.body, `movements[${i}].transaction.body`, decodeTransaction);
    }
    const { answer, ids } = await idempotent(this.runner, { scope: 'central-bank', key: request.key, request: request.raw, now: this.now() }, async (r) => {
      const out = new Outgoing();
      for (const m of movements) await this.books.applyMovement(r, m, out);
      return { answer: { applied: movements.length }, ids: await out.flush(r, this.now()) };
    });
    crashPoint('movements-committed');
    if (ids.length > 0) void this.outbox.deliver(ids);
    return answer;
  }

  /** The answer to one of this intermediary's outbox messages, booked in the transaction that marks it delivered. */
  private async applyAnswer(r: IntermediaryRepositories, message: OutboxMessage, answer: unknown): Promise<OutboxMessage[]> {
    const out = new Outgoing();
    switch (message.path) {
      case '/register/settle': {
        const a = answer as SettleAnswer;
        for (const m of a.movements ?? []) await this.books.applyMovement(r, m, out);
        // Read after the movements (they may change these rows); each result changes only its own row.
        await this.books.applySettleResults(r, a.results, out);
        break;
      }
      case '/pool/advance': {
        const a = answer as AdvanceAnswer;
        for (const m of a.movements ?? []) await this.books.applyMovement(r, m, out);
        for (const result of a.results) await this.books.applyAdvanceResult(r, result, out);
        break;
      }
      case '/pool/repay':
        for (const result of (answer as RepayAnswer).results) await this.books.applyRepayResult(r, result, out);
        break;
      case '/register/decline':
        for (const m of (answer as DeclineAnswer).movements ?? []) await this.books.applyMovement(r, m, out);
        break;
      case '/interbank/claims':
        for (const result of (answer as { results: ClaimResult[] }).results) await this.books.applyClaimResult(r, result);
        break;
    }
    crashPoint('answer-applied');
    return out.flush(r, this.now());
  }

  // ------------------------------------------------------------------------------------------------- audit

  async audit(): Promise<IntermediaryAudit> {
    return this.runner.transaction(async (r) => {
      const problems: string[] = [];
      const treasury = await r.ledger.balance(TREASURY);
      const onlineTotal = await r.ledger.total('online:');
      const shadowTotal = await r.ledger.total('shadow:');
      const clearing = await r.ledger.balance(CLEARING);
      const position = -(await r.ledger.balance(POSITION));
      if (treasury + onlineTotal + shadowTotal + clearing !== position) {
        problems.push(`treasury ${treasury} + online ${onlineTotal} + shadow ${shadowTotal} + clearing ${clearing} is not the position ${position}.`);
      }
      const all = (await r.ledger.accounts('')).reduce((s, a) => s + a.balance, 0);
      if (all !== 0) problems.push(`The accounts add up to ${all}, not 0.`);
      for (const m of await r.ledger.journalMismatches()) problems.push(`The account ${m.name} holds ${m.stored} öre, its journal adds up to ${m.journal}.`);
      const inClearing = await r.transactions.sumAllByPayerState(CLEARING_STATES);
      if (inClearing !== clearing) problems.push(`Clearing holds ${clearing} öre, the transactions in flight add up to ${inClearing}.`);
      // Card coverage, from each card's last signed report: what the card held then (minus what it spent since, as
      // far as known here) must be covered by its shadow wallet and the payments still pending.
      const uncovered: CardCoverage[] = [];
      const rows = await r.cards.coverage();
      for (const row of rows) {
        const coverage = row.shadow + row.pendingIn - row.pendingOut - row.unfundedDefunds - row.reservedTopUps - row.withheld;
        if (!row.lastReport || row.refundedAt !== null) continue;
        const report = decodeSignedReport(fromHex(row.lastReport)).value;
        const card = (await r.cards.get(row.cardId))!;
        const reportedBalance = report.balance - (await this.spentSinceReport(r, card, report));
        if (coverage < reportedBalance) {
          uncovered.push({ cardId: row.cardId, shadow: row.shadow, pendingIn: row.pendingIn, pendingOut: row.pendingOut + row.unfundedDefunds, reservedTopUps: row.reservedTopUps, coverage, reportedBalance, uncovered: true });
        }
      }
      return {
        intermediaryId: this.config.id,
        treasury,
        online: onlineTotal,
        shadow: shadowTotal,
        clearing,
        position,
        balanced: problems.length === 0,
        problems,
        undeliveredOutbox: (await r.outbox.undelivered()).length,
        anomalies: await r.anomalies.count(),
        cardsChecked: rows.length,
        cards: uncovered,
        uncoveredCards: uncovered.map((c) => c.cardId),
      };
    });
  }

  /** The audit after delivering every undelivered message (the network audit asks for this one). */
  async drainedAudit(): Promise<IntermediaryAudit> {
    await this.outbox.drain();
    return this.audit();
  }

  async anomalies(): Promise<Array<{ id: number; cardId: string; kind: string; detail: string; at: number }>> {
    return (await this.runner.transaction((r) => r.anomalies.all())).map(({ id, cardId, kind, detail, at }) => ({ id, cardId, kind, detail, at }));
  }
}

