// The TCP variant of the runner transport: a runner started with --tcp, reached by several clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../host/src/codec/hex.ts';
import { SimulatorRunner } from '../../host/src/transport/simulator.ts';
import { BACKEND_KIND, uniqueCardName } from '../support/backend.ts';
import { TEST_APPLET_AID, TEST_APPLET_CLASS, TestAppletClient } from '../support/test-applet.ts';

const reason = BACKEND_KIND === 'sim' ? undefined : `the TCP runner tests run on the sim backend only (CARD_BACKEND=${BACKEND_KIND})`;
if (reason) console.warn(`[skipped group] "the runner over TCP": ${reason}`);

(reason ? describe.skip : describe)('the runner over TCP', () => {
  let runner: SimulatorRunner;
  let address: string;

  beforeAll(async () => {
    ({ runner, address } = await SimulatorRunner.startTcp());
  });

  afterAll(async () => {
    await runner?.close();
  });

  it('serves a card to the client that created it', async () => {
    const card = await runner.card(uniqueCardName('tcp'));
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    const applet = new TestAppletClient(card);
    expect((await applet.select()).sw).toBe(0x9000);
    expect(toHex((await applet.echo(Uint8Array.of(1, 2, 3))).data)).toBe('010203');
  });

  it('lets a second client use a card that the first one created', async () => {
    const name = uniqueCardName('tcp-shared');
    const card = await runner.card(name);
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    await new TestAppletClient(card).select();
    expect((await new TestAppletClient(card).transfer(12)).sw).toBe(0x9000);

    const second = await SimulatorRunner.connect(address);
    try {
      expect(await second.cards()).toContain(name);
      const same = second.existingCard(name);
      const applet = new TestAppletClient(same);
      expect((await applet.select()).sw).toBe(0x9000);
      expect((await applet.read()).balanceB).toBe(12);
    } finally {
      await second.close();
    }
  });

  it('keeps serving the other clients after one client quits', async () => {
    const other = await SimulatorRunner.connect(address);
    await other.close();
    expect(await runner.cards()).toBeInstanceOf(Array);
    const again = await SimulatorRunner.connect(address);
    expect(await again.cards()).toEqual(await runner.cards());
    await again.close();
  });
});
