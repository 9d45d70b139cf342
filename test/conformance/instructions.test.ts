// docs/PROTOCOL.md section 5, for each of the six intermediary instructions (TOP UP, DEFUND, SET POLICY, UNBLOCK
// PIN, SET LIFECYCLE, SYNC APPLY): "the length is exact (6700); the tag and version are the command's (6A80); the
// card id is its own (9C13); the signature verifies with its own intermediary's key (9C10); the challenge equals the
// card's current, unused challenge (9C14); the state counter equals the card's (9C15)", each alone and each pair
// of neighbours in that order, then the command's own checks after them. Every refusal leaves the card as it was
// and the challenge taken before it still good.

import { describe, expect, it } from 'vitest';
import { type Command, defundCommand, getChallengeCommand, setLifecycleCommand, setPolicyCommand, syncApplyCommand, syncReportCommand, topUpCommand, unblockPinCommand } from '../../host/src/codec/commands.ts';
import { P256_ORDER } from '../../host/src/codec/ecdsa.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { concatBytes, fromHex } from '../../host/src/codec/hex.ts';
import { encodeInstruction, type Instruction, type InstructionKind, type SignedInstruction } from '../../host/src/codec/instructions.ts';
import { MSG, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { type ChallengeAnswer, parseReportAnswer } from '../../host/src/codec/responses.ts';
import { encodeSigned, signWith } from '../../host/src/codec/signed.ts';
import { describeWith } from '../support/backend.ts';
import { FakeNetwork } from '../support/pki.ts';
import { type ConfCard, type ConfCardSpec, CONFORMANCE_NEEDS, expectRefusal, expectSw, useConformance } from './harness.ts';

const suite = useConformance();

interface Case<K extends InstructionKind = InstructionKind> {
  command: string;
  kind: K;
  card: ConfCardSpec;
  /** The challenge the instruction is made for (GET CHALLENGE; SYNC REPORT for SYNC APPLY). */
  challenge(card: ConfCard): Promise<ChallengeAnswer>;
  /** A valid payload for the card as it is. */
  payload(card: ConfCard, challenge: ChallengeAnswer): Promise<Record<string, unknown>>;
  /** The command carrying a signed instruction. */
  build(instruction: SignedInstruction): Command;
  /** A payload that fails the command's own first check after the instruction, and the status word. */
  ownRefusal: { what: string; payload(card: ConfCard, challenge: ChallengeAnswer): Promise<Record<string, unknown>>; sw: number };
}

async function syncChallenge(card: ConfCard): Promise<ChallengeAnswer> {
  const report = await card.send(syncReportCommand());
  expectSw(report, SW.OK, 'SYNC REPORT');
  const r = parseReportAnswer(report.data).value;
  return { challenge: r.challenge, cardId: r.cardId, stateCounter: r.stateCounter, orderSeq: r.orderSeq, balance: r.balance };
}

const NEW_PIN = '9876';

const CASES: Case[] = [
  {
    command: 'TOP UP',
    kind: 'TOP_UP',
    card: { role: 'USER', balance: 100_00 },
    challenge: (card) => card.challenge(),
    payload: async (_card, c) => ({ orderSeq: c.orderSeq, amount: 10_00 }),
    build: topUpCommand,
    ownRefusal: { what: 'an amount of zero (6A80)', payload: async (_c, ch) => ({ orderSeq: ch.orderSeq, amount: 0 }), sw: SW.WRONG_DATA },
  },
  {
    command: 'DEFUND',
    kind: 'DEFUND',
    card: { role: 'USER', balance: 100_00 },
    challenge: (card) => card.challenge(),
    payload: async (_card, c) => ({ orderSeq: c.orderSeq, amount: 10_00 }),
    build: defundCommand,
    ownRefusal: { what: 'an amount of zero (6A80)', payload: async (_c, ch) => ({ orderSeq: ch.orderSeq, amount: 0 }), sw: SW.WRONG_DATA },
  },
  {
    command: 'SET POLICY',
    kind: 'POLICY',
    card: { role: 'USER', balance: 100_00 },
    challenge: (card) => card.challenge(),
    payload: async (card) => {
      const s = await card.statusNow();
      return { policy: { ...s.policy, version: s.policy.version + 1, maxPayments: 3 } };
    },
    build: setPolicyCommand,
    ownRefusal: {
      what: 'a version that is not newer (9C19)',
      payload: async (card) => ({ policy: { ...(await card.statusNow()).policy, maxPayments: 3 } }),
      sw: SW.POLICY_NOT_NEWER,
    },
  },
  {
    command: 'UNBLOCK PIN',
    kind: 'UNBLOCK_PIN',
    card: { role: 'USER', balance: 100_00 },
    challenge: (card) => card.challenge(),
    payload: async () => ({}),
    build: (instruction) => unblockPinCommand(instruction, NEW_PIN),
    ownRefusal: { what: 'a new PIN that is not digits (6A80)', payload: async () => ({ badPin: true }), sw: SW.WRONG_DATA },
  },
  {
    command: 'SET LIFECYCLE',
    kind: 'LIFECYCLE',
    card: { role: 'USER', balance: 100_00 },
    challenge: (card) => card.challenge(),
    payload: async () => ({ state: STATE.BLOCKED }),
    build: setLifecycleCommand,
    ownRefusal: { what: 'a transition that does not exist, ACTIVE to ACTIVE (6A80)', payload: async () => ({ state: STATE.ACTIVE }), sw: SW.WRONG_DATA },
  },
  {
    command: 'SYNC APPLY',
    kind: 'SYNC_RESULT',
    card: { role: 'USER', balance: 100_00 },
    challenge: syncChallenge,
    payload: async (card) => {
      const s = await card.statusNow();
      return { recordCount: s.logCount, newBalance: s.balance };
    },
    build: syncApplyCommand,
    ownRefusal: {
      what: 'a new balance above 0x7FFFFFFF (6A80)',
      payload: async (card) => ({ recordCount: (await card.statusNow()).logCount, newBalance: 0x80000000 }),
      sw: SW.WRONG_DATA,
    },
  },
];

/** The command for `instruction` (UNBLOCK PIN with a malformed new PIN when the payload says so). */
function commandFor(c: Case, instruction: SignedInstruction, badPin = false): Command {
  if (c.kind === 'UNBLOCK_PIN' && badPin) return unblockPinCommand(instruction, new TextEncoder().encode('12a4'));
  return c.build(instruction);
}

/** Signs a body whose bytes were changed after encoding (another tag, another version) with the intermediary's key. */
function signedRaw(card: ConfCard, value: Instruction, patch: (body: Uint8Array) => void): SignedInstruction {
  return signWith(value, (v) => {
    const body = encodeInstruction(v);
    patch(body);
    return body;
  }, card.intermediary.keyPair.privateKey) as SignedInstruction;
}

const rogue = new FakeNetwork({ rootLabel: 'rogue root' }).intermediary('A');

describeWith([...CONFORMANCE_NEEDS], 'intermediary instructions (section 5)', () => {
  for (const c of CASES) {
    describe(c.command, () => {
      const make = async () => {
        const card = await suite.card('user', c.card);
        await card.verifyPin();
        const challenge = await c.challenge(card);
        const payload = await c.payload(card, challenge);
        const value = { kind: c.kind, cardId: challenge.cardId, challenge: challenge.challenge, stateCounter: challenge.stateCounter, ...payload } as Instruction;
        return { card, challenge, payload, value };
      };
      const sign = (card: ConfCard, value: Instruction) => card.intermediary.sign(value) as SignedInstruction;

      it('applies an instruction made for the card, its current challenge and its state (9000)', async () => {
        const { card, value } = await make();
        expectSw(await card.send(commandFor(c, sign(card, value))), SW.OK, c.command);
      });

      it('answers 6A80 for another instruction\'s tag, even signed by the intermediary', async () => {
        const { card, challenge, value } = await make();
        const other = c.kind === 'TOP_UP' ? MSG.DEFUND : MSG.TOP_UP;
        await expectRefusal(card, () => card.send(commandFor(c, signedRaw(card, value, (b) => (b[0] = other)))), SW.WRONG_DATA, { challenge });
      });

      it('answers 6A80 for format version 02, even signed by the intermediary', async () => {
        const { card, challenge, value } = await make();
        await expectRefusal(card, () => card.send(commandFor(c, signedRaw(card, value, (b) => (b[1] = 0x02)))), SW.WRONG_DATA, { challenge });
      });

      it('answers 9C13 for an instruction addressed to another card', async () => {
        const { card, challenge, value } = await make();
        const other = sign(card, { ...value, cardId: Uint8Array.of(0, 0, 0, 1, 0, 0, 0x7f, 0x7f) });
        await expectRefusal(card, () => card.send(commandFor(c, other)), SW.WRONG_CARD, { challenge });
      });

      it("answers 9C10 for an instruction signed by another intermediary of the network (B)", async () => {
        const { card, challenge, value } = await make();
        const byB = suite.intermediary('B').sign(value) as SignedInstruction;
        await expectRefusal(card, () => card.send(commandFor(c, byB)), SW.BAD_SIGNATURE, { challenge });
      });

      it('answers 9C10 for an instruction signed by a rogue intermediary with the same id', async () => {
        const { card, challenge, value } = await make();
        await expectRefusal(card, () => card.send(commandFor(c, rogue.sign(value) as SignedInstruction)), SW.BAD_SIGNATURE, { challenge });
      });

      it('answers 9C10 for a signature whose r is zero', async () => {
        const { card, challenge, value } = await make();
        const good = sign(card, value);
        const rZero = { ...good, signature: concatBytes(new Uint8Array(32), good.signature.slice(32)) };
        await expectRefusal(card, () => card.send(commandFor(c, rZero)), SW.BAD_SIGNATURE, { challenge });
      });

      it('answers 9C10 for a signature whose s is the curve order', async () => {
        const { card, challenge, value } = await make();
        const good = sign(card, value);
        const sOrder = { ...good, signature: concatBytes(good.signature.slice(0, 32), fromHex(P256_ORDER.toString(16).padStart(64, '0'))) };
        await expectRefusal(card, () => card.send(commandFor(c, sOrder)), SW.BAD_SIGNATURE, { challenge });
      });

      it("answers 9C10 for the signature of another instruction", async () => {
        const { card, challenge, value } = await make();
        const good = sign(card, value);
        const otherSig = sign(card, { ...value, stateCounter: value.stateCounter + 7 });
        await expectRefusal(card, () => card.send(commandFor(c, { ...good, signature: otherSig.signature })), SW.BAD_SIGNATURE, { challenge });
      });

      it('answers 9C14 for an instruction made for a challenge the card never made', async () => {
        const { card, challenge, value } = await make();
        const invented = sign(card, { ...value, challenge: new Uint8Array(16).fill(0xa5) });
        await expectRefusal(card, () => card.send(commandFor(c, invented)), SW.STALE_CHALLENGE, { challenge });
      });

      it('answers 9C14 for an instruction made for the previous challenge after GET CHALLENGE made a new one', async () => {
        const { card, value } = await make();
        const newer = await card.challenge();
        await expectRefusal(card, () => card.send(commandFor(c, sign(card, value))), SW.STALE_CHALLENGE, { challenge: newer });
      });

      if (c.kind !== 'SYNC_RESULT') {
        it('answers 9C14 for an instruction made for the challenge SYNC REPORT replaced', async () => {
          const { card, value } = await make();
          const report = await syncChallenge(card);
          await expectRefusal(card, () => card.send(commandFor(c, sign(card, value))), SW.STALE_CHALLENGE, { challenge: report });
        });
      }

      it('answers 9C14 when the same instruction is sent again after it applied (the challenge is used)', async () => {
        const { card, value } = await make();
        const instruction = sign(card, value);
        expectSw(await card.send(commandFor(c, instruction)), SW.OK, c.command);
        // (SET LIFECYCLE left the card BLOCKED: the replay still meets the challenge check first.)
        if (c.kind === 'UNBLOCK_PIN') card.pinNow = NEW_PIN;
        await expectRefusal(card, () => card.send(commandFor(c, instruction)), SW.STALE_CHALLENGE);
      });

      it('answers 9C15 for an instruction made for another state counter (the next one)', async () => {
        const { card, challenge, value } = await make();
        await expectRefusal(card, () => card.send(commandFor(c, sign(card, { ...value, stateCounter: value.stateCounter + 1 }))), SW.STATE_CHANGED, { challenge });
      });

      // ----------------------------------------------------------------------------------- order of the checks

      it('checks the length before the tag: a wrong tag one byte short answers 6700', async () => {
        const { card, challenge, value } = await make();
        const bad = signedRaw(card, value, (b) => (b[0] = 0x00));
        const cmd = commandFor(c, bad);
        await expectRefusal(card, () => card.send({ ...cmd, data: cmd.data!.slice(0, cmd.data!.length - (c.kind === 'UNBLOCK_PIN' ? 5 : 1)) }), SW.WRONG_LENGTH, { challenge });
      });

      it('checks the tag before the card id: a wrong tag for another card answers 6A80', async () => {
        const { card, challenge, value } = await make();
        const bad = signedRaw(card, { ...value, cardId: new Uint8Array(8).fill(9) }, (b) => (b[0] = 0x00));
        await expectRefusal(card, () => card.send(commandFor(c, bad)), SW.WRONG_DATA, { challenge });
      });

      it('checks the card id before the signature: a rogue instruction for another card answers 9C13', async () => {
        const { card, challenge, value } = await make();
        const bad = rogue.sign({ ...value, cardId: new Uint8Array(8).fill(9) }) as SignedInstruction;
        await expectRefusal(card, () => card.send(commandFor(c, bad)), SW.WRONG_CARD, { challenge });
      });

      it('checks the signature before the challenge: a rogue instruction for an invented challenge answers 9C10', async () => {
        const { card, challenge, value } = await make();
        const bad = rogue.sign({ ...value, challenge: new Uint8Array(16).fill(3) }) as SignedInstruction;
        await expectRefusal(card, () => card.send(commandFor(c, bad)), SW.BAD_SIGNATURE, { challenge });
      });

      it('checks the challenge before the state counter: an invented challenge and another state counter answer 9C14', async () => {
        const { card, challenge, value } = await make();
        const bad = sign(card, { ...value, challenge: new Uint8Array(16).fill(3), stateCounter: value.stateCounter + 5 });
        await expectRefusal(card, () => card.send(commandFor(c, bad)), SW.STALE_CHALLENGE, { challenge });
      });

      it(`checks the state counter before its own checks: another state counter and ${c.ownRefusal.what} answer 9C15`, async () => {
        const { card, challenge } = await make();
        const own = await c.ownRefusal.payload(card, challenge);
        const value = { kind: c.kind, cardId: challenge.cardId, challenge: challenge.challenge, stateCounter: challenge.stateCounter + 1, ...own } as Instruction;
        await expectRefusal(card, () => card.send(commandFor(c, sign(card, value), 'badPin' in own)), SW.STATE_CHANGED, { challenge });
      });

      it(`then runs its own checks: ${c.ownRefusal.what}`, async () => {
        const { card, challenge } = await make();
        const own = await c.ownRefusal.payload(card, challenge);
        const value = { kind: c.kind, cardId: challenge.cardId, challenge: challenge.challenge, stateCounter: challenge.stateCounter, ...own } as Instruction;
        await expectRefusal(card, () => card.send(commandFor(c, sign(card, value), 'badPin' in own)), c.ownRefusal.sw, { challenge });
      });

      it('answers 6A80 for an instruction of another command of the same kind of data sent to it', async () => {
        const { card, challenge, value } = await make();
        // The intermediary's genuine instruction for another command, for this challenge and state.
        const otherKind: InstructionKind = c.kind === 'TOP_UP' ? 'DEFUND' : 'TOP_UP';
        const other = sign(card, { kind: otherKind, cardId: value.cardId, challenge: value.challenge, stateCounter: value.stateCounter, orderSeq: challenge.orderSeq, amount: 1_00 } as Instruction);
        const cmd = commandFor(c, sign(card, value));
        const data = encodeSigned(other);
        // Keep the command's length (the length check comes first): pad or cut the foreign instruction to it.
        const sized = new Uint8Array(cmd.data!.length);
        sized.set(data.slice(0, sized.length));
        const answer = await expectRefusal(card, () => card.send({ ...cmd, data: sized }), SW.WRONG_DATA, { challenge });
        expect(swHex(answer.sw)).toBe('6A80');
      });
    });
  }

  it('GET CHALLENGE answers a new challenge each time (no two of 20 equal)', async () => {
    const card = await suite.card('user', { role: 'USER', balance: 100_00 });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const answer = await card.send(getChallengeCommand());
      expectSw(answer, SW.OK, 'GET CHALLENGE');
      seen.add(Buffer.from(answer.data.slice(0, 16)).toString('hex'));
    }
    expect(seen.size).toBe(20);
  });
});
