// Random sequences of flows and sync orders (fast-check): top-ups, payments within and across intermediaries,
// payments never received, declines applied or not, de-funds, syncs in any order. After every sync money is
// conserved network-wide; at the end, once everyone has synced until nothing moves, every card's balance is
// exactly what its shadow wallet (with what is still pending) covers.
//
// Cards are the pure model (card-model.ts), signing with the codec. Default: a bounded run; EKRONA_EXHAUSTIVE=1
// runs many more and longer sequences.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Liquidity } from '../../host/src/server/api.ts';
import { CardRefusal } from './card-model.ts';
import { type NetworkCard, TestNetwork } from './harness.ts';

const EXHAUSTIVE = process.env.EKRONA_EXHAUSTIVE === '1';
const RUNS = EXHAUSTIVE ? 150 : 8;
const MAX_STEPS = EXHAUSTIVE ? 60 : 25;
const CARDS = 5;

type Step =
  | { op: 'topUp'; card: number; amount: number }
  | { op: 'pay'; payer: number; recipient: number; amount: number; received: boolean; decline: 'no' | 'declined' | 'applied' }
  | { op: 'sync'; card: number }
  | { op: 'defund'; card: number; amount: number };

const cardIndex = fc.nat(CARDS - 1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('topUp' as const), card: cardIndex, amount: fc.integer({ min: 1, max: 80_00 }) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('pay' as const),
      payer: cardIndex,
      recipient: cardIndex,
      amount: fc.integer({ min: 1, max: 60_00 }),
      received: fc.boolean(),
      decline: fc.constantFrom('no' as const, 'declined' as const, 'applied' as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('sync' as const), card: cardIndex }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('defund' as const), card: cardIndex, amount: fc.integer({ min: 1, max: 40_00 }) }) },
);

/** Runs a step; a refusal by a card or a service (a limit, an order still open) is part of the game. */
async function run(net: TestNetwork, cards: NetworkCard[], s: Step): Promise<void> {
  try {
    switch (s.op) {
      case 'topUp':
        await net.admins[cards[s.card].im].deposit(cards[s.card].userId, s.amount);
        await net.topUp(cards[s.card], s.amount);
        return;
      case 'pay': {
        if (s.payer === s.recipient) return;
        const payer = cards[s.payer];
        const recipient = cards[s.recipient];
        const { request } = recipient.card.createRequest(s.amount);
        const tx = payer.card.pay(request, recipient.card.publicKey);
        if (s.received) {
          recipient.card.receive(tx, payer.card.publicKey);
        } else if (s.decline !== 'no') {
          const decline = recipient.card.decline(request.value.requestNo);
          if (s.decline === 'applied') payer.card.applyDecline(decline, recipient.card.publicKey);
        }
        return;
      }
      case 'sync':
        await net.syncFully(cards[s.card]);
        await net.expectBalanced();
        return;
      case 'defund':
        await net.defund(cards[s.card], s.amount);
        return;
    }
  } catch (error) {
    if (error instanceof CardRefusal) return;
    if ((error as { name?: string }).name === 'ServiceRequestError' && (error as { status: number }).status === 409) return;
    throw error;
  }
}

for (const liquidity of ['pending', 'pool'] as Liquidity[]) {
  describe(`random flows (${liquidity})`, () => {
    let net: TestNetwork;
    beforeAll(async () => {
      net = await TestNetwork.open({ liquidity });
    });
    afterAll(async () => {
      await net?.close();
    });

    it(`keeps money conserved and every card covered (${RUNS} runs of up to ${MAX_STEPS} steps)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: MAX_STEPS }), async (steps) => {
          const cards: NetworkCard[] = [];
          for (let i = 0; i < CARDS; i++) cards.push(await net.card(i % 2, { role: i === 4 ? 'MERCHANT' : 'USER', deposit: 50_00, topUp: i < 3 ? 50_00 : undefined }));
          for (const s of steps) await run(net, cards, s);
          // Everyone syncs until a whole round changes no card's balance.
          for (let round = 0; round < 5; round++) {
            const before = cards.map((c) => c.card.balance);
            for (const c of cards) await net.syncFully(c);
            await net.audit();
            if (cards.every((c, i) => c.card.balance === before[i]) && round > 0) break;
          }
          for (const c of cards) {
            const view = await net.admins[c.im].card(c.card.cardIdHex);
            expect({ card: c.card.cardIdHex, balance: c.card.balance, pendingOut: view.pendingOut, pendingIn: view.pendingIn }).toEqual({ card: c.card.cardIdHex, balance: view.coverage, pendingOut: 0, pendingIn: 0 });
          }
          const audit = await net.expectBalanced();
          expect(audit.centralBank.poolOutstanding).toBe(0);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
    }, 600_000);
  });
}
