// A card's persistent memory in a state file outlives the runner: a new runner loads it.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { fromHex } from '../../host/src/codec/hex.ts';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { describeWith, itWith, uniqueCardName, useCardEnv } from '../support/backend.ts';
import { TEST_APPLET_AID, TEST_APPLET_CLASS, TEST_PIN, TestAppletClient, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();
const dir = mkdtempSync(join(tmpdir(), 'ekrona-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

    const runner = await env.backend.restartRunner();
    const again = await runner.card(name, { stateFile });
    expect(again.loaded).toBe(true);
    await again.powerOn();
    const reloaded = new TestAppletClient(again);
    expect((await reloaded.select()).sw).toBe(0x9000);
    expect(await reloaded.read()).toEqual(before);
    expect((await reloaded.getPublicKey()).data).toEqual(publicKey);
    expect(await reloaded.pinStatus()).toEqual({ triesRemaining: 2, validated: false });
    expect((await reloaded.pinVerify(TEST_PIN)).sw).toBe(0x9000);
  });

  itWith(['canTear'], 'holds the committed state, not a transaction torn before its commit', async () => {
    const name = uniqueCardName('persist-tear');
    const stateFile = join(dir, `${name}.card`);
    const card = await env.rawCard(name, stateFile);
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    const applet = new TestAppletClient(card);
    await applet.select();
    expect((await applet.transfer(30)).sw).toBe(0x9000);
    const committed = await applet.read();
    await card.armTear(1);
    await expect(applet.transfer(30)).rejects.toBeInstanceOf(CardPowerLost);

    const runner = await env.backend.restartRunner();
    const again = await runner.card(name, { stateFile });
    await again.powerOn();
    const reloaded = new TestAppletClient(again);
    await reloaded.select();
    expect(await reloaded.read()).toEqual(committed);
  });

  itWith([], 'refuses save for a card without a state file, with one sentence', async () => {
    const card = await env.rawCard(uniqueCardName('no-state'));
    await expect(card.save()).rejects.toThrow(/^The simulator card .* refused "save": .+/);
  });

  itWith([], 'starts a new card when the state file does not exist yet', async () => {
    const name = uniqueCardName('persist-new');
    const card = await env.rawCard(name, join(dir, `${name}.card`));
    expect(card.loaded).toBe(false);
  });
});
