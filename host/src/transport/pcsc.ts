// PC/SC transport: a card in a reader, through pcscd and the npm package `pcsclite` (a native module, optional).
//
// `pcsclite` is loaded with a dynamic import, so the rest of the host works where it is not installed; then every
// PC/SC function fails with the one sentence PCSC_UNAVAILABLE. Every error of pcsclite is wrapped in a
// TransportError (the raw error kept as `cause`): raw library errors never leave this module. A card pulled out
// of the reader makes the exchange in flight, and every later one, fail with CardRemoved (a CardPowerLost).

import { toHex } from '../codec/hex.ts';
import { CardPowerLost, QueuedTransport, TransportError } from './card-transport.ts';

export const PCSC_UNAVAILABLE =
  'PC/SC is unavailable: install libpcsclite-dev and pcscd (Debian) and run npm install again.';
export const PCSC_NOT_RUNNING =
  'The PC/SC service is not running: start pcscd (`sudo systemctl start pcscd`, or `pcscd --foreground`).';

/** The card left the reader (or was reset by another application) during or before the command. */
export class CardRemoved extends CardPowerLost {
  override name = 'CardRemoved';
}

// The part of pcsclite's API used here (its own typings use `export =`, which does not suit a dynamic import).
interface PcscStatus {
  state: number;
  atr?: Buffer;
}
interface PcscReader {
  name: string;
  connected: boolean;
  SCARD_SHARE_SHARED: number;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_UNPOWER_CARD: number;
  on(event: 'status', listener: (status: PcscStatus) => void): void;
  on(event: 'end', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  connect(options: { share_mode?: number; protocol?: number }, cb: (err: Error | null | undefined, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: Error | null | undefined) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: Error | null | undefined, response: Buffer) => void): void;
  close(): void;
}
interface PcscContext {
  on(event: 'reader', listener: (reader: PcscReader) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
  readers?: Record<string, PcscReader>;
}
type PcscFactory = () => PcscContext;

const STATE_EMPTY = 0x10;
const STATE_PRESENT = 0x20;
const STATE_MUTE = 0x200;

/** PC/SC return codes that deserve their own sentence. */
const PCSC_CODES: Record<number, string> = {
  0x80100002: 'the operation was cancelled',
  0x80100009: 'the reader is unknown',
  0x8010000b: 'another application uses the card (sharing violation)',
  0x8010000c: 'there is no card in the reader',
  0x8010000f: 'the card does not support the requested protocol',
  0x80100016: 'the card transaction failed',
  0x80100017: 'the reader is unavailable',
  0x8010001d: 'the PC/SC service is not running',
  0x8010002e: 'no reader is available',
  0x80100066: 'the card does not answer',
  0x80100067: 'the card is not powered',
  0x80100068: 'the card was reset by another application',
  0x80100069: 'the card was removed',
};
const REMOVED_CODES = new Set([0x8010000c, 0x80100069, 0x80100068]);

/** The PC/SC return code in a pcsclite error message ("... (0x80100069)"), if any. */
export function pcscCode(error: unknown): number | undefined {
  const match = /\(0x([0-9a-f]{8})\)/i.exec(String((error as Error)?.message ?? ''));
  return match ? Number.parseInt(match[1], 16) : undefined;
}

function wrap(what: string, error: unknown, reader?: string): TransportError {
  const code = pcscCode(error);
  const where = reader ? ` on reader ${reader}` : '';
  const reason = code !== undefined && PCSC_CODES[code] ? PCSC_CODES[code] : String((error as Error)?.message ?? error).replace(/\.$/, '');
  if (code === 0x8010001d) return new TransportError(PCSC_NOT_RUNNING, { cause: error });
  if (code !== undefined && REMOVED_CODES.has(code)) return new CardRemoved(`${what} failed${where}: ${reason}.`, { cause: error });
  return new TransportError(`${what} failed${where}: ${reason}.`, { cause: error });
}

let factory: Promise<PcscFactory> | undefined;

/** Loads pcsclite once; rejects with PCSC_UNAVAILABLE when the package or libpcsclite cannot be loaded. */
export function loadPcsclite(): Promise<PcscFactory> {
  factory ??= import('pcsclite' as string).then(
    (module: { default?: unknown }) => {
      const fn = (module.default ?? module) as unknown;
      if (typeof fn !== 'function') throw new TransportError(PCSC_UNAVAILABLE);
      return fn as PcscFactory;
    },
    (cause: unknown) => {
      factory = undefined;
      throw new TransportError(PCSC_UNAVAILABLE, { cause });
    },
  );
  return factory;
}

export interface ReaderInfo {
  name: string;
  /** True when a card is in the reader. */
  cardPresent: boolean;
  /** The card's ATR when one is present. */
  atr?: Uint8Array;
}

interface ReaderEntry {
  reader: PcscReader;
  state?: number;
  atr?: Uint8Array;
}

/** One pcsclite context: the readers it reports and their states, kept up to date. */
class ReaderWatch {
  readonly readers = new Map<string, ReaderEntry>();
  private waiters: Array<() => void> = [];
  private closing = false;
  error: TransportError | undefined;
  /** Called with a reader's name when its card goes away. */
  onCardGone: ((reader: string) => void) | undefined;

