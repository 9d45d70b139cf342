// SET POLICY and SET LIFECYCLE (docs/PROTOCOL.md section 6): the policy's version and validity, the lifecycle's
// transitions, and what each state still allows.

import { describe, expect, it } from 'vitest';
import { setLifecycleCommand, setPolicyCommand } from '../../host/src/codec/commands.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { DEFAULT_POLICIES, type Policy } from '../../host/src/codec/policy.ts';
import { LIMIT, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { describeWith } from '../support/backend.ts';
import { transferBetween } from './payments.ts';
import { type ConfCard, CONFORMANCE_NEEDS, expectRefusal, expectStateChange, expectSw, type Lifecycle, useConformance } from './harness.ts';

const suite = useConformance();
const user = (lifecycle: Lifecycle = 'ACTIVE') => suite.card(lifecycle === 'ACTIVE' ? 'user' : lifecycle.toLowerCase(), { role: 'USER', balance: 100_00, lifecycle });

async function policyCommand(card: ConfCard, policy: Policy) {
  const c = await card.challenge();
  return { c, command: setPolicyCommand(card.instruction(c, 'POLICY', { policy })) };
}

describeWith([...CONFORMANCE_NEEDS], 'SET POLICY', () => {
  it('replaces the policy, increments the state counter and uses the challenge', async () => {
    const card = await user();
    const before = await card.snapshot();
    const policy: Policy = { ...DEFAULT_POLICIES.USER, version: 1, maxPayments: 2, maxBalance: 500_000, flags: 0 };
    const { command } = await policyCommand(card, policy);
    expectSw(await card.send(command), SW.OK, 'SET POLICY');
    expectStateChange(before, await card.snapshot(), { policy, stateCounter: before.status.stateCounter + 1 });
    expect(swHex((await card.send(command)).sw), 'the same instruction again').toBe('9C14');
  });

  it('accepts a policy at the edge of validity: payments + receipts + 4 open requests + 4 reserved = 32 records', async () => {
    const card = await user();
    const policy: Policy = { ...DEFAULT_POLICIES.USER, version: 1, maxPayments: 12, maxReceivedCount: LIMIT.LOG_CAPACITY - LIMIT.MAX_OPEN_REQUESTS - LIMIT.ORDER_RESERVE - 12 };
    const { command } = await policyCommand(card, policy);
    expectSw(await card.send(command), SW.OK, 'SET POLICY');
  });

  it('accepts amounts of exactly 0x7FFFFFFF', async () => {
    const card = await user();
    const policy: Policy = { ...DEFAULT_POLICIES.USER, version: 1, maxPaymentAmount: 0x7fffffff, maxBalance: 0x7fffffff, maxReceivedAmount: 0x7fffffff };
    expectSw(await card.send((await policyCommand(card, policy)).command), SW.OK, 'SET POLICY');
  });

  it('answers 9C19 for the same version', async () => {
    const card = await user();
    const { c, command } = await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 0, maxPayments: 1 });
    await expectRefusal(card, () => card.send(command), SW.POLICY_NOT_NEWER, { challenge: c });
  });

  it('answers 9C19 for an older version after a newer one applied (an older policy cannot be replayed)', async () => {
    const card = await user();
    expectSw(await card.send((await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 5 })).command), SW.OK, 'SET POLICY 5');
    const { c, command } = await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 4 });
    await expectRefusal(card, () => card.send(command), SW.POLICY_NOT_NEWER, { challenge: c });
  });

  it('compares versions as unsigned 32-bit numbers: 0x80000000 is newer than 5', async () => {
    const card = await user();
    expectSw(await card.send((await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 5 })).command), SW.OK, 'SET POLICY 5');
    expectSw(await card.send((await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 0x80000000 })).command), SW.OK, 'SET POLICY 0x80000000');
  });

  const invalid: [string, Partial<Policy>][] = [
    ['33 records (payments + receipts one too many)', { maxPayments: 13, maxReceivedCount: 12 }],
    ['255 payments', { maxPayments: 255 }],
    ['a largest payment above 0x7FFFFFFF', { maxPaymentAmount: 0x80000000 }],
    ['a largest balance above 0x7FFFFFFF', { maxBalance: 0x80000000 }],
    ['a received amount above 0x7FFFFFFF', { maxReceivedAmount: 0xffffffff }],
  ];
  for (const [what, change] of invalid) {
    it(`answers 9C1A for ${what}`, async () => {
      const card = await user();
      const { c, command } = await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 1, ...change });
      await expectRefusal(card, () => card.send(command), SW.POLICY_INVALID, { challenge: c });
    });
  }

  it('checks the version before the validity: an old invalid policy answers 9C19', async () => {
    const card = await user();
    const { c, command } = await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 0, maxPayments: 200 });
    await expectRefusal(card, () => card.send(command), SW.POLICY_NOT_NEWER, { challenge: c });
  });

  it('works on a blocked card', async () => {
    const card = await user('BLOCKED');
    expectSw(await card.send((await policyCommand(card, { ...DEFAULT_POLICIES.USER, version: 1 })).command), SW.OK, 'SET POLICY');
  });

  it('a policy without SPEND_RECEIVED makes received money unspendable at once (spendable = balance - received)', async () => {
    const { payer, recipient } = await suite.cards({ payer: { role: 'USER', balance: 100_00 }, recipient: { role: 'USER', balance: 50_00 } });
    await transferBetween(payer, recipient, 20_00);
    expect(await recipient.statusNow()).toMatchObject({ balance: 70_00, spendable: 70_00 });
    expectSw(await recipient.send((await policyCommand(recipient, { ...DEFAULT_POLICIES.USER, version: 1, flags: 0 })).command), SW.OK, 'SET POLICY');
    expect(await recipient.statusNow()).toMatchObject({ balance: 70_00, spendable: 50_00 });
  });
});

