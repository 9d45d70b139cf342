// A transport that plays back a transcript (see trace.ts): each command must be exactly the next recorded
// command, and is answered with the recorded response. Any unexpected APDU fails, and so does closing the
// transport while recorded APDUs were never sent (as Ledger's replay transport does).

import { equalBytes, toHex } from '../codec/hex.ts';
import { CardPowerLost, QueuedTransport } from './card-transport.ts';
import { Transcript, TranscriptError } from './trace.ts';

export class ReplayError extends TranscriptError {
  override name = 'ReplayError';
}

export interface ReplayOptions {
  /** Name shown in messages (default "replay"). */
  name?: string;
  /** Let `close` succeed even when recorded APDUs were not sent (default false). */
  allowLeftover?: boolean;
}

export class ReplayTransport extends QueuedTransport {
  readonly name: string;
  private readonly transcript: Transcript;
  private position = 0;
  private failure: ReplayError | undefined;
  private readonly allowLeftover: boolean;

  constructor(transcript: Transcript | string, options: ReplayOptions = {}) {
    super();
    this.transcript = typeof transcript === 'string' ? Transcript.parse(transcript) : transcript;
    this.name = options.name ?? 'replay';
    this.allowLeftover = options.allowLeftover ?? false;
  }

  /** Number of recorded steps not yet played. */
  get remaining(): number {
    return this.transcript.steps.length - this.position;
  }

  /** Throws a ReplayError when recorded APDUs were not sent. */
  assertDone(): void {
    if (this.failure) throw this.failure;
    if (this.remaining > 0) {
      const next = this.transcript.steps[this.position];
      throw new ReplayError(
        `${this.remaining} recorded APDU${this.remaining === 1 ? ' was' : 's were'} never sent to ${this.name}; the next is => ${toHex(next.command)}.`,
      );
    }
  }

  protected async transmitNow(command: Uint8Array): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    const step = this.transcript.steps[this.position];
    if (!step) {
      this.failure = new ReplayError(
        `Unexpected APDU => ${toHex(command)} after the ${this.transcript.steps.length} recorded APDUs of ${this.name}.`,
      );
      throw this.failure;
    }
    if (!equalBytes(step.command, command)) {
      this.failure = new ReplayError(
        `APDU ${this.position + 1} of ${this.name} was => ${toHex(command)} but the transcript expects => ${toHex(step.command)}.`,
      );
      throw this.failure;
    }
    this.position++;
    if (step.response === 'power-lost') {
      throw new CardPowerLost(`The card lost power during APDU ${this.position} of ${this.name} (recorded).`);
    }
    return step.response.slice();
  }

  protected async closeNow(): Promise<void> {
    if (!this.allowLeftover) this.assertDone();
  }
}
