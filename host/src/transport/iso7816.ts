// ISO/IEC 7816-4 helpers: short command APDUs (cases 1 to 4), response APDUs, status-word texts, and `transmit`,
// which handles the T=0 procedure words 61xx (data waiting: GET RESPONSE) and 6Cxx (wrong Le: resend).
//
// Encoding (short APDUs only):
//   case 1  CLA INS P1 P2                no data, no data expected
//   case 2  CLA INS P1 P2 Le             no data, Le (1..256, 256 written as 00)
//   case 3  CLA INS P1 P2 Lc data        Lc = 1..255 data bytes, no data expected
//   case 4  CLA INS P1 P2 Lc data Le
// An empty data field is absent: there is no Lc = 00 (that would be a malformed case 3).

import { assertByte, assertBytes, assertInteger, concatBytes, fromHex, isBytes, toHex } from '../codec/hex.ts';
import { type CardTransport, type Exchange, TransportError } from './card-transport.ts';

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data, 0..255 bytes; absent or empty means no Lc. */
  data?: Uint8Array;
  /** Expected response length Ne, 1..256 (256 is written 00); absent means no Le. */
  le?: number;
}

export type ApduCase = 1 | 2 | 3 | 4;

export interface DecodedCommand {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number | undefined;
  case: ApduCase;
}

export interface ResponseApdu {
  /** Response data, without the status word. */
  data: Uint8Array;
  /** SW1 SW2 as one number, e.g. 0x9000. */
  sw: number;
  sw1: number;
  sw2: number;
}

/** An ISO 7816 helper was given a value it cannot encode or decode. */
export class ApduError extends TransportError {
  override name = 'ApduError';
}

/** A status word other than the one expected (see `expectSw`). */
export class StatusWordError extends TransportError {
  override name = 'StatusWordError';
  constructor(
    readonly what: string,
    readonly sw: number,
    readonly response: ResponseApdu,
  ) {
    super(`${what} failed with status ${swHex(sw)} (${swText(sw)}).`);
  }
}

function guard<T>(check: () => T): T {
  try {
    return check();
  } catch (cause) {
    throw new ApduError(`Invalid command APDU: ${(cause as Error).message}.`, { cause });
  }
}

/** The ISO 7816-4 case of a command: 1 (nothing), 2 (Le), 3 (data), 4 (data and Le). */
export function apduCase(command: CommandApdu): ApduCase {
  const hasData = command.data !== undefined && command.data.length > 0;
  const hasLe = command.le !== undefined;
  return hasData ? (hasLe ? 4 : 3) : hasLe ? 2 : 1;
}

/** Bytes of a short command APDU. Never writes Lc for cases 1 and 2. */
export function encodeCommand(command: CommandApdu): Uint8Array {
  guard(() => {
    assertByte(command.cla, 'cla');
    assertByte(command.ins, 'ins');
    assertByte(command.p1, 'p1');
    assertByte(command.p2, 'p2');
    if (command.data !== undefined) assertBytes(command.data, 'data');
    if (command.le !== undefined) {
      if (command.le === 0) throw new RangeError('le must be 1 to 256 (256 is written 00); omit le when no data is expected');
      assertInteger(command.le, 'le', 1, 256);
    }
  });
  const data = command.data ?? new Uint8Array(0);
  if (data.length > 255) {
    throw new ApduError(`Invalid command APDU: data must be at most 255 bytes in a short APDU, got ${data.length}.`);
  }
  const header = [command.cla, command.ins, command.p1, command.p2];
  const lc = data.length > 0 ? [data.length] : [];
  const le = command.le !== undefined ? [command.le & 0xff] : [];
  return concatBytes(Uint8Array.from([...header, ...lc]), data, Uint8Array.from(le));
}

