// The suite's own checks can fail: the guard keeps a 6F00, the refusal check sees a changed card, a used challenge
// and a wrong status word. (A conformance suite whose checks cannot fail proves nothing.)

import { expect, it } from 'vitest';
import { createRequestCommand, getStatusCommand, topUpCommand } from '../../host/src/codec/commands.ts';
import { SW } from '../../host/src/codec/protocol-constants.ts';
import type { CardTransport, Exchange } from '../../host/src/transport/card-transport.ts';
import { describeWith } from '../support/backend.ts';
import { CONFORMANCE_NEEDS, expectRefusal, GuardedTransport, proveChallenge, useConformance } from './harness.ts';

const suite = useConformance();

/** A card that answers 6F00 to everything. */
const broken: CardTransport = {
  name: 'broken card',
  exchange: async () => Uint8Array.of(0x6f, 0x00),
  session: <T>(body: (exchange: Exchange) => Promise<T>) => body(async () => Uint8Array.of(0x6f, 0x00)),
  close: async () => undefined,
};

it('the guard keeps every 6F00 it sees, with the command', async () => {
  const guard = new GuardedTransport(broken, 'broken');
  await guard.exchange(Uint8Array.of(0x80, 0x10, 0, 0, 0));
  expect(guard.uncaught.length).toBe(1);
  expect(Array.from(guard.uncaught[0].command)).toEqual([0x80, 0x10, 0, 0, 0]);
  // Cleared here so that this file's own guard check (afterEach) passes: the point was to see it kept.
  guard.uncaught.length = 0;
});

describeWith([...CONFORMANCE_NEEDS], 'the refusal check', () => {
  it('fails when the command succeeds where a refusal was expected', async () => {
    const card = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expect(expectRefusal(card, () => card.send(getStatusCommand()), SW.WRONG_DATA)).rejects.toThrow(/status word/);
  });

  it('fails when the "refused" command changed the card', async () => {
    const card = await suite.card('merchant', 'MERCHANT');
    // CREATE REQUEST changes the open requests; pretend it was refused 9000-less by checking it as a refusal of 9000.
    await expect(expectRefusal(card, async () => ({ ...(await card.send(createRequestCommand(1_00, new Uint8Array(8)))), data: new Uint8Array(0) }), SW.OK)).rejects.toThrow(/card state after the refusal/);
  });

  it('fails when the challenge taken before was replaced or used', async () => {
    const card = await suite.card('user', { role: 'USER', balance: 100_00 });
    const old = await card.challenge();
    const c = await card.challenge();
    expect((await card.send(topUpCommand(card.instruction(c, 'TOP_UP', { orderSeq: c.orderSeq, amount: 1 })))).sw).toBe(SW.OK);
    await expect(proveChallenge(card, old)).rejects.toThrow(/must still apply/);
    await expect(proveChallenge(card, c)).rejects.toThrow(/must still apply/);
  });
});
