// Transient memory: CLEAR_ON_RESET arrays are cleared by a reset or a power cycle; CLEAR_ON_DESELECT arrays when
// another applet is selected. Two instances of the test applet (two AIDs) share one card.
import { describe, expect } from 'vitest';
import { describeWith, itWith, useCardEnv } from '../support/backend.ts';
import { TEST_APPLET_AID, TEST_APPLET_AID_2 } from '../support/test-applet.ts';

const env = useCardEnv();
const A = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
const B = Uint8Array.from({ length: 16 }, (_, i) => 0x80 + i);
const ZERO = new Uint8Array(16);

async function cardWithScratch(second = false) {
  const fresh = await env.freshCard({ name: 'transient', second });
  expect((await fresh.applet.transientWrite('reset', A)).sw).toBe(0x9000);
  expect((await fresh.applet.transientWrite('deselect', B)).sw).toBe(0x9000);
  expect(await fresh.applet.transientRead()).toEqual({ reset: A, deselect: B });
  return fresh;
}

describe('transient memory while the applet stays selected', () => {
  itWith([], 'keeps both transient arrays from one command to the next', async () => {
    const { applet } = await cardWithScratch();
    await applet.read();
    expect(await applet.transientRead()).toEqual({ reset: A, deselect: B });
  });

  itWith([], 'clears the deselect array when the selected applet is selected again', async () => {
    const { applet } = await cardWithScratch();
    expect((await applet.select()).sw).toBe(0x9000);
    expect(await applet.transientRead()).toEqual({ reset: A, deselect: ZERO });
  });
});

describeWith(['canPowerCycle'], 'CLEAR_ON_RESET', () => {
  itWith([], 'clears both transient arrays on a warm reset', async () => {
    const { applet, sim } = await cardWithScratch();
    await sim.reset();
    expect((await applet.select()).sw).toBe(0x9000);
    expect(await applet.transientRead()).toEqual({ reset: ZERO, deselect: ZERO });
  });

  itWith([], 'clears both transient arrays on a power cycle', async () => {
    const { applet, sim } = await cardWithScratch();
    await sim.powerOff();
    await sim.powerOn();
    expect((await applet.select()).sw).toBe(0x9000);
    expect(await applet.transientRead()).toEqual({ reset: ZERO, deselect: ZERO });
  });

  itWith([], 'keeps persistent memory across a power cycle', async () => {
    const { applet, sim } = await cardWithScratch();
    expect((await applet.transfer(5)).sw).toBe(0x9000);
    await sim.powerOff();
    await sim.powerOn();
    await applet.select();
    expect((await applet.read()).balanceB).toBe(5);
  });

  itWith([], 'refuses APDUs while the card is powered off, with one sentence from the runner', async () => {
    const { applet, sim } = await cardWithScratch();
    await sim.powerOff();
    await expect(applet.read()).rejects.toThrow(/^The simulator card .* refused "apdu .*": .+/);
  });
});

describeWith(['canInstall'], 'CLEAR_ON_DESELECT', () => {
  itWith([], 'clears the deselect array, and only it, when another applet is selected', async () => {
    const { applet } = await cardWithScratch(true);
    expect((await applet.select(TEST_APPLET_AID_2)).sw).toBe(0x9000);
    expect((await applet.select(TEST_APPLET_AID)).sw).toBe(0x9000);
    expect(await applet.transientRead()).toEqual({ reset: A, deselect: ZERO });
  });

  itWith([], 'gives each applet instance its own transient arrays', async () => {
    const { applet } = await cardWithScratch(true);
    expect((await applet.select(TEST_APPLET_AID_2)).sw).toBe(0x9000);
    expect(await applet.transientRead()).toEqual({ reset: ZERO, deselect: ZERO });
  });

  itWith([], 'gives each applet instance its own persistent state', async () => {
    const { applet } = await cardWithScratch(true);
    expect((await applet.transfer(9)).sw).toBe(0x9000);
    expect((await applet.select(TEST_APPLET_AID_2)).sw).toBe(0x9000);
    expect((await applet.read()).balanceB).toBe(0);
  });
});
