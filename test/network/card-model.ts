// A pure model of the wallet card (docs/PROTOCOL.md sections 3 to 6), for tests of the network that need many
// cards and many syncs quickly: no APDUs, no simulator, but the same structures, signed with the codec (the card's
// key is a codec key pair; every message is signed exactly as the applet signs it), the same checks in the same
// order, and the same refusals (by status word name). The conformance suite proves the applet behaves like this;
// these tests prove the services do the right thing with what such cards send.

import { type CardCertificate, decodeCardCertificate } from '../../host/src/codec/certificates.ts';
import { generateKeyPair, type KeyPair, verify } from '../../host/src/codec/ecdsa.ts';
import { equalBytes, toHex } from '../../host/src/codec/hex.ts';
import type { SignedInstruction } from '../../host/src/codec/instructions.ts';
import {
  type Decline,
  type DefundConfirmation,
  type PaymentRequest,
  type Report,
  signDecline,
  signDefundConfirmation,
  signReport,
  signRequest,
  signTransaction,
  type Transaction,
} from '../../host/src/codec/messages.ts';
import { defaultPolicy, type Policy } from '../../host/src/codec/policy.ts';
import { LIMIT, POLICY_FLAG, ROLE, STATE } from '../../host/src/codec/protocol-constants.ts';
import { encodeRecord, type LogRecord, recordsDigest } from '../../host/src/codec/records.ts';
import type { ChallengeAnswer } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import { verifySignature } from '../../host/src/server/signatures.ts';

/** A refusal of the model card, named as the applet's status word (`INSUFFICIENT_FUNDS`). */
export class CardRefusal extends Error {
  override name = 'CardRefusal';
  constructor(readonly sw: string) {
    super(`the card refused: ${sw}`);
  }
}

function refuse(sw: string): never {
  throw new CardRefusal(sw);
}

let nextRandom = 1;
/** Challenges: distinct and reproducible (a counter), which is all the network sees of them. */
function freshChallenge(): Uint8Array {
  const out = new Uint8Array(16);
  const n = nextRandom++;
  for (let i = 0; i < 8; i++) out[15 - i] = Math.floor(n / 256 ** i) % 256;
  out[0] = 0xc4;
  out[1] = Math.floor(Math.random() * 256);
  return out;
}

interface OpenRequest {
  requestNo: number;
  amount: number;
  reference: Uint8Array;
}

export class ModelCard {
  readonly keyPair: KeyPair;
  certificate!: CardCertificate;
  intermediaryKey!: Uint8Array;
  state: number = STATE.ACTIVE;
  policy!: Policy;
  balance = 0;
  lastSyncBalance = 0;
  stateCounter = 0;
  txSeq = 0;
  requestSeq = 0;
  orderSeq = 0;
  log: LogRecord[] = [];
  challenge: Uint8Array | undefined;
  readonly openRequests: OpenRequest[] = [];
  readonly paid: string[] = [];
  lastPayment: Signed<Transaction> | undefined;

  constructor(readonly label: string) {
    this.keyPair = generateKeyPair();
  }

  get publicKey(): Uint8Array {
    return this.keyPair.publicKey;
  }

  /** PERSO STORE CARD CERT and LOCK: the certificate the intermediary signed, and that intermediary's key. */
  personalise(certificateBytes: Uint8Array, intermediaryPublicKey: Uint8Array): void {
    const certificate = decodeCardCertificate(certificateBytes);
    if (!equalBytes(certificate.value.publicKey, this.publicKey)) refuse('BAD_CERTIFICATE');
    if (!verifySignature(certificate.signature, certificate.body, intermediaryPublicKey)) refuse('BAD_CERTIFICATE');
    this.certificate = certificate;
    this.intermediaryKey = intermediaryPublicKey;
    this.policy = defaultPolicy(certificate.value.role);
  }

  get cardId(): Uint8Array {
    return this.certificate.value.cardId;
  }
  get cardIdHex(): string {
    return toHex(this.cardId);
  }
  get intermediaryId(): number {
    return this.certificate.value.intermediaryId;
  }
  get role(): number {
    return this.certificate.value.role;
  }

