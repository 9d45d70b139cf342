// APDU handling of the runtime: receiving data in chunks, sending data in chunks, Le, T=0 procedure bytes.
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { parseResponse, transmit } from '../../host/src/transport/iso7816.ts';
import { itWith, useCardEnv } from '../support/backend.ts';
import { command, INS } from '../support/test-applet.ts';

const env = useCardEnv();

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

describe('ECHO (data received with setIncomingAndReceive and receiveBytes)', () => {
  itWith(['sendsWholeBuffer'], 'echoes every length from 0 to 254 bytes (case 4, Le 256)', async () => {
    const { applet } = await env.freshCard({ name: 'echo' });
    for (let n = 0; n <= 254; n++) {
      const r = await applet.echo(bytes(n, n));
      expect({ n, sw: r.sw, data: toHex(r.data) }).toEqual({ n, sw: 0x9000, data: toHex(bytes(n, n)) });
    }
  });

  itWith(['handlesFullCase4'], 'echoes 255 bytes: a full short case-4 command (data received in several chunks)', async () => {
    const { applet } = await env.freshCard({ name: 'echo-255' });
    const r = await applet.echo(bytes(255, 1));
    expect(r.sw).toBe(0x9000);
    expect(toHex(r.data)).toBe(toHex(bytes(255, 1)));
  });

  it('answers a case-3 ECHO (no Le) with no data', async () => {
    const { applet } = await env.freshCard({ name: 'echo3' });
    const r = await applet.echo(bytes(40), 'none');
    expect(r.sw).toBe(0x9000);
    expect(r.data).toHaveLength(0);
  });
});

describe('PATTERN (data sent with setOutgoing, setOutgoingLength and sendBytesLong in chunks of 32)', () => {
  it('sends every length from 1 to 256 bytes when Le equals the length', async () => {
    const { applet } = await env.freshCard({ name: 'pattern' });
    for (let n = 1; n <= 256; n++) {
      const r = await applet.pattern(n);
      expect({ n, sw: r.sw, data: toHex(r.data) }).toEqual({ n, sw: 0x9000, data: toHex(pattern(n)) });
    }
  });

  it('sends all the data when Le is 256 (00) and the data is shorter', async () => {
    const { applet } = await env.freshCard({ name: 'pattern-le00' });
    const r = await applet.pattern(40, 256);
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(pattern(40));
  });

  it('answers 6Cxx over T=1 when Le is smaller than the answer (the applet checks Le)', async () => {
    const { card } = await env.freshCard({ name: 'pattern-short-le' });
    expect(toHex(await card.exchange(command(INS.PATTERN, 0, 40, undefined, 10)))).toBe('6C28');
    expect(toHex(await card.exchange(command(INS.READ, 0, 0, undefined, 10)))).toBe('6C46');
  });

  it('gets the whole answer through transmit, which resends with the Le of 6Cxx', async () => {
    const { card } = await env.freshCard({ name: 'pattern-6c-transmit' });
    const r = await transmit(card, command(INS.PATTERN, 0, 40, undefined, 10));
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(pattern(40));
  });

  it('lets ECHO send only as many bytes as Le allows', async () => {
    const { applet } = await env.freshCard({ name: 'echo-short-le' });
    const r = await applet.echo(bytes(10), 3);
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(bytes(10).subarray(0, 3));
  });
});

