// How exceptions leaving `process` become status words, and how the test applet answers malformed commands.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../host/src/codec/hex.ts';
import { transmit } from '../../host/src/transport/iso7816.ts';
import { itWith, useCardEnv } from '../support/backend.ts';
import { command, INS, THROW_KIND, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();

describe('exceptions leaving process', () => {
  for (const sw of [0x6a88, 0x6985, 0x6300, 0x63c5, 0x6f01]) {
    it(`passes the status word ${sw.toString(16).toUpperCase()} of an ISOException through unchanged`, async () => {
      const { applet } = await env.freshCard({ name: 'iso' });
      expect((await applet.throwKind(THROW_KIND.ISO_EXCEPTION, sw)).sw).toBe(sw);
    });
  }

  const unexpected: Array<[string, number]> = [
    ['NullPointerException', THROW_KIND.NULL_POINTER],
    ['ArrayIndexOutOfBoundsException', THROW_KIND.ARRAY_INDEX],
    ['CardRuntimeException', THROW_KIND.CARD_RUNTIME],
    ['APDUException', THROW_KIND.APDU_EXCEPTION],
    ['SystemException', THROW_KIND.SYSTEM_EXCEPTION],
    ['ArithmeticException', THROW_KIND.ARITHMETIC],
    ['TransactionException', THROW_KIND.TRANSACTION],
  ];
  for (const [name, kind] of unexpected) {
    it(`answers 6F00 to an uncaught ${name} and keeps working`, async () => {
      const { applet } = await env.freshCard({ name: 'throw' });
      const before = await applet.read();
      expect((await applet.throwKind(kind)).sw).toBe(0x6f00);
      expect(await applet.read()).toEqual(before);
    });
  }

  itWith(['rollsBackTransactions'], 'rolls back the open transaction when a NullPointerException leaves the command (6F00)', async () => {
    const { applet } = await env.freshCard({ name: 'npe-tx' });
    const before = await applet.read();
    expect((await applet.write(WRITE_MODE.NULL_POINTER, 0, Uint8Array.of(1, 2, 3))).sw).toBe(0x6f00);
    expect(await applet.read()).toEqual(before);
  });
});

describe('malformed commands', () => {
  it('answers 6E00 to a class byte other than 80', async () => {
    const { card } = await env.freshCard({ name: 'cla' });
    expect((await transmit(card, fromHex('00110000'))).sw).toBe(0x6e00);
    expect((await transmit(card, fromHex('84110000'))).sw).toBe(0x6e00);
  });

  it('answers 6D00 to an unknown instruction', async () => {
    const { card } = await env.freshCard({ name: 'ins' });
    expect((await transmit(card, command(0xff))).sw).toBe(0x6d00);
    expect((await transmit(card, command(0x03))).sw).toBe(0x6d00);
  });

  it('answers 6A86 to a wrong P1', async () => {
    const { card } = await env.freshCard({ name: 'p1' });
    expect((await transmit(card, command(INS.READ, 0x01, 0, undefined, 256))).sw).toBe(0x6a86);
    expect((await transmit(card, command(INS.WRITE, 0x7f, 0, Uint8Array.of(0, 1)))).sw).toBe(0x6a86);
  });

  it('answers 6700 to a TRANSFER whose amount is not 2 bytes', async () => {
    const { applet } = await env.freshCard({ name: 'len' });
    expect((await applet.send(INS.TRANSFER, 0, 0, Uint8Array.of(0, 0, 1))).sw).toBe(0x6700);
    expect((await applet.send(INS.TRANSFER, 0, 0, Uint8Array.of(1))).sw).toBe(0x6700);
  });

  it('answers 6700 to an AES key that is not 16 bytes and to data that is not a multiple of 16', async () => {
    const { applet } = await env.freshCard({ name: 'aes-len' });
    expect((await applet.aes('setKey', new Uint8Array(15))).sw).toBe(0x6700);
    expect((await applet.aes('setKey', new Uint8Array(16))).sw).toBe(0x9000);
    expect((await applet.aes('encrypt', new Uint8Array(17))).sw).toBe(0x6700);
  });

  it('answers 6700 to data sent to a command that takes none', async () => {
    const { applet } = await env.freshCard({ name: 'data-none' });
    expect((await applet.send(INS.READ, 0, 0, Uint8Array.of(1), 256)).sw).toBe(0x6700);
    expect((await applet.send(INS.PIN_STATUS, 0, 0, Uint8Array.of(1, 2))).sw).toBe(0x6700);
  });

  it('answers 6700 to a WRITE without data and 6A80 to a WRITE past the end of the store', async () => {
    const { applet } = await env.freshCard({ name: 'write-bad' });
    const before = await applet.read();
    expect((await applet.send(INS.WRITE, WRITE_MODE.TRANSACTION)).sw).toBe(0x6700);
    expect((await applet.write(WRITE_MODE.TRANSACTION, 60, Uint8Array.of(1, 2, 3, 4, 5))).sw).toBe(0x6a80);
    expect(await applet.read()).toEqual(before);
  });

  it('answers 6A80 to a TRANSFER of a negative amount and changes nothing', async () => {
    const { applet } = await env.freshCard({ name: 'transfer-negative' });
    const before = await applet.read();
    expect((await applet.transfer(0xfff6)).sw).toBe(0x6a80);
    expect(await applet.read()).toEqual(before);
  });

  it('answers 6A86 to RANDOM of 0 bytes', async () => {
    const { applet } = await env.freshCard({ name: 'random-0' });
    expect((await applet.random(0)).sw).toBe(0x6a86);
  });

  it('answers 6700 to a TRANSIENT WRITE of more than 16 bytes', async () => {
    const { applet } = await env.freshCard({ name: 'tw-len' });
    expect((await applet.transientWrite('reset', new Uint8Array(17))).sw).toBe(0x6700);
  });
});
