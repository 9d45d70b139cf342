// The two error classes of the wallet codec.
//
// CodecError: a value could not be encoded or a byte string is not a valid protocol structure. The message is one
// sentence naming the field ("transaction.amount must be 1 to 2147483647, got 0."), and `field` holds that name,
// so a caller (or a test) can tell which check failed without parsing the message.
//
// CardError: the card answered a status word other than 9000. It carries the status word, its name from
// protocol/constants.json (`INSUFFICIENT_FUNDS`) and the one-sentence documentation of that name, so that the CLI
// can print a reason and a test can assert the exact refusal.

import protocol from '../../../protocol/constants.json' with { type: 'json' };
import { SW } from './protocol-constants.ts';

export class CodecError extends Error {
  override name = 'CodecError';
  /** The field that failed, as "structure.field" ("cardCertificate.role"). */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/** Name and documentation of a status word, from protocol/constants.json. */
export interface StatusWordInfo {
  sw: number;
  /** The constant's name (`INSUFFICIENT_FUNDS`), `PIN_TRIES_BASE` for every 63Cx, undefined when the protocol does not define it. */
  name: string | undefined;
  /** The documentation sentence of the constant, or a generic sentence for a status word the protocol does not define. */
  doc: string;
  /** For 63Cx: the PIN tries left. */
  triesLeft?: number;
}

const SW_DOCS = new Map<number, { name: string; doc: string }>();
{
  const group = protocol.groups.find((g) => g.name === 'SW');
  const docs = new Map<string, string>((group?.entries ?? []).map((e) => [e.name, e.doc]));
  for (const [name, value] of Object.entries(SW)) {
    SW_DOCS.set(value, { name, doc: docs.get(name) ?? name });
  }
}

/** "9000", "9C01". */
export function swHex(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** What the protocol says about status word `sw`. */
export function statusWordInfo(sw: number): StatusWordInfo {
  const known = SW_DOCS.get(sw);
  if (known) return { sw, name: known.name, doc: known.doc };
  if ((sw & 0xfff0) === SW.PIN_TRIES_BASE) {
    const base = SW_DOCS.get(SW.PIN_TRIES_BASE)!;
    return { sw, name: base.name, doc: base.doc, triesLeft: sw & 0x0f };
  }
  if (sw >> 8 === 0x6c) return { sw, name: undefined, doc: `Wrong Le: ${sw & 0xff || 256} bytes are available.` };
  if (sw >> 8 === 0x61) return { sw, name: undefined, doc: `${sw & 0xff || 256} response bytes are still available.` };
  if (sw === 0x6f00) return { sw, name: undefined, doc: 'The card failed without a precise diagnosis (an uncaught exception on card).' };
  return { sw, name: undefined, doc: 'A status word the wallet protocol does not define.' };
}

/** The card refused a command: any status word but 9000. */
export class CardError extends Error {
  override name = 'CardError';
  readonly sw: number;
  /** The status word's name in protocol/constants.json, or undefined for a status word the protocol does not define. */
  readonly swName: string | undefined;
  /** The documentation sentence of the status word. */
  readonly doc: string;
  /** The command that was refused ("PAY"), when known. */
  readonly command: string | undefined;
  /** PIN tries left, for 63Cx. */
  readonly triesLeft: number | undefined;

  constructor(sw: number, command?: string, options?: { cause?: unknown }) {
    const info = statusWordInfo(sw);
    const who = command ? `${command} refused` : 'The card refused the command';
    super(`${who}: ${swHex(sw)}${info.name ? ` ${info.name}` : ''}: ${info.doc}`, options);
    this.sw = sw;
    this.swName = info.name;
    this.doc = info.doc;
    this.command = command;
    this.triesLeft = info.triesLeft;
  }
}

/** True when `error` is a CardError with status word `sw` (or one of `sws`). */
export function isCardError(error: unknown, ...sws: number[]): error is CardError {
  return error instanceof CardError && (sws.length === 0 || sws.includes(error.sw));
}
