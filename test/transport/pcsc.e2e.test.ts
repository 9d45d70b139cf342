// End to end through PC/SC: a simulated card served by our runner in vpcd mode appears in pcscd's "Virtual PCD"
// reader, and the host reaches it through pcsc.ts as it would a physical card in a reader.
//
// Runs whenever pcscd is present: an already running pcscd is used; else `pcscd --foreground` is started for the
// tests and stopped afterwards; else the tests are skipped with the reason printed.
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../host/src/codec/hex.ts';
import { TransportError } from '../../host/src/transport/card-transport.ts';
import { encodeCommand, transmit } from '../../host/src/transport/iso7816.ts';
import { CardRemoved, listReaders, openPcsc, type PcscTransport } from '../../host/src/transport/pcsc.ts';
import { SimulatorRunner } from '../../host/src/transport/simulator.ts';
import { uniqueCardName } from '../support/backend.ts';
import { FakeVirtualCard } from '../support/fake-vicc.ts';
import { planPcscd, StartedPcscd } from '../support/pcscd.ts';
import { TEST_APPLET_AID, TEST_APPLET_CLASS, TestAppletClient } from '../support/test-applet.ts';

const VPCD_PORT = Number(process.env.VPCD_PORT ?? 35963);
/** vpcd's readers are "Virtual PCD 00 00" on port 35963, "Virtual PCD 00 01" on 35964... */
const READER = `Virtual PCD 00 ${String(VPCD_PORT - 35963).padStart(2, '0')}`;
const SPARE_PORT = VPCD_PORT + 1;
const SPARE_READER = `Virtual PCD 00 ${String(SPARE_PORT - 35963).padStart(2, '0')}`;

const plan = await planPcscd();
if (plan.mode === 'skip') console.warn(`[skipped group] "PC/SC end to end": ${plan.reason}`);
const suite = plan.mode === 'skip' ? describe.skip : describe;

suite(`PC/SC end to end (${plan.mode === 'running' ? 'the running pcscd' : plan.mode === 'start' ? 'pcscd started by the test' : plan.reason})`, () => {
  let pcscd: StartedPcscd | undefined;
  let runner: SimulatorRunner;
  let transport: PcscTransport;

  beforeAll(async () => {
    if (plan.mode === 'start' && plan.binary) pcscd = await StartedPcscd.start(plan.binary);
    runner = await SimulatorRunner.start();
    const name = uniqueCardName('pcsc');
    const card = await runner.card(name);
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await runner.vpcd(name, `127.0.0.1:${VPCD_PORT}`);
    transport = await openPcsc({ reader: READER, timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await transport?.close();
    await runner?.close();
    await pcscd?.stop();
  });

  it('lists the vpcd reader with the simulated card in it', async () => {
    const readers = await listReaders();
    const reader = readers.find((r) => r.name === READER);
    expect(reader?.cardPresent).toBe(true);
    expect(reader?.atr?.[0]).toBe(0x3b);
  });

  it('connects with T=0 or T=1 and knows the ATR', () => {
    expect(['T0', 'T1']).toContain(transport.protocol);
    expect(transport.atr?.[0]).toBe(0x3b);
    expect(transport.name).toBe(`PC/SC reader ${READER}`);
  });

  it('selects the test applet', async () => {
    const r = await transmit(transport, encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: TEST_APPLET_AID }));
    expect(r.sw).toBe(0x9000);
  });

  it('echoes 1, 100 and 255 bytes', async () => {
    const applet = new TestAppletClient(transport);
    await applet.select();
    for (const n of [1, 100, 255]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 0xff);
      const r = await applet.echo(data);
      expect(r.sw).toBe(0x9000);
      expect(toHex(r.data)).toBe(toHex(data));
    }
  });

  it('signs on the card with a signature that @noble/curves verifies', async () => {
    const applet = new TestAppletClient(transport);
    await applet.select();
    const key = await applet.generateKeyPair();
    expect(key.sw).toBe(0x9000);
    const message = new TextEncoder().encode('offline e-krona over PC/SC');
    const sig = await applet.sign(message);
    expect(sig.sw).toBe(0x9000);
    expect(p256.verify(sig.data, message, key.data, { format: 'der', lowS: false })).toBe(true);
  });

  it('says which readers exist when the named reader does not', async () => {
    await expect(openPcsc({ reader: 'No Such Reader 99', timeoutMs: 300 })).rejects.toThrow(
      /^No PC\/SC reader is named "No Such Reader 99" \(readers: .*Virtual PCD 00 00.*\)\.$/,
    );
  });

  it('reports a card pulled out of the reader as CardRemoved, and the next exchange too', async () => {
    const spare = await FakeVirtualCard.connect(SPARE_PORT);
    const other = await openPcsc({ reader: SPARE_READER, timeoutMs: 15_000 });
    try {
      expect(toHex(await other.exchange(Uint8Array.of(0x80, 0x01, 0x00, 0x00, 0x01, 0xaa)))).toBe('AA9000');
      spare.remove();
      const first = await other.exchange(Uint8Array.of(0x80, 0x01, 0x00, 0x00)).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(TransportError);
      // Once pcscd has noticed, every exchange says the card was removed.
      const deadline = Date.now() + 10_000;
      let error: unknown;
      do {
        await new Promise((r) => setTimeout(r, 100));
        error = await other.exchange(Uint8Array.of(0x80, 0x01, 0x00, 0x00)).catch((e: unknown) => e);
      } while (!(error instanceof CardRemoved) && Date.now() < deadline);
      expect(error).toBeInstanceOf(CardRemoved);
      expect((error as Error).message).toMatch(/removed/);
    } finally {
      spare.remove();
      await other.close();
    }
  });
});
