// A seeded fuzzer (design brief section 7, "No uncaught exception on card (status 6F00) for any input"): random
// APDUs and mutations of valid ones, to every instruction, on cards in every lifecycle state. Each case is one to
// three APDUs; after it the card must have answered only status words the protocol (or the ISO 7816 runtime)
// defines, never 6F00, and a case refused in every APDU must leave the card exactly as it was. A case that
// succeeds (a mutation can still be valid) or a wrong PIN (which costs a try by design) sets a new reference state.
//
// The seed is printed; EKRONA_FUZZ_SEED=<seed> replays a run. EKRONA_FUZZ_CASES sets the cases per card (default 120;
// 2000 with EKRONA_EXHAUSTIVE=1).

import { expect, it } from 'vitest';
import { type Command, createRequestCommand, declineCommand, getChallengeCommand, payCommand, readRecordsCommand, receiveCommand, resendLastCommand, setLifecycleCommand, setPolicyCommand, syncApplyCommand, topUpCommand, unblockPinCommand, verifyPinCommand, WALLET_AID, persoStoreRootCommand, persoStoreIntermediaryCertCommand, persoSetPinCommand, persoSetPolicyCommand, defundCommand, applyDeclineCommand, changePinCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { encodeCommand } from '../../host/src/transport/iso7816.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { COMMANDS } from './commands.ts';
import { type BlankCard, type ConfCard, CONFORMANCE_NEEDS, EXHAUSTIVE, type Snapshot, takeSnapshot, useConformance } from './harness.ts';
import { REF } from './payments.ts';

const suite = useConformance();

const SEED = Number(process.env.EKRONA_FUZZ_SEED ?? Math.floor(Math.random() * 0xffffffff)) >>> 0;
const CASES = Number(process.env.EKRONA_FUZZ_CASES ?? (EXHAUSTIVE ? 2000 : 120));

/** mulberry32: small, fast, and the same numbers for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    byte: () => int(256),
    pick: <T>(items: readonly T[]): T => items[int(items.length)],
    chance: (p: number) => next() < p,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => int(256)),
  };
}
type Rng = ReturnType<typeof prng>;

/** Status words a card may answer: the protocol's, 63Cx, 6Cxx, and the runtime's own (6881 logical channels, 6999). */
function isDefined(sw: number): boolean {
  if ((Object.values(SW) as number[]).includes(sw)) return true;
  if (sw >= 0x63c0 && sw <= 0x63c3) return true;
  if (sw >> 8 === 0x6c) return true;
  return sw === 0x6881 || sw === 0x6999;
}

const USED_INS = COMMANDS.map((c) => c.ins);

function encode(command: Command): Uint8Array {
  return encodeCommand({ cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2, ...(command.data ? { data: command.data.slice(0, 255) } : {}), ...(command.ne !== undefined ? { le: command.ne } : {}) });
}

/** A random APDU: mostly a real instruction with a plausible class, sometimes anything, sometimes badly framed. */
function randomApdu(rng: Rng): Uint8Array {
  const cla = rng.pick([0x00, 0x80, 0x80, 0x10, 0x90, 0x84, rng.byte()]);
  const ins = rng.chance(0.85) ? rng.pick(USED_INS) : rng.byte();
  const p1 = rng.chance(0.7) ? rng.pick([0x00, 0x01, 0x02, 0x04, 0x80]) : rng.byte();
  const p2 = rng.chance(0.7) ? rng.pick([0x00, 0x80]) : rng.byte();
  const shape = rng.int(10);
  if (shape === 0) return rng.bytes(rng.int(4)); // shorter than a header
  if (shape === 1) return Uint8Array.of(cla, ins, p1, p2, rng.byte(), ...rng.bytes(rng.int(8))); // Lc that lies
  const length = rng.pick([0, 0, 1, 4, 8, 12, 19, 65, 94, 95, 98, 99, 102, 110, 113, 135, 144, 238, 254, 255, rng.int(256)]);
  const data = length > 0 ? rng.bytes(length) : undefined;
  const le = rng.chance(0.5) ? rng.pick([1, 16, 36, 68, 110, 152, 212, 256, 1 + rng.int(256)]) : undefined;
  return encodeCommand({ cla, ins, p1, p2, ...(data ? { data } : {}), ...(le !== undefined ? { le } : {}) });
}

/** A valid APDU mutated: a flipped bit or byte, a cut, an extension, a changed header byte, a spliced pair. */
function mutate(rng: Rng, apdu: Uint8Array, corpus: Uint8Array[]): Uint8Array {
  const out = Array.from(apdu);
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    switch (rng.int(7)) {
      case 0:
        out[rng.int(out.length)] ^= 1 << rng.int(8);
        break;
      case 1:
        out[rng.int(out.length)] = rng.byte();
        break;
      case 2:
        out.length = Math.max(0, out.length - 1 - rng.int(Math.min(16, out.length)));
        break;
      case 3:
        out.push(...rng.bytes(1 + rng.int(8)));
        break;
      case 4:
        out[rng.int(Math.min(4, out.length))] = rng.byte();
        break;
      case 5: {
        const other = rng.pick(corpus);
        const cut = rng.int(Math.min(out.length, other.length) + 1);
        out.splice(cut, out.length - cut, ...other.slice(cut));
        break;
      }
      case 6:
        if (out.length > 4) out[4] = rng.byte(); // Lc
        break;
    }
  }
  return Uint8Array.from(out);
}