  private get receivedCount(): number {
    return this.log.filter((r) => r.kind === 'INCOMING').length;
  }
  private get receivedAmount(): number {
    return this.log.reduce((s, r) => s + (r.kind === 'INCOMING' ? r.transaction.amount : 0), 0);
  }
  private get openAmount(): number {
    return this.openRequests.reduce((s, r) => s + r.amount, 0);
  }
  get spendable(): number {
    return this.policy.flags & POLICY_FLAG.SPEND_RECEIVED ? this.balance : Math.max(0, this.balance - this.receivedAmount);
  }

  private requireState(...states: number[]): void {
    if (!states.includes(this.state)) refuse(this.state === STATE.BLOCKED ? 'CARD_BLOCKED' : 'CARD_TERMINATED');
  }

  private logRoom(): void {
    if (this.log.length + this.openRequests.length + 1 > LIMIT.LOG_CAPACITY) refuse('LOG_FULL');
  }

  getChallenge(): ChallengeAnswer {
    this.requireState(STATE.ACTIVE, STATE.BLOCKED);
    this.challenge = freshChallenge();
    return { challenge: this.challenge, cardId: this.cardId, stateCounter: this.stateCounter, orderSeq: this.orderSeq, balance: this.balance };
  }

  /** The checks every instruction goes through (section 5), in order. */
  private checkInstruction(instruction: Signed<{ kind: string; cardId: Uint8Array; challenge: Uint8Array; stateCounter: number }>, kind: string): void {
    if (instruction.value.kind !== kind) refuse('WRONG_DATA');
    if (!equalBytes(instruction.value.cardId, this.cardId)) refuse('WRONG_CARD');
    if (!verifySignature(instruction.signature, instruction.body, this.intermediaryKey)) refuse('BAD_SIGNATURE');
    if (!this.challenge || !equalBytes(instruction.value.challenge, this.challenge)) refuse('STALE_CHALLENGE');
    if (instruction.value.stateCounter !== this.stateCounter) refuse('STATE_CHANGED');
  }

  private orderRecord(kind: 'TOP_UP' | 'DEFUND', instruction: SignedInstruction<'TOP_UP'> | SignedInstruction<'DEFUND'>): LogRecord {
    return {
      kind,
      voided: false,
      orderSeq: instruction.value.orderSeq,
      amount: instruction.value.amount,
      challenge: instruction.value.challenge,
      stateCounter: instruction.value.stateCounter,
      signature: instruction.signature,
    };
  }

  topUp(instruction: SignedInstruction<'TOP_UP'>): void {
    this.requireState(STATE.ACTIVE);
    this.checkInstruction(instruction, 'TOP_UP');
    if (instruction.value.orderSeq !== this.orderSeq) refuse('WRONG_ORDER');
    if (this.balance + this.openAmount + instruction.value.amount > this.policy.maxBalance) refuse('BALANCE_LIMIT');
    this.logRoom();
    this.balance += instruction.value.amount;
    this.log.push(this.orderRecord('TOP_UP', instruction));
    this.orderSeq++;
    this.stateCounter++;
    this.challenge = undefined;
  }

  defund(instruction: SignedInstruction<'DEFUND'>): Signed<DefundConfirmation> {
    this.requireState(STATE.ACTIVE);
    this.checkInstruction(instruction, 'DEFUND');
    if (instruction.value.orderSeq !== this.orderSeq) refuse('WRONG_ORDER');
    if (this.log.some((r) => r.kind === 'OUTGOING' || r.kind === 'INCOMING' || r.kind === 'DECLINED')) refuse('UNSYNCED_RECORDS');
    if (instruction.value.amount > this.balance) refuse('INSUFFICIENT_FUNDS');
    this.logRoom();
    const challenge = instruction.value.challenge;
    this.balance -= instruction.value.amount;
    this.log.push(this.orderRecord('DEFUND', instruction));
    this.orderSeq++;
    this.stateCounter++;
    this.challenge = undefined;
    return signDefundConfirmation(
      { cardId: this.cardId, challenge, orderSeq: instruction.value.orderSeq, amount: instruction.value.amount, balance: this.balance, stateCounter: this.stateCounter },
      this.keyPair.privateKey,
    );
  }

