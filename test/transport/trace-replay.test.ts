import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { CardPowerLost, QueuedTransport, TransportError } from '../../host/src/transport/card-transport.ts';
import { transmit } from '../../host/src/transport/iso7816.ts';
import { ReplayError, ReplayTransport } from '../../host/src/transport/replay.ts';
import { RecordingTransport, Transcript, TranscriptError, TracingTransport } from '../../host/src/transport/trace.ts';

/** A card that echoes the command's data with 9000, slowly, and records the order in which APDUs arrive. */
class EchoCard extends QueuedTransport {
  readonly name = 'echo card';
  readonly seen: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  wasClosed = false;

  protected async transmitNow(command: Uint8Array): Promise<Uint8Array> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.seen.push(toHex(command));
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    if (command[1] === 0xee) throw new CardPowerLost('The echo card lost power.');
    return Uint8Array.of(...command.subarray(5), 0x90, 0x00);
  }

  protected async closeNow(): Promise<void> {
    this.wasClosed = true;
  }
}

describe('QueuedTransport', () => {
  it('never lets two exchanges overlap', async () => {
    const card = new EchoCard();
    await Promise.all(Array.from({ length: 20 }, (_, i) => card.exchange(Uint8Array.of(0x80, 1, 0, 0, 1, i))));
    expect(card.maxInFlight).toBe(1);
  });

  it('sends exchanges in the order they were called', async () => {
    const card = new EchoCard();
    await Promise.all(Array.from({ length: 10 }, (_, i) => card.exchange(Uint8Array.of(0x80, 1, 0, i))));
    expect(card.seen).toEqual(Array.from({ length: 10 }, (_, i) => toHex(Uint8Array.of(0x80, 1, 0, i))));
  });

  it('keeps a session exclusive: no APDU of another caller comes between', async () => {
    const card = new EchoCard();
    const session = card.session(async (exchange) => {
      await exchange(fromHex('80010001'));
      await new Promise((r) => setTimeout(r, 10));
      await exchange(fromHex('80010002'));
    });
    const other = card.exchange(fromHex('80010003'));
    await Promise.all([session, other]);
    expect(card.seen).toEqual(['80010001', '80010002', '80010003']);
  });

  it('goes on after a failed exchange', async () => {
    const card = new EchoCard();
    await expect(card.exchange(fromHex('80EE0000'))).rejects.toBeInstanceOf(CardPowerLost);
    expect(toHex(await card.exchange(fromHex('8001000001AA')))).toBe('AA9000');
  });

  it('refuses a command shorter than a header', async () => {
    await expect(new EchoCard().exchange(Uint8Array.of(0x80, 1))).rejects.toThrow(
      'A command APDU has at least 4 bytes (CLA INS P1 P2), got 2.',
    );
  });

  it('refuses exchanges after close, with one sentence', async () => {
    const card = new EchoCard();
    await card.close();
    expect(card.wasClosed).toBe(true);
    await expect(card.exchange(fromHex('80010000'))).rejects.toThrow(new TransportError('The transport echo card is closed.'));
    await card.close(); // harmless
  });
});

describe('TracingTransport', () => {
  it('logs => and <= lines with timings', async () => {
    const lines: string[] = [];
    const card = new TracingTransport(new EchoCard(), (line) => lines.push(line));
    await card.exchange(fromHex('8001000002CAFE'));
    expect(lines[0]).toBe('=> 8001000002CAFE');
    expect(lines[1]).toMatch(/^<= CAFE9000 \(\d+\.\d\d ms\)$/);
  });

  it('logs without timings when asked', async () => {
    const lines: string[] = [];
    const card = new TracingTransport(new EchoCard(), (line) => lines.push(line), { timings: false });
    await card.exchange(fromHex('80010000'));
    await expect(card.exchange(fromHex('80EE0000'))).rejects.toBeInstanceOf(CardPowerLost);
    expect(lines).toEqual(['=> 80010000', '<= 9000', '=> 80EE0000', '<= power-lost']);
  });

  it('logs the APDUs that transmit sends inside its session', async () => {
    const lines: string[] = [];
    const inner = new ReplayTransport('=> 80CA0000\n<= 6102\n=> 00C0000002\n<= 01029000');
    const card = new TracingTransport(inner, (line) => lines.push(line), { timings: false });
    await transmit(card, '80CA0000');
    expect(lines).toEqual(['=> 80CA0000', '<= 6102', '=> 00C0000002', '<= 01029000']);
  });

  it('logs a failure as an error line', async () => {
    const lines: string[] = [];
    const card = new TracingTransport(new EchoCard(), (line) => lines.push(line), { timings: false });
    await card.close();
    await expect(card.exchange(fromHex('80010000'))).rejects.toThrow(TransportError);
    expect(lines[1]).toBe('<= error: The transport echo card is closed.');
  });
});