/** Parses the bytes of a short command APDU (the inverse of `encodeCommand`). */
export function decodeCommand(bytes: Uint8Array): DecodedCommand {
  guard(() => assertBytes(bytes, 'command'));
  if (bytes.length < 4) throw new ApduError(`Invalid command APDU: it has ${bytes.length} bytes, fewer than the 4 of a header.`);
  const [cla, ins, p1, p2] = bytes;
  const body = bytes.subarray(4);
  if (body.length === 0) return { cla, ins, p1, p2, data: new Uint8Array(0), le: undefined, case: 1 };
  if (body.length === 1) return { cla, ins, p1, p2, data: new Uint8Array(0), le: body[0] || 256, case: 2 };
  const lc = body[0];
  if (lc === 0) {
    throw new ApduError(`Invalid command APDU: Lc is 00 with ${body.length - 1} more bytes (extended APDUs are not supported).`);
  }
  if (body.length === 1 + lc) return { cla, ins, p1, p2, data: body.slice(1), le: undefined, case: 3 };
  if (body.length === 2 + lc) return { cla, ins, p1, p2, data: body.slice(1, 1 + lc), le: body[1 + lc] || 256, case: 4 };
  throw new ApduError(`Invalid command APDU: Lc says ${lc} data bytes but ${body.length - 1} bytes follow it.`);
}

/** Splits a response APDU into data and status word. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  guard(() => assertBytes(bytes, 'response'));
  if (bytes.length < 2) {
    throw new ApduError(`Invalid response APDU: it has ${bytes.length} bytes, fewer than the 2 of a status word.`);
  }
  const sw1 = bytes[bytes.length - 2];
  const sw2 = bytes[bytes.length - 1];
  return { data: bytes.slice(0, bytes.length - 2), sw: (sw1 << 8) | sw2, sw1, sw2 };
}

/** Bytes of a response APDU. */
export function encodeResponse(data: Uint8Array, sw: number): Uint8Array {
  guard(() => {
    assertBytes(data, 'data');
    assertInteger(sw, 'sw', 0, 0xffff);
  });
  return concatBytes(data, Uint8Array.of(sw >> 8, sw & 0xff));
}

/** "9000", "6A82"... */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

const SW_TEXTS: Record<number, string> = {
  0x9000: 'success',
  0x6200: 'warning, state of non-volatile memory unchanged',
  0x6281: 'part of returned data may be corrupted',
  0x6282: 'end of file or record reached before reading Ne bytes',
  0x6283: 'selected file deactivated',
  0x6284: 'file control information not formatted according to ISO 7816-4',
  0x6285: 'selected file in termination state',
  0x6286: 'no input data available from a sensor on the card',
  0x6300: 'warning, state of non-volatile memory changed',
  0x6381: 'file filled up by the last write',
  0x6400: 'execution error, state of non-volatile memory unchanged',
  0x6401: 'immediate response required by the card',
  0x6500: 'execution error, state of non-volatile memory changed',
  0x6581: 'memory failure',
  0x6700: 'wrong length',
  0x6800: 'functions in CLA not supported',
  0x6881: 'logical channel not supported',
  0x6882: 'secure messaging not supported',
  0x6883: 'last command of the chain expected',
  0x6884: 'command chaining not supported',
  0x6900: 'command not allowed',
  0x6981: 'command incompatible with file structure',
  0x6982: 'security status not satisfied',
  0x6983: 'authentication method blocked',
  0x6984: 'reference data not usable',
  0x6985: 'conditions of use not satisfied',
  0x6986: 'command not allowed (no current EF)',
  0x6987: 'expected secure messaging data objects missing',
  0x6988: 'incorrect secure messaging data objects',
  0x6999: 'applet selection failed',
  0x6a00: 'wrong parameters P1-P2',
  0x6a80: 'incorrect parameters in the command data field',
  0x6a81: 'function not supported',
  0x6a82: 'file or application not found',
  0x6a83: 'record not found',
  0x6a84: 'not enough memory space in the file',
  0x6a85: 'Nc inconsistent with TLV structure',
  0x6a86: 'incorrect parameters P1-P2',
  0x6a87: 'Nc inconsistent with parameters P1-P2',
  0x6a88: 'referenced data or reference data not found',
  0x6a89: 'file already exists',
  0x6a8a: 'DF name already exists',
  0x6b00: 'wrong parameters P1-P2',
  0x6d00: 'instruction code not supported or invalid',
  0x6e00: 'class not supported',
  0x6f00: 'no precise diagnosis',
};

