// The one interface every card connection implements, and the error classes of the transport layer.
//
// A transport moves raw APDUs: a command APDU in, the response APDU (data followed by SW1 SW2) out. It does not
// interpret status words (see iso7816.ts for that). Exchanges on one transport are serialised: when two callers
// call `exchange` at once, the second command is sent only after the first response has arrived, so APDUs of two
// callers never interleave. A caller that needs several APDUs in a row without anyone else's in between (GET
// RESPONSE after 61xx, a multi-command flow step) uses `session`.

import { assertBytes } from '../codec/hex.ts';

/** Sends one command APDU and resolves with its response APDU. */
export type Exchange = (command: Uint8Array) => Promise<Uint8Array>;

export interface CardTransport {
  /** A short human-readable description: "simulator card alice", "PC/SC reader Virtual PCD 00 00". */
  readonly name: string;
  /** Sends one command APDU (raw bytes) and resolves with the raw response APDU, SW1 SW2 included. */
  exchange(command: Uint8Array): Promise<Uint8Array>;
  /**
   * Runs `body` with exclusive use of the card: the `exchange` it receives sends APDUs that no other caller's
   * APDU can come between. Inside `body`, use only that `exchange` (calling `transport.exchange` would wait for
   * the session itself to end).
   */
  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T>;
  /** Releases the connection. Later exchanges fail with a TransportError; closing twice is harmless. */
  close(): Promise<void>;
}

/** Any failure of the transport layer: one sentence saying what went wrong, with the underlying error as `cause`. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The card lost power during the command (a simulated tear, or a card pulled out of the reader): no response
 * was received, the card is now powered off and its open transaction, if any, was rolled back.
 */
export class CardPowerLost extends TransportError {
  override name = 'CardPowerLost';
}

/** Runs async tasks one at a time, in the order they were queued. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The next task waits for this one, whatever its outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * Base of every transport implementation: serialises exchanges, checks arguments and refuses use after close.
 * Subclasses implement `transmitNow` (one APDU, called only when no other APDU is in flight) and `closeNow`.
 */
export abstract class QueuedTransport implements CardTransport {
  abstract readonly name: string;
  private readonly queue = new SerialQueue();
  private closed = false;

  protected abstract transmitNow(command: Uint8Array): Promise<Uint8Array>;
  protected abstract closeNow(): Promise<void>;

  get isClosed(): boolean {
    return this.closed;
  }

  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.queue.run(() => this.checkedTransmit(command));
  }

  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.queue.run(() => {
      this.ensureOpen();
      return body((command) => this.checkedTransmit(command));
    });
  }

  /** Runs `task` in the exchange queue, so that it never overlaps an APDU (for subclasses' own commands). */
  protected serialised<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(() => {
      this.ensureOpen();
      return task();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let an APDU in flight finish before the connection goes away.
    await this.queue.run(() => this.closeNow());
  }

  protected ensureOpen(): void {
    if (this.closed) throw new TransportError(`The transport ${this.name} is closed.`);
  }

  private async checkedTransmit(command: Uint8Array): Promise<Uint8Array> {
    this.ensureOpen();
    try {
      assertBytes(command, 'command');
    } catch (cause) {
      throw new TransportError(`The command APDU must be a Uint8Array.`, { cause });
    }
    if (command.length < 4) {
      throw new TransportError(`A command APDU has at least 4 bytes (CLA INS P1 P2), got ${command.length}.`);
    }
    const response = await this.transmitNow(command);
    if (response.length < 2) {
      throw new TransportError(`The card answered ${response.length} bytes on ${this.name}, fewer than the 2 of a status word.`);
    }
    return response;
  }
}