describe('Transcript', () => {
  it('prints and parses the same steps', () => {
    const text = '=> 8001000001AA\n<= AA9000\n=> 80EE0000\n<= power-lost\n';
    expect(Transcript.parse(text).toString()).toBe(text);
  });

  it('ignores comments and blank lines', () => {
    expect(Transcript.parse('# select\n\n=> 00A40400\n<= 9000\n').steps).toHaveLength(1);
  });

  it.each([
    ['=> 8001\n<= 9000', 'holds a command of 2 bytes, fewer than 4'],
    ['=> 80010000\n=> 80010000\n<= 9000', 'line 2 is a command but the command of line 1 has no response'],
    ['<= 9000', 'line 1 is a response with no command before it'],
    ['=> 80010000', 'ends with the command of line 1 and no response'],
    ['=> 80010000\n<= 9G00', 'line 2 is not valid hex'],
    ['-> 80010000', 'line 1 is neither'],
  ])('refuses %j', (text, message) => {
    expect(() => Transcript.parse(text)).toThrow(TranscriptError);
    expect(() => Transcript.parse(text)).toThrow(message);
  });
});

describe('RecordingTransport and ReplayTransport', () => {
  it('replays what was recorded', async () => {
    const recorder = new RecordingTransport(new EchoCard());
    await recorder.exchange(fromHex('8001000002CAFE'));
    await expect(recorder.exchange(fromHex('80EE0000'))).rejects.toBeInstanceOf(CardPowerLost);
    await recorder.exchange(fromHex('80010000'));
    expect(recorder.transcript.toString()).toBe('=> 8001000002CAFE\n<= CAFE9000\n=> 80EE0000\n<= power-lost\n=> 80010000\n<= 9000\n');

    const replay = new ReplayTransport(recorder.transcript.toString());
    expect(toHex(await replay.exchange(fromHex('8001000002CAFE')))).toBe('CAFE9000');
    await expect(replay.exchange(fromHex('80EE0000'))).rejects.toBeInstanceOf(CardPowerLost);
    expect(toHex(await replay.exchange(fromHex('80010000')))).toBe('9000');
    await replay.close();
  });

  it('fails on an unexpected APDU, naming both', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n');
    await expect(replay.exchange(fromHex('80020000'))).rejects.toThrow(
      new ReplayError('APDU 1 of replay was => 80020000 but the transcript expects => 80010000.'),
    );
  });

  it('keeps failing after an unexpected APDU', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n');
    await expect(replay.exchange(fromHex('80020000'))).rejects.toThrow(ReplayError);
    await expect(replay.exchange(fromHex('80010000'))).rejects.toThrow('was => 80020000');
  });

  it('fails on an APDU after the end of the transcript', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n');
    await replay.exchange(fromHex('80010000'));
    await expect(replay.exchange(fromHex('80010000'))).rejects.toThrow('Unexpected APDU => 80010000 after the 1 recorded APDUs of replay.');
  });

  it('fails on close when recorded APDUs were never sent', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n=> 80020000\n<= 9000\n');
    await replay.exchange(fromHex('80010000'));
    expect(replay.remaining).toBe(1);
    await expect(replay.close()).rejects.toThrow('1 recorded APDU was never sent to replay; the next is => 80020000.');
  });

  it('allows leftovers when asked', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n', { allowLeftover: true });
    await replay.close();
  });

  it('hands out copies, so a caller cannot change the transcript', async () => {
    const replay = new ReplayTransport('=> 80010000\n<= 9000\n=> 80010000\n<= 9000\n');
    const first = await replay.exchange(fromHex('80010000'));
    first[0] = 0;
    expect(toHex(await replay.exchange(fromHex('80010000')))).toBe('9000');
  });
});
