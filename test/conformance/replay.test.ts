// Replay and redirection (design brief section 4, "Instructions not addressed, loading replayable", and section 7
// "Refusal"): APDUs captured from real flows are sent again, to the same card or another, later; every one is refused
// with its documented status word and leaves the card as it was.

import { describe, expect, it } from 'vitest';
import { swHex } from '../../host/src/codec/errors.ts';
import { toHex } from '../../host/src/codec/hex.ts';
import { INS, SW } from '../../host/src/codec/protocol-constants.ts';
import { defundCommand, resendLastCommand, topUpCommand } from '../../host/src/codec/commands.ts';
import { defund, setLifecycle, setPolicy, topUp, unblockPin } from '../../host/src/flows/instructions.ts';
import { synchronise } from '../../host/src/flows/sync.ts';
import type { CardTransport, Exchange } from '../../host/src/transport/card-transport.ts';
import { describeWith } from '../support/backend.ts';
import { type ConfCard, CONFORMANCE_NEEDS, expectRefusal, expectSw, type GuardedTransport, useConformance } from './harness.ts';
import { applyDeclineRaw, declineOn, payOn, receiveOn, receiveRaw, requestOn, transferBetween } from './payments.ts';

const suite = useConformance();

/** The APDU blocks of the last command with instruction `ins` in the card's transcript (a chain is several). */
function captured(guard: GuardedTransport, ins: number): Uint8Array[] {
  const commands = guard.recent.map((e) => e.command);
  let end = -1;
  for (let i = commands.length - 1; i >= 0; i--) {
    if (commands[i][1] === ins && (commands[i][0] & 0x10) === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`no command with INS ${ins.toString(16)} in the transcript`);
  let start = end;
  while (start > 0 && commands[start - 1][1] === ins && (commands[start - 1][0] & 0x10) !== 0) start--;
  return commands.slice(start, end + 1);
}

/** Sends captured blocks as they were; answers the last answer (or the first refusal). */
async function replay(card: ConfCard, blocks: Uint8Array[]) {
  for (let i = 0; i < blocks.length; i++) {
    const answer = await card.raw(blocks[i]);
    if (i === blocks.length - 1 || answer.sw !== SW.OK) return answer;
  }
  throw new Error('unreachable');
}

interface Flow {
  name: string;
  ins: number;
  /** Runs the flow on the card through `transport` (default its guarded transport). */
  run(card: ConfCard, transport?: CardTransport): Promise<void>;
  /** A top-up or de-fund: it carries an order number. */
  order?: boolean;
}

const FLOWS: Flow[] = [
  { name: 'TOP UP', ins: INS.TOP_UP, order: true, run: async (c, t = c.guard) => void (await topUp(t, c.intermediary.topUpOrder(10_00))) },
  { name: 'DEFUND', ins: INS.DEFUND, order: true, run: async (c, t = c.guard) => void (await defund(t, c.intermediary.defundOrder(10_00), { pin: c.pinNow })) },
  {
    name: 'SET POLICY',
    ins: INS.SET_POLICY,
    run: async (c, t = c.guard) => {
      const policy = (await c.statusNow()).policy;
      await setPolicy(t, c.intermediary.policyUpdate({ ...policy, version: policy.version + 1 }));
    },
  },
  { name: 'SET LIFECYCLE', ins: INS.SET_LIFECYCLE, run: async (c, t = c.guard) => void (await setLifecycle(t, c.intermediary.lifecycleChange('BLOCKED'))) },
  { name: 'UNBLOCK PIN', ins: INS.UNBLOCK_PIN, run: async (c, t = c.guard) => void (await unblockPin(t, c.intermediary.pinUnblock(), c.pinNow)) },
  { name: 'SYNC APPLY', ins: INS.SYNC_APPLY, run: async (c, t = c.guard) => void (await synchronise(t, c.intermediary, { pin: c.pinNow })) },
];

/** Forwards every APDU but the first with instruction `ins`, which it keeps and answers with an error (never sent). */
class HoldingTransport implements CardTransport {
  held: Uint8Array[] | undefined;
  constructor(
    readonly inner: CardTransport,
    readonly ins: number,
  ) {}
  get name(): string {
    return `holding ${this.inner.name}`;
  }
  private wrap(exchange: Exchange): Exchange {
    return async (command) => {
      if (command[1] === this.ins && this.held === undefined) {
        this.held = [command.slice()];
        throw new Error('held back by the test');
      }
      return exchange(command);
    };
  }
  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.inner.session((exchange) => this.wrap(exchange)(command));
  }
  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body(this.wrap(exchange)));
  }
  async close(): Promise<void> {}
}