describeWith([...CONFORMANCE_NEEDS], 'SET LIFECYCLE', () => {
  const transitions: [Lifecycle, Lifecycle][] = [
    ['ACTIVE', 'BLOCKED'],
    ['BLOCKED', 'ACTIVE'],
    ['ACTIVE', 'TERMINATED'],
    ['BLOCKED', 'TERMINATED'],
  ];
  for (const [from, to] of transitions) {
    it(`moves ${from} to ${to}, increments the state counter and uses the challenge`, async () => {
      const card = await user(from);
      const before = await card.snapshot();
      const c = await card.challenge();
      const instruction = card.instruction(c, 'LIFECYCLE', { state: STATE[to] });
      expectSw(await card.send(setLifecycleCommand(instruction)), SW.OK, 'SET LIFECYCLE');
      expectStateChange(before, await card.snapshot(), { state: STATE[to], stateCounter: before.status.stateCounter + 1 }, to === 'TERMINATED' ? { openRequests: 'SW 9C21' } : {});
    });
  }

  const refused: [Lifecycle, number, string][] = [
    ['ACTIVE', STATE.ACTIVE, 'ACTIVE to ACTIVE'],
    ['BLOCKED', STATE.BLOCKED, 'BLOCKED to BLOCKED'],
    ['ACTIVE', STATE.PERSONALISING, 'back to PERSONALISING'],
    ['BLOCKED', STATE.PERSONALISING, 'BLOCKED back to PERSONALISING'],
    ['ACTIVE', 0x00, 'to state 00'],
    ['ACTIVE', 0x05, 'to state 05'],
    ['ACTIVE', 0xff, 'to state FF'],
  ];
  for (const [from, target, what] of refused) {
    it(`answers 6A80 for ${what}`, async () => {
      const card = await user(from);
      const c = await card.challenge();
      await expectRefusal(card, () => card.send(setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: target }))), SW.WRONG_DATA, { challenge: c });
    });
  }

  describe('a blocked card still recovers money', () => {
    it('reports, synchronises, takes a policy and is unblocked; it refuses requests, payments, receipts, top-ups and de-funds', async () => {
      const card = await user('BLOCKED');
      const outcome = await card.sync();
      expect(outcome.report.value.state).toBe(STATE.BLOCKED);
      expect((await card.statusNow()).logCount).toBe(0);
      for (const ins of [0x30, 0x32, 0x34, 0x38, 0x40, 0x42]) {
        expect(swHex((await card.raw(Uint8Array.of(0x80, ins, 0, 0))).sw), `INS ${ins.toString(16)} on a blocked card`).toBe('9C20');
      }
      const c = await card.challenge();
      expectSw(await card.send(setLifecycleCommand(card.instruction(c, 'LIFECYCLE', { state: STATE.ACTIVE }))), SW.OK, 'unblock');
      expect((await card.statusNow()).state).toBe(STATE.ACTIVE);
    });
  });

  it('a terminated card only reports: status, certificates, VERIFY, SYNC REPORT, READ RECORDS', async () => {
    const card = await user('TERMINATED');
    const report = await card.log();
    expect(report.report.value.state).toBe(STATE.TERMINATED);
    expect(report.records.length).toBe(1);
    for (const ins of [0x14, 0x2c, 0x30, 0x32, 0x34, 0x36, 0x38, 0x3a, 0x3c, 0x40, 0x42, 0x54, 0x60, 0x62]) {
      expect(swHex((await card.raw(Uint8Array.of(0x80, ins, 0, 0))).sw), `INS ${ins.toString(16)} on a terminated card`).toBe('9C21');
    }
  });
});