describe('T=0 behaviour', () => {
  itWith(['canSetProtocol'], 'answers a case-4 command with 61xx and gives the data to GET RESPONSE', async () => {
    const { applet, card, sim } = await env.freshCard({ name: 't0-61' });
    await sim.setProtocol('T0');
    const raw = parseResponse(await card.exchange(command(INS.ECHO, 0, 0, bytes(20), 256)));
    expect(raw.sw).toBe(0x6114);
    expect(raw.data).toHaveLength(0);
    const got = parseResponse(await card.exchange(Uint8Array.of(0x00, 0xc0, 0x00, 0x00, 0x14)));
    expect(got.sw).toBe(0x9000);
    expect(got.data).toEqual(bytes(20));
    // And through transmit, which follows 61xx by itself:
    expect((await applet.echo(bytes(200))).data).toEqual(bytes(200));
  });

  itWith(['canSetProtocol'], 'answers a case-2 command with the wrong Le with 6Cxx, then the data with the right Le', async () => {
    const { card, sim } = await env.freshCard({ name: 't0-6c' });
    await sim.setProtocol('T0');
    const raw = parseResponse(await card.exchange(command(INS.PATTERN, 0, 40, undefined, 10)));
    expect(raw.sw).toBe(0x6c28);
    const again = parseResponse(await card.exchange(command(INS.PATTERN, 0, 40, undefined, 0x28)));
    expect(again.sw).toBe(0x9000);
    expect(again.data).toEqual(pattern(40));
    // transmit retries 6Cxx by itself:
    const r = await transmit(card, command(INS.PATTERN, 0, 100, undefined, 1));
    expect(r.sw).toBe(0x9000);
    expect(r.data).toEqual(pattern(100));
  });

  itWith(['canSetProtocol'], 'echoes every length from 1 to 255 bytes in T=0 through transmit', async () => {
    const { applet, sim } = await env.freshCard({ name: 't0-echo' });
    await sim.setProtocol('T0');
    for (let n = 1; n <= 255; n++) {
      const r = await applet.echo(bytes(n, 3));
      expect({ n, sw: r.sw, data: toHex(r.data) }).toEqual({ n, sw: 0x9000, data: toHex(bytes(n, 3)) });
    }
  });

  itWith(['canSetProtocol'], 'hands out kept data in GET RESPONSE chunks of Le bytes, announcing the rest with 61xx', async () => {
    const { card, sim } = await env.freshCard({ name: 't0-chunks' });
    await sim.setProtocol('T0');
    const data = bytes(200, 9);
    expect(toHex(await card.exchange(command(INS.ECHO, 0, 0, data, 256)))).toBe('61C8');
    const first = parseResponse(await card.exchange(fromHex('00C0000040')));
    expect([first.sw, toHex(first.data)]).toEqual([0x6188, toHex(data.subarray(0, 64))]);
    const tooMuch = parseResponse(await card.exchange(fromHex('00C00000FF')));
    expect(tooMuch.sw).toBe(0x6c88);
    const rest = parseResponse(await card.exchange(fromHex('00C0000088')));
    expect([rest.sw, toHex(rest.data)]).toEqual([0x9000, toHex(data.subarray(64))]);
  });

  itWith(['canSetProtocol'], 'drops the kept data when another command comes before GET RESPONSE', async () => {
    const { card, sim, applet } = await env.freshCard({ name: 't0-drop' });
    await sim.setProtocol('T0');
    expect(toHex(await card.exchange(command(INS.ECHO, 0, 0, bytes(20), 256)))).toBe('6114');
    expect((await applet.send(INS.PIN_STATUS, 0, 0, undefined, 2)).sw).toBe(0x9000);
    expect(parseResponse(await card.exchange(fromHex('00C0000014'))).sw).not.toBe(0x9000);
  });

  itWith(['canSetProtocol'], 'goes back to T=1 behaviour: case-4 data in the response', async () => {
    const { card, sim } = await env.freshCard({ name: 't1-again' });
    await sim.setProtocol('T0');
    await sim.setProtocol('T1');
    const raw = parseResponse(await card.exchange(command(INS.ECHO, 0, 0, bytes(5), 256)));
    expect(raw.sw).toBe(0x9000);
    expect(raw.data).toEqual(bytes(5));
  });
});

describe('selection', () => {
  it('selects the test applet by its AID', async () => {
    const { applet } = await env.freshCard({ name: 'select', select: false });
    expect((await applet.select()).sw).toBe(0x9000);
  });

  itWith(['refusesUnknownSelect'], 'answers 6A82 to SELECT of an AID not installed and keeps the current applet selected', async () => {
    const { applet } = await env.freshCard({ name: 'select-missing' });
    expect((await applet.select(fromHex('F000000E4B5499'))).sw).toBe(0x6a82);
    expect((await applet.send(INS.READ, 0, 0, undefined, 256)).sw).toBe(0x9000);
  });

  itWith(['refusesLogicalChannels'], 'answers 6881 to SELECT on a logical channel', async () => {
    const { card } = await env.freshCard({ name: 'select-channel' });
    expect((await transmit(card, '01A4040007F000000E4B5401')).sw).toBe(0x6881);
  });

  itWith(['canPowerCycle', 'answers6D00WithoutApplet'], 'answers 6D00 to a command while no applet is selected', async () => {
    const { applet, sim } = await env.freshCard({ name: 'no-applet' });
    await sim.powerOff();
    await sim.powerOn();
    expect((await applet.send(INS.READ, 0, 0, undefined, 256)).sw).toBe(0x6d00);
  });
});

describe('malformed APDUs', () => {
  it('answers 6700 to a command whose Lc does not match its length', async () => {
    const { card } = await env.freshCard({ name: 'bad-lc' });
    expect(toHex(await card.exchange(fromHex('80010000050102')))).toBe('6700');
    expect(toHex(await card.exchange(fromHex('8001000002010203AA')))).toBe('6700');
  });

  it('answers 6700 to an extended-length command', async () => {
    const { card } = await env.freshCard({ name: 'extended' });
    expect(toHex(await card.exchange(fromHex('800100000000030102030000')))).toBe('6700');
  });
});
