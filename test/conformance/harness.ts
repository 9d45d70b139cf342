// The conformance suite's harness: personalised cards cloned from templates, a transport guard that fails any test
// whose traffic holds a 6F00, the card state snapshot every refusal is checked against, and the refusal check
// itself (status word, state unchanged, the challenge taken before the refusal still good).
//
//   const suite = useConformance();                 // in a test file: opens the backend, guards every test
//   it('refuses ...', async () => {
//     const { user } = await suite.cards({ user: { role: 'USER', balance: 100_00 } });
//     await expectRefusal(user, () => user.send(someCommand), SW.WRONG_DATA);
//   });
//
// Templates. A card spec (role, intermediary, balance, lifecycle, policy) and its label name a template: the first
// test that asks for it personalises a card whose persistent memory lives in a state file; every later request
// copies that file and loads it as a new card (about 2 ms instead of a personalisation). Two labels are two
// templates, so the cards of one test never share a card id. On a backend without state files (jCardSim) every
// card is personalised afresh; on one that cannot create cards (PC/SC) the suite is skipped with the reason.

import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { CardCertificate } from '../../host/src/codec/certificates.ts';
import {
  chainBlocks,
  type Command,
  getCertificateCommand,
  getChallengeCommand,
  getStatusCommand,
  listOpenRequestsCommand,
  persoGenerateKeyCommand,
  persoSetPinCommand,
  persoStoreCardCertCommand,
  persoStoreIntermediaryCertCommand,
  persoStoreRootCommand,
  readRecordsCommand,
  selectCommand,
  setPolicyCommand,
  verifyPinCommand,
  WALLET_AID,
  WALLET_APPLET_CLASS,
} from '../../host/src/codec/commands.ts';
import { type KeyPair, sign as ecdsaSign } from '../../host/src/codec/ecdsa.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import type { Instruction, InstructionKind, SignedInstruction } from '../../host/src/codec/instructions.ts';
import { type Decline, type PaymentRequest, signDecline, signRequest, signTransaction, type Transaction } from '../../host/src/codec/messages.ts';
import type { Policy } from '../../host/src/codec/policy.ts';
import { LEN, LIMIT, ROLE, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { type CardStatus, type ChallengeAnswer, type DeclineAnswer, parseChallengeAnswer, parsePublicKeyAnswer, parseStatus, type RequestAnswer } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import { type CardAnswer, exchangeCommand } from '../../host/src/flows/apdu.ts';
import { selectWallet } from '../../host/src/flows/card.ts';
import { setLifecycle, topUp } from '../../host/src/flows/instructions.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import type { BackendCard } from '../../host/src/transport/backend.ts';
import type { CardTransport, Exchange } from '../../host/src/transport/card-transport.ts';
import { encodeCommand } from '../../host/src/transport/iso7816.ts';
import type { CardMemory, CardStats, OperationStats, SimulatedCard } from '../../host/src/transport/simulator.ts';
import { BACKEND_KIND, CAPS, uniqueCardName } from '../support/backend.ts';
import { testKeyPair } from '../support/pki.ts';
import { type CardSpec, DEFAULT_PIN, type Role, WalletCard, WalletNetwork } from '../support/wallet-network.ts';

/** EKRONA_EXHAUSTIVE=1: every tear point of every command, every bit of every signed input, a long fuzz. */
export const EXHAUSTIVE = process.env.EKRONA_EXHAUSTIVE === '1';

/** The backend capabilities every conformance file needs (fresh cards with the wallet applet installed). */
export const CONFORMANCE_NEEDS = ['canCreateCards', 'canInstall'] as const;

export type Lifecycle = 'ACTIVE' | 'BLOCKED' | 'TERMINATED';

export interface ConfCardSpec extends CardSpec {
  /** The lifecycle state the card is left in (by a signed SET LIFECYCLE); ACTIVE by default. */
  lifecycle?: Lifecycle;
  /**
   * More preparation of the template after personalisation and the top-up, before the lifecycle change (e.g. fill
   * the log). `key` names it in the template's identity.
   */
  setup?: { key: string; run: (card: ConfCard) => Promise<void> };
}

// ------------------------------------------------------------------------------------------------ the guard

export interface Exchanged {
  command: Uint8Array;
  /** The response APDU, or undefined when the card lost power (armed tear). */
  response: Uint8Array | undefined;
  /** The runner's counters for this APDU (simulator only). */
  stats: OperationStats | undefined;
}

/** Every guarded transport of the running test file, so that afterEach can look at all of their traffic. */
const guards = new Set<GuardedTransport>();

/**
 * A CardTransport that records every APDU and its answer and keeps every 6F00 it sees: the design brief allows no
 * uncaught exception on card for any input, so a conformance test whose traffic holds one fails (afterEach).
 * It forwards the simulator's extras (power, tears, counters, memory) to the card it wraps.
 */
export class GuardedTransport implements CardTransport {
  /** The last exchanges (bounded), for failure messages. */
  readonly recent: Exchanged[] = [];
  /** Every exchange answered 6F00 since the test started. */
  readonly uncaught: Exchanged[] = [];
  count = 0;
  /** The stats of the last exchange (last block of a chain). */
  last: Exchanged | undefined;

  constructor(
    readonly inner: BackendCard,
    readonly label: string,
  ) {
    guards.add(this);
  }

  get name(): string {
    return `guarded ${this.inner.name}`;
  }

  private wrap(exchange: Exchange): Exchange {
    return async (command) => {
      const entry: Exchanged = { command: command.slice(), response: undefined, stats: undefined };
      this.count++;
      this.last = entry;
      this.recent.push(entry);
      if (this.recent.length > 40) this.recent.shift();
      try {
        const response = await exchange(command);
        entry.response = response;
        return response;
      } finally {
        entry.stats = (this.inner as Partial<SimulatedCard>).lastExchangeStats;
        const r = entry.response;
        if (r && r.length >= 2 && r[r.length - 2] === 0x6f && r[r.length - 1] === 0x00) this.uncaught.push(entry);
      }
    };
  }

  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.inner.session((exchange) => this.wrap(exchange)(command));
  }

  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body(this.wrap(exchange)));
  }

  async close(): Promise<void> {}

  private simulated(): SimulatedCard {
    if (typeof this.inner.armTear !== 'function') throw new Error(`the ${BACKEND_KIND} backend has no simulated cards`);
    return this.inner as SimulatedCard;
  }

  // The simulator's extras, so that WalletCard.sim and the tear tests can use the guarded card.
  armTear(n: number): Promise<void> {
    return this.simulated().armTear(n);
  }
  powerOn(): Promise<Uint8Array> {
    return this.simulated().powerOn();
  }
  powerOff(): Promise<void> {
    return this.simulated().powerOff();
  }
  reset(): Promise<Uint8Array> {
    return this.simulated().reset();
  }
  lastStats(): Promise<CardStats> {
    return this.simulated().lastStats();
  }
  memory(): Promise<CardMemory> {
    return this.simulated().memory();
  }
  save(): Promise<void> {
    return this.simulated().save();
  }
}

