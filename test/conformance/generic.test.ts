// The checks every command shares (docs/PROTOCOL.md section 6, "The checks common to every command come first, in
// this order"): a chain in progress (6883), the class (6E00), the instruction (6D00), the other class (6E00), P1/P2
// (6A86), the lifecycle state (9C2x), then the PIN (6982), the data length (6700), Le (6Cxx). One test per row of
// the command table (commands.ts) and per check, each on a fresh card, each refusal checked for an unchanged card.

import { describe, expect, it } from 'vitest';
import type { Command } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { CLA, INS, LIMIT, SW } from '../../host/src/codec/protocol-constants.ts';
import type { CardAnswer } from '../../host/src/flows/apdu.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { type CommandSpec, COMMANDS, dummyData, type StateLetter, UNUSED_INS, validLength } from './commands.ts';
import { type BlankCard, type ConfCard, CONFORMANCE_NEEDS, expectBlankRefusal, expectRefusal, useConformance } from './harness.ts';

const suite = useConformance();

type Target = { kind: 'wallet'; card: ConfCard } | { kind: 'blank'; card: BlankCard };

async function cardIn(state: StateLetter, spec?: CommandSpec): Promise<Target> {
  switch (state) {
    case 'P':
      return { kind: 'blank', card: await suite.personalising(spec?.persoStage ?? 'blank') };
    case 'A':
      return { kind: 'wallet', card: await suite.card('user', { role: 'USER', balance: 100_00 }) };
    case 'B':
      return { kind: 'wallet', card: await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' }) };
    case 'T':
      return { kind: 'wallet', card: await suite.card('terminated', { role: 'USER', balance: 100_00, lifecycle: 'TERMINATED' }) };
  }
}

function refuse(target: Target, send: (card: ConfCard | BlankCard) => Promise<CardAnswer>, sw: number, prepare?: (card: ConfCard | BlankCard) => Promise<void>): Promise<CardAnswer> {
  if (target.kind === 'wallet') return expectRefusal(target.card, () => send(target.card), sw, prepare ? { prepare: () => prepare(target.card) } : {});
  return expectBlankRefusal(target.card, async () => {
    await prepare?.(target.card);
    return send(target.card);
  }, sw);
}

/** The state a command is tested in when the state is not what is under test. */
function homeState(spec: CommandSpec): StateLetter {
  if (spec.perso) return 'P';
  return (['A', 'B', 'T'] as StateLetter[]).find((s) => spec.states.includes(s))!;
}

function commandOf(spec: CommandSpec, change: Partial<Command> & { length?: number } = {}): Command {
  const data = change.data ?? dummyData(spec, change.length ?? validLength(spec));
  const out: Command = { cla: change.cla ?? spec.cla, ins: change.ins ?? spec.ins, p1: change.p1 ?? spec.p1, p2: change.p2 ?? spec.p2 };
  if (data.length > 0) out.data = data;
  const ne = 'ne' in change ? change.ne : spec.answer !== undefined ? 256 : undefined;
  if (ne !== undefined) out.ne = ne;
  return out;
}

function stateRefusal(spec: CommandSpec, state: StateLetter): number {
  if (state === 'P') return SW.NOT_PERSONALISED;
  if (spec.perso) return SW.PERSONALISATION_LOCKED;
  return state === 'B' ? SW.CARD_BLOCKED : SW.CARD_TERMINATED;
}

const STATE_NAMES: Record<StateLetter, string> = { P: 'PERSONALISING', A: 'ACTIVE', B: 'BLOCKED', T: 'TERMINATED' };
const otherClass = (spec: CommandSpec) => (spec.cla === CLA.ISO ? CLA.PROPRIETARY : CLA.ISO);
const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
const select = (card: ConfCard | BlankCard) => card.send({ cla: 0, ins: INS.SELECT, p1: 4, p2: 0, data: Uint8Array.of(0xf0, 0, 0, 0x0e, 0x4b, 0x52, 1), ne: 256 }).then(() => undefined);

/** Wrong lengths of a command's data and the status word each one must get. */
function wrongLengths(spec: CommandSpec): { length: number; sw: number; what: string }[] {
  const d = spec.data;
  const out: { length: number; sw: number; what: string }[] = [];
  const add = (length: number, sw: number, what: string) => {
    if (length < 0 || out.some((o) => o.length === length)) return;
    out.push({ length, sw, what });
  };
  switch (d.kind) {
    case 'none':
      add(1, SW.WRONG_LENGTH, 'one data byte');
      add(255, SW.WRONG_LENGTH, '255 data bytes');
      break;
    case 'fixed':
      for (const l of d.lengths) {
        if (!d.lengths.includes(l - 1)) add(l - 1, SW.WRONG_LENGTH, `${l - 1} bytes (${l} less one)`);
        if (!d.lengths.includes(l + 1)) add(l + 1, SW.WRONG_LENGTH, `${l + 1} bytes (${l} and one more)`);
      }
      add(0, SW.WRONG_LENGTH, 'no data');
      if (!d.lengths.includes(255)) add(255, SW.WRONG_LENGTH, '255 data bytes');
      break;
    case 'range':
      add(d.min - 1, SW.WRONG_LENGTH, `${d.min - 1} bytes (one below ${d.min})`);
      add(d.max + 1, SW.WRONG_LENGTH, `${d.max + 1} bytes (one above ${d.max})`);
      add(0, SW.WRONG_LENGTH, 'no data');
      add(255, SW.WRONG_LENGTH, '255 data bytes');
      break;
    case 'pin':
      // A PIN of the wrong length is a malformed PIN: 6A80, and it costs no try.
      add(LIMIT.PIN_MIN - 1, SW.WRONG_DATA, `a ${LIMIT.PIN_MIN - 1}-digit PIN`);
      add(LIMIT.PIN_MAX + 1, SW.WRONG_DATA, `a ${LIMIT.PIN_MAX + 1}-digit PIN`);
      if (!d.emptyAllowed) add(0, SW.WRONG_DATA, 'no PIN');
      add(255, SW.WRONG_DATA, '255 digits');
      break;
    case 'aid':
      break;
  }
  return out;
}

describeWith([...CONFORMANCE_NEEDS], 'checks common to every command', () => {
  for (const spec of COMMANDS) {
    describe(spec.name, () => {
      const home = homeState(spec);

      it(`answers 6E00 for class 84 (neither 00 nor 80), in state ${STATE_NAMES[home]}`, async () => {
        const target = await cardIn(home, spec);
        await refuse(target, (c) => c.sendRaw(commandOf(spec, { cla: 0x84 })), SW.CLA_NOT_SUPPORTED);
      });

      it(`answers 6E00 with class ${hex(otherClass(spec))} (the other class)`, async () => {
        const target = await cardIn(home, spec);
        await refuse(target, (c) => c.sendRaw(commandOf(spec, { cla: otherClass(spec) })), SW.CLA_NOT_SUPPORTED);
      });

      it('checks the class before P1/P2: class 84 with a wrong P2 answers 6E00', async () => {
        const target = await cardIn(home, spec);
        await refuse(target, (c) => c.sendRaw(commandOf(spec, { cla: 0x84, p2: spec.p2 ^ 0x01 })), SW.CLA_NOT_SUPPORTED);
      });

      it('checks the other class before P1/P2: 6E00 with a wrong P2', async () => {
        const target = await cardIn(home, spec);
        await refuse(target, (c) => c.sendRaw(commandOf(spec, { cla: otherClass(spec), p2: spec.p2 ^ 0x01 })), SW.CLA_NOT_SUPPORTED);
      });

      if (!spec.p1Any) {
        const badP1s = spec.ins === INS.GET_CERTIFICATE ? [0x00, 0x03] : spec.ins === INS.SELECT ? [0x00] : [spec.p1 ^ 0x01];
        for (const p1 of badP1s) {
          it(`answers 6A86 for P1 = ${hex(p1)}`, async () => {
            const target = await cardIn(home, spec);
            await refuse(target, (c) => c.sendRaw(commandOf(spec, { p1 })), SW.WRONG_P1P2);
          });
        }
      }
      it(`answers 6A86 for P2 = ${hex(spec.p2 ^ 0x01)}`, async () => {
        const target = await cardIn(home, spec);
        await refuse(target, (c) => c.sendRaw(commandOf(spec, { p2: spec.p2 ^ 0x01 })), SW.WRONG_P1P2);
      });

      const refusedStates = (['P', 'A', 'B', 'T'] as StateLetter[]).filter((s) => !spec.states.includes(s));
      for (const state of refusedStates) {
        const sw = stateRefusal(spec, state);
        it(`answers ${swHex(sw)} in state ${STATE_NAMES[state]}`, async () => {
          const target = await cardIn(state, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec)), sw);
        });
      }
      if (refusedStates.length > 0 && spec.ins !== INS.SELECT) {
        const state = refusedStates[0];
        it(`checks P1/P2 before the lifecycle state: a wrong P2 in state ${STATE_NAMES[state]} answers 6A86`, async () => {
          const target = await cardIn(state, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec, { p2: spec.p2 ^ 0x01 })), SW.WRONG_P1P2);
        });
      }

      if (spec.pin === 'yes' || spec.pin === 'consumed') {
        it('answers 6982 when the PIN was not verified since the applet was selected', async () => {
          const target = await cardIn(home, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec)), SW.SECURITY_STATUS_NOT_SATISFIED, select);
        });
        const blockedOrTerminated = refusedStates.find((s) => s === 'B' || s === 'T');
        if (blockedOrTerminated) {
          it(`checks the lifecycle state before the PIN: in state ${STATE_NAMES[blockedOrTerminated]} without the PIN it answers ${swHex(stateRefusal(spec, blockedOrTerminated))}`, async () => {
            const target = await cardIn(blockedOrTerminated, spec);
            await refuse(target, (c) => c.sendRaw(commandOf(spec)), stateRefusal(spec, blockedOrTerminated), select);
          });
        }
        const lengths = wrongLengths(spec);
        if (lengths.length > 0) {
          it(`checks the PIN before the data: ${lengths[0].what} without the PIN answers 6982`, async () => {
            const target = await cardIn(home, spec);
            await refuse(target, (c) => c.sendRaw(commandOf(spec, { length: lengths[0].length })), SW.SECURITY_STATUS_NOT_SATISFIED, select);
          });
        }
      }

      for (const wrong of wrongLengths(spec)) {
        // jCardSim overflows on a case-4 command with 255 data bytes (a known gap): skipped there, with the reason.
        const needs = wrong.length === 255 && spec.answer !== undefined ? (['handlesFullCase4'] as const) : ([] as const);
        itWith([...needs], `answers ${swHex(wrong.sw)} for ${wrong.what}`, async () => {
          const target = await cardIn(home, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec, { length: wrong.length })), wrong.sw);
        });
      }

      if (spec.answer !== undefined) {
        const sw = 0x6c00 | (spec.answer & 0xff);
        itWith(['enforcesLe'], `answers ${swHex(sw)} when Le is one byte short of the ${spec.answer}-byte answer${spec.ins === INS.SELECT ? ' (and the applet stays selected)' : ', before it looks at the data'}`, async () => {
          const target = await cardIn(home, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec, { ne: spec.answer! - 1 })), sw);
        });
        itWith(['enforcesLe'], `answers ${swHex(sw)} when sent without Le`, async () => {
          const target = await cardIn(home, spec);
          await refuse(target, (c) => c.sendRaw(commandOf(spec, { ne: undefined })), sw);
        });
        const firstWrong = wrongLengths(spec).find((w) => w.sw === SW.WRONG_LENGTH);
        if (firstWrong) {
          itWith(firstWrong.length === 255 ? ['handlesFullCase4'] : [], `checks the length before Le: ${firstWrong.what} with a short Le answers 6700`, async () => {
            const target = await cardIn(home, spec);
            await refuse(target, (c) => c.sendRaw(commandOf(spec, { length: firstWrong.length, ne: spec.answer! - 1 })), SW.WRONG_LENGTH);
          });
        }
      }

      if (spec.data.kind !== 'none' && spec.data.kind !== 'aid') {
        it('answers 6883 when another command interrupts its chain, and drops the chain', async () => {
          const target = await cardIn(home, spec);
          await refuse(
            target,
            async (c) => {
              const interrupted = await c.sendRaw({ cla: CLA.PROPRIETARY, ins: INS.GET_STATUS, p1: 0, p2: 0, ne: 256 });
              // The chain was dropped with the answer: the same command now runs.
              const again = await c.sendRaw({ cla: CLA.PROPRIETARY, ins: INS.GET_STATUS, p1: 0, p2: 0, ne: 256 });
              expect(swHex(again.sw), 'GET STATUS after the interrupted chain').toBe('9000');
              return interrupted;
            },
            SW.LAST_COMMAND_EXPECTED,
            async (c) => {
              const first = await c.sendRaw({ cla: spec.cla | CLA.CHAINING, ins: spec.ins, p1: spec.p1, p2: spec.p2, data: dummyData(spec, 10) });
              expect(swHex(first.sw), 'the first block of a chain').toBe('9000');
            },
          );
        });

        it('answers 6883 when the same instruction continues its chain with another P1/P2', async () => {
          const target = await cardIn(home, spec);
          await refuse(
            target,
            (c) => c.sendRaw({ cla: spec.cla, ins: spec.ins, p1: spec.p1, p2: spec.p2 ^ 0x01, data: dummyData(spec, 10) }),
            SW.LAST_COMMAND_EXPECTED,
            async (c) => {
              const first = await c.sendRaw({ cla: spec.cla | CLA.CHAINING, ins: spec.ins, p1: spec.p1, p2: spec.p2, data: dummyData(spec, 10) });
              expect(swHex(first.sw), 'the first block of a chain').toBe('9000');
            },
          );
        });

        it(`answers 6883 when a chain grows past ${LIMIT.IO_BUFFER} bytes (255 then 146)`, async () => {
          const target = await cardIn(home, spec);
          await refuse(
            target,
            (c) => c.sendRaw({ cla: spec.cla, ins: spec.ins, p1: spec.p1, p2: spec.p2, data: dummyData(spec, LIMIT.IO_BUFFER + 1 - 255) }),
            SW.LAST_COMMAND_EXPECTED,
            async (c) => {
              const first = await c.sendRaw({ cla: spec.cla | CLA.CHAINING, ins: spec.ins, p1: spec.p1, p2: spec.p2, data: dummyData(spec, 255) });
              expect(swHex(first.sw), 'the first block of a chain').toBe('9000');
            },
          );
        });

        it('checks a chain in progress before the class: class 84 during its chain answers 6883', async () => {
          const target = await cardIn(home, spec);
          await refuse(
            target,
            (c) => c.sendRaw({ cla: 0x84, ins: INS.GET_STATUS, p1: 0, p2: 0, ne: 256 }),
            SW.LAST_COMMAND_EXPECTED,
            async (c) => {
              const first = await c.sendRaw({ cla: spec.cla | CLA.CHAINING, ins: spec.ins, p1: spec.p1, p2: spec.p2, data: dummyData(spec, 10) });
              expect(swHex(first.sw), 'the first block of a chain').toBe('9000');
            },
          );
        });
      }
    });
  }

  describe('instructions no command uses', () => {
    for (const state of ['P', 'A', 'B', 'T'] as StateLetter[]) {
      it(`answer 6D00 with class 00 and with class 80 in state ${STATE_NAMES[state]} (all ${UNUSED_INS.length} of them)`, async () => {
        const target = await cardIn(state);
        await refuse(
          target,
          async (c) => {
            const answers: string[] = [];
            for (const ins of UNUSED_INS) {
              for (const cla of [CLA.ISO, CLA.PROPRIETARY]) {
                const answer = await c.raw(Uint8Array.of(cla, ins, 0, 0));
                if (answer.sw !== SW.INS_NOT_SUPPORTED) answers.push(`${hex(cla)} ${hex(ins)}: ${swHex(answer.sw)}`);
              }
            }
            expect(answers, 'instructions not answered 6D00').toEqual([]);
            return c.raw(Uint8Array.of(CLA.PROPRIETARY, UNUSED_INS[0], 0, 0));
          },
          SW.INS_NOT_SUPPORTED,
        );
      });
    }

    it('check the class before the instruction: class 84 with an unused instruction answers 6E00', async () => {
      const target = await cardIn('A');
      await refuse(target, (c) => c.raw(Uint8Array.of(0x84, UNUSED_INS[0], 0, 0)), SW.CLA_NOT_SUPPORTED);
    });

    it('check the instruction before P1/P2 and the state: an unused instruction with P1 = FF answers 6D00 on a terminated card', async () => {
      const target = await cardIn('T');
      await refuse(target, (c) => c.raw(Uint8Array.of(CLA.PROPRIETARY, UNUSED_INS[0], 0xff, 0xff)), SW.INS_NOT_SUPPORTED);
    });
  });
});
