// Tearing (design brief section 7: "power loss at every tear point of every flow, then recovery by the normal flows,
// keeps all invariants"). For each state-changing command: a clean run on a fresh card gives the number of tear
// points `tp` and the state after; then for n = 1..tp a fresh card in the same state loses power at tear point n of
// the command. Powered on again, its state must be exactly the state before (byte for byte) or exactly the state
// after (but for the values a card makes at random: its own signatures and its challenges), never a mix; the
// normal flow then recovers (the command or flow again, RESEND LAST, a sync), and the invariants hold: the balance
// is explained by the log, nothing is paid, received, credited or debited twice, every record's signature verifies,
// the PIN never gains a try.
//
// Default: every tear point of PAY (with and without the intermediary certificate), RECEIVE, TOP UP and SYNC APPLY,
// and tear points 1, 2, the middle, tp - 1 and tp of the others. EKRONA_EXHAUSTIVE=1: every tear point of every one.

import { afterAll, expect, it } from 'vitest';
import { chainBlocks, type Command, changePinCommand, createRequestCommand, declineCommand, defundCommand, getChallengeCommand, payCommand, persoGenerateKeyCommand, persoLockCommand, persoSetPinCommand, persoSetPolicyCommand, persoStoreCardCertCommand, persoStoreIntermediaryCertCommand, persoStoreRootCommand, receiveCommand, resendLastCommand, setLifecycleCommand, setPolicyCommand, syncApplyCommand, syncReportCommand, topUpCommand, unblockPinCommand, verifyPinCommand, applyDeclineCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { cardIdHex } from '../../host/src/codec/ids.ts';
import { verifyInstruction } from '../../host/src/codec/instructions.ts';
import { transactionId, verifyDecline, verifyReport, verifyTransaction } from '../../host/src/codec/messages.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { LIMIT, OFF_OREC, OFF_REC, LEN, RECORD, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { balanceFromRecords, type LogRecord, orderRecordInstruction, recordDecline, recordTransaction } from '../../host/src/codec/records.ts';
import { type ChallengeAnswer, parseReportAnswer } from '../../host/src/codec/responses.ts';
import { encodeCommand } from '../../host/src/transport/iso7816.ts';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { exchangeCommand } from '../../host/src/flows/apdu.ts';
import { selectWallet } from '../../host/src/flows/card.ts';
import { defund, setLifecycle, setPolicy, topUp, unblockPin } from '../../host/src/flows/instructions.ts';
import { createRequest, withdrawLostRequests } from '../../host/src/flows/payment.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import { readAllRecords, synchronise, syncReport } from '../../host/src/flows/sync.ts';
import { describeWith } from '../support/backend.ts';
import { type BlankCard, type ConfCard, CONFORMANCE_NEEDS, EXHAUSTIVE, expectSw, type PersoStageName, type Snapshot, type SoftCard, takeSnapshot, useConformance } from './harness.ts';
import { REF } from './payments.ts';

const suite = useConformance();

// ------------------------------------------------------------------------------------------ snapshots

/** A record with what the card makes at random masked: its own signatures, the challenge of an order. */
function maskRecord(hex: string): string {
  const kind = parseInt(hex.slice(0, 2), 16);
  const bytes = hex.split('');
  const mask = (from: number, length: number) => {
    for (let i = from * 2; i < (from + length) * 2; i++) bytes[i] = '.';
  };
  if (kind === RECORD.OUTGOING || kind === RECORD.DECLINED) mask(OFF_REC.SIGNATURE, LEN.SIGNATURE);
  if (kind === RECORD.TOP_UP || kind === RECORD.DEFUND) {
    mask(OFF_OREC.CHALLENGE, LEN.CHALLENGE);
    mask(OFF_REC.SIGNATURE, LEN.SIGNATURE);
  }
  return bytes.join('');
}

function normal(s: Snapshot): Snapshot {
  return { ...s, records: Array.isArray(s.records) ? s.records.map(maskRecord) : s.records };
}

const same = (a: Snapshot, b: Snapshot) => JSON.stringify(a) === JSON.stringify(b);

// ------------------------------------------------------------------------------------------ tear cases

type Target = ConfCard | BlankCard;

interface Attempt {
  card: Target;
  command: Command;
  /** The PIN the snapshot may use (undefined: records are not read). */
  pin?: string;
  /** Anything the case needs again in its recovery. */
  [key: string]: unknown;
}

type Outcome = 'old' | 'new' | 'other';

interface TearCase {
  name: string;
  /** Every tear point by default (else a sample unless EKRONA_EXHAUSTIVE=1). */
  full?: boolean;
  /** A fresh card in the starting state and the command to tear. */
  start(): Promise<Attempt>;
  /** The status word of the clean run (default 9000). */
  sw?: number;
  /** States allowed besides exactly old and exactly new (VERIFY: one try less, by design). */
  allowed?(before: Snapshot, after: Snapshot): boolean;
  /** Runs after the snapshot before the command (which SELECTs): e.g. VERIFY PIN for CHANGE PIN. */
  prepare?(a: Attempt): Promise<void>;
  /** Recovers by the normal flow and checks the command took effect exactly once. */
  recover(a: Attempt, outcome: Outcome, before: Snapshot): Promise<void>;
  /** The invariants of a personalised card are checked after the recovery (default true). */
  invariants?: boolean;
  /** The tear points of the first blocks of a chained command are torn too. */
  earlyBlocks?: boolean;
}

async function snapshot(a: Attempt): Promise<Snapshot> {
  return takeSnapshot(a.card.guard, a.pin);
}

/** Sends the command; tears at point `n` of its last block (or of block `block` when given). */
async function sendTorn(a: Attempt, n: number, block?: number): Promise<{ lost: boolean; sw?: number; tp?: number }> {
  const blocks = (a.command.data?.length ?? 0) <= 255 ? [a.command] : chainBlocks(a.command);
  const torn = block ?? blocks.length - 1;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    const apdu = encodeCommand({ cla: b.cla, ins: b.ins, p1: b.p1, p2: b.p2, ...(b.data ? { data: b.data } : {}), ...(b.ne !== undefined ? { le: b.ne } : {}) });
    if (i === torn && n > 0) await a.card.guard.armTear(n);
    try {
      const response = await a.card.guard.exchange(apdu);
      const sw = (response[response.length - 2] << 8) | response[response.length - 1];
      if (i === blocks.length - 1 || sw !== SW.OK) return { lost: false, sw, tp: a.card.guard.last?.stats?.tp };
    } catch (error) {
      if (error instanceof CardPowerLost) return { lost: true };
      throw error;
    }
  }
  throw new Error('unreachable');
}