function describeExchange(e: Exchanged): string {
  return `=> ${toHex(e.command)}\n<= ${e.response ? toHex(e.response) : '(power lost)'}`;
}

// ----------------------------------------------------------------------------------------------- the cards

/** A personalised card of the suite: a WalletCard whose transport is guarded, with the suite's helpers. */
export class ConfCard extends WalletCard {
  /** The PIN as it is now (CHANGE PIN and UNBLOCK PIN tests change it). */
  pinNow: string;

  constructor(
    label: string,
    readonly guard: GuardedTransport,
    intermediary: WalletCard['intermediary'],
    certificate: CardCertificate,
    role: Role,
    pin: string,
    readonly template: string,
  ) {
    super(label, guard, intermediary, certificate, role, pin);
    this.pinNow = pin;
  }

  /** Sends a command (chained when longer than one APDU) and returns its answer, whatever the status word. */
  send(command: Command): Promise<CardAnswer> {
    return exchangeCommand(this.guard, command);
  }

  /** Sends raw APDU bytes. */
  async raw(apdu: Uint8Array): Promise<CardAnswer> {
    const response = await this.guard.exchange(apdu);
    return { data: response.slice(0, response.length - 2), sw: (response[response.length - 2] << 8) | response[response.length - 1] };
  }

  /** GET CHALLENGE, checked 9000. */
  async challenge(): Promise<ChallengeAnswer> {
    const answer = await this.send(getChallengeCommand());
    expectSw(answer, SW.OK, 'GET CHALLENGE');
    return parseChallengeAnswer(answer.data);
  }

