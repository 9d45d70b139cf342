import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { TransportError } from '../../host/src/transport/card-transport.ts';
import {
  ApduError,
  apduCase,
  type CommandApdu,
  decodeCommand,
  encodeCommand,
  encodeResponse,
  expectSw,
  parseResponse,
  StatusWordError,
  swText,
  transmit,
} from '../../host/src/transport/iso7816.ts';
import { ReplayTransport } from '../../host/src/transport/replay.ts';
import vectors from './vectors/iso7816.json' with { type: 'json' };

/** Expands the vectors' shorthand: `$40x22` is 40 bytes 22; `:` separates data from SW and is dropped. */
function expand(text: string): string {
  return text.replace(/\$(\d+)x([0-9A-Fa-f]{2})/g, (_, n: string, b: string) => b.repeat(Number(n))).replace(/:/g, '');
}

type JsonCommand = { cla?: number; ins?: number; p1?: number; p2?: number; data?: string; le?: number; dataLength?: number };

function command(json: JsonCommand): CommandApdu {
  const c = { cla: json.cla, ins: json.ins, p1: json.p1, p2: json.p2 } as CommandApdu;
  if (json.data !== undefined) c.data = fromHex(json.data);
  if (json.dataLength !== undefined) c.data = new Uint8Array(json.dataLength);
  if (json.le !== undefined) c.le = json.le;
  return c;
}

describe('encodeCommand', () => {
  for (const v of vectors.encode.valid) {
    it(`encodes ${v.name} as ${v.hex}`, () => {
      expect(toHex(encodeCommand(command(v.command)))).toBe(v.hex);
      expect(apduCase(command(v.command))).toBe(v.case);
    });
  }

  for (const v of vectors.encode.invalid) {
    it(`refuses ${v.name}`, () => {
      expect(() => encodeCommand(command(v.command))).toThrow(ApduError);
      expect(() => encodeCommand(command(v.command))).toThrow(v.error);
    });
  }

  it('never writes Lc for a command without data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 256 }), (le) => {
        expect(encodeCommand({ cla: 0x80, ins: 2, p1: 0, p2: 0, le })).toHaveLength(5);
      }),
    );
  });

  it('makes errors that are TransportErrors with one sentence', () => {
    try {
      encodeCommand({ cla: 0x80, ins: 2, p1: 0, p2: 0, le: 300 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toBe('Invalid command APDU: le must be 1 to 256, got 300.');
    }
  });
});

describe('decodeCommand', () => {
  for (const v of vectors.encode.valid) {
    it(`decodes ${v.hex} as case ${v.case}`, () => {
      const decoded = decodeCommand(fromHex(v.hex));
      expect(decoded.case).toBe(v.case);
      expect(toHex(encodeCommand(decoded))).toBe(v.hex);
    });
  }

  for (const v of vectors.decode.invalid) {
    it(`refuses ${v.name}`, () => {
      expect(() => decodeCommand(fromHex(v.hex))).toThrow(v.error);
    });
  }

  it('round-trips every short command', () => {
    const arbitrary = fc.record({
      cla: fc.integer({ min: 0, max: 255 }),
      ins: fc.integer({ min: 0, max: 255 }),
      p1: fc.integer({ min: 0, max: 255 }),
      p2: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ minLength: 0, maxLength: 255 }),
      le: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(arbitrary, (c) => {
        const bytes = encodeCommand(c);
        const back = decodeCommand(bytes);
        expect(back.data).toEqual(c.data);
        expect(back.le).toBe(c.le);
        expect(back.case).toBe(apduCase(c));
        expect([back.cla, back.ins, back.p1, back.p2]).toEqual([c.cla, c.ins, c.p1, c.p2]);
      }),
    );
  });
});

describe('responses', () => {
  for (const v of vectors.response.valid) {
    it(`parses ${v.hex || '(empty)'}`, () => {
      const r = parseResponse(fromHex(v.hex));
      expect(toHex(r.data)).toBe(v.data);
      expect(r.sw).toBe(Number.parseInt(v.sw, 16));
      expect(r.sw1).toBe(r.sw >> 8);
      expect(r.sw2).toBe(r.sw & 0xff);
      expect(toHex(encodeResponse(r.data, r.sw))).toBe(v.hex);
    });
  }

  for (const v of vectors.response.invalid) {
    it(`refuses a response of ${v.hex.length / 2} bytes`, () => {
      expect(() => parseResponse(fromHex(v.hex))).toThrow(v.error);
    });
  }

  it('returns data when the status word is the expected one', () => {
    expect(expectSw(parseResponse(fromHex('AA9000')), 'READ')).toEqual(Uint8Array.of(0xaa));
    expect(expectSw(parseResponse(fromHex('6A82')), 'SELECT', 0x6a82)).toEqual(new Uint8Array(0));
  });

  it('throws a StatusWordError naming the command and the status word', () => {
    expect(() => expectSw(parseResponse(fromHex('6982')), 'PIN CHANGE')).toThrow(
      new StatusWordError('PIN CHANGE', 0x6982, parseResponse(fromHex('6982'))),
    );
    expect(() => expectSw(parseResponse(fromHex('6982')), 'PIN CHANGE')).toThrow(
      'PIN CHANGE failed with status 6982 (security status not satisfied).',
    );
  });
});

describe('swText', () => {
  for (const v of vectors.swText) {
    it(`says "${v.text}" for ${v.sw}`, () => {
      expect(swText(Number.parseInt(v.sw, 16))).toBe(v.text);
    });
  }
});

describe('transmit', () => {
  for (const v of vectors.transmit) {
    it(v.name, async () => {
      const card = new ReplayTransport(v.transcript.map(expand).join('\n'));
      const r = await transmit(card, fromHex(v.command));
      expect(toHex(r.data)).toBe(expand(v.data));
      expect(r.sw).toBe(Number.parseInt(v.sw, 16));
      await card.close(); // fails if an APDU of the transcript was not sent
    });
  }

  it('accepts a CommandApdu object and a hex string', async () => {
    const card = new ReplayTransport('=> 80010000020102\n<= 01029000\n=> 80010000020102\n<= 01029000\n');
    expect((await transmit(card, { cla: 0x80, ins: 1, p1: 0, p2: 0, data: Uint8Array.of(1, 2) })).sw).toBe(0x9000);
    expect((await transmit(card, '80010000020102')).sw).toBe(0x9000);
    await card.close();
  });

  it('gives up after a card that answers 61xx forever', async () => {
    const lines = ['=> 80010000', '<= 6101'];
    for (let i = 0; i < 4; i++) lines.push('=> 00C0000001', '<= AA6101');
    const card = new ReplayTransport(lines.join('\n'), { allowLeftover: true });
    await expect(transmit(card, '80010000', { maxRounds: 3 })).rejects.toThrow('kept answering 61xx or 6Cxx after 3 rounds');
  });

  it('sends GET RESPONSE in the same session, so no other caller comes between', async () => {
    const card = new ReplayTransport(
      ['=> 8001000001AA', '<= 6101', '=> 00C0000001', '<= AA9000', '=> 80020000', '<= 9000'].join('\n'),
    );
    const [a, b] = await Promise.all([transmit(card, '8001000001AA'), transmit(card, '80020000')]);
    expect(toHex(a.data)).toBe('AA');
    expect(b.sw).toBe(0x9000);
    await card.close();
  });
});