/** Valid (or nearly valid) commands for the card, to mutate. */
async function corpusFor(card: ConfCard | BlankCard): Promise<Uint8Array[]> {
  const soft = await suite.softCard('fuzz merchant', 'MERCHANT');
  const softPayer = await suite.softCard('fuzz payer', 'USER');
  const commands: Command[] = COMMANDS.map((c) => ({ cla: c.cla, ins: c.ins, p1: c.p1, p2: c.p2, ...(c.answer ? { ne: 256 } : {}) }));
  const request = soft.request({ amount: 1_00, requestNo: 9 });
  commands.push(
    verifyPinCommand('1234'),
    changePinCommand('1234'),
    createRequestCommand(1_00, REF),
    declineCommand(0),
    readRecordsCommand(0),
    payCommand(request.request, request.certificate),
    applyDeclineCommand(soft.decline({ requestNo: 9, amount: 1_00 }).decline, soft.certificate),
    persoStoreRootCommand(suite.intermediary('A').rootPublicKey),
    persoStoreIntermediaryCertCommand(suite.intermediary('A').intermediaryCertificate),
    persoSetPinCommand('1234'),
    persoSetPolicyCommand({ ...DEFAULT_POLICIES.USER }),
    { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: WALLET_AID, ne: 256 },
  );
  if ('intermediary' in card) {
    const c = (await card.statusNow()).state === STATE.ACTIVE || (await card.statusNow()).state === STATE.BLOCKED ? await card.challenge() : undefined;
    commands.push(resendLastCommand(soft.cardId, 9, new Uint8Array(8)));
    commands.push(receiveCommand(softPayer.pay({ recipientId: card.cardId, recipientIntermediary: card.intermediaryId, requestNo: 0, amount: 1_00, reference: REF }), softPayer.certificate));
    if (c) {
      commands.push(topUpCommand(card.instruction(c, 'TOP_UP', { orderSeq: c.orderSeq, amount: 1 })));
      commands.push(defundCommand(card.instruction(c, 'DEFUND', { orderSeq: c.orderSeq, amount: 1 })));
      commands.push(setPolicyCommand(card.instruction(c, 'POLICY', { policy: { ...DEFAULT_POLICIES.USER, version: 7 } })));
      commands.push(setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: STATE.BLOCKED })));
      commands.push(syncApplyCommand(card.instruction(c, 'SYNC_RESULT', { recordCount: 1, newBalance: 5 })));
      commands.push(unblockPinCommand(card.instruction(c, 'UNBLOCK_PIN', {}), '1234'));
      commands.push(getChallengeCommand());
    }
  }
  return commands.map(encode);
}

interface Finding {
  index: number;
  apdus: string[];
  problem: string;
}

/** The new PIN a successful CHANGE PIN (INS 24) or UNBLOCK PIN (INS 2C) set, or null when it cannot be told. */
function pinSetBy(apdu: Uint8Array): string | null {
  if (apdu.length < 6 || (apdu[0] & 0x10) !== 0) return null;
  const data = apdu.slice(5, 5 + apdu[4]);
  const pin = apdu[1] === 0x24 ? data : data.slice(94);
  return new TextDecoder().decode(pin);
}

