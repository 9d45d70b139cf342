// A fake e-krona network for tests, in process and deterministic: a central bank (root key), intermediaries (keys,
// certificates, card numbering), the instructions they sign, and a settlement register that settles every
// transaction id at most once. It implements the flows' intermediary interfaces (CardIssuer, InstructionSigner,
// DefundAuthority, SyncAuthority, IntermediaryDirectory), so flows run against it exactly as they will against
// the intermediary service.
//
//   const net = new FakeNetwork();
//   const a = net.intermediary('A');                  // id 1, key and certificate fixed
//   await personalise(card, a, { role: 'USER', pin: '1234' });
//   await topUp(card, a.topUpOrder(50_00));
//   await synchronise(card, a, { pin: '1234' });
//
// A rogue intermediary (not certified by this network's root) is an intermediary of another network:
// `new FakeNetwork({ rootLabel: 'rogue root' }).intermediary('A')` has the same id 1, another key and certificate.
//
// Every key is derived from a label (`testKeyPair('intermediary A')`), so certificates and every signature made
// by the fakes are the same in every run (ECDSA with RFC 6979 nonces).

import { type CardCertificate, type IntermediaryCertificate, signCardCertificate, signIntermediaryCertificate, verifyCardCertificate } from '../../host/src/codec/certificates.ts';
import { type KeyPair, keyPairFromPrivateKey, P256_ORDER, privateKeyFromScalar, sha256 } from '../../host/src/codec/ecdsa.ts';
import { equalBytes, toHex } from '../../host/src/codec/hex.ts';
import { cardIdHex, cardIdOf } from '../../host/src/codec/ids.ts';
import { type Instruction, type InstructionKind, type SignedInstruction, signInstruction, verifyInstruction } from '../../host/src/codec/instructions.ts';
import { type DefundConfirmation, type Transaction, transactionId, verifyDecline, verifyDefundConfirmation, verifyReport, verifyTransaction } from '../../host/src/codec/messages.ts';
import type { Policy } from '../../host/src/codec/policy.ts';
import { STATE } from '../../host/src/codec/protocol-constants.ts';
import { balanceFromRecords, orderRecordInstruction, recordDecline, recordsDigest, recordTransaction } from '../../host/src/codec/records.ts';
import type { ChallengeAnswer } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import type {
  CardIssuer,
  DefundAuthority,
  InstructionSigner,
  IntermediaryDirectory,
  SyncAuthority,
  SyncSubmission,
} from '../../host/src/flows/intermediary.ts';

/** A fixed key pair for `label`: the scalar is SHA-256("ekrona test key: " + label) reduced to 1..n-1. */
export function testKeyPair(label: string): KeyPair {
  const digest = sha256(new TextEncoder().encode(`ekrona test key: ${label}`));
  let d = 0n;
  for (const b of digest) d = (d << 8n) | BigInt(b);
  return keyPairFromPrivateKey(privateKeyFromScalar((d % (P256_ORDER - 1n)) + 1n));
}

/** A refusal by a fake intermediary or the central bank (what the service would answer with a 4xx). */
export class IntermediaryRefusal extends Error {
  override name = 'IntermediaryRefusal';
}

export const DEFAULT_ROOT_LABEL = 'central bank root';

export class FakeCentralBank {
  readonly keyPair: KeyPair;
  constructor(readonly label = DEFAULT_ROOT_LABEL) {
    this.keyPair = testKeyPair(label);
  }
  get rootPublicKey(): Uint8Array {
    return this.keyPair.publicKey;
  }
  certifyIntermediary(intermediaryId: number, publicKey: Uint8Array): IntermediaryCertificate {
    return signIntermediaryCertificate({ intermediaryId, publicKey }, this.keyPair.privateKey);
  }
}

/** The header of an instruction for the card and state of a challenge answer. */
export function headerFor(challenge: ChallengeAnswer): { cardId: Uint8Array; challenge: Uint8Array; stateCounter: number } {
  return { cardId: challenge.cardId, challenge: challenge.challenge, stateCounter: challenge.stateCounter };
}