  private constructor(private readonly context: PcscContext) {
    context.on('reader', (reader) => {
      const entry: ReaderEntry = { reader };
      this.readers.set(reader.name, entry);
      reader.on('status', (status) => {
        const hadCard = entry.state !== undefined && (entry.state & STATE_PRESENT) !== 0;
        entry.state = status.state;
        entry.atr = status.atr && status.atr.length > 0 ? new Uint8Array(status.atr) : undefined;
        if (hadCard && (status.state & STATE_EMPTY) !== 0) this.onCardGone?.(reader.name);
        this.notify();
      });
      reader.on('end', () => {
        if (this.readers.get(reader.name) === entry) this.readers.delete(reader.name);
        if (entry.state !== undefined && (entry.state & STATE_PRESENT) !== 0) this.onCardGone?.(reader.name);
        this.notify();
      });
      reader.on('error', (error) => {
        if (!this.closing) this.error = wrap('Watching the reader', error, reader.name);
        this.notify();
      });
      this.notify();
    });
    context.on('error', (error) => {
      // Closing the context cancels its wait, which pcsclite reports as an error: not one.
      if (!this.closing) this.error = wrap('Listing PC/SC readers', error);
      this.notify();
    });
  }

  static async open(): Promise<ReaderWatch> {
    const create = await loadPcsclite();
    try {
      return new ReaderWatch(create());
    } catch (error) {
      throw wrap('Opening PC/SC', error);
    }
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Resolves when `ready()` is true, or after `timeoutMs` (then `ready()` is checked no more). */
  async until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.error) throw this.error;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** True once every known reader has reported its state. */
  settled(): boolean {
    return this.readers.size > 0 && [...this.readers.values()].every((e) => e.state !== undefined);
  }

  info(): ReaderInfo[] {
    return [...this.readers.entries()].map(([name, e]) => ({
      name,
      cardPresent: e.state !== undefined && (e.state & STATE_PRESENT) !== 0 && (e.state & STATE_MUTE) === 0,
      ...(e.atr ? { atr: e.atr } : {}),
    }));
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    for (const entry of this.readers.values()) {
      try {
        entry.reader.close();
      } catch {
        // already closed
      }
    }
    try {
      this.context.close();
    } catch {
      // already closed
    }
  }
}

/**
 * The PC/SC readers and whether each holds a card. Waits up to `timeoutMs` (default 1500) for the first reader
 * and for every reader's state.
 */
export async function listReaders(options: { timeoutMs?: number } = {}): Promise<ReaderInfo[]> {
  const watch = await ReaderWatch.open();
  try {
    await watch.until(() => watch.settled(), options.timeoutMs ?? 1500);
    return watch.info();
  } finally {
    watch.close();
  }
}

export interface PcscOptions {
  /**
   * The reader: its exact name, or a part of it matching one reader only (case-insensitive). Default: the first
   * reader holding a card.
   */
  reader?: string;
  /** How long to wait for the reader and its card (default 5000 ms). */
  timeoutMs?: number;
  /** `exclusive` (default: no other application can come between our APDUs) or `shared`. */
  share?: 'exclusive' | 'shared';
  /** What to do with the card on close: `reset` (default), `leave` or `unpower`. */
  onClose?: 'reset' | 'leave' | 'unpower';
}

function pickReader(infos: ReaderInfo[], wanted: string | undefined): { name?: string; problem?: string } {
  const list = infos.map((r) => r.name).join(', ') || 'none';
  if (wanted === undefined || wanted === '') {
    const withCard = infos.find((r) => r.cardPresent);
    return withCard ? { name: withCard.name } : { problem: `There is no card in any PC/SC reader (readers: ${list}).` };
  }
  const exact = infos.find((r) => r.name === wanted);
  if (exact) return exact.cardPresent ? { name: exact.name } : { problem: `There is no card in PC/SC reader ${exact.name}.` };
  const partial = infos.filter((r) => r.name.toLowerCase().includes(wanted.toLowerCase()));
  if (partial.length === 1) {
    return partial[0].cardPresent ? { name: partial[0].name } : { problem: `There is no card in PC/SC reader ${partial[0].name}.` };
  }
  if (partial.length > 1) return { problem: `Several PC/SC readers match "${wanted}": ${partial.map((r) => r.name).join(', ')}.` };
  return { problem: `No PC/SC reader is named "${wanted}" (readers: ${list}).` };
}

/** Connects to a card in a PC/SC reader, with T=0 or T=1 as the card offers. */
export async function openPcsc(options: PcscOptions = {}): Promise<PcscTransport> {
  const watch = await ReaderWatch.open();
  try {
    let choice = pickReader(watch.info(), options.reader);
    await watch.until(() => {
      if (!watch.settled()) return false;
      choice = pickReader(watch.info(), options.reader);
      return choice.name !== undefined;
    }, options.timeoutMs ?? 5000);
    if (!choice.name) throw new TransportError(choice.problem ?? 'No PC/SC reader holds a card.');
    const entry = watch.readers.get(choice.name);
    if (!entry) throw new TransportError(`PC/SC reader ${choice.name} went away.`);
    const transport = new PcscTransport(watch, entry.reader, options);
    await transport.connectNow();
    return transport;
  } catch (error) {
    watch.close();
    throw error;
  }
}

/** A card in a PC/SC reader. */
export class PcscTransport extends QueuedTransport {
  readonly name: string;
  readonly readerName: string;
  /** The protocol agreed with the card, after connecting. */
  protocol: 'T0' | 'T1' | undefined;
  /** The card's ATR, after connecting. */
  atr: Uint8Array | undefined;
  private protocolCode = 0;
  private removed = false;