  createRequest(amount: number, reference = new Uint8Array(8)): { request: Signed<PaymentRequest>; certificate: CardCertificate } {
    this.requireState(STATE.ACTIVE);
    if (amount === 0) refuse('WRONG_DATA');
    if (this.openRequests.length >= LIMIT.MAX_OPEN_REQUESTS) refuse('TOO_MANY_OPEN_REQUESTS');
    this.logRoom();
    if (this.receivedCount + this.openRequests.length + 1 > this.policy.maxReceivedCount) refuse('RECEIVED_COUNT_LIMIT');
    if (this.receivedAmount + this.openAmount + amount > this.policy.maxReceivedAmount) refuse('RECEIVED_AMOUNT_LIMIT');
    if (this.balance + this.openAmount + amount > this.policy.maxBalance) refuse('BALANCE_LIMIT');
    const requestNo = this.requestSeq++;
    this.openRequests.push({ requestNo, amount, reference: reference.slice() });
    const request = signRequest({ recipientId: this.cardId, recipientIntermediary: this.intermediaryId, requestNo, amount, reference }, this.keyPair.privateKey);
    return { request, certificate: this.certificate };
  }

  /** PAY (the PIN is taken as verified). The recipient's certificate chain is the network's business: checked by the caller. */
  pay(request: Signed<PaymentRequest>, recipientKey: Uint8Array): Signed<Transaction> {
    this.requireState(STATE.ACTIVE);
    if (!verify(request.signature, request.body, recipientKey)) refuse('BAD_SIGNATURE');
    const r = request.value;
    if (equalBytes(r.recipientId, this.cardId)) refuse('SELF_PAYMENT');
    const key = `${toHex(r.recipientId)}:${r.requestNo}`;
    if (this.paid.includes(key)) refuse('ALREADY_PAID');
    if (this.log.filter((x) => x.kind === 'OUTGOING').length >= this.policy.maxPayments) refuse('PAYMENT_COUNT_LIMIT');
    if (r.amount > this.policy.maxPaymentAmount) refuse('PAYMENT_AMOUNT_LIMIT');
    if (r.amount > this.spendable) refuse('INSUFFICIENT_FUNDS');
    this.logRoom();
    const tx = signTransaction(
      {
        payerId: this.cardId,
        payerSeq: this.txSeq,
        payerIntermediary: this.intermediaryId,
        recipientId: r.recipientId,
        recipientIntermediary: r.recipientIntermediary,
        requestNo: r.requestNo,
        amount: r.amount,
        reference: r.reference,
      },
      this.keyPair.privateKey,
    );
    this.txSeq++;
    this.balance -= r.amount;
    this.log.push({ kind: 'OUTGOING', voided: false, transaction: tx.value, signature: tx.signature });
    this.lastPayment = tx;
    this.paid.push(key);
    if (this.paid.length > LIMIT.PAID_MEMORY) this.paid.shift();
    this.stateCounter++;
    return tx;
  }

  receive(tx: Signed<Transaction>, payerKey: Uint8Array): void {
    this.requireState(STATE.ACTIVE);
    const t = tx.value;
    if (!equalBytes(t.recipientId, this.cardId) || t.recipientIntermediary !== this.intermediaryId) refuse('WRONG_CARD');
    if (!verify(tx.signature, tx.body, payerKey)) refuse('BAD_SIGNATURE');
    const at = this.openRequests.findIndex((o) => o.requestNo === t.requestNo && o.amount === t.amount && equalBytes(o.reference, t.reference));
    if (at < 0) refuse('NO_OPEN_REQUEST');
    this.openRequests.splice(at, 1);
    this.balance += t.amount;
    this.log.push({ kind: 'INCOMING', voided: false, transaction: t, signature: tx.signature });
    this.stateCounter++;
  }