/** A top-up or de-fund order as the intermediary keeps it: numbered with the card's order counter when first signed. */
export class Order<K extends 'TOP_UP' | 'DEFUND'> implements InstructionSigner<K> {
  /** The order number, fixed by the first challenge answer seen. */
  orderSeq: number | undefined;
  /** Instructions signed for this order (one per attempt). */
  readonly signed: SignedInstruction<K>[] = [];

  constructor(
    private readonly intermediary: FakeIntermediary,
    readonly kind: K,
    readonly amount: number,
  ) {}

  async sign(challenge: ChallengeAnswer): Promise<SignedInstruction<K> | undefined> {
    if (this.orderSeq === undefined) this.orderSeq = challenge.orderSeq;
    // The card's counter moved past the order: it was applied (or superseded by a sync). Never sign it again.
    else if (challenge.orderSeq !== this.orderSeq) return undefined;
    const instruction = { kind: this.kind, ...headerFor(challenge), orderSeq: this.orderSeq, amount: this.amount } as Extract<Instruction, { kind: K }>;
    const signed = this.intermediary.sign(instruction);
    this.signed.push(signed);
    return signed;
  }
}

export class DefundOrder extends Order<'DEFUND'> implements DefundAuthority {
  readonly confirmations: Signed<DefundConfirmation>[] = [];
  constructor(private readonly owner: FakeIntermediary, amount: number) {
    super(owner, 'DEFUND', amount);
  }
  async confirmDefund(confirmation: Signed<DefundConfirmation>, certificate: CardCertificate): Promise<void> {
    if (!verifyCardCertificate(certificate, this.owner.keyPair.publicKey)) throw new IntermediaryRefusal('The card certificate was not issued by this intermediary.');
    if (!verifyDefundConfirmation(confirmation, certificate.value.publicKey)) throw new IntermediaryRefusal('The de-fund confirmation does not verify.');
    if (confirmation.value.orderSeq !== this.orderSeq || confirmation.value.amount !== this.amount) {
      throw new IntermediaryRefusal('The de-fund confirmation is not for this order.');
    }
    this.confirmations.push(confirmation);
  }
}

/** Signs one instruction of `kind` with `payload` for whatever challenge it is given (policy, lifecycle, unblock). */
export class FixedInstruction<K extends InstructionKind> implements InstructionSigner<K> {
  readonly signed: SignedInstruction<K>[] = [];
  constructor(
    private readonly intermediary: FakeIntermediary,
    readonly kind: K,
    private readonly payload: Omit<Extract<Instruction, { kind: K }>, 'kind' | 'cardId' | 'challenge' | 'stateCounter'>,
  ) {}
  async sign(challenge: ChallengeAnswer): Promise<SignedInstruction<K>> {
    const instruction = { kind: this.kind, ...headerFor(challenge), ...this.payload } as Extract<Instruction, { kind: K }>;
    const signed = this.intermediary.sign(instruction);
    this.signed.push(signed);
    return signed;
  }
}

export interface SettledTransaction {
  transaction: Transaction;
  /** The card whose sync settled it first. */
  settledBy: string;
}

/** The network-wide register: every transaction id settles at most once; a declined request never settles. */
export class SettlementRegister {
  readonly settled = new Map<string, SettledTransaction>();
  /** `recipientIdHex:requestNo` of declined requests. */
  readonly declined = new Set<string>();

  static requestKey(recipientId: Uint8Array, requestNo: number): string {
    return `${cardIdHex(recipientId)}:${requestNo}`;
  }

  /** Settles `tx` unless its id settled already or its request was declined; true when it settled now. */
  settle(tx: Transaction, by: Uint8Array): boolean {
    const id = toHex(transactionId(tx));
    if (this.settled.has(id) || this.declined.has(SettlementRegister.requestKey(tx.recipientId, tx.requestNo))) return false;
    this.settled.set(id, { transaction: tx, settledBy: cardIdHex(by) });
    return true;
  }

