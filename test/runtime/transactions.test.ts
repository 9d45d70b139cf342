// Java Card transactions on our runtime, through the test applet's WRITE, TRANSFER and THROW commands: what a
// commit keeps, what an explicit or implicit abort rolls back, and what non-atomic writes keep.
import { describe, expect, it } from 'vitest';
import { concatBytes, u16 } from '../../host/src/codec/hex.ts';
import { itWith, useCardEnv } from '../support/backend.ts';
import { THROW_KIND, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();

const BEFORE = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const AFTER = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);

/** A card whose store starts with BEFORE, written directly (the counter goes up by one). */
async function cardWithKnownState() {
  const fresh = await env.freshCard({ name: 'tx' });
  const initial = await fresh.applet.read();
  expect((await fresh.applet.write(WRITE_MODE.DIRECT, 0, BEFORE)).sw).toBe(0x9000);
  const state = await fresh.applet.read();
  expect(state.store.slice(0, 16)).toEqual(BEFORE);
  expect(state.counter).toBe((initial.counter + 1) & 0xffff);
  return { ...fresh, state };
}

describe('a fresh test applet', () => {
  itWith(['canCreateCards'], 'starts with an empty store, a zero counter and balances 100 and 0', async () => {
    const { applet } = await env.freshCard({ name: 'initial' });
    expect(await applet.read()).toEqual({ store: new Uint8Array(64), counter: 0, balanceA: 100, balanceB: 0 });
  });
});

describe('writes outside a transaction', () => {
  it('keeps direct stores and the counter increment', async () => {
    const { applet, state: before } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.DIRECT, 8, AFTER)).sw).toBe(0x9000);
    const state = await applet.read();
    expect(state.store.slice(0, 24)).toEqual(concatBytes(BEFORE.subarray(0, 8), AFTER));
    expect(state.counter).toBe((before.counter + 1) & 0xffff);
  });

  it('keeps an atomic Util.arrayCopy made outside a transaction', async () => {
    const { applet } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.ATOMIC_COPY, 0, AFTER)).sw).toBe(0x9000);
    expect((await applet.read()).store.slice(0, 16)).toEqual(AFTER);
  });
});

describe('a committed transaction', () => {
  it('keeps every persistent write made between begin and commit', async () => {
    const { applet, state: before } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.TRANSACTION, 0, AFTER)).sw).toBe(0x9000);
    const state = await applet.read();
    expect(state.store.slice(0, 16)).toEqual(AFTER);
    expect(state.counter).toBe((before.counter + 1) & 0xffff);
  });

  // A physical card's balances run out after a few runs (TRANSFER only moves A to B), so this needs a fresh card.
  itWith(['canCreateCards'], 'moves the amount of a transfer from balanceA to balanceB and logs both balances in the store', async () => {
    const { applet } = await env.freshCard({ name: 'transfer' });
    expect((await applet.transfer(30)).sw).toBe(0x9000);
    const state = await applet.read();
    expect([state.balanceA, state.balanceB]).toEqual([70, 30]);
    expect(state.store.slice(0, 4)).toEqual(concatBytes(u16(70), u16(30)));
  });

  it('refuses a transfer larger than balanceA with 6A84 and changes nothing', async () => {
    const { applet } = await env.freshCard({ name: 'transfer-refused' });
    const before = await applet.read();
    expect((await applet.transfer(before.balanceA + 1)).sw).toBe(0x6a84);
    expect(await applet.read()).toEqual(before);
  });
});

describe('an aborted transaction', () => {
  itWith(['rollsBackTransactions'], 'rolls back every persistent write when the applet calls abortTransaction', async () => {
    const { applet, state } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.ABORT, 0, AFTER)).sw).toBe(0x9000);
    expect(await applet.read()).toEqual(state);
  });

  itWith(['rollsBackTransactions'], 'rolls back every persistent write when an ISOException leaves the command with the transaction open', async () => {
    const { applet, state } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.ISO_EXCEPTION, 0, AFTER)).sw).toBe(0x6a80);
    expect(await applet.read()).toEqual(state);
  });

  itWith(['rollsBackTransactions'], 'rolls back every persistent write and answers 6F00 when a NullPointerException leaves the command with the transaction open', async () => {
    const { applet, state } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.NULL_POINTER, 0, AFTER)).sw).toBe(0x6f00);
    expect(await applet.read()).toEqual(state);
  });

  itWith(['rollsBackTransactions'], 'keeps a Util.arrayCopyNonAtomic made inside the transaction but rolls back the counter', async () => {
    const { applet, state } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.NON_ATOMIC_COPY_ABORTED, 0, AFTER)).sw).toBe(0x9000);
    const after = await applet.read();
    expect(after.store.slice(0, 16)).toEqual(AFTER);
    expect(after.counter).toBe(state.counter);
  });

  itWith(['rollsBackTransactions'], 'passes the status word of an ISOException thrown in a transaction and rolls back its write', async () => {
    const { applet, state } = await cardWithKnownState();
    expect((await applet.throwKind(THROW_KIND.ISO_IN_TRANSACTION, 0x6a88)).sw).toBe(0x6a88);
    expect(await applet.read()).toEqual(state);
  });

  itWith(['rollsBackTransactions'], 'lets the next command open a new transaction after an implicit abort', async () => {
    const { applet } = await cardWithKnownState();
    expect((await applet.write(WRITE_MODE.NULL_POINTER, 0, AFTER)).sw).toBe(0x6f00);
    expect((await applet.write(WRITE_MODE.TRANSACTION, 0, AFTER)).sw).toBe(0x9000);
    expect((await applet.read()).store.slice(0, 16)).toEqual(AFTER);
  });
});