  constructor(
    private readonly watch: ReaderWatch,
    private readonly reader: PcscReader,
    private readonly options: PcscOptions,
  ) {
    super();
    this.readerName = reader.name;
    this.name = `PC/SC reader ${reader.name}`;
    watch.onCardGone = (name) => {
      if (name === this.readerName) this.removed = true;
    };
  }

  /** Connects again to the card in the reader, e.g. after it was removed and put back. */
  reconnect(): Promise<void> {
    return this.serialised(() => this.connectNow());
  }

  /** Connects to the card (called once by openPcsc, then by reconnect). */
  async connectNow(): Promise<void> {
    const share = this.options.share === 'shared' ? this.reader.SCARD_SHARE_SHARED : this.reader.SCARD_SHARE_EXCLUSIVE;
    const protocols = this.reader.SCARD_PROTOCOL_T0 | this.reader.SCARD_PROTOCOL_T1;
    if (this.reader.connected) {
      await new Promise<void>((resolve) => this.reader.disconnect(this.reader.SCARD_LEAVE_CARD, () => resolve()));
    }
    const code = await new Promise<number>((resolve, reject) => {
      this.reader.connect({ share_mode: share, protocol: protocols }, (err, protocol) => {
        if (err) reject(wrap('Connecting to the card', err, this.readerName));
        else resolve(protocol);
      });
    });
    this.protocolCode = code;
    this.protocol = code === this.reader.SCARD_PROTOCOL_T0 ? 'T0' : 'T1';
    this.atr = this.watch.readers.get(this.readerName)?.atr;
    this.removed = false;
  }

  protected async transmitNow(command: Uint8Array): Promise<Uint8Array> {
    if (this.removed) throw new CardRemoved(`The card was removed from PC/SC reader ${this.readerName}; connect again once it is back.`);
    if (this.watch.error) throw this.watch.error;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.reader.transmit(Buffer.from(command), 65538, this.protocolCode, (err, response) => {
        if (err) {
          const wrapped = wrap(`Sending APDU ${toHex(command.subarray(0, 4))}...`, err, this.readerName);
          if (wrapped instanceof CardRemoved) this.removed = true;
          reject(wrapped);
        } else {
          resolve(new Uint8Array(response));
        }
      });
    });
  }

  protected async closeNow(): Promise<void> {
    const disposition =
      this.options.onClose === 'leave'
        ? this.reader.SCARD_LEAVE_CARD
        : this.options.onClose === 'unpower'
          ? this.reader.SCARD_UNPOWER_CARD
          : this.reader.SCARD_RESET_CARD;
    try {
      if (this.reader.connected) {
        await new Promise<void>((resolve, reject) =>
          this.reader.disconnect(disposition, (err) => (err ? reject(wrap('Disconnecting from the card', err, this.readerName)) : resolve())),
        );
      }
    } catch (error) {
      // The card may be gone already: nothing is left to release but the context.
      if (!(error instanceof CardRemoved)) throw error;
    } finally {
      this.watch.close();
    }
  }
}