  /** Records a decline; reverses a transaction answering it if one settled already. */
  decline(recipientId: Uint8Array, requestNo: number): void {
    this.declined.add(SettlementRegister.requestKey(recipientId, requestNo));
    for (const [id, entry] of this.settled) {
      if (equalBytes(entry.transaction.recipientId, recipientId) && entry.transaction.requestNo === requestNo) this.settled.delete(id);
    }
  }

  isSettled(tx: Transaction): boolean {
    return this.settled.has(toHex(transactionId(tx)));
  }
}

export interface SyncRecord {
  submission: SyncSubmission;
  /** Transactions this sync settled (first seen). */
  settledNow: Transaction[];
  result: SignedInstruction<'SYNC_RESULT'>;
}

export class FakeIntermediary implements CardIssuer, SyncAuthority {
  readonly keyPair: KeyPair;
  readonly intermediaryCertificate: IntermediaryCertificate;
  private nextSerial = 1;
  readonly syncs: SyncRecord[] = [];

  constructor(
    readonly network: FakeNetwork,
    readonly name: string,
    readonly id: number,
  ) {
    // Another network's intermediaries have other keys, even under the same name (a rogue "A" is not A).
    const root = network.bank.label;
    this.keyPair = testKeyPair(root === DEFAULT_ROOT_LABEL ? `intermediary ${name}` : `intermediary ${name} of ${root}`);
    this.intermediaryCertificate = network.bank.certifyIntermediary(id, this.keyPair.publicKey);
  }

  get rootPublicKey(): Uint8Array {
    return this.network.bank.rootPublicKey;
  }

  get publicKey(): Uint8Array {
    return this.keyPair.publicKey;
  }

  /** The next card id: `id || serial`. */
  nextCardId(): Uint8Array {
    return cardIdOf(this.id, this.nextSerial++);
  }

  async certifyCard(request: { publicKey: Uint8Array; role: number }): Promise<CardCertificate> {
    const certificate = signCardCertificate(
      { cardId: this.nextCardId(), role: request.role, intermediaryId: this.id, publicKey: request.publicKey },
      this.keyPair.privateKey,
    );
    this.network.registerCard(certificate);
    return certificate;
  }

  /** Signs any instruction (for refusal tests: any card, challenge, state or payload). */
  sign<I extends Instruction>(instruction: I): Signed<I> {
    return signInstruction(instruction, this.keyPair.privateKey);
  }

  /** Signs `payload` as an instruction of `kind` for the card and state of `challenge`. */
  instructionFor<K extends InstructionKind>(
    challenge: ChallengeAnswer,
    kind: K,
    payload: Omit<Extract<Instruction, { kind: K }>, 'kind' | 'cardId' | 'challenge' | 'stateCounter'>,
  ): SignedInstruction<K> {
    return this.sign({ kind, ...headerFor(challenge), ...payload } as Extract<Instruction, { kind: K }>);
  }

  topUpOrder(amount: number): Order<'TOP_UP'> {
    return new Order(this, 'TOP_UP', amount);
  }

  defundOrder(amount: number): DefundOrder {
    return new DefundOrder(this, amount);
  }

  policyUpdate(policy: Policy): FixedInstruction<'POLICY'> {
    return new FixedInstruction(this, 'POLICY', { policy });
  }

  lifecycleChange(state: 'ACTIVE' | 'BLOCKED' | 'TERMINATED'): FixedInstruction<'LIFECYCLE'> {
    return new FixedInstruction(this, 'LIFECYCLE', { state: STATE[state] });
  }

  pinUnblock(): FixedInstruction<'UNBLOCK_PIN'> {
    return new FixedInstruction(this, 'UNBLOCK_PIN', {});
  }