  decline(requestNo: number): Signed<Decline> {
    this.requireState(STATE.ACTIVE);
    const at = this.openRequests.findIndex((o) => o.requestNo === requestNo);
    if (at < 0) refuse('NO_OPEN_REQUEST');
    const open = this.openRequests.splice(at, 1)[0];
    const decline = signDecline({ recipientId: this.cardId, recipientIntermediary: this.intermediaryId, requestNo, amount: open.amount, reference: open.reference }, this.keyPair.privateKey);
    this.log.push({ kind: 'DECLINED', voided: false, decline: decline.value, signature: decline.signature });
    this.stateCounter++;
    return decline;
  }

  applyDecline(decline: Signed<Decline>, recipientKey: Uint8Array): void {
    this.requireState(STATE.ACTIVE, STATE.BLOCKED);
    if (!verify(decline.signature, decline.body, recipientKey)) refuse('BAD_SIGNATURE');
    const d = decline.value;
    const record = this.log.find(
      (r) =>
        r.kind === 'OUTGOING' &&
        !r.voided &&
        equalBytes(r.transaction.recipientId, d.recipientId) &&
        r.transaction.recipientIntermediary === d.recipientIntermediary &&
        r.transaction.requestNo === d.requestNo &&
        r.transaction.amount === d.amount &&
        equalBytes(r.transaction.reference, d.reference),
    );
    if (!record || record.kind !== 'OUTGOING') refuse('RECORD_NOT_FOUND');
    record.voided = true;
    this.balance += record.transaction.amount;
    this.stateCounter++;
  }

  recordBytes(): Uint8Array[] {
    return this.log.map(encodeRecord);
  }

  syncReport(): Signed<Report> {
    this.challenge = freshChallenge();
    const bytes = this.recordBytes();
    return signReport(
      {
        cardId: this.cardId,
        challenge: this.challenge,
        stateCounter: this.stateCounter,
        orderSeq: this.orderSeq,
        balance: this.balance,
        lastSyncBalance: this.lastSyncBalance,
        txSeq: this.txSeq,
        requestSeq: this.requestSeq,
        policyVersion: this.policy.version,
        state: this.state,
        recordCount: this.log.length,
        recordsDigest: recordsDigest(bytes),
        openAmount: this.openAmount,
      },
      this.keyPair.privateKey,
    );
  }

  applySyncResult(instruction: SignedInstruction<'SYNC_RESULT'>): void {
    this.requireState(STATE.ACTIVE, STATE.BLOCKED);
    this.checkInstruction(instruction, 'SYNC_RESULT');
    if (instruction.value.recordCount !== this.log.length) refuse('STATE_CHANGED');
    this.balance = instruction.value.newBalance;
    this.lastSyncBalance = instruction.value.newBalance;
    this.log = [];
    this.orderSeq++;
    this.stateCounter++;
    this.challenge = undefined;
  }

  setLifecycle(instruction: SignedInstruction<'LIFECYCLE'>): void {
    this.requireState(STATE.ACTIVE, STATE.BLOCKED);
    this.checkInstruction(instruction, 'LIFECYCLE');
    const to = instruction.value.state;
    const ok = (this.state === STATE.ACTIVE && (to === STATE.BLOCKED || to === STATE.TERMINATED)) || (this.state === STATE.BLOCKED && (to === STATE.ACTIVE || to === STATE.TERMINATED));
    if (!ok) refuse('WRONG_DATA');
    this.state = to;
    this.stateCounter++;
    this.challenge = undefined;
  }

  setPolicy(instruction: SignedInstruction<'POLICY'>): void {
    this.requireState(STATE.ACTIVE, STATE.BLOCKED);
    this.checkInstruction(instruction, 'POLICY');
    if (instruction.value.policy.version <= this.policy.version) refuse('POLICY_NOT_NEWER');
    this.policy = instruction.value.policy;
    this.stateCounter++;
    this.challenge = undefined;
  }
}

export const USER = ROLE.USER;
export const MERCHANT = ROLE.MERCHANT;
