// The liquidity problem of the pilot (section 3.7): Alice tops up SEK 200, pays Bob SEK 80 offline, Bob pays
// Charlie SEK 50 offline; then they synchronise. Whatever the order (all 3! of them), in both liquidity modes, with
// the three cards at one intermediary or spread over two: nobody is short, no card loses value, everything settles
// once the money arrives, and money is conserved after every step.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Liquidity } from '../../host/src/server/api.ts';
import { TestNetwork } from './harness.ts';

const PERMUTATIONS: Array<Array<'alice' | 'bob' | 'charlie'>> = [
  ['alice', 'bob', 'charlie'],
  ['alice', 'charlie', 'bob'],
  ['bob', 'alice', 'charlie'],
  ['bob', 'charlie', 'alice'],
  ['charlie', 'alice', 'bob'],
  ['charlie', 'bob', 'alice'],
];

/** Where the three cards live: all at intermediary 1, or Bob at 2 (both payments cross intermediaries). */
const PLACEMENTS = {
  'one intermediary': { alice: 0, bob: 0, charlie: 0 },
  'two intermediaries': { alice: 0, bob: 1, charlie: 0 },
} as const;

for (const liquidity of ['pending', 'pool'] as Liquidity[]) {
  describe(`liquidity ${liquidity}`, () => {
    let net: TestNetwork;
    beforeAll(async () => {
      net = await TestNetwork.open({ liquidity });
    });
    afterAll(async () => {
      await net.close();
    });

    for (const [placementName, placement] of Object.entries(PLACEMENTS)) {
      for (const order of PERMUTATIONS) {
        it(`settles fully when they sync in the order ${order.join(', ')} (${placementName})`, async () => {
          const alice = await net.card(placement.alice, { deposit: 500_00, topUp: 200_00 });
          const bob = await net.card(placement.bob);
          const charlie = await net.card(placement.charlie);
          const cards = { alice, bob, charlie };
          await net.transfer(alice, bob, 80_00);
          await net.transfer(bob, charlie, 50_00);
          const expected = { alice: 120_00, bob: 30_00, charlie: 50_00 };
          expect({ alice: alice.card.balance, bob: bob.card.balance, charlie: charlie.card.balance }).toEqual(expected);
          await net.expectBalanced();

          for (const name of order) {
            const answer = await net.sync(cards[name]);
            expect(answer.outcome).toBe('synchronised');
            // No card loses value: the sync result gives each card exactly what it held.
            expect(cards[name].card.balance).toBe(expected[name]);
            const audit = await net.expectBalanced();
            if (name === 'charlie' && order[0] === 'charlie') {
              // Charlie first: Bob's shadow wallet is empty. The pool pays Charlie now, or the payment waits.
              const view = await net.admins[charlie.im].card(charlie.card.cardIdHex);
              if (liquidity === 'pool') {
                expect({ shadow: view.shadow, pendingIn: view.pendingIn, pool: audit.centralBank.poolOutstanding }).toEqual({ shadow: 50_00, pendingIn: 0, pool: 50_00 });
              } else {
                expect({ shadow: view.shadow, pendingIn: view.pendingIn, pool: audit.centralBank.poolOutstanding }).toEqual({ shadow: 0, pendingIn: 50_00, pool: 0 });
              }
            }
          }

          // After everyone synced: every card's balance is what its shadow wallet and pending payments cover, and
          // nothing is pending any more: the shadow wallets hold it all.
          for (const name of ['alice', 'bob', 'charlie'] as const) {
            const view = await net.admins[cards[name].im].card(cards[name].card.cardIdHex);
            expect({ name, shadow: view.shadow, pendingIn: view.pendingIn, pendingOut: view.pendingOut }).toEqual({ name, shadow: expected[name], pendingIn: 0, pendingOut: 0 });
          }
          const audit = await net.expectBalanced();
          expect(audit.centralBank.poolOutstanding).toBe(0);
        });
      }
    }
  });
}
