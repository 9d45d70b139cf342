// The runner's operation counters (docs/RUNNER.md, STATS) and memory figures, command by command.
import { p256 } from '@noble/curves/nist.js';
import { expect } from 'vitest';
import { describeWith, itWith, uniqueCardName, useCardEnv } from '../support/backend.ts';
import { TEST_APPLET_AID, TEST_APPLET_AID_2, TEST_APPLET_CLASS, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();
const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

describeWith(['hasStats'], 'operation counters', () => {
  itWith([], 'counts one signature, and the message bytes as hashed, for one SIGN', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-sign' });
    await applet.generateKeyPair();
    expect((await sim.lastStats()).last.gen).toBe(1);
    await applet.sign(msg(50));
    const { last } = await sim.lastStats();
    expect(last).toMatchObject({ sig: 1, ver: 0, dig: 50, ka: 0, gen: 0 });
  });

  itWith([], 'counts n hashed bytes for a DIGEST of n bytes', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-digest' });
    for (const n of [1, 64, 255]) {
      await applet.digest(msg(n));
      expect((await sim.lastStats()).last).toMatchObject({ dig: n, sig: 0, ver: 0 });
    }
  });

  itWith([], 'counts one verification, and the message bytes, for one VERIFY', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-verify' });
    const sk = p256.utils.randomSecretKey();
    const m = msg(33);
    await applet.verify(p256.getPublicKey(sk, false), p256.sign(m, sk, { format: 'der' }), m);
    expect((await sim.lastStats()).last).toMatchObject({ ver: 1, sig: 0, dig: 33 });
  });

  itWith([], 'counts one key agreement for KEY AGREEMENT', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-ka' });
    await applet.generateKeyPair();
    await applet.keyAgreement(p256.getPublicKey(p256.utils.randomSecretKey(), false));
    expect((await sim.lastStats()).last).toMatchObject({ ka: 1, sig: 0 });
  });

  itWith([], 'counts cipher blocks: 3 for 48 bytes of AES', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-aes' });
    await applet.aes('setKey', new Uint8Array(16));
    await applet.aes('encrypt', new Uint8Array(48));
    expect((await sim.lastStats()).last.ciph).toBe(3);
  });

  itWith([], 'counts the command and response bytes of the APDU', async () => {
    const { applet, sim, card } = await env.freshCard({ name: 'stats-io' });
    await applet.echo(msg(10)); // 5 + 10 + 1 in, 10 + 2 out
    const { last } = await sim.lastStats();
    expect([last.in, last.out]).toEqual([16, 12]);
    expect(card.name).toContain('stats-io');
  });

  itWith([], 'reports the same counters in the APDU answer and in stats', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-same' });
    await applet.digest(msg(20));
    const { last } = await sim.lastStats();
    expect({ ...sim.lastExchangeStats, us: 0 }).toEqual({ ...last, us: 0 });
  });

  itWith([], 'counts persistent writes, and the largest transaction', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-pw' });
    await applet.write(WRITE_MODE.TRANSACTION, 0, msg(20));
    const { last } = await sim.lastStats();
    expect(last.pw).toBeGreaterThanOrEqual(20);
    expect(last.txmax).toBeGreaterThanOrEqual(20);
    await applet.read();
    expect((await sim.lastStats()).last).toMatchObject({ pw: 0, txmax: 0 });
  });

  itWith([], 'counts no transaction bytes for writes outside a transaction', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-direct' });
    await applet.write(WRITE_MODE.DIRECT, 0, msg(20));
    const { last } = await sim.lastStats();
    expect(last.pw).toBeGreaterThanOrEqual(20);
    expect(last.txmax).toBe(0);
  });

  itWith([], 'reports all counters as zero before the first APDU', async () => {
    const card = await env.rawCard(uniqueCardName('stats-zero'));
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    const { last, total } = await card.lastStats();
    expect(Object.values(last).every((v) => v === 0)).toBe(true);
    expect(Object.values(total).every((v) => v === 0)).toBe(true);
  });

  itWith([], 'counts no allocation outside install for the test applet (it allocates everything in its constructor)', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-alloc' });
    await applet.generateKeyPair();
    await applet.sign(msg(10));
    await applet.aes('setKey', new Uint8Array(16));
    await applet.aes('encrypt', new Uint8Array(16));
    expect((await sim.lastStats()).total.alloc).toBe(0);
  });

  itWith([], 'counts every tear point of a command, the response included, so tp is at least 1', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-tp' });
    await applet.send(0xff);
    expect((await sim.lastStats()).last.tp).toBeGreaterThanOrEqual(1);
  });

  itWith([], 'sums the commands since power on in the totals', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-total' });
    await sim.powerOff();
    await sim.powerOn();
    await applet.select();
    const select = (await sim.lastStats()).last;
    await applet.digest(msg(10));
    await applet.digest(msg(30));
    const { total } = await sim.lastStats();
    expect(total.dig).toBe(40);
    expect(total.in).toBe(select.in + (5 + 10 + 1) + (5 + 30 + 1));
    expect(total.out).toBe(select.out + 34 + 34);
  });

  itWith([], 'starts the totals again at power on', async () => {
    const { applet, sim } = await env.freshCard({ name: 'stats-reset' });
    await applet.digest(msg(10));
    await sim.powerOff();
    await sim.powerOn();
    await applet.select();
    expect((await sim.lastStats()).total.dig).toBe(0);
  });
});

describeWith(['hasMemoryFigures'], 'memory figures', () => {
  itWith([], 'reports the transient arrays of the test applet', async () => {
    const { sim } = await env.freshCard({ name: 'mem' });
    const mem = await sim.memory();
    expect(mem.transientReset).toBeGreaterThanOrEqual(16);
    expect(mem.transientDeselect).toBeGreaterThanOrEqual(16);
    expect(mem.persistent).toBeGreaterThan(64);
  });

  itWith([], 'agrees with what the applet reads from JCSystem: available transient memory and commit capacity', async () => {
    const { applet, sim } = await env.freshCard({ name: 'mem-jcsystem' });
    const mem = await sim.memory();
    const r = await applet.memory();
    expect(r.sw).toBe(0x9000);
    expect(r.data).toHaveLength(8);
    const word = (i: number) => (r.data[i] << 8) | r.data[i + 1];
    // Runner defaults (docs/RUNNER.md): 4096 transient bytes per clear event, 5120 bytes per transaction.
    expect(word(2)).toBe(4096 - mem.transientReset);
    expect(word(4)).toBe(4096 - mem.transientDeselect);
    expect(word(6)).toBe(5120);
    expect(word(0)).toBeLessThanOrEqual(32767);
  });

  itWith(['canInstall'], 'grows with a second applet instance', async () => {
    const { sim } = await env.freshCard({ name: 'mem2' });
    const one = await sim.memory();
    await sim.install(TEST_APPLET_CLASS, TEST_APPLET_AID_2);
    const two = await sim.memory();
    expect(two.persistent).toBeGreaterThan(one.persistent);
    expect(two.transientReset).toBe(2 * one.transientReset);
    expect(two.transientDeselect).toBe(2 * one.transientDeselect);
  });
});