/** A short English text for an ISO 7816-4 status word ("wrong length" for 6700, "3 bytes available" for 6103). */
export function swText(sw: number): string {
  const known = SW_TEXTS[sw];
  if (known !== undefined) return known;
  const sw1 = sw >> 8;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) return `${sw2 || 256} response bytes still available`;
  if (sw1 === 0x6c) return `wrong Le, ${sw2 || 256} bytes available`;
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) return `verification failed, ${sw2 & 0x0f} tries left`;
  if (sw1 === 0x62) return 'warning, state of non-volatile memory unchanged';
  if (sw1 === 0x63) return 'warning, state of non-volatile memory changed';
  if (sw1 === 0x64) return 'execution error, state of non-volatile memory unchanged';
  if (sw1 === 0x65) return 'execution error, state of non-volatile memory changed';
  if (sw1 === 0x66) return 'security-related issue';
  if (sw1 === 0x67) return 'wrong length';
  if (sw1 === 0x68) return 'functions in CLA not supported';
  if (sw1 === 0x69) return 'command not allowed';
  if (sw1 === 0x6a) return 'wrong parameters P1-P2';
  if (sw1 === 0x90) return 'success';
  return 'unknown status word';
}

/** Throws a StatusWordError unless `response` has status `expected` (9000 by default); returns its data. */
export function expectSw(response: ResponseApdu, what: string, expected = 0x9000): Uint8Array {
  if (response.sw !== expected) throw new StatusWordError(what, response.sw, response);
  return response.data;
}

export interface TransmitOptions {
  /** Upper bound on GET RESPONSE and 6Cxx rounds before giving up (default 64). */
  maxRounds?: number;
}

function commandBytes(command: CommandApdu | Uint8Array | string): Uint8Array {
  if (typeof command === 'string') return guard(() => fromHex(command, 'command'));
  if (isBytes(command)) return command;
  return encodeCommand(command);
}

/** `command` with its Le byte replaced (or added) so that it asks for `le` bytes. */
function withLe(command: Uint8Array, le: number): Uint8Array {
  const decoded = decodeCommand(command);
  return encodeCommand({ ...decoded, le });
}

/**
 * Sends `command` and returns the complete response: after `61xx` it sends GET RESPONSE (`00 C0 00 00 xx`) until
 * no more data is announced, concatenating the chunks; after `6Cxx` it sends the same command again with Le = xx.
 * All APDUs of one call go in one transport session, so no other caller's APDU comes between them.
 */
export async function transmit(
  transport: CardTransport,
  command: CommandApdu | Uint8Array | string,
  options: TransmitOptions = {},
): Promise<ResponseApdu> {
  const bytes = commandBytes(command);
  return transport.session((exchange) => transmitWith(exchange, bytes, options));
}

/** `transmit` on an `exchange` function (for use inside a session). */
export async function transmitWith(
  exchange: Exchange,
  command: CommandApdu | Uint8Array | string,
  options: TransmitOptions = {},
): Promise<ResponseApdu> {
  const maxRounds = options.maxRounds ?? 64;
  let next = commandBytes(command);
  const chunks: Uint8Array[] = [];
  for (let round = 0; round <= maxRounds; round++) {
    const response = parseResponse(await exchange(next));
    if (response.sw1 === 0x6c) {
      // Wrong Le: the same command again, asking for exactly the bytes available. Data already gathered (from
      // GET RESPONSE rounds) is kept: 6Cxx can also answer a GET RESPONSE with the wrong length.
      next = withLe(next, response.sw2 || 256);
      continue;
    }
    chunks.push(response.data);
    if (response.sw1 === 0x61) {
      next = Uint8Array.of(0x00, 0xc0, 0x00, 0x00, response.sw2);
      continue;
    }
    const data = concatBytes(...chunks);
    return { data, sw: response.sw, sw1: response.sw1, sw2: response.sw2 };
  }
  throw new TransportError(
    `The card kept answering 61xx or 6Cxx after ${maxRounds} rounds; giving up on command ${toHex(commandBytes(command)).slice(0, 16)}...`,
  );
}
