// A card's persistent memory in a state file outlives the runner: a new runner loads it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { fromHex } from '../../host/src/codec/hex.ts';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { SimulatorRunner } from '../../host/src/transport/simulator.ts';
import { describeWith, itWith, uniqueCardName, useCardEnv } from '../support/backend.ts';
import { TEST_APPLET_AID, TEST_APPLET_CLASS, TEST_PIN, TestAppletClient, type TestState, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();
const dir = mkdtempSync(join(tmpdir(), 'ekrona-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new card kept in a state file of its own, with the test applet installed and selected. */
async function cardWithApplet(label: string) {
  const name = uniqueCardName(label);
  const stateFile = join(dir, `${name}.card`);
  const card = await env.rawCard(name, stateFile);
  await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
  await card.powerOn();
  const applet = new TestAppletClient(card);
  expect((await applet.select()).sw).toBe(0x9000);
  return { name, stateFile, card, applet };
}

/** The card of `stateFile` in a new runner (as after a restart of the host), loaded, powered and its applet selected. */
async function reloadedApplet(name: string, stateFile: string): Promise<TestAppletClient> {
  const runner = await env.backend.restartRunner();
  const again = await runner.card(name, { stateFile });
  expect(again.loaded).toBe(true);
  await again.powerOn();
  const reloaded = new TestAppletClient(again);
  expect((await reloaded.select()).sw).toBe(0x9000);
  return reloaded;
}

describeWith(['hasStateFiles'], 'state files', () => {
  itWith([], 'keeps store, counter, balances, keys and PIN tries across a runner restart', async () => {
    const name = uniqueCardName('persist');
    const stateFile = join(dir, `${name}.card`);
    const card = await env.rawCard(name, stateFile);
    expect(card.loaded).toBe(false);
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    const applet = new TestAppletClient(card);
    expect((await applet.select()).sw).toBe(0x9000);
    expect((await applet.write(WRITE_MODE.TRANSACTION, 0, fromHex('CAFEBABE'))).sw).toBe(0x9000);
    expect((await applet.transfer(42)).sw).toBe(0x9000);
    const publicKey = (await applet.generateKeyPair()).data;
    expect((await applet.pinVerify(fromHex('00000000'))).sw).toBe(0x63c2);
    const before = await applet.read();
    expect(existsSync(stateFile)).toBe(true);

    const reloaded = await reloadedApplet(name, stateFile);
    expect(await reloaded.read()).toEqual(before);
    expect((await reloaded.getPublicKey()).data).toEqual(publicKey);
    expect(await reloaded.pinStatus()).toEqual({ triesRemaining: 2, validated: false });
    expect((await reloaded.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  itWith(['canTear'], 'holds the committed state, not a transaction torn before its commit', async () => {
    const { name, stateFile, card, applet } = await cardWithApplet('persist-tear');
    expect((await applet.transfer(30)).sw).toBe(0x9000);
    const committed = await applet.read();
    await card.armTear(1);
    await expect(applet.transfer(30)).rejects.toBeInstanceOf(CardPowerLost);

    const reloaded = await reloadedApplet(name, stateFile);
    expect(await reloaded.read()).toEqual(committed);
  });

  itWith([], 'refuses save for a card without a state file, with one sentence', async () => {
    const card = await env.rawCard(uniqueCardName('no-state'));
    await expect(card.save()).rejects.toThrow(/^The simulator card .* refused "save": .+/);
  });

  /** A card with the test applet and some of its memory written, saved to its state file; the file's bytes. */
  async function savedCard(label: string): Promise<{ name: string; stateFile: string; bytes: Buffer; store: TestState }> {
    const { name, stateFile, applet } = await cardWithApplet(label);
    expect((await applet.write(WRITE_MODE.TRANSACTION, 0, fromHex('C0FFEE'))).sw).toBe(0x9000);
    const store = await applet.read();
    return { name, stateFile, bytes: readFileSync(stateFile), store };
  }

  itWith([], 'refuses a state file altered after it was written, as damaged, in one sentence', async () => {
    const { name, stateFile, bytes } = await savedCard('persist-altered');
    const altered = Buffer.from(bytes);
    altered[Math.floor(altered.length / 2)] ^= 0x01;
    writeFileSync(stateFile, altered);
    const runner = await env.backend.restartRunner();
    await expect(runner.card(name, { stateFile })).rejects.toThrow(/state file .* is damaged \(its SHA-256 does not match its contents: it was cut short or altered\); restore it from a copy, or delete it/);
  });

  itWith([], 'refuses a state file cut short, as damaged', async () => {
    const { name, stateFile, bytes } = await savedCard('persist-cut');
    writeFileSync(stateFile, bytes.subarray(0, bytes.length - 100));
    const runner = await env.backend.restartRunner();
    await expect(runner.card(name, { stateFile })).rejects.toThrow(/state file .* is damaged/);
  });

  itWith([], 'still loads a state file of format 1, which has no digest at its end', async () => {
    const { name, stateFile, bytes, store } = await savedCard('persist-format-1');
    const MAGIC_LENGTH = 8;
    expect(bytes.readUInt16BE(MAGIC_LENGTH)).toBe(2);
    const formatOne = Buffer.from(bytes.subarray(0, bytes.length - 32));
    formatOne.writeUInt16BE(1, MAGIC_LENGTH);
    writeFileSync(stateFile, formatOne);
    const reloaded = await reloadedApplet(name, stateFile);
    expect(await reloaded.read()).toEqual(store);
  });

  itWith([], 'lets one runner at a time hold a state file: another waits, is refused after its wait, and gets the card once the first is gone', async () => {
    const { name, stateFile, store } = await savedCard('persist-locked');
    expect(existsSync(join(dir, `.${name}.card.lock`))).toBe(true);
    // A runner of its own (another process, as a second CLI command on the same card would start), waiting 300 ms.
    process.env.EKRONA_STATE_LOCK_WAIT_MS = '300';
    let other: SimulatorRunner;
    try {
      other = await SimulatorRunner.start();
    } finally {
      delete process.env.EKRONA_STATE_LOCK_WAIT_MS;
    }
    try {
      await expect(other.card(name, { stateFile })).rejects.toThrow(
        /state file .* is in use by another runner \(pid \d+\): another command on this card has not finished within 300 ms; try again when it has/,
      );
      await env.backend.restartRunner(); // the first runner ends, and its lock with it
      const card = await other.card(name, { stateFile });
      expect(card.loaded).toBe(true);
      await card.powerOn();
      const applet = new TestAppletClient(card);
      expect((await applet.select()).sw).toBe(0x9000);
      expect(await applet.read()).toEqual(store);
    } finally {
      await other.close();
    }
  });

  itWith([], 'starts a new card when the state file does not exist yet', async () => {
    const name = uniqueCardName('persist-new');
    const card = await env.rawCard(name, join(dir, `${name}.card`));
    expect(card.loaded).toBe(false);
  });
});
