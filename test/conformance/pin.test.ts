// VERIFY PIN, CHANGE PIN, UNBLOCK PIN (docs/PROTOCOL.md section 6, "VERIFY PIN, CHANGE PIN, UNBLOCK PIN"). A wrong PIN
// is the one refusal that changes the card (the try counter, by design of OwnerPIN): those tests check the exact
// state after, the others that nothing changed.

import { expect, it } from 'vitest';
import { changePinCommand, getStatusCommand, unblockPinCommand, verifyPinCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { LIMIT, SW } from '../../host/src/codec/protocol-constants.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { type ConfCard, CONFORMANCE_NEEDS, expectRefusal, expectStateChange, expectSw, useConformance } from './harness.ts';

const suite = useConformance();
const ascii = (s: string) => new TextEncoder().encode(s);
const sw = async (card: ConfCard, p: Promise<{ sw: number }>) => swHex((await p).sw);

async function wrongPins(card: ConfCard, n: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < n; i++) answers.push(await sw(card, card.send(verifyPinCommand('0000'))));
  return answers;
}

describeWith([...CONFORMANCE_NEEDS], 'VERIFY PIN', () => {
  it('the right PIN answers 9000 and validates the PIN: VERIFY without data then answers 9000', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    expect(await sw(user, user.send(verifyPinCommand(user.pin)))).toBe('9000');
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('9000');
  });

  it('without data before any verification answers 63C3 and costs no try', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.send(verifyPinCommand()), 0x63c3, { prepare: () => user.select().then(() => undefined) });
  });

  it('a wrong PIN answers 63C2, takes exactly one try and validates nothing', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const before = await user.snapshot();
    await user.select();
    expect(await wrongPins(user, 1)).toEqual(['63C2']);
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('63C2');
    expectStateChange(before, await user.snapshot(), { pinTries: 2 });
  });

  it('three wrong PINs answer 63C2, 63C1, then 6983 (the last try); the right PIN is then refused 6983', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const before = await user.snapshot();
    expect(await wrongPins(user, 3)).toEqual(['63C2', '63C1', '6983']);
    expect(await sw(user, user.send(verifyPinCommand(user.pin)))).toBe('6983');
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('6983');
    expectStateChange(before, await user.snapshot(), { pinTries: 0 });
  });

  it('the right PIN after two wrong ones gives the tries back', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const before = await user.snapshot();
    expect(await wrongPins(user, 2)).toEqual(['63C2', '63C1']);
    expect(await sw(user, user.send(verifyPinCommand(user.pin)))).toBe('9000');
    expect(await user.snapshot()).toEqual(before);
  });

  it('a PIN with a letter answers 6A80 and costs no try', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.send(verifyPinCommand(ascii('12a4'))), SW.WRONG_DATA);
  });

  it('a PIN of spaces and one of bytes above 0x7F answer 6A80 and cost no try', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.send(verifyPinCommand(ascii('    '))), SW.WRONG_DATA);
    await expectRefusal(user, () => user.send(verifyPinCommand(Uint8Array.of(0xb1, 0xb2, 0xb3, 0xb4))), SW.WRONG_DATA);
  });

  it('a right PIN of 8 digits is accepted (the longest)', async () => {
    const user = await suite.card('user8', { role: 'USER', pin: '12345678' });
    expect(await sw(user, user.send(verifyPinCommand('1234567')))).toBe('63C2');
    expect(await sw(user, user.send(verifyPinCommand('12345678')))).toBe('9000');
  });

  it('answers on a terminated card', async () => {
    const card = await suite.card('terminated', { role: 'USER', balance: 100_00, lifecycle: 'TERMINATED' });
    expect(await sw(card, card.send(verifyPinCommand(card.pin)))).toBe('9000');
  });

  itWith(['canPowerCycle'], 'the validation ends with a power cycle', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await user.verifyPin();
    await user.guard.powerOff();
    await user.guard.powerOn();
    await user.select();
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('63C3');
  });
});