  /** An instruction of `kind` for the card's challenge `challenge`, signed by the card's intermediary. */
  instruction<K extends InstructionKind>(
    challenge: ChallengeAnswer,
    kind: K,
    payload: Omit<Extract<Instruction, { kind: K }>, 'kind' | 'cardId' | 'challenge' | 'stateCounter'>,
  ): SignedInstruction<K> {
    return this.intermediary.instructionFor(challenge, kind, payload);
  }

  /** GET STATUS, parsed. */
  async statusNow(): Promise<CardStatus> {
    const answer = await this.send(getStatusCommand());
    expectSw(answer, SW.OK, 'GET STATUS');
    return parseStatus(answer.data);
  }

  snapshot(): Promise<Snapshot> {
    return takeSnapshot(this.guard, this.pinNow);
  }

  /** `sendRawCommand` on this card. */
  sendRaw(command: Command): Promise<CardAnswer> {
    return sendRawCommand(this.guard, command);
  }

  /** The counters of the last APDU sent (simulator only). */
  get lastApduStats(): OperationStats | undefined {
    return this.guard.last?.stats;
  }
}

/** Throws unless `answer` has status word `sw` (names the command and both status words). */
export function expectSw(answer: CardAnswer, sw: number, what = 'the command'): void {
  if (answer.sw !== sw) throw new Error(`${what} answered ${swHex(answer.sw)}, expected ${swHex(sw)}`);
}

/**
 * Sends `command` as raw APDUs, in chained blocks when its data is longer than 255 bytes, with no 61xx/6Cxx
 * handling (so a test sees the card's own procedure words). Answers the first block refused, or the last answer.
 */
export async function sendRawCommand(card: CardTransport, command: Command): Promise<CardAnswer> {
  const blocks = (command.data?.length ?? 0) <= 255 ? [command] : chainBlocks(command);
  return card.session(async (exchange) => {
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      const apdu = encodeCommand({ cla: b.cla, ins: b.ins, p1: b.p1, p2: b.p2, ...(b.data ? { data: b.data } : {}), ...(b.ne !== undefined ? { le: b.ne } : {}) });
      const response = await exchange(apdu);
      const sw = (response[response.length - 2] << 8) | response[response.length - 1];
      if (i === blocks.length - 1 || sw !== SW.OK) return { data: response.slice(0, response.length - 2), sw };
    }
    throw new Error('unreachable');
  });
}

// ------------------------------------------------------------------------------------------------ snapshot

/**
 * The card's logical state as the protocol lets a host read it: the status (68 bytes: balance, spendable, counters,
 * state counter, order counter, policy, lifecycle, PIN tries), the two certificates, the open requests, and the log
 * records (read with the PIN when no try is missing: a VERIFY with the right PIN would otherwise give tries back).
 */
export interface Snapshot {
  status: CardStatus;
  statusHex: string;
  selectHex: string;
  cardCertificate: string;
  intermediaryCertificate: string;
  openRequests: string;
  records: string[] | string;
}

function answerText(answer: CardAnswer): string {
  return answer.sw === SW.OK ? toHex(answer.data) : `SW ${swHex(answer.sw)}`;
}