/** Tear points to try out of 1..tp. */
function points(tp: number, full: boolean): number[] {
  if (full || EXHAUSTIVE) return Array.from({ length: tp }, (_, i) => i + 1);
  return [...new Set([1, 2, Math.ceil(tp / 2), tp - 1, tp].filter((n) => n >= 1 && n <= tp))];
}

/** The log of a personalised card as the sync flow reads it, with the PIN it has now. */
async function readLog(card: ConfCard): Promise<{ balance: number; lastSyncBalance: number; records: LogRecord[] }> {
  await selectWallet(card.guard);
  const report = await syncReport(card.guard, { pin: card.pinNow });
  expect(verifyReport(report, card.publicKey), 'the report verifies with the card key').toBe(true);
  const records = (await readAllRecords(card.guard, report)).map((r) => r.record);
  return { balance: report.value.balance, lastSyncBalance: report.value.lastSyncBalance, records };
}

/** The invariants of a personalised card: balance explained by the log, every record verifies, nothing twice. */
async function checkInvariants(card: ConfCard): Promise<LogRecord[]> {
  const { balance, lastSyncBalance, records } = await readLog(card);
  expect(balanceFromRecords(lastSyncBalance, records), 'the balance is explained by the log').toBe(balance);
  const outgoing = new Set<string>();
  const incoming = new Set<string>();
  const orders = new Set<number>();
  for (const record of records) {
    switch (record.kind) {
      case 'OUTGOING': {
        expect(verifyTransaction(recordTransaction(record), card.publicKey), 'an OUTGOING record verifies').toBe(true);
        const key = `${cardIdHex(record.transaction.recipientId)}:${record.transaction.requestNo}`;
        expect(outgoing.has(key), `request ${key} paid twice`).toBe(false);
        outgoing.add(key);
        break;
      }
      case 'INCOMING': {
        const payer = suite.cardCertificate(record.transaction.payerId);
        expect(payer && verifyTransaction(recordTransaction(record), payer.value.publicKey), 'an INCOMING record verifies').toBe(true);
        expect(incoming.has(String(record.transaction.requestNo)), `request ${record.transaction.requestNo} received twice`).toBe(false);
        incoming.add(String(record.transaction.requestNo));
        incoming.add(toHex(transactionId(record.transaction)));
        break;
      }
      case 'DECLINED':
        expect(verifyDecline(recordDecline(record), card.publicKey), 'a DECLINED record verifies').toBe(true);
        break;
      case 'TOP_UP':
      case 'DEFUND':
        expect(verifyInstruction(orderRecordInstruction(record, card.cardId), card.intermediary.publicKey), 'an order record verifies').toBe(true);
        expect(orders.has(record.orderSeq), `order ${record.orderSeq} applied twice`).toBe(false);
        orders.add(record.orderSeq);
        break;
    }
  }
  return records;
}

