// Transports that watch another transport: a tracer that logs every APDU with its timing, and a recorder that
// builds a transcript (see replay.ts for the transport that plays one back).
//
// Transcript text, one APDU per line, in order (as in Ledger's hw-transport record stores):
//
//   => 00A4040007F000000E4B540100
//   <= 9000
//   => 8031000003616263
//   <= power-lost
//
// `=>` is a command APDU, `<=` its response (data and SW1 SW2, upper-case hex) or `power-lost` when the card lost
// power during the command (no response). Blank lines and lines starting with `#` are ignored.

import { fromHex, toHex } from '../codec/hex.ts';
import { type CardTransport, CardPowerLost, type Exchange, TransportError } from './card-transport.ts';

export interface TranscriptStep {
  command: Uint8Array;
  /** The response APDU, or 'power-lost' when the card lost power during the command. */
  response: Uint8Array | 'power-lost';
}

export class TranscriptError extends TransportError {
  override name = 'TranscriptError';
}

export class Transcript {
  readonly steps: TranscriptStep[];

  constructor(steps: TranscriptStep[] = []) {
    this.steps = steps;
  }

  add(step: TranscriptStep): void {
    this.steps.push(step);
  }

  toString(): string {
    return this.steps
      .map((s) => `=> ${toHex(s.command)}\n<= ${s.response === 'power-lost' ? 'power-lost' : toHex(s.response)}\n`)
      .join('');
  }

  /** Parses transcript text; a malformed line is an error naming its line number. */
  static parse(text: string): Transcript {
    const steps: TranscriptStep[] = [];
    let pending: Uint8Array | undefined;
    let pendingLine = 0;
    text.split(/\r?\n/).forEach((raw, index) => {
      const lineNo = index + 1;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const match = /^(=>|<=)\s*(\S*)$/.exec(line);
      if (!match) throw new TranscriptError(`Transcript line ${lineNo} is neither "=> hex" nor "<= hex": ${JSON.stringify(raw)}.`);
      const [, arrow, value] = match;
      if (arrow === '=>') {
        if (pending) throw new TranscriptError(`Transcript line ${lineNo} is a command but the command of line ${pendingLine} has no response.`);
        pending = Transcript.hex(value, lineNo);
        pendingLine = lineNo;
        if (pending.length < 4) throw new TranscriptError(`Transcript line ${lineNo} holds a command of ${pending.length} bytes, fewer than 4.`);
      } else {
        if (!pending) throw new TranscriptError(`Transcript line ${lineNo} is a response with no command before it.`);
        const response = value === 'power-lost' ? 'power-lost' : Transcript.hex(value, lineNo);
        if (response !== 'power-lost' && response.length < 2) {
          throw new TranscriptError(`Transcript line ${lineNo} holds a response of ${response.length} bytes, fewer than 2.`);
        }
        steps.push({ command: pending, response });
        pending = undefined;
      }
    });
    if (pending) throw new TranscriptError(`Transcript ends with the command of line ${pendingLine} and no response.`);
    return new Transcript(steps);
  }

  private static hex(value: string, lineNo: number): Uint8Array {
    try {
      return fromHex(value, `transcript line ${lineNo}`);
    } catch (cause) {
      throw new TranscriptError(`Transcript line ${lineNo} is not valid hex: ${(cause as Error).message}.`, { cause });
    }
  }
}

/** One exchange seen by a watcher. */
export interface TraceEntry {
  command: Uint8Array;
  response?: Uint8Array;
  /** The error the exchange failed with (a CardPowerLost for a tear). */
  error?: unknown;
  /** Milliseconds from sending the command to the answer. */
  ms: number;
}

/** A transport that calls `watch` after every exchange of `inner`; the base of the tracer and the recorder. */
export class WatchedTransport implements CardTransport {
  readonly name: string;

  constructor(
    protected readonly inner: CardTransport,
    private readonly watch: (entry: TraceEntry) => void,
    private readonly onSend?: (command: Uint8Array) => void,
  ) {
    this.name = inner.name;
  }

  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.watched((c) => this.inner.exchange(c), command);
  }

  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body((command) => this.watched(exchange, command)));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async watched(exchange: Exchange, command: Uint8Array): Promise<Uint8Array> {
    this.onSend?.(command);
    const start = performance.now();
    try {
      const response = await exchange(command);
      this.watch({ command, response, ms: performance.now() - start });
      return response;
    } catch (error) {
      this.watch({ command, error, ms: performance.now() - start });
      throw error;
    }
  }
}

export type TraceSink = (line: string) => void;

export interface TraceOptions {
  /** Append the round-trip time to each `<=` line (default true). */
  timings?: boolean;
}

/**
 * Logs every APDU to `sink`: `=> HEX` when a command is sent and `<= HEX (1.23 ms)` when its answer arrives
 * (`<= power-lost`, or `<= error: message`, when there is none).
 */
export class TracingTransport extends WatchedTransport {
  constructor(inner: CardTransport, sink: TraceSink, options: TraceOptions = {}) {
    const timings = options.timings ?? true;
    const time = (ms: number) => (timings ? ` (${ms.toFixed(2)} ms)` : '');
    super(
      inner,
      (entry) => {
        if (entry.response) sink(`<= ${toHex(entry.response)}${time(entry.ms)}`);
        else if (entry.error instanceof CardPowerLost) sink(`<= power-lost${time(entry.ms)}`);
        else sink(`<= error: ${(entry.error as Error)?.message ?? String(entry.error)}${time(entry.ms)}`);
      },
      (command) => sink(`=> ${toHex(command)}`),
    );
  }
}

/** Records every exchange of `inner` into `transcript` (power losses included; other failures are not steps). */
export class RecordingTransport extends WatchedTransport {
  readonly transcript: Transcript;

  constructor(inner: CardTransport, transcript: Transcript = new Transcript()) {
    super(inner, (entry) => {
      if (entry.response) transcript.add({ command: entry.command, response: entry.response });
      else if (entry.error instanceof CardPowerLost) transcript.add({ command: entry.command, response: 'power-lost' });
    });
    this.transcript = transcript;
  }
}