/** SELECT, GET STATUS, GET CERTIFICATE 01 and 02, LIST OPEN REQUESTS, [VERIFY PIN, READ RECORDS...]. */
export async function takeSnapshot(card: CardTransport, pin: string | undefined): Promise<Snapshot> {
  const select = await exchangeCommand(card, selectCommand(WALLET_AID));
  expectSw(select, SW.OK, 'SELECT (snapshot)');
  const statusAnswer = await exchangeCommand(card, getStatusCommand());
  expectSw(statusAnswer, SW.OK, 'GET STATUS (snapshot)');
  const status = parseStatus(statusAnswer.data);
  const cardCertificate = answerText(await exchangeCommand(card, getCertificateCommand('card')));
  const intermediaryCertificate = answerText(await exchangeCommand(card, getCertificateCommand('intermediary')));
  const openRequests = answerText(await exchangeCommand(card, listOpenRequestsCommand()));
  let records: string[] | string;
  if (status.state === STATE.PERSONALISING) records = 'not read: personalising';
  else if (pin === undefined) records = 'not read: PIN unknown';
  else if (status.pinTries !== LIMIT.PIN_TRIES) records = `not read: ${status.pinTries} PIN tries left (a VERIFY would give tries back)`;
  else {
    const verify = await exchangeCommand(card, verifyPinCommand(pin));
    expectSw(verify, SW.OK, 'VERIFY PIN (snapshot)');
    records = [];
    for (let index = 0; index < status.logCount; index += LIMIT.RECORDS_PER_READ) {
      const read = await exchangeCommand(card, readRecordsCommand(index));
      expectSw(read, SW.OK, `READ RECORDS ${index} (snapshot)`);
      for (let at = 0; at < read.data.length; at += LEN.RECORD) records.push(toHex(read.data.slice(at, at + LEN.RECORD)));
    }
    const end = await exchangeCommand(card, readRecordsCommand(status.logCount));
    expectSw(end, SW.OK, 'READ RECORDS at the end (snapshot)');
    if (end.data.length !== 0) throw new Error('READ RECORDS at the record count answered data');
  }
  return { status, statusHex: toHex(statusAnswer.data), selectHex: toHex(select.data), cardCertificate, intermediaryCertificate, openRequests, records };
}

// ------------------------------------------------------------------------------------------------ refusals

export interface RefusalOptions {
  /** Runs after the "before" snapshot, before the refused command (e.g. SELECT to end the PIN validation). */
  prepare?: () => Promise<void>;
  /**
   * The challenge to prove alive after the refusal: an instruction made for it must still apply. Default: a
   * challenge taken before the snapshot when the card is ACTIVE or BLOCKED; `false` for none.
   */
  challenge?: ChallengeAnswer | false;
}

/** Information kept about refusals: the persistent bytes the runtime saw written (key objects loaded). */
export const refusalLedger: { command: string; sw: string; pw: number }[] = [];

/**
 * The refusal check of the suite: `send` answers exactly `sw`, the card's snapshot after is the one before, and
 * (ACTIVE or BLOCKED cards) a SET POLICY made for the challenge taken before the refusal still applies, which
 * proves the challenge and the state counter survived. Returns the refusal's answer.
 */
export async function expectRefusal(card: ConfCard, send: () => Promise<CardAnswer>, sw: number, options: RefusalOptions = {}): Promise<CardAnswer> {
  const before0 = await card.statusNow();
  const usable = before0.state === STATE.ACTIVE || before0.state === STATE.BLOCKED;
  let challenge: ChallengeAnswer | undefined;
  if (options.challenge !== false && usable) challenge = options.challenge ?? (await card.challenge());
  const before = await card.snapshot();
  await options.prepare?.();
  const answer = await send();
  const stats = card.lastApduStats;
  expect(swHex(answer.sw), `status word (expected ${swHex(sw)})`).toBe(swHex(sw));
  expect(answer.data.length, 'a refusal answers no data').toBe(0);
  refusalLedger.push({ command: card.guard.last ? toHex(card.guard.last.command.slice(0, 2)) : '?', sw: swHex(sw), pw: stats?.pw ?? 0 });
  const after = await card.snapshot();
  expect(after, 'the card state after the refusal').toEqual(before);
  if (challenge) await proveChallenge(card, challenge, after.status);
  return answer;
}

/**
 * Applies a SET POLICY (the current limits, version + 1) made for `challenge`: 9000 proves that the challenge is
 * still the card's current one and that the state counter did not move since it was taken.
 */
export async function proveChallenge(card: ConfCard, challenge: ChallengeAnswer, status?: CardStatus): Promise<void> {
  const now = status ?? (await card.statusNow());
  const policy: Policy = { ...now.policy, version: now.policy.version + 1 };
  const proof = card.instruction(challenge, 'POLICY', { policy });
  const answer = await card.send(setPolicyCommand(proof));
  expect(swHex(answer.sw), 'SET POLICY made for the challenge taken before the refusal (it must still apply)').toBe('9000');
}