/** Runs a case: the clean run, then every chosen tear point on a fresh card each. */
async function runCase(c: TearCase): Promise<{ tp: number; tried: number; outcomes: Record<Outcome, number> }> {
  const clean = await c.start();
  const cleanBefore = await snapshot(clean);
  await c.prepare?.(clean);
  const done = await sendTorn(clean, 0);
  expect(done.lost).toBe(false);
  expect(swHex(done.sw!), `${c.name}: the clean run`).toBe(swHex(c.sw ?? SW.OK));
  const tp = done.tp!;
  expect(tp, 'the runtime counts tear points').toBeGreaterThan(0);
  const cleanAfter = normal(await snapshot(clean));
  // Some commands change only what no snapshot shows (a challenge, a key, a PIN): their recovery probes tell.
  const visible = !same(normal(cleanBefore), cleanAfter);
  const outcomes: Record<Outcome, number> = { old: 0, new: 0, other: 0 };
  const tried: { block?: number; n: number }[] = points(tp, c.full ?? false).map((n) => ({ n }));
  if (c.earlyBlocks && (clean.command.data?.length ?? 0) > 255) {
    // The first block of a chain only buffers: a power loss at any of its tear points leaves the card as before.
    const probe = await c.start();
    const first = chainBlocks(probe.command)[0];
    await takeSnapshot(probe.card.guard, probe.pin);
    const answer = await probe.card.guard.exchange(encodeCommand({ cla: first.cla, ins: first.ins, p1: first.p1, p2: first.p2, data: first.data! }));
    expect(swHex((answer[answer.length - 2] << 8) | answer[answer.length - 1]), 'the first block of the chain').toBe('9000');
    const firstTp = probe.card.guard.last!.stats!.tp;
    for (let n = 1; n <= firstTp; n++) tried.push({ block: 0, n });
  }
  for (const { n, block } of tried) {
    const a = await c.start();
    const before = await snapshot(a);
    expect(normal(before), `${c.name}: every attempt starts from the same state`).toEqual(normal(cleanBefore));
    await c.prepare?.(a);
    const torn = await sendTorn(a, n, block);
    if (!torn.lost) throw new Error(`${c.name}: tear point ${n}${block !== undefined ? ` of block ${block + 1}` : ''} was not reached`);
    await a.card.guard.powerOn();
    await selectWallet(a.card.guard);
    const after = await snapshot(a);
    let outcome: Outcome;
    if (same(after, before)) outcome = 'old';
    else if (same(normal(after), cleanAfter)) outcome = 'new';
    else if (c.allowed?.(before, after)) outcome = 'other';
    else {
      expect(normal(after), `${c.name}: after a power loss at tear point ${n}${block !== undefined ? ` of block ${block + 1}` : ''} the card is neither as before nor as after`).toEqual(cleanAfter);
      throw new Error('unreachable');
    }
    if (visible && block === undefined && n === tp) expect(outcome, `${c.name}: a power loss at the last tear point (the response) leaves the card as after`).toBe('new');
    if (block !== undefined) expect(outcome, `${c.name}: a power loss in the first block of a chain changes nothing`).toBe('old');
    outcomes[outcome]++;
    await c.recover(a, outcome, before);
    if (c.invariants !== false && 'pinNow' in a.card) await checkInvariants(a.card as ConfCard);
  }
  return { tp, tried: tried.length, outcomes };
}

// ------------------------------------------------------------------------------------------ the cases

let softMerchant: SoftCard | undefined;
let softMerchantB: SoftCard | undefined;
let softPayer: SoftCard | undefined;
const softs = async () => {
  softMerchant ??= await suite.softCard('tear merchant', 'MERCHANT');
  softMerchantB ??= await suite.softCard('tear merchant B', 'MERCHANT', 'B');
  softPayer ??= await suite.softCard('tear payer', 'USER');
  return { softMerchant, softMerchantB, softPayer };
};

