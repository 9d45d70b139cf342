// Transports that misbehave on purpose, for recovery tests: the card executes the command, the answer is lost.

import type { CardTransport, Exchange } from '../../host/src/transport/card-transport.ts';
import { TransportError } from '../../host/src/transport/card-transport.ts';

/** Counts and records the command APDUs sent through it. */
export class CountingTransport implements CardTransport {
  readonly commands: Uint8Array[] = [];
  constructor(readonly inner: CardTransport) {}
  get name(): string {
    return `counting ${this.inner.name}`;
  }
  /** INS bytes of the commands sent since the last `reset`. */
  get instructions(): number[] {
    return this.commands.map((c) => c[1]);
  }
  reset(): void {
    this.commands.length = 0;
  }
  private wrap(exchange: Exchange): Exchange {
    return async (command) => {
      this.commands.push(command.slice());
      return exchange(command);
    };
  }
  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.inner.session((exchange) => this.wrap(exchange)(command));
  }
  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body(this.wrap(exchange)));
  }
  async close(): Promise<void> {}
}

/**
 * Loses the answer of the next `times` commands with instruction `ins` (the last block of a chain): the card
 * receives and executes the command, then the caller gets a TransportError instead of the answer.
 */
export class AnswerLosingTransport implements CardTransport {
  lost = 0;
  constructor(
    readonly inner: CardTransport,
    readonly ins: number,
    private times = 1,
  ) {}
  get name(): string {
    return `answer-losing ${this.inner.name}`;
  }
  private wrap(exchange: Exchange): Exchange {
    return async (command) => {
      const response = await exchange(command);
      const lastBlock = (command[0] & 0x10) === 0;
      if (command[1] === this.ins && lastBlock && this.times > 0) {
        this.times -= 1;
        this.lost += 1;
        throw new TransportError(`The answer to INS ${command[1].toString(16).toUpperCase()} was lost (test).`);
      }
      return response;
    };
  }
  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.inner.session((exchange) => this.wrap(exchange)(command));
  }
  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body(this.wrap(exchange)));
  }
  async close(): Promise<void> {}
}