/** A refusal check for a card that is not personalised (no challenge, no records). */
export async function expectBlankRefusal(card: BlankCard, send: () => Promise<CardAnswer>, sw: number): Promise<CardAnswer> {
  const before = await takeSnapshot(card.guard, undefined);
  const answer = await send();
  expect(swHex(answer.sw), `status word (expected ${swHex(sw)})`).toBe(swHex(sw));
  expect(answer.data.length, 'a refusal answers no data').toBe(0);
  const after = await takeSnapshot(card.guard, undefined);
  expect(after, 'the card state after the refusal').toEqual(before);
  return answer;
}

/** A card with the wallet installed and selected, in state PERSONALISING. */
export class BlankCard {
  constructor(
    readonly guard: GuardedTransport,
    readonly label: string,
  ) {}
  send(command: Command): Promise<CardAnswer> {
    return exchangeCommand(this.guard, command);
  }
  async raw(apdu: Uint8Array): Promise<CardAnswer> {
    const response = await this.guard.exchange(apdu);
    return { data: response.slice(0, response.length - 2), sw: (response[response.length - 2] << 8) | response[response.length - 1] };
  }
  sendRaw(command: Command): Promise<CardAnswer> {
    return sendRawCommand(this.guard, command);
  }
  snapshot(): Promise<Snapshot> {
    return takeSnapshot(this.guard, undefined);
  }
}

/** How far a PERSONALISING card got: the stages of the personalisation flow the conformance tests start from. */
export type PersoStageName = 'blank' | 'root' | 'key-root-icert' | 'card-cert' | 'pin';

export class PersoCard extends BlankCard {
  /** The card's public key (stages from key-root-icert on). */
  publicKey: Uint8Array | undefined;
  /** Its card certificate, signed by intermediary A (stages card-cert and pin). */
  certificate: CardCertificate | undefined;
}

// -------------------------------------------------------------------------------------------------- network

type Specs = Record<string, Role | ConfCardSpec>;

/** The wallet network of pki.ts with cards cloned from personalised templates. */
export class ConformanceNetwork extends WalletNetwork {
  private dir: string | undefined;
  private readonly templates = new Map<string, Promise<{ file: string | undefined; certificate: CardCertificate }>>();
  /** Cards made in the running test. */
  readonly made: (ConfCard | BlankCard)[] = [];