describeWith([...CONFORMANCE_NEEDS], 'captured intermediary instructions', () => {
  for (const flow of FLOWS) {
    describe(flow.name, () => {
      it('replayed on the same card, with a fresh challenge made since, is refused 9C14', async () => {
        const card = await suite.card('user', { role: 'USER', balance: 100_00 });
        await flow.run(card);
        const apdu = captured(card.guard, flow.ins);
        await card.verifyPin();
        await expectRefusal(card, () => replay(card, apdu), SW.STALE_CHALLENGE);
      });

      it('sent to another card is refused 9C13', async () => {
        const { card, other } = await suite.cards({ card: { role: 'USER', balance: 100_00 }, other: { role: 'USER', balance: 100_00 } });
        await flow.run(card);
        const apdu = captured(card.guard, flow.ins);
        await other.verifyPin();
        await expectRefusal(other, () => replay(other, apdu), SW.WRONG_CARD);
      });

      it('made for a state the card has left since (a payment in between) is refused 9C15', async () => {
        const { card, merchant } = await suite.cards({ card: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
        // The intermediary's instruction for the card's current challenge and state, held back...
        const holding = new HoldingTransport(card.guard, flow.ins);
        await flow.run(card, holding).catch(() => undefined);
        const held = holding.held;
        expect(held, 'the instruction was captured before it reached the card').toBeDefined();
        // ...then the card pays (its state counter moves; its challenge does not).
        await card.select();
        await payOn(card, await requestOn(merchant, 1_00));
        await card.verifyPin();
        await expectRefusal(card, () => replay(card, held!), SW.STATE_CHANGED, { challenge: false });
      });

      if (flow.order) {
        it('an order the card applied, signed again for a fresh challenge, is refused 9C1E', async () => {
          const card = await suite.card('user', { role: 'USER', balance: 100_00 });
          const before = await card.statusNow();
          await flow.run(card);
          await card.verifyPin();
          const c = await card.challenge();
          const kind = flow.ins === INS.TOP_UP ? 'TOP_UP' : 'DEFUND';
          const again = card.instruction(c, kind, { orderSeq: before.orderSeq, amount: 10_00 });
          await expectRefusal(card, () => card.send(kind === 'TOP_UP' ? topUpCommand(again) : defundCommand(again)), SW.WRONG_ORDER, { challenge: c });
        });

        it('an order signed before a sync, signed again after it, is refused 9C1E (the sync moved the order counter)', async () => {
          const card = await suite.card('user', { role: 'USER', balance: 100_00 });
          const order = (await card.statusNow()).orderSeq;
          await card.sync();
          await card.verifyPin();
          const c = await card.challenge();
          expect(c.orderSeq).toBe(order + 1);
          const kind = flow.ins === INS.TOP_UP ? 'TOP_UP' : 'DEFUND';
          const stale = card.instruction(c, kind, { orderSeq: order, amount: 10_00 });
          await expectRefusal(card, () => card.send(kind === 'TOP_UP' ? topUpCommand(stale) : defundCommand(stale)), SW.WRONG_ORDER, { challenge: c });
        });
      }
    });
  }
});

describeWith([...CONFORMANCE_NEEDS], 'captured payments', () => {
  it('a captured transaction received twice is refused 9C17 the second time', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await transferBetween(payer, merchant, 5_00);
    const receive = captured(merchant.guard, INS.RECEIVE);
    await expectRefusal(merchant, () => replay(merchant, receive), SW.NO_OPEN_REQUEST);
  });

  it('a captured transaction sent to another card is refused 9C13', async () => {
    const { payer, merchant, other } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT', other: 'MERCHANT' });
    await requestOn(other, 5_00);
    await transferBetween(payer, merchant, 5_00);
    await expectRefusal(other, () => replay(other, captured(merchant.guard, INS.RECEIVE)), SW.WRONG_CARD);
  });

  it('a captured request paid twice is refused 9C16; RESEND LAST then answers the same bytes and changes nothing', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 5_00);
    const tx = await payOn(payer, request);
    const pay = captured(payer.guard, INS.PAY);
    await expectRefusal(payer, () => replay(payer, pay), SW.ALREADY_PAID);
    const before = await payer.snapshot();
    const resent = await payer.send(resendLastCommand(merchant.cardId, request.request.value.requestNo, request.request.value.reference));
    expectSw(resent, SW.OK, 'RESEND LAST');
    expect(toHex(resent.data)).toBe(toHex(tx.body) + toHex(tx.signature));
    expect(await payer.snapshot()).toEqual(before);
    // The resent payment is received once.
    await receiveOn(merchant, tx, payer.certificate);
    expect(swHex((await receiveRaw(merchant, tx, payer.certificate)).sw)).toBe('9C17');
  });

  it('a captured request paid by a second card: that card pays, but the recipient receives one payment only (9C17)', async () => {
    const { payer, thief, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, thief: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 5_00);
    const first = await payOn(payer, request);
    const second = await payOn(thief, request);
    await receiveOn(merchant, first, payer.certificate);
    await expectRefusal(merchant, () => receiveRaw(merchant, second, thief.certificate), SW.NO_OPEN_REQUEST);
  });

  it('a captured decline applied twice is refused 9C1B, and on a card that did not pay it 9C1B', async () => {
    const { payer, other, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, other: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const request = await requestOn(merchant, 5_00);
    await payOn(payer, request);
    const decline = await declineOn(merchant, request.request.value.requestNo);
    expectSw(await applyDeclineRaw(payer, decline), SW.OK, 'APPLY DECLINE');
    const apdu = captured(payer.guard, INS.APPLY_DECLINE);
    await expectRefusal(payer, () => replay(payer, apdu), SW.RECORD_NOT_FOUND);
    await expectRefusal(other, () => replay(other, apdu), SW.RECORD_NOT_FOUND);
  });

  it('a captured PAY whose PIN validation was consumed is refused 6982 (every payment needs its own PIN)', async () => {
    const { payer, merchant } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    await payOn(payer, await requestOn(merchant, 2_00));
    const pay = captured(payer.guard, INS.PAY);
    await expectRefusal(payer, () => replay(payer, pay), SW.SECURITY_STATUS_NOT_SATISFIED, { prepare: () => payer.select().then(() => undefined) });
  });
});