const PAYER = { role: 'USER', balance: 1000_00 } as const;
const MERCHANT_OPEN = {
  role: 'MERCHANT' as const,
  setup: { key: 'open request 0', run: async (card: ConfCard) => expectSw(await card.send(createRequestCommand(10_00, REF)), SW.OK, 'CREATE REQUEST') },
};
const PAYER_PAID = {
  ...PAYER,
  setup: {
    key: 'paid soft request 5',
    run: async (card: ConfCard) => {
      const { softMerchant } = await softs();
      const request = softMerchant.request({ amount: 10_00, requestNo: 5 });
      expectSw(await card.send(verifyPinCommand(card.pin)), SW.OK, 'VERIFY');
      expectSw(await card.send(payCommand(request.request, request.certificate)), SW.OK, 'PAY');
    },
  },
};
const PIN_TWO_TRIES = { ...PAYER, setup: { key: 'one wrong PIN', run: async (card: ConfCard) => expect(swHex((await card.send(verifyPinCommand('0000'))).sw)).toBe('63C2') } };
const PIN_BLOCKED = {
  ...PAYER,
  setup: {
    key: 'PIN blocked',
    run: async (card: ConfCard) => {
      for (const sw of ['63C2', '63C1', '6983']) expect(swHex((await card.send(verifyPinCommand('0000'))).sw)).toBe(sw);
    },
  },
};

async function statusOf(card: Target) {
  return (await takeSnapshot(card.guard, undefined)).status;
}

async function instructionAttempt(label: string, make: (card: ConfCard, c: ChallengeAnswer) => Command, spec: Parameters<typeof suite.card>[1] = PAYER): Promise<Attempt> {
  const card = await suite.card(label, spec);
  await card.verifyPin().catch(() => undefined);
  const c = await card.challenge();
  return { card, command: make(card, c), pin: card.pin, challenge: c };
}

const PAY_CASE = (withIcert: boolean): TearCase => ({
  name: withIcert ? 'PAY with the intermediary certificate (chained)' : 'PAY',
  full: true,
  earlyBlocks: withIcert,
  async start() {
    const { softMerchant, softMerchantB } = await softs();
    const merchant = withIcert ? softMerchantB : softMerchant;
    const card = await suite.card('payer', PAYER);
    const request = merchant.request({ amount: 10_00, requestNo: 1 });
    const icert = withIcert ? merchant.intermediary.intermediaryCertificate : undefined;
    return { card, pin: card.pin, command: payCommand(request.request, request.certificate, icert), request, merchant };
  },
  async recover(a, outcome) {
    const card = a.card as ConfCard;
    const merchant = a.merchant as SoftCard;
    const resend = await card.send(resendLastCommand(merchant.cardId, 1, new Uint8Array(8)));
    if (outcome === 'old') {
      expect(swHex(resend.sw), 'RESEND LAST after a payment that did not happen').toBe('9C1D');
      await card.verifyPin();
      expectSw(await exchangeCommand(card.guard, a.command), SW.OK, 'PAY again');
    } else {
      expectSw(resend, SW.OK, 'RESEND LAST after a payment whose answer was lost');
      await card.verifyPin();
      expect(swHex((await exchangeCommand(card.guard, a.command)).sw), 'PAY again').toBe('9C16');
    }
    const s = await statusOf(card);
    expect(s).toMatchObject({ balance: 990_00, payments: 1, txSeq: 1 });
  },
});