describeWith([...CONFORMANCE_NEEDS], 'CHANGE PIN', () => {
  it('sets the new PIN and ends the validation; the old PIN is then wrong', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    const before = await user.snapshot();
    expect(await sw(user, user.send(changePinCommand('5678')))).toBe('9000');
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('63C3');
    expect(await sw(user, user.send(verifyPinCommand(user.pin)))).toBe('63C2');
    expect(await sw(user, user.send(verifyPinCommand('5678')))).toBe('9000');
    user.pinNow = '5678';
    // Nothing else changed (the state counter counts money, log, policy and lifecycle only).
    expect(await user.snapshot()).toEqual(before);
  });

  it('a new PIN with a letter answers 6A80 and the old PIN stays', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    await expectRefusal(user, () => user.send(changePinCommand(ascii('56x8'))), SW.WRONG_DATA);
  });

  it('works on a blocked card', async () => {
    const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
    await card.verifyPin();
    expect(await sw(card, card.send(changePinCommand('87654321')))).toBe('9000');
    expect(await sw(card, card.send(verifyPinCommand('87654321')))).toBe('9000');
  });
});

describeWith([...CONFORMANCE_NEEDS], 'UNBLOCK PIN', () => {
  async function blockedPin(): Promise<ConfCard> {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    expect(await wrongPins(user, 3)).toEqual(['63C2', '63C1', '6983']);
    return user;
  }

  it('sets the new PIN and three tries on a blocked PIN, without validating it; nothing else changes', async () => {
    const user = await blockedPin();
    const before = await user.snapshot();
    const challenge = await user.challenge();
    const instruction = user.instruction(challenge, 'UNBLOCK_PIN', {});
    expect(await sw(user, user.send(unblockPinCommand(instruction, '4321')))).toBe('9000');
    expect(await sw(user, user.send(verifyPinCommand()))).toBe('63C3');
    expect(await sw(user, user.send(verifyPinCommand(user.pin)))).toBe('63C2');
    expect(await sw(user, user.send(verifyPinCommand('4321')))).toBe('9000');
    user.pinNow = '4321';
    const after = await user.snapshot();
    expectStateChange(before, after, { pinTries: LIMIT.PIN_TRIES });
    // The instruction used the challenge.
    expect(await sw(user, user.send(unblockPinCommand(instruction, '4321')))).toBe('9C14');
  });

  it('takes a new PIN of 8 digits (102 bytes of data)', async () => {
    const user = await blockedPin();
    const challenge = await user.challenge();
    expect(await sw(user, user.send(unblockPinCommand(user.instruction(challenge, 'UNBLOCK_PIN', {}), '87654321')))).toBe('9000');
    expect(await sw(user, user.send(verifyPinCommand('87654321')))).toBe('9000');
  });

  it('also resets a PIN that is not blocked', async () => {
    const user = await suite.card('user', { role: 'USER', balance: 100_00 });
    expect(await wrongPins(user, 1)).toEqual(['63C2']);
    const challenge = await user.challenge();
    expect(await sw(user, user.send(unblockPinCommand(user.instruction(challenge, 'UNBLOCK_PIN', {}), '2468')))).toBe('9000');
    const status = await user.send(getStatusCommand());
    expect(status.data[48]).toBe(LIMIT.PIN_TRIES);
  });

  it('works on a blocked card', async () => {
    const card = await suite.card('blocked', { role: 'USER', balance: 100_00, lifecycle: 'BLOCKED' });
    expect(await wrongPins(card, 3)).toEqual(['63C2', '63C1', '6983']);
    const challenge = await card.challenge();
    expectSw(await card.send(unblockPinCommand(card.instruction(challenge, 'UNBLOCK_PIN', {}), '1357')), SW.OK, 'UNBLOCK PIN');
    expect(await sw(card, card.send(verifyPinCommand('1357')))).toBe('9000');
  });

  it('a new PIN of 3 digits answers 6700 (the data is 97 bytes), the PIN stays blocked', async () => {
    const user = await blockedPin();
    const challenge = await user.challenge();
    await expectRefusal(user, () => user.send(unblockPinCommand(user.instruction(challenge, 'UNBLOCK_PIN', {}), ascii('123'))), SW.WRONG_LENGTH, { challenge });
  });
});