  /**
   * Where templates and clones keep their state files: RAM (/dev/shm) when there is one, since the runner fsyncs
   * the file after every command that changes the card and these cards live for one test; else the temp folder.
   */
  private get folder(): string {
    const ram = '/dev/shm';
    this.dir ??= mkdtempSync(join(process.env.EKRONA_CONFORMANCE_DIR ?? (existsSync(ram) ? ram : tmpdir()), 'ekrona-conf-'));
    return this.dir;
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Personalises `card` (installs the wallet first) through a guarded transport, then tops up and sets it up. */
  private async personaliseInto(card: BackendCard, spec: ConfCardSpec, label: string): Promise<CardCertificate> {
    const intermediary = this.intermediary(spec.intermediary ?? 'A');
    if (!card.install || !card.powerOn) throw new Error(`the ${BACKEND_KIND} backend cannot install the wallet applet`);
    await card.install(WALLET_APPLET_CLASS, WALLET_AID);
    await card.powerOn();
    // Issuance traffic is guarded too: a 6F00 while a template is made fails the test that asked for it.
    const guard = new GuardedTransport(card, `issuance of ${label}`);
    await selectWallet(guard);
    const { certificate } = await personalise(guard, intermediary, { role: spec.role, pin: spec.pin ?? DEFAULT_PIN, ...(spec.policy ? { policy: spec.policy } : {}) });
    if (spec.balance) {
      if (!(await topUp(guard, intermediary.topUpOrder(spec.balance)))) throw new Error('the template top-up was not applied');
    }
    if (spec.setup) {
      const conf = new ConfCard(label, guard, intermediary, certificate, spec.role, spec.pin ?? DEFAULT_PIN, 'template');
      await conf.select();
      await spec.setup.run(conf);
    }
    if (spec.lifecycle && spec.lifecycle !== 'ACTIVE') {
      await setLifecycle(guard, intermediary.lifecycleChange(spec.lifecycle));
    }
    return certificate;
  }

  /** A card personalised now for this test alone (no template, no state file): issuance is part of the test. */
  async freshCard(label: string, spec: Role | ConfCardSpec): Promise<ConfCard> {
    const s: ConfCardSpec = typeof spec === 'string' ? { role: spec } : spec;
    const backendCard = await this.backend.openCard(uniqueCardName(label));
    const certificate = await this.personaliseInto(backendCard, s, label);
    const card = new ConfCard(label, new GuardedTransport(backendCard, label), this.intermediary(s.intermediary ?? 'A'), certificate, s.role, s.pin ?? DEFAULT_PIN, 'fresh');
    await card.select();
    this.made.push(card);
    return card;
  }

  /** A personalised card as `spec` says, cloned from its template (made on first use). */
  override async card(label: string, spec: Role | ConfCardSpec): Promise<ConfCard> {
    const s: ConfCardSpec = typeof spec === 'string' ? { role: spec } : spec;
    const key = `${label}|${JSON.stringify({ ...s, setup: s.setup?.key })}`;
    const intermediary = this.intermediary(s.intermediary ?? 'A');
    let backendCard: BackendCard;
    let certificate: CardCertificate;
    if (CAPS.hasStateFiles) {
      let template = this.templates.get(key);
      if (!template) {
        template = (async () => {
          const file = join(this.folder, `${uniqueCardName(`tpl-${label}`)}.card`);
          const card = await this.backend.openCard(uniqueCardName(`tpl-${label}`), { stateFile: file });
          const cert = await this.personaliseInto(card, s, label);
          await (card as SimulatedCard).save();
          await (card as SimulatedCard).powerOff();
          return { file, certificate: cert };
        })();
        this.templates.set(key, template);
      }
      const made = await template;
      const file = join(this.folder, `${uniqueCardName(label)}.card`);
      copyFileSync(made.file!, file);
      backendCard = await this.backend.openCard(uniqueCardName(label), { stateFile: file });
      await backendCard.powerOn!();
      certificate = made.certificate;
    } else {
      backendCard = await this.backend.openCard(uniqueCardName(label));
      certificate = await this.personaliseInto(backendCard, s, label);
    }
    const guard = new GuardedTransport(backendCard, label);
    const card = new ConfCard(label, guard, intermediary, certificate, s.role, s.pin ?? DEFAULT_PIN, key);
    await card.select();
    this.made.push(card);
    return card;
  }

  override async cards<T extends Specs>(specs: T): Promise<{ [K in keyof T]: ConfCard }> {
    const out: Record<string, ConfCard> = {};
    for (const [label, spec] of Object.entries(specs)) out[label] = await this.card(label, spec);
    return out as { [K in keyof T]: ConfCard };
  }

  /** A new card with the wallet applet installed, powered on, selected, in state PERSONALISING. */
  async blank(label = 'blank'): Promise<BlankCard> {
    const card = await this.backend.openCard(uniqueCardName(label));
    if (!card.install || !card.powerOn) throw new Error(`the ${BACKEND_KIND} backend cannot install the wallet applet`);
    await card.install(WALLET_APPLET_CLASS, WALLET_AID);
    await card.powerOn();
    const guard = new GuardedTransport(card, label);
    const blank = new BlankCard(guard, label);
    expectSw(await blank.send(selectCommand(WALLET_AID)), SW.OK, 'SELECT');
    this.made.push(blank);
    return blank;
  }

  /**
   * A card in state PERSONALISING at `stage`: blank (installed), root (PERSO STORE ROOT), key-root-icert (PERSO
   * GENERATE KEY, STORE ROOT, STORE INTERMEDIARY CERT), card-cert (and STORE CARD CERT, role `role`), pin (and SET
   * PIN: everything but the lock). Issued by intermediary A.
   */
  async personalising(stage: PersoStageName, role: Role = 'USER', label = 'perso'): Promise<PersoCard> {
    if (!CAPS.hasStateFiles) return this.personaliseToStage(await this.blank(label), stage, role, label);
    // Cloned from a template, so that every card of a stage is the same card (same key, same certificate).
    const key = `perso|${stage}|${role}`;
    let template = this.persoTemplates.get(key);
    if (!template) {
      template = (async () => {
        const file = join(this.folder, `${uniqueCardName(`tpl-${stage}`)}.card`);
        const raw = await this.backend.openCard(uniqueCardName(`tpl-${stage}`), { stateFile: file });
        if (!raw.install || !raw.powerOn) throw new Error(`the ${BACKEND_KIND} backend cannot install the wallet applet`);
        await raw.install(WALLET_APPLET_CLASS, WALLET_AID);
        await raw.powerOn();
        const guard = new GuardedTransport(raw, `template ${stage}`);
        const blank = new BlankCard(guard, label);
        expectSw(await blank.send(selectCommand(WALLET_AID)), SW.OK, 'SELECT');
        const made = await this.personaliseToStage(blank, stage, role, label);
        await (raw as SimulatedCard).save();
        await (raw as SimulatedCard).powerOff();
        return { file, publicKey: made.publicKey, certificate: made.certificate };
      })();
      this.persoTemplates.set(key, template);
    }
    const made = await template;
    const file = join(this.folder, `${uniqueCardName(label)}.card`);
    copyFileSync(made.file, file);
    const raw = await this.backend.openCard(uniqueCardName(label), { stateFile: file });
    await raw.powerOn!();
    const card = new PersoCard(new GuardedTransport(raw, label), label);
    card.publicKey = made.publicKey;
    card.certificate = made.certificate;
    expectSw(await card.send(selectCommand(WALLET_AID)), SW.OK, 'SELECT');
    this.made.push(card);
    return card;
  }

  private readonly persoTemplates = new Map<string, Promise<{ file: string; publicKey: Uint8Array | undefined; certificate: CardCertificate | undefined }>>();

  private async personaliseToStage(blank: BlankCard, stage: PersoStageName, role: Role, label: string): Promise<PersoCard> {
    const card = new PersoCard(blank.guard, label);
    const a = this.intermediary('A');
    const run = async (command: Command, what: string) => {
      const answer = await card.send(command);
      expectSw(answer, SW.OK, what);
      return answer.data;
    };
    if (stage === 'root') await run(persoStoreRootCommand(a.rootPublicKey), 'PERSO STORE ROOT');
    if (stage === 'key-root-icert' || stage === 'card-cert' || stage === 'pin') {
      card.publicKey = parsePublicKeyAnswer(await run(persoGenerateKeyCommand(), 'PERSO GENERATE KEY'));
      await run(persoStoreRootCommand(a.rootPublicKey), 'PERSO STORE ROOT');
      await run(persoStoreIntermediaryCertCommand(a.intermediaryCertificate), 'PERSO STORE INTERMEDIARY CERT');
    }
    if (stage === 'card-cert' || stage === 'pin') {
      card.certificate = await a.certifyCard({ publicKey: card.publicKey!, role: ROLE[role] });
      await run(persoStoreCardCertCommand(card.certificate), 'PERSO STORE CARD CERT');
    }
    if (stage === 'pin') await run(persoSetPinCommand(DEFAULT_PIN), 'PERSO SET PIN');
    const index = this.made.indexOf(blank);
    if (index >= 0) this.made[index] = card;
    return card;
  }

  /**
   * A card that exists only as a key pair certified by intermediary `intermediary` (a "software card"): it signs
   * whatever request, decline or transaction a test needs, valid or not, with a key the network vouches for.
   */
  softCard(label: string, role: Role = 'USER', intermediary = 'A'): Promise<SoftCard> {
    return SoftCard.issue(this.intermediary(intermediary), label, role);
  }

}

/**
 * The conformance network of a test file: the backend opens before its tests and closes after them; after every
 * test the traffic of every card it used is searched for 6F00 (an uncaught exception on card), which fails it.
 */
export function useConformance(): ConformanceNetwork {
  const network = new ConformanceNetwork();
  beforeAll(async () => {
    if (CAPS.canCreateCards && CAPS.canInstall) await network.open();
  });
  afterAll(async () => {
    await network.close();
    const written = refusalLedger.filter((r) => r.pw > 0);
    if (refusalLedger.length > 0 && CAPS.hasStats) {
      console.info(
        `[info] ${refusalLedger.length} refusals checked; ${written.length} of them wrote persistent bytes in the runtime's count (pw, at most ${Math.max(0, ...written.map((r) => r.pw))}: a counterparty key loaded into a key object, not a logical state change)`,
      );
    }
  });
  afterEach(() => {
    const offending: string[] = [];
    for (const guard of guards) {
      for (const e of guard.uncaught) offending.push(`${guard.label}:\n${describeExchange(e)}`);
      guard.uncaught.length = 0;
    }
    guards.clear();
    network.made.length = 0;
    if (offending.length > 0) {
      throw new Error(`6F00 (an uncaught exception on card) in this test's traffic:\n${offending.join('\n')}`);
    }
  });
  return network;
}


// ------------------------------------------------------------------------------------------- software cards

export class SoftCard {
  private constructor(
    readonly keyPair: KeyPair,
    readonly certificate: CardCertificate,
    readonly intermediary: WalletCard['intermediary'],
  ) {}