const CASES: TearCase[] = [
  PAY_CASE(false),
  PAY_CASE(true),
  {
    name: 'RECEIVE',
    full: true,
    async start() {
      const { softPayer } = await softs();
      const card = await suite.card('merchant-open', MERCHANT_OPEN);
      const tx = softPayer.transaction({ recipientId: card.cardId, recipientIntermediary: card.intermediaryId, requestNo: 0, amount: 10_00, reference: REF });
      return { card, pin: card.pin, command: receiveCommand(tx, softPayer.certificate) };
    },
    async recover(a, outcome) {
      const card = a.card as ConfCard;
      expect(swHex((await exchangeCommand(card.guard, a.command)).sw), 'RECEIVE again').toBe(outcome === 'old' ? '9000' : '9C17');
      expect(await statusOf(card)).toMatchObject({ balance: 10_00, receivedCount: 1, openRequests: 0 });
    },
  },
  {
    name: 'TOP UP',
    full: true,
    async start() {
      const card = await suite.card('payer', PAYER);
      const order = card.intermediary.topUpOrder(10_00);
      const c = await card.challenge();
      const instruction = (await order.sign(c))!;
      return { card, pin: card.pin, command: topUpCommand(instruction), order };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      await topUp(card.guard, a.order as ReturnType<ConfCard['intermediary']['topUpOrder']>);
      expect(await statusOf(card)).toMatchObject({ balance: 1010_00, orderSeq: 2, logCount: 2 });
    },
  },
  {
    name: 'SYNC APPLY',
    full: true,
    async start() {
      const card = await suite.card('payer-paid', PAYER_PAID);
      suite.register.settled.clear();
      suite.register.declined.clear();
      const { intermediary } = card;
      const syncsBefore = intermediary.syncs.length;
      await card.verifyPin();
      const reportAnswer = await card.send(syncReportCommand());
      expectSw(reportAnswer, SW.OK, 'SYNC REPORT');
      const report = parseReportAnswer(reportAnswer.data);
      const records = await readAllRecords(card.guard, report);
      const result = await intermediary.settle({ report, records, certificate: card.certificate });
      return { card, pin: card.pin, command: syncApplyCommand(result), syncsBefore };
    },
    async recover(a, outcome) {
      const card = a.card as ConfCard;
      if (outcome === 'old') await synchronise(card.guard, card.intermediary, { pin: card.pin });
      expect(await statusOf(card)).toMatchObject({ balance: 990_00, logCount: 0 });
      // The payment settled exactly once over the torn sync and its recovery.
      const settled = card.intermediary.syncs.slice(a.syncsBefore as number).reduce((n, s) => n + s.settledNow.length, 0);
      expect(settled, 'transactions settled by the torn sync and its recovery').toBe(1);
    },
  },
  {
    name: 'CREATE REQUEST',
    async start() {
      const card = await suite.card('merchant', 'MERCHANT');
      return { card, pin: card.pin, command: createRequestCommand(10_00, REF) };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      // The answer was lost either way: withdraw the lost request if it was made, then make it again.
      await withdrawLostRequests(card.guard, { amount: 10_00, reference: REF });
      const request = await createRequest(card.guard, 10_00, REF);
      expect(await statusOf(card)).toMatchObject({ openRequests: 1, openAmount: 10_00 });
      expect(request.request.value.requestNo, 'request numbers are never reused').toBeGreaterThanOrEqual(0);
    },
  },
  {
    name: 'DECLINE',
    async start() {
      const card = await suite.card('merchant-open', MERCHANT_OPEN);
      return { card, pin: card.pin, command: declineCommand(0) };
    },
    async recover(a, outcome) {
      const card = a.card as ConfCard;
      expect(swHex((await card.send(declineCommand(0))).sw), 'DECLINE again').toBe(outcome === 'old' ? '9000' : '9C17');
      expect(await statusOf(card)).toMatchObject({ openRequests: 0, logCount: 1 });
    },
  },
  {
    name: 'APPLY DECLINE',
    async start() {
      const { softMerchant } = await softs();
      const card = await suite.card('payer-paid', PAYER_PAID);
      const decline = softMerchant.decline({ requestNo: 5, amount: 10_00 });
      return { card, pin: card.pin, command: applyDeclineCommand(decline.decline, decline.certificate) };
    },
    async recover(a, outcome) {
      const card = a.card as ConfCard;
      expect(swHex((await exchangeCommand(card.guard, a.command)).sw), 'APPLY DECLINE again').toBe(outcome === 'old' ? '9000' : '9C1B');
      expect(await statusOf(card)).toMatchObject({ balance: 1000_00, payments: 1 });
    },
  },
  {
    name: 'DEFUND',
    async start() {
      const card = await suite.card('payer', PAYER);
      await card.verifyPin();
      const order = card.intermediary.defundOrder(10_00);
      const c = await card.challenge();
      return { card, pin: card.pin, command: defundCommand((await order.sign(c))!), order };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      await defund(card.guard, a.order as ReturnType<ConfCard['intermediary']['defundOrder']>, { pin: card.pin });
      expect(await statusOf(card)).toMatchObject({ balance: 990_00, orderSeq: 2, logCount: 2 });
    },
  },
  {
    name: 'SYNC REPORT',
    async start() {
      const card = await suite.card('payer-paid', PAYER_PAID);
      return { card, pin: card.pin, command: syncReportCommand() };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      await synchronise(card.guard, card.intermediary, { pin: card.pin });
      expect(await statusOf(card)).toMatchObject({ balance: 990_00, logCount: 0 });
    },
  },
  {
    name: 'SET POLICY',
    async start() {
      return instructionAttempt('payer', (card, c) => setPolicyCommand(card.instruction(c, 'POLICY', { policy: { ...DEFAULT_POLICIES.USER, version: 1, maxPayments: 3 } })));
    },
    async recover(a, _outcome, before) {
      const card = a.card as ConfCard;
      const policy = { ...DEFAULT_POLICIES.USER, version: 1, maxPayments: 3 };
      if ((await statusOf(card)).policy.version < 1) await setPolicy(card.guard, card.intermediary.policyUpdate(policy));
      expect(await statusOf(card)).toMatchObject({ policy, stateCounter: before.status.stateCounter + 1 });
    },
  },
  {
    name: 'SET LIFECYCLE',
    async start() {
      return instructionAttempt('payer', (card, c) => setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: STATE.BLOCKED })));
    },
    async recover(a, _outcome, before) {
      const card = a.card as ConfCard;
      if ((await statusOf(card)).state !== STATE.BLOCKED) await setLifecycle(card.guard, card.intermediary.lifecycleChange('BLOCKED'));
      expect(await statusOf(card)).toMatchObject({ state: STATE.BLOCKED, stateCounter: before.status.stateCounter + 1 });
    },
  },
  {
    name: 'GET CHALLENGE',
    async start() {
      const card = await suite.card('payer', PAYER);
      const old = await card.challenge();
      return { card, pin: card.pin, command: getChallengeCommand(), old };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      const old = a.old as ChallengeAnswer;
      // The challenge is the old one or a new one, never none: the old one applies, or a new one must be taken.
      const policy = { ...DEFAULT_POLICIES.USER, version: 1 };
      const forOld = await card.send(setPolicyCommand(card.instruction(old, 'POLICY', { policy })));
      if (forOld.sw !== SW.OK) {
        expect(swHex(forOld.sw), 'an instruction for the challenge before the power loss').toBe('9C14');
        const fresh = await card.challenge();
        expectSw(await card.send(setPolicyCommand(card.instruction(fresh, 'POLICY', { policy }))), SW.OK, 'SET POLICY for a fresh challenge');
      }
    },
  },
  {
    name: 'VERIFY PIN, wrong',
    sw: 0x63c1,
    async start() {
      const card = await suite.card('pin2', PIN_TWO_TRIES);
      return { card, command: verifyPinCommand('0000') };
    },
    async recover(a, _outcome, before) {
      const card = a.card as ConfCard;
      const tries = (await statusOf(card)).pinTries;
      expect(tries, 'the PIN never gains a try').toBeLessThanOrEqual(before.status.pinTries);
      await card.verifyPin();
      expect((await statusOf(card)).pinTries).toBe(LIMIT.PIN_TRIES);
    },
  },
  {
    name: 'VERIFY PIN, right',
    // One try less, nothing else: the try counter is decremented before the comparison (OwnerPIN), so a power loss
    // after it costs the try; it never gives one.
    allowed: (before, after) =>
      JSON.stringify(after.status) === JSON.stringify({ ...before.status, pinTries: before.status.pinTries - 1 }) &&
      after.cardCertificate === before.cardCertificate &&
      after.openRequests === before.openRequests,
    async start() {
      const card = await suite.card('pin2', PIN_TWO_TRIES);
      return { card, command: verifyPinCommand(card.pin) };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      await card.verifyPin();
      expect((await statusOf(card)).pinTries).toBe(LIMIT.PIN_TRIES);
    },
  },
  {
    name: 'CHANGE PIN',
    async start() {
      const card = await suite.card('payer', PAYER);
      // No PIN for the snapshot: which PIN works after the power loss is what the recovery finds out.
      return { card, command: changePinCommand('5678') };
    },
    async prepare(a) {
      expectSw(await exchangeCommand(a.card.guard, verifyPinCommand('1234')), SW.OK, 'VERIFY before CHANGE PIN');
    },
    async recover(a) {
      const card = a.card as ConfCard;
      // Exactly one of the two PINs works.
      const old = await card.send(verifyPinCommand(card.pin));
      if (old.sw === SW.OK) {
        expectSw(await card.send(changePinCommand('5678')), SW.OK, 'CHANGE PIN again');
      } else {
        expect(swHex(old.sw)).toBe('63C2');
      }
      expectSw(await card.send(verifyPinCommand('5678')), SW.OK, 'VERIFY with the new PIN');
      card.pinNow = '5678';
    },
  },
  {
    name: 'UNBLOCK PIN',
    async start() {
      const card = await suite.card('blockedpin', PIN_BLOCKED);
      const c = await card.challenge();
      return { card, command: unblockPinCommand(card.instruction(c, 'UNBLOCK_PIN', {}), '4321') };
    },
    async recover(a) {
      const card = a.card as ConfCard;
      if ((await statusOf(card)).pinTries === 0) await unblockPin(card.guard, card.intermediary.pinUnblock(), '4321');
      expectSw(await card.send(verifyPinCommand('4321')), SW.OK, 'VERIFY with the new PIN');
      card.pinNow = '4321';
    },
  },
];

