// The race of the pilot (section 3.8): both cards of a payment sync at the same time, at two intermediaries. Here
// every card of many payments sends several reports at once (each with its own challenge), payers and recipients
// together, at both intermediaries: each transaction settles exactly once, and money is conserved.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestNetwork, type NetworkCard } from './harness.ts';

const EXHAUSTIVE = process.env.EKRONA_EXHAUSTIVE === '1';
const PAIRS = EXHAUSTIVE ? 40 : 10;
const REPORTS_PER_CARD = EXHAUSTIVE ? 6 : 3;

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.open({ liquidity: 'pending' });
});
afterAll(async () => {
  await net?.close();
});

it(`settles each of ${PAIRS * 2}+ transactions exactly once when all their cards, at two intermediaries, report ${REPORTS_PER_CARD} times at once`, async () => {
  const payers: NetworkCard[] = [];
  const recipients: NetworkCard[] = [];
  let transactions = 0;
  for (let i = 0; i < PAIRS; i++) {
    // Half the payments cross intermediaries, half stay within one; some recipients spend what they received.
    const payer = await net.card(i % 2, { deposit: 100_00, topUp: 100_00 });
    const recipient = await net.card(1);
    await net.transfer(payer, recipient, 10_00 + i);
    await net.transfer(payer, recipient, 20_00);
    transactions += 2;
    if (i % 3 === 0) {
      const third = await net.card(0);
      await net.transfer(recipient, third, 5_00);
      transactions += 1;
      recipients.push(third);
    }
    payers.push(payer);
    recipients.push(recipient);
  }
  const everyone = [...payers, ...recipients];
  const before = await net.bank.audit();

  // Every card reports several times, all at once; none applies a result yet.
  const submissions = everyone.flatMap((c) => Array.from({ length: REPORTS_PER_CARD }, () => ({ c, ...net.report(c) })));
  for (let i = submissions.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [submissions[i], submissions[j]] = [submissions[j], submissions[i]];
  }
  const answers = await Promise.all(submissions.map((s) => s.c.client.sync(s.c.card.cardIdHex, s.report, s.records)));
  expect(answers.every((a) => a.outcome === 'synchronised')).toBe(true);

  const audit = await net.expectBalanced();
  expect(audit.centralBank.register.settled - before.register.settled).toBe(transactions);

  // Each card now syncs for real: its balance stays what it held, and its shadow covers it exactly.
  for (const c of everyone) {
    const held = c.card.balance;
    await net.sync(c);
    expect(c.card.balance).toBe(held);
    expect(await net.coverage(c)).toBe(held);
  }
  const after = await net.expectBalanced();
  expect(after.centralBank.register.settled - before.register.settled).toBe(transactions);
});
