// Power loss at every tear point of a command (docs/RUNNER.md, "Tear points"): a transaction leaves the old
// state or the new one, never a mix; the card works again after power on.
import { expect } from 'vitest';
import { concatBytes, u16 } from '../../host/src/codec/hex.ts';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { SimulatedPowerLoss } from '../../host/src/transport/simulator.ts';
import { describeWith, itWith, useCardEnv } from '../support/backend.ts';
import { type TestState, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();

const describeState = (s: TestState) =>
  `balances ${s.balanceA}/${s.balanceB}, counter ${s.counter}, store ${Buffer.from(s.store.subarray(0, 8)).toString('hex')}...`;

/** Runs `command` untorn on a probe card: its state before and after, and its number of tear points. */
async function probe(prepare: (a: Awaited<ReturnType<typeof env.freshCard>>) => Promise<void>, command: (a: Awaited<ReturnType<typeof env.freshCard>>) => Promise<number>) {
  const fresh = await env.freshCard({ name: 'tear-probe' });
  await prepare(fresh);
  const before = await fresh.applet.read();
  expect(await command(fresh)).toBe(0x9000);
  const tp = (await fresh.sim.lastStats()).last.tp;
  const after = await fresh.applet.read();
  expect(tp).toBeGreaterThan(0);
  return { before, after, tp };
}

describeWith(['canTear'], 'tearing TRANSFER (one transaction: two balances, a copy into the store, a log byte)', () => {
  const prepare = async () => undefined;
  const transfer = async ({ applet }: Awaited<ReturnType<typeof env.freshCard>>) => (await applet.transfer(10)).sw;

  itWith([], 'keeps balanceA + balanceB = 100 and the old or the new state, never a mix, at every tear point', async () => {
    const { before, after, tp } = await probe(prepare, transfer);
    expect([after.balanceA, after.balanceB]).toEqual([90, 10]);
    expect(after.store.subarray(0, 4)).toEqual(concatBytes(u16(90), u16(10)));
    const outcomes: string[] = [];
    for (let n = 1; n <= tp; n++) {
      const fresh = await env.freshCard({ name: `tear-transfer-${n}` });
      await fresh.sim.armTear(n);
      const error = await fresh.applet.transfer(10).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `tear point ${n} of ${tp}`).toBeInstanceOf(CardPowerLost);
      expect((error as SimulatedPowerLoss).stats?.tp, `tear point ${n}`).toBe(n);
      await fresh.sim.powerOn();
      expect((await fresh.applet.select()).sw).toBe(0x9000);
      const state = await fresh.applet.read();
      expect(state.balanceA + state.balanceB, `tear point ${n}`).toBe(100);
      const isOld = describeState(state) === describeState(before) && Buffer.compare(state.store, before.store) === 0;
      const isNew = describeState(state) === describeState(after) && Buffer.compare(state.store, after.store) === 0;
      expect(isOld || isNew, `tear point ${n}: ${describeState(state)}`).toBe(true);
      outcomes.push(isOld ? 'old' : 'new');
      // And the card works again: the transfer can be made (again).
      expect((await fresh.applet.transfer(10)).sw).toBe(0x9000);
    }
    // Some early tear points leave the old state; the tear while sending the response leaves the committed one.
    expect(outcomes[0]).toBe('old');
    expect(outcomes[tp - 1]).toBe('new');
  });

  itWith([], 'counts the same tear points on every run of the same command', async () => {
    const a = await probe(prepare, transfer);
    const b = await probe(prepare, transfer);
    expect(b.tp).toBe(a.tp);
  });

  itWith([], 'completes the command normally when the armed tear point is beyond its last one', async () => {
    const { tp } = await probe(prepare, transfer);
    const fresh = await env.freshCard({ name: 'tear-beyond' });
    await fresh.sim.armTear(tp + 1);
    expect((await fresh.applet.transfer(10)).sw).toBe(0x9000);
    expect((await fresh.applet.read()).balanceB).toBe(10);
  });

  itWith([], 'uses up the arming with the next APDU even when that APDU does not reach the armed point', async () => {
    const fresh = await env.freshCard({ name: 'tear-used-up' });
    await fresh.sim.armTear(2);
    expect((await fresh.applet.send(0xff)).sw).toBe(0x6d00); // one tear point only: sending the response
    expect((await fresh.sim.lastStats()).last.tp).toBe(1);
    // A transfer passes more than 2 tear points: it would tear at the 2nd if the arming were still there.
    expect((await fresh.applet.transfer(10)).sw).toBe(0x9000);
    expect((await fresh.sim.lastStats()).last.tp).toBeGreaterThan(2);
  });

  itWith([], 'does not tear after tear 0 disarms', async () => {
    const fresh = await env.freshCard({ name: 'tear-disarm' });
    await fresh.sim.armTear(1);
    await fresh.sim.disarmTear();
    expect((await fresh.applet.transfer(10)).sw).toBe(0x9000);
  });
});

describeWith(['canTear'], 'tearing WRITE mode 01 (stores and a counter inside one transaction)', () => {
  const data = Uint8Array.from({ length: 24 }, (_, i) => 0xc0 + i);
  const prepare = async ({ applet }: Awaited<ReturnType<typeof env.freshCard>>) => {
    expect((await applet.write(WRITE_MODE.DIRECT, 0, Uint8Array.from({ length: 32 }, (_, i) => i + 1))).sw).toBe(0x9000);
  };
  const write = async ({ applet }: Awaited<ReturnType<typeof env.freshCard>>) => (await applet.write(WRITE_MODE.TRANSACTION, 4, data)).sw;

  itWith([], 'leaves the old or the new store and counter, never a mix, at every tear point', async () => {
    const { before, after, tp } = await probe(prepare, write);
    expect(after.counter).toBe(before.counter + 1);
    for (let n = 1; n <= tp; n++) {
      const fresh = await env.freshCard({ name: `tear-write-${n}` });
      await prepare(fresh);
      await fresh.sim.armTear(n);
      await expect(write(fresh), `tear point ${n} of ${tp}`).rejects.toBeInstanceOf(CardPowerLost);
      await fresh.sim.powerOn();
      await fresh.applet.select();
      const state = await fresh.applet.read();
      const same = (a: TestState, b: TestState) => a.counter === b.counter && Buffer.compare(a.store, b.store) === 0;
      expect(same(state, before) || same(state, after), `tear point ${n}: ${describeState(state)}`).toBe(true);
    }
  });
});

describeWith(['canTear'], 'tearing direct writes (WRITE mode 00, no transaction)', () => {
  itWith([], 'keeps the bytes written before the tear: persistent writes outside a transaction are not rolled back', async () => {
    const data = Uint8Array.from({ length: 16 }, () => 0xee);
    const probeCard = await env.freshCard({ name: 'tear-direct-probe' });
    expect((await probeCard.applet.write(WRITE_MODE.DIRECT, 0, data)).sw).toBe(0x9000);
    const tp = (await probeCard.sim.lastStats()).last.tp;
    // Tearing at the last tear point (sending the response): every store was made.
    const fresh = await env.freshCard({ name: 'tear-direct' });
    await fresh.sim.armTear(tp);
    await expect(fresh.applet.write(WRITE_MODE.DIRECT, 0, data)).rejects.toBeInstanceOf(CardPowerLost);
    await fresh.sim.powerOn();
    await fresh.applet.select();
    const state = await fresh.applet.read();
    expect(state.store.subarray(0, 16)).toEqual(data);
    expect(state.counter).toBe(1);
  });
});