/** One certificate per key (the cards of a stage are clones with one key): every attempt stores the same one. */
const certificates = new Map<string, Promise<import('../../host/src/codec/certificates.ts').CardCertificate>>();
function certificateFor(publicKey: Uint8Array) {
  const key = toHex(publicKey);
  if (!certificates.has(key)) certificates.set(key, suite.intermediary('A').certifyCard({ publicKey, role: 1 }));
  return certificates.get(key)!;
}

/** Personalisation steps, each from the stage just before it; recovery is the personalisation flow again. */
const PERSO: [string, PersoStageName, (card: BlankCard & { publicKey?: Uint8Array }) => Promise<Command>][] = [
  ['PERSO GENERATE KEY', 'blank', async () => persoGenerateKeyCommand()],
  ['PERSO STORE ROOT', 'blank', async () => persoStoreRootCommand(suite.intermediary('A').rootPublicKey)],
  ['PERSO STORE INTERMEDIARY CERT', 'root', async () => persoStoreIntermediaryCertCommand(suite.intermediary('A').intermediaryCertificate)],
  ['PERSO STORE CARD CERT', 'key-root-icert', async (card) => persoStoreCardCertCommand(await certificateFor(card.publicKey!))],
  ['PERSO SET PIN', 'card-cert', async () => persoSetPinCommand('1234')],
  ['PERSO SET POLICY', 'card-cert', async () => persoSetPolicyCommand({ ...DEFAULT_POLICIES.USER, version: 2 })],
  ['PERSO LOCK', 'pin', async () => persoLockCommand()],
];
for (const [name, stage, make] of PERSO) {
  CASES.push({
    name,
    invariants: false,
    async start() {
      const card = await suite.personalising(stage);
      return { card, command: await make(card) };
    },
    async recover(a) {
      const card = a.card;
      if ((await statusOf(card)).state === STATE.PERSONALISING) {
        await personalise(card.guard, suite.intermediary('A'), { role: 'USER', pin: '1234' });
      }
      // The card works: ACTIVE, the PIN verifies, a top-up applies.
      expect((await statusOf(card)).state).toBe(STATE.ACTIVE);
      expectSw(await exchangeCommand(card.guard, verifyPinCommand('1234')), SW.OK, 'VERIFY after personalisation');
      expect(await topUp(card.guard, suite.intermediary('A').topUpOrder(1_00))).toBeDefined();
    },
  });
}

describeWith([...CONFORMANCE_NEEDS, 'canTear', 'canPowerCycle', 'hasStateFiles', 'hasStats'], `power loss at every tear point${EXHAUSTIVE ? '' : ' (sampled for some commands; EKRONA_EXHAUSTIVE=1 for all)'}`, () => {
  const summary: string[] = [];
  afterAll(() => {
    if (summary.length > 0) console.info(`[tearing] ${summary.join('; ')}`);
  });
  for (const c of CASES) {
    it(`${c.name}: the card is exactly as before or as after, and the normal flow recovers`, async () => {
      const result = await runCase(c);
      summary.push(`${c.name}: tp=${result.tp}, ${result.tried} tears (old ${result.outcomes.old}, new ${result.outcomes.new}, other ${result.outcomes.other})`);
      expect(result.outcomes.old + result.outcomes.new + result.outcomes.other).toBe(result.tried);
    }, 120_000);
  }
});