  /**
   * Verifies a card's sync submission (certificate, report signature, records digest, every record's signature,
   * the balance the records explain), settles each transaction at most once in the network's register, and signs
   * the result: the same balance, for the report's challenge and state counter.
   */
  async settle(submission: SyncSubmission): Promise<SignedInstruction<'SYNC_RESULT'>> {
    const { report, records, certificate } = submission;
    const card = certificate.value;
    if (!verifyCardCertificate(certificate, this.keyPair.publicKey) || card.intermediaryId !== this.id) {
      throw new IntermediaryRefusal(`The card ${cardIdHex(card.cardId)} was not issued by intermediary ${this.name}.`);
    }
    if (!equalBytes(report.value.cardId, card.cardId)) throw new IntermediaryRefusal('The report is for another card than its certificate.');
    if (!verifyReport(report, card.publicKey)) throw new IntermediaryRefusal("The report's signature does not verify.");
    if (records.length !== report.value.recordCount || !equalBytes(recordsDigest(records.map((r) => r.bytes)), report.value.recordsDigest)) {
      throw new IntermediaryRefusal("The records do not match the report's count and digest.");
    }
    for (const [index, { record }] of records.entries()) {
      const ok = (() => {
        switch (record.kind) {
          case 'OUTGOING':
            return verifyTransaction(recordTransaction(record), card.publicKey);
          case 'INCOMING': {
            const payer = this.network.cardCertificate(record.transaction.payerId);
            return payer !== undefined && verifyTransaction(recordTransaction(record), payer.value.publicKey);
          }
          case 'DECLINED':
            return verifyDecline(recordDecline(record), card.publicKey);
          case 'TOP_UP':
          case 'DEFUND':
            return verifyInstruction(orderRecordInstruction(record, card.cardId), this.keyPair.publicKey);
        }
      })();
      if (!ok) throw new IntermediaryRefusal(`Record ${index} (${record.kind}) does not verify.`);
    }
    const explained = balanceFromRecords(report.value.lastSyncBalance, records.map((r) => r.record));
    if (explained !== report.value.balance) {
      throw new IntermediaryRefusal(`The records explain a balance of ${explained}, the report says ${report.value.balance}.`);
    }
    const settledNow: Transaction[] = [];
    for (const { record } of records) {
      if (record.kind === 'DECLINED') this.network.register.decline(record.decline.recipientId, record.decline.requestNo);
      if ((record.kind === 'OUTGOING' && !record.voided) || record.kind === 'INCOMING') {
        if (this.network.register.settle(record.transaction, card.cardId)) settledNow.push(record.transaction);
      }
    }
    const result = this.sign({
      kind: 'SYNC_RESULT',
      cardId: card.cardId,
      challenge: report.value.challenge,
      stateCounter: report.value.stateCounter,
      recordCount: records.length,
      newBalance: report.value.balance,
    });
    this.syncs.push({ submission, settledNow, result });
    return result;
  }
}

/** The central bank, the intermediaries (created on first use, ids 1, 2, 3... in that order) and the register. */
export class FakeNetwork implements IntermediaryDirectory {
  readonly bank: FakeCentralBank;
  readonly register = new SettlementRegister();
  private readonly intermediaries = new Map<string, FakeIntermediary>();
  private readonly issuedCards = new Map<string, CardCertificate>();

  constructor(options: { rootLabel?: string } = {}) {
    this.bank = new FakeCentralBank(options.rootLabel);
  }

  /** Intermediary `name`, created on first use with the next id (or `id` when given then). */
  intermediary(name = 'A', id?: number): FakeIntermediary {
    let intermediary = this.intermediaries.get(name);
    if (!intermediary) {
      intermediary = new FakeIntermediary(this, name, id ?? this.intermediaries.size + 1);
      this.intermediaries.set(name, intermediary);
    } else if (id !== undefined && id !== intermediary.id) {
      throw new Error(`Intermediary ${name} already exists with id ${intermediary.id}, not ${id}.`);
    }
    return intermediary;
  }

  async intermediaryCertificate(intermediaryId: number): Promise<IntermediaryCertificate> {
    for (const intermediary of this.intermediaries.values()) {
      if (intermediary.id === intermediaryId) return intermediary.intermediaryCertificate;
    }
    throw new IntermediaryRefusal(`No intermediary has id ${intermediaryId}.`);
  }

  registerCard(certificate: CardCertificate): void {
    this.issuedCards.set(cardIdHex(certificate.value.cardId), certificate);
  }

  /** The certificate of a card some intermediary of this network issued. */
  cardCertificate(cardId: Uint8Array): CardCertificate | undefined {
    return this.issuedCards.get(cardIdHex(cardId));
  }
}
