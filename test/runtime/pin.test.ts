// OwnerPIN on our runtime, through the test applet (3 tries, PIN 31 32 33 34): try counting, blocking, change,
// and that cutting the power cannot buy a free try.
import { describe, expect, it } from 'vitest';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { itWith, useCardEnv } from '../support/backend.ts';
import { TEST_PIN } from '../support/test-applet.ts';

const env = useCardEnv();
const WRONG = Uint8Array.of(0x39, 0x39, 0x39, 0x39);

/**
 * A card whose PIN is TEST_PIN with 2 tries left and not validated: the right PIN (all tries back), then a wrong one.
 * On a physical card the PIN state outlives each test, so every test starts from here and leaves TEST_PIN behind.
 */
async function cardWithPinTried() {
  const fresh = await env.freshCard({ name: 'pin' });
  expect((await fresh.applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  expect((await fresh.applet.pinVerify(WRONG)).sw).toBe(0x63c2);
  expect(await fresh.applet.pinStatus()).toEqual({ triesRemaining: 2, validated: false });
  return fresh;
}

describe('PIN verification', () => {
  itWith(['canCreateCards'], 'starts with 3 tries and not validated', async () => {
    const { applet } = await env.freshCard({ name: 'pin-initial' });
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 3, validated: false });
  });

  it('accepts the right PIN, marks it validated and gives all tries back', async () => {
    const { applet } = await cardWithPinTried();
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 3, validated: true });
  });

  it('clears the validation with a wrong PIN', async () => {
    const { applet } = await cardWithPinTried();
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 2, validated: false });
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  // Blocking is for good (the test applet has no unblock): on a physical card it would end the PIN tests.
  itWith(['canCreateCards'], 'counts wrong PINs down with 63C2, 63C1 and 63C0, then refuses even the right PIN with 6983', async () => {
    const { applet } = await env.freshCard({ name: 'pin-block' });
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c1);
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c0);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x6983);
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x6983);
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 0, validated: false });
  });

  it('refuses a PIN of another length as a wrong PIN', async () => {
    const { applet } = await cardWithPinTried();
    expect((await applet.pinVerify(Uint8Array.of(0x31, 0x32, 0x33))).sw).toBe(0x63c1);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  it('refuses a PIN longer than 8 bytes with 6700 and keeps the tries', async () => {
    const { applet } = await cardWithPinTried();
    expect((await applet.pinVerify(new Uint8Array(9).fill(0x31))).sw).toBe(0x6700);
    expect((await applet.pinStatus()).triesRemaining).toBe(2);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  it('refuses PIN CHANGE with 6982 while the PIN is not validated', async () => {
    const { applet } = await cardWithPinTried();
    expect((await applet.pinChange(Uint8Array.of(0x35, 0x36, 0x37, 0x38))).sw).toBe(0x6982);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  it('changes the PIN once it is validated', async () => {
    const { applet } = await cardWithPinTried();
    const next = Uint8Array.of(0x35, 0x36, 0x37, 0x38);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    expect((await applet.pinChange(next)).sw).toBe(0x9000);
    try {
      expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x63c2);
      expect((await applet.pinVerify(next)).sw).toBe(0x9000);
    } finally {
      // Leave TEST_PIN behind (it matters on a physical card).
      if ((await applet.pinVerify(next)).sw === 0x9000) await applet.pinChange(TEST_PIN);
    }
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  itWith(['canPowerCycle'], 'forgets the validation on reset but keeps the try counter', async () => {
    const { applet, sim } = await env.freshCard({ name: 'pin-power' });
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    await sim.reset();
    await applet.select();
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 3, validated: false });
    expect((await applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    await sim.powerOff();
    await sim.powerOn();
    await applet.select();
    expect(await applet.pinStatus()).toEqual({ triesRemaining: 2, validated: false });
  });
});

describe('PIN verification and power loss', () => {
  itWith(['canTear'], 'uses up a try when the power is cut at the last tear point of a wrong PIN', async () => {
    const { applet, sim } = await env.freshCard({ name: 'pin-tear-last' });
    await applet.pinVerify(WRONG);
    const tp = (await sim.lastStats()).last.tp;
    expect(tp).toBeGreaterThan(0);
    await sim.powerOff();
    await sim.powerOn();
    await applet.select();
    expect((await applet.pinStatus()).triesRemaining).toBe(2);
    for (const left of [1, 0]) {
      await sim.armTear(tp);
      await expect(applet.pinVerify(WRONG)).rejects.toBeInstanceOf(CardPowerLost);
      await sim.powerOn();
      await applet.select();
      expect((await applet.pinStatus()).triesRemaining).toBe(left);
    }
    expect((await applet.pinVerify(TEST_PIN)).sw).toBe(0x6983);
  });

  itWith(['canTear'], 'never gives a try back: at every tear point from the PIN check on, a wrong PIN has cost a try', async () => {
    const probe = await env.freshCard({ name: 'pin-tear-probe' });
    expect((await probe.applet.pinVerify(WRONG)).sw).toBe(0x63c2);
    const tp = (await probe.sim.lastStats()).last.tp;
    const triesAfterTear: number[] = [];
    for (let n = 1; n <= tp; n++) {
      const { applet, sim } = await env.freshCard({ name: `pin-tear-${n}` });
      await sim.armTear(n);
      await expect(applet.pinVerify(WRONG)).rejects.toBeInstanceOf(CardPowerLost);
      await sim.powerOn();
      expect((await applet.select()).sw).toBe(0x9000);
      const status = await applet.pinStatus();
      expect(status.validated).toBe(false);
      triesAfterTear.push(status.triesRemaining);
    }
    // Before the check: 3 tries left; from the check on: 2. Never 3 again once a try was spent.
    const firstSpent = triesAfterTear.indexOf(2);
    expect(firstSpent).toBeGreaterThanOrEqual(0);
    expect(triesAfterTear.every((t) => t === 3 || t === 2)).toBe(true);
    expect(triesAfterTear.slice(firstSpent).every((t) => t === 2)).toBe(true);
  });

  itWith(['canTear'], 'never validates the right PIN when the power is cut during the check', async () => {
    const probe = await env.freshCard({ name: 'pin-tear-ok-probe' });
    expect((await probe.applet.pinVerify(TEST_PIN)).sw).toBe(0x9000);
    const tp = (await probe.sim.lastStats()).last.tp;
    for (let n = 1; n <= tp; n++) {
      const { applet, sim } = await env.freshCard({ name: `pin-tear-ok-${n}` });
      await sim.armTear(n);
      await expect(applet.pinVerify(TEST_PIN)).rejects.toBeInstanceOf(CardPowerLost);
      await sim.powerOn();
      await applet.select();
      const status = await applet.pinStatus();
      expect(status.validated).toBe(false);
      expect([2, 3]).toContain(status.triesRemaining);
    }
  });
});