  static async issue(intermediary: WalletCard['intermediary'], label: string, role: Role): Promise<SoftCard> {
    const keyPair = testKeyPair(`software card ${label}`);
    const certificate = await intermediary.certifyCard({ publicKey: keyPair.publicKey, role: ROLE[role] });
    return new SoftCard(keyPair, certificate, intermediary);
  }

  get cardId(): Uint8Array {
    return this.certificate.value.cardId;
  }

  get intermediaryId(): number {
    return this.certificate.value.intermediaryId;
  }

  /** A request of this card, signed by it; any field may be given (for refusal tests). */
  request(fields: Partial<PaymentRequest> & { amount: number }): RequestAnswer {
    const value: PaymentRequest = { recipientId: this.cardId, recipientIntermediary: this.intermediaryId, requestNo: 0, reference: new Uint8Array(8), ...fields };
    return { request: signRequest(value, this.keyPair.privateKey), certificate: this.certificate };
  }

  decline(fields: Partial<Decline> & { amount: number; requestNo: number }): DeclineAnswer {
    const value: Decline = { recipientId: this.cardId, recipientIntermediary: this.intermediaryId, reference: new Uint8Array(8), ...fields };
    return { decline: signDecline(value, this.keyPair.privateKey), certificate: this.certificate };
  }