async function fuzz(label: string, card: ConfCard | BlankCard, pinAtStart: string | undefined, seed: number): Promise<{ cases: number; refused: number; changed: number }> {
  const rng = prng(seed);
  const corpus = await corpusFor(card);
  let pin = pinAtStart;
  let reference: Snapshot = await takeSnapshot(card.guard, pin);
  const findings: Finding[] = [];
  let refused = 0;
  let changed = 0;
  for (let index = 0; index < CASES; index++) {
    const count = rng.chance(0.8) ? 1 : 2 + rng.int(2);
    const apdus: Uint8Array[] = [];
    for (let i = 0; i < count; i++) apdus.push(rng.chance(0.5) ? randomApdu(rng) : mutate(rng, rng.pick(corpus), corpus));
    let allRefused = true;
    let pinTouched = false;
    const sent: string[] = [];
    for (const apdu of apdus) {
      let sw: number;
      try {
        const response = await card.guard.exchange(apdu);
        sw = (response[response.length - 2] << 8) | response[response.length - 1];
      } catch (error) {
        // The transport refuses to send fewer than 4 bytes: nothing reached the card.
        if (apdu.length < 4) continue;
        throw error;
      }
      sent.push(`${toHex(apdu)} -> ${swHex(sw)}`);
      if (sw === 0x6f00) findings.push({ index, apdus: sent.slice(), problem: '6F00' });
      else if (!isDefined(sw)) findings.push({ index, apdus: sent.slice(), problem: `status word ${swHex(sw)} is not defined` });
      if (sw === SW.OK) allRefused = false;
      if (sw === SW.OK && (apdu[1] === 0x24 || apdu[1] === 0x2c) && (apdu[0] & ~0x10) !== 0x84) {
        // A mutation set a new PIN (CHANGE PIN with the PIN validated, an UNBLOCK PIN whose new PIN was changed).
        const next = pinSetBy(apdu);
        pin = next ?? undefined;
      }
      if ((sw & 0xfff0) === 0x63c0 || sw === SW.PIN_BLOCKED) pinTouched = true;
    }
    const after = await takeSnapshot(card.guard, pin);
    if (allRefused && !pinTouched) {
      refused++;
      if (JSON.stringify(after) !== JSON.stringify(reference)) {
        findings.push({ index, apdus: sent, problem: 'a refused case changed the card' });
        expect(after, `${label}, seed ${seed}, case ${index}: ${sent.join(' | ')}`).toEqual(reference);
      }
    } else {
      if (JSON.stringify(after) !== JSON.stringify(reference)) changed++;
      reference = after;
    }
    if (findings.length > 0) break;
  }
  expect(findings, `${label}: seed ${seed} (EKRONA_FUZZ_SEED=${seed} replays it)`).toEqual([]);
  return { cases: CASES, refused, changed };
}

describeWith([...CONFORMANCE_NEEDS], `fuzzing every instruction in every lifecycle state (seed ${SEED}, ${CASES} cases per card)`, () => {
  const targets: [string, () => Promise<{ card: ConfCard | BlankCard; pin?: string }>][] = [
    ['a blank card (PERSONALISING)', async () => ({ card: await suite.personalising('blank') })],
    ['a card with its root stored (PERSONALISING)', async () => ({ card: await suite.personalising('root') })],
    ['a card ready to lock (PERSONALISING)', async () => ({ card: await suite.personalising('pin') })],
    ['an ACTIVE USER card with money and a log', async () => {
      const card = await suite.card('user', { role: 'USER', balance: 100_00 });
      return { card, pin: card.pin };
    }],
    ['an ACTIVE MERCHANT card with an open request', async () => {
      const card = await suite.card('merchant', { role: 'MERCHANT', setup: { key: 'open request', run: async (c) => void (await c.send(createRequestCommand(1_00, REF))) } });
      return { card, pin: card.pin };
    }],
    ['a BLOCKED card', async () => {
      const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
      return { card, pin: card.pin };
    }],
    ['a TERMINATED card', async () => {
      const card = await suite.card('terminated', { role: 'USER', balance: 100_00, lifecycle: 'TERMINATED' });
      return { card, pin: card.pin };
    }],
  ];
  console.info(`[fuzz] seed ${SEED} (EKRONA_FUZZ_SEED=${SEED} replays this run), ${CASES} cases per card`);
  for (const [i, [label, make]] of targets.entries()) {
    // The fuzzer sends case-4 commands with 255 data bytes, which overflow jCardSim's buffer (a known gap).
    itWith(['handlesFullCase4'], `${label}: no 6F00, only defined status words, and a refusal changes nothing`, async () => {
      const { card, pin } = await make();
      const result = await fuzz(label, card, pin, (SEED + i * 0x9e3779b9) >>> 0);
      expect(result.cases).toBe(CASES);
    }, 300_000);
  }

  it('the class byte with the chaining bit and an unknown base class is refused 6E00, not taken for a chain', async () => {
    const card = await suite.card('user', { role: 'USER', balance: 100_00 });
    const answer = await card.raw(Uint8Array.of(0x94, 0x10, 0, 0, 1, 0));
    expect(swHex(answer.sw)).toBe('6E00');
  });
});
