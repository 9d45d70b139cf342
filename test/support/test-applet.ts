// The runtime test applet (test/applet/README.md) as a small client: one method per command, each returning the
// full response (data and status word) so that tests assert exact status words.

import { concatBytes, fromHex, readU16, u16 } from '../../host/src/codec/hex.ts';
import type { CardTransport } from '../../host/src/transport/card-transport.ts';
import { encodeCommand, type ResponseApdu, transmit } from '../../host/src/transport/iso7816.ts';

export const TEST_APPLET_CLASS = 'ekrona.testapplet.TestApplet';
export const TEST_PACKAGE_AID = fromHex('F000000E4B54');
export const TEST_APPLET_AID = fromHex('F000000E4B5401');
/** A second instance of the same class, for the tests that need two applets. */
export const TEST_APPLET_AID_2 = fromHex('F000000E4B5402');
export const TEST_PIN = Uint8Array.of(0x31, 0x32, 0x33, 0x34);

export const CLA = 0x80;
export const INS = {
  ECHO: 0x01,
  PATTERN: 0x02,
  WRITE: 0x10,
  READ: 0x11,
  TRANSFER: 0x12,
  TRANSIENT_WRITE: 0x20,
  TRANSIENT_READ: 0x21,
  GENERATE_KEY_PAIR: 0x30,
  SIGN: 0x31,
  VERIFY: 0x32,
  DIGEST: 0x33,
  KEY_AGREEMENT: 0x34,
  AES: 0x35,
  RANDOM: 0x36,
  GET_PUBLIC_KEY: 0x37,
  PIN_VERIFY: 0x40,
  PIN_STATUS: 0x41,
  PIN_CHANGE: 0x42,
  THROW: 0x50,
  MEMORY: 0x60,
} as const;

export const WRITE_MODE = {
  DIRECT: 0x00,
  TRANSACTION: 0x01,
  ABORT: 0x02,
  ISO_EXCEPTION: 0x03,
  NULL_POINTER: 0x04,
  NON_ATOMIC_COPY_ABORTED: 0x05,
  ATOMIC_COPY: 0x06,
} as const;

export const THROW_KIND = {
  ISO_EXCEPTION: 0x00,
  NULL_POINTER: 0x01,
  ARRAY_INDEX: 0x02,
  CARD_RUNTIME: 0x03,
  APDU_EXCEPTION: 0x04,
  SYSTEM_EXCEPTION: 0x05,
  ARITHMETIC: 0x06,
  TRANSACTION: 0x07,
  ISO_IN_TRANSACTION: 0x08,
} as const;

/** What READ returns. */
export interface TestState {
  store: Uint8Array;
  counter: number;
  balanceA: number;
  balanceB: number;
}

export function parseState(data: Uint8Array): TestState {
  if (data.length !== 70) throw new Error(`READ must answer 70 bytes, got ${data.length}`);
  return { store: data.slice(0, 64), counter: readU16(data, 64), balanceA: readU16(data, 66), balanceB: readU16(data, 68) };
}

/** The command APDU bytes of a test-applet command (case chosen from data and le). */
export function command(ins: number, p1 = 0, p2 = 0, data?: Uint8Array, le?: number): Uint8Array {
  return encodeCommand({ cla: CLA, ins, p1, p2, ...(data && data.length > 0 ? { data } : {}), ...(le !== undefined ? { le } : {}) });
}

export class TestAppletClient {
  constructor(
    readonly card: CardTransport,
    readonly aid: Uint8Array = TEST_APPLET_AID,
  ) {}

  send(ins: number, p1 = 0, p2 = 0, data?: Uint8Array, le?: number): Promise<ResponseApdu> {
    return transmit(this.card, command(ins, p1, p2, data, le));
  }

  select(aid: Uint8Array = this.aid): Promise<ResponseApdu> {
    return transmit(this.card, encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid }));
  }

  /** ECHO as case 4 with Le `le` (default 256), or as case 3 when `le` is 'none'. */
  echo(data: Uint8Array, le: number | 'none' = 256): Promise<ResponseApdu> {
    return this.send(INS.ECHO, 0, 0, data, le === 'none' ? undefined : le);
  }

  pattern(length: number, le = length): Promise<ResponseApdu> {
    return this.send(INS.PATTERN, 0, length & 0xff, undefined, le);
  }

  write(mode: number, offset: number, bytes: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.WRITE, mode, 0, concatBytes(Uint8Array.of(offset), bytes));
  }

  async read(): Promise<TestState> {
    const r = await this.send(INS.READ, 0, 0, undefined, 256);
    if (r.sw !== 0x9000) throw new Error(`READ answered ${r.sw.toString(16)}`);
    return parseState(r.data);
  }

  transfer(amount: number): Promise<ResponseApdu> {
    return this.send(INS.TRANSFER, 0, 0, u16(amount));
  }

  transientWrite(which: 'reset' | 'deselect', bytes: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.TRANSIENT_WRITE, which === 'reset' ? 0 : 1, 0, bytes);
  }

  async transientRead(): Promise<{ reset: Uint8Array; deselect: Uint8Array }> {
    const r = await this.send(INS.TRANSIENT_READ, 0, 0, undefined, 256);
    if (r.sw !== 0x9000) throw new Error(`TRANSIENT READ answered ${r.sw.toString(16)}`);
    return { reset: r.data.slice(0, 16), deselect: r.data.slice(16, 32) };
  }

  generateKeyPair(): Promise<ResponseApdu> {
    return this.send(INS.GENERATE_KEY_PAIR, 0, 0, undefined, 256);
  }

  sign(message: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.SIGN, 0, 0, message, 256);
  }

  verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.VERIFY, 0, 0, concatBytes(publicKey, Uint8Array.of(signature.length), signature, message), 256);
  }

  digest(message: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.DIGEST, 0, 0, message, 256);
  }

  keyAgreement(publicKey: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.KEY_AGREEMENT, 0, 0, publicKey, 256);
  }

  aes(mode: 'setKey' | 'encrypt' | 'decrypt', data: Uint8Array): Promise<ResponseApdu> {
    const p1 = mode === 'setKey' ? 0 : mode === 'encrypt' ? 1 : 2;
    return this.send(INS.AES, p1, 0, data, mode === 'setKey' ? undefined : 256);
  }

  random(length: number): Promise<ResponseApdu> {
    return this.send(INS.RANDOM, length, 0, undefined, 256);
  }

  getPublicKey(): Promise<ResponseApdu> {
    return this.send(INS.GET_PUBLIC_KEY, 0, 0, undefined, 256);
  }

  pinVerify(pin: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.PIN_VERIFY, 0, 0, pin);
  }

  async pinStatus(): Promise<{ triesRemaining: number; validated: boolean }> {
    const r = await this.send(INS.PIN_STATUS, 0, 0, undefined, 256);
    if (r.sw !== 0x9000) throw new Error(`PIN STATUS answered ${r.sw.toString(16)}`);
    return { triesRemaining: r.data[0], validated: r.data[1] !== 0 };
  }

  pinChange(pin: Uint8Array): Promise<ResponseApdu> {
    return this.send(INS.PIN_CHANGE, 0, 0, pin);
  }

  throwKind(kind: number, sw?: number): Promise<ResponseApdu> {
    return this.send(INS.THROW, kind, 0, sw === undefined ? undefined : u16(sw));
  }

  memory(): Promise<ResponseApdu> {
    return this.send(INS.MEMORY, 0, 0, undefined, 256);
  }
}