  /** A transaction paid by this card, signed by it. */
  transaction(fields: Partial<Transaction> & Pick<Transaction, 'recipientId' | 'recipientIntermediary' | 'requestNo' | 'amount'>): Signed<Transaction> {
    const value: Transaction = { payerId: this.cardId, payerSeq: 0, payerIntermediary: this.intermediaryId, reference: new Uint8Array(8), ...fields };
    return signTransaction(value, this.keyPair.privateKey);
  }

  /** Any body bytes signed with this card's key, as a signed structure of value `value` (for malformed input). */
  signBody<T>(value: T, body: Uint8Array): Signed<T> {
    return { value, body, signature: ecdsaSign(body, this.keyPair.privateKey) };
  }

  /** A transaction paying `request` (as a card would). */
  pay(request: PaymentRequest, payerSeq = 0): Signed<Transaction> {
    return this.transaction({ recipientId: request.recipientId, recipientIntermediary: request.recipientIntermediary, requestNo: request.requestNo, amount: request.amount, reference: request.reference, payerSeq });
  }
}

// ------------------------------------------------------------------------------------------- state changes

/**
 * Checks that `after` is `before` but for the status fields in `changes` (and, when given, the records and the
 * open requests). Records are compared only when both snapshots could read them.
 */
export function expectStateChange(
  before: Snapshot,
  after: Snapshot,
  changes: Partial<CardStatus>,
  more: { records?: (before: string[]) => string[]; openRequests?: string } = {},
): void {
  expect(after.status, 'the status after the command').toEqual({ ...before.status, ...changes });
  expect(after.cardCertificate, 'the card certificate').toBe(before.cardCertificate);
  expect(after.intermediaryCertificate, 'the intermediary certificate').toBe(before.intermediaryCertificate);
  expect(after.openRequests, 'the open requests').toBe(more.openRequests ?? before.openRequests);
  if (Array.isArray(before.records) && Array.isArray(after.records)) {
    expect(after.records, 'the log records').toEqual(more.records ? more.records(before.records) : before.records);
  }
}
