// End to end on the card backend: the flows that apply intermediary instructions (top-up, de-fund, policy,
// lifecycle, PIN unblock) and what they repeat after a failure.

import { expect, it } from 'vitest';
import { encodeSigned } from '../../host/src/codec/signed.ts';
import { topUpCommand } from '../../host/src/codec/commands.ts';
import { equalBytes } from '../../host/src/codec/hex.ts';
import { verifyInstruction } from '../../host/src/codec/instructions.ts';
import { verifyDefundConfirmation } from '../../host/src/codec/messages.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { INS, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import type { ChallengeAnswer } from '../../host/src/codec/responses.ts';
import { exchangeCommand } from '../../host/src/flows/apdu.ts';
import { getChallenge, pinState, readStatus, selectWallet, verifyPin } from '../../host/src/flows/card.ts';
import { defund, setLifecycle, setPolicy, topUp, unblockPin } from '../../host/src/flows/instructions.ts';
import { createRequest, pay } from '../../host/src/flows/payment.ts';
import { describeWith } from '../support/backend.ts';
import { AnswerLosingTransport, CountingTransport } from '../support/lossy.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';

const network = useWalletNetwork();

describeWith([...WALLET_NETWORK_NEEDS], 'instructions', () => {
  it('top-up: SELECT, GET CHALLENGE, TOP UP; the card logs the order with the intermediary signature', async () => {
    const { user } = await network.cards({ user: 'USER' });
    const counting = new CountingTransport(user.transport);
    const order = user.intermediary.topUpOrder(250_00);
    const applied = await topUp(counting, order);
    expect(counting.instructions).toEqual([INS.SELECT, INS.GET_CHALLENGE, INS.TOP_UP]);
    expect(applied).toBe(order.signed[0]);
    expect(applied!.value).toMatchObject({ kind: 'TOP_UP', orderSeq: 0, amount: 250_00, stateCounter: 0 });
    expect(await readStatus(user.transport)).toMatchObject({ balance: 250_00, orderSeq: 1, stateCounter: 1 });
    const { records } = await user.log();
    expect(records).toEqual([{ kind: 'TOP_UP', voided: false, orderSeq: 0, amount: 250_00, challenge: applied!.value.challenge, stateCounter: 0, signature: applied!.signature }]);
  });

  it('a top-up whose answer was lost is retried and credits the card once; its instruction never applies again', async () => {
    const { user } = await network.cards({ user: 'USER' });
    const lossy = new AnswerLosingTransport(user.transport, INS.TOP_UP);
    const order = user.intermediary.topUpOrder(100_00);
    // The card applied the order, the answer was lost; the flow starts again, the order counter has moved on, the
    // intermediary sees its order applied and signs nothing more.
    expect(await topUp(lossy, order)).toBeUndefined();
    expect(lossy.lost).toBe(1);
    expect(order.signed.length).toBe(1);
    expect(await readStatus(user.transport)).toMatchObject({ balance: 100_00, orderSeq: 1 });
    // Replaying the applied instruction: its challenge was used.
    await getChallenge(user.transport);
    const replay = await exchangeCommand(user.transport, topUpCommand(order.signed[0]));
    expect(replay.sw).toBe(SW.STALE_CHALLENGE);
    expect(await readStatus(user.transport)).toMatchObject({ balance: 100_00 });
  });

  it('a top-up for a stale challenge (9C14) is signed again for a fresh one', async () => {
    const { user } = await network.cards({ user: 'USER' });
    const order = user.intermediary.topUpOrder(10_00);
    let interfered = false;
    const meddling = {
      async sign(challenge: ChallengeAnswer) {
        const signed = await order.sign(challenge);
        // Someone else asks the card for a challenge in between: the first instruction is stale.
        if (!interfered) {
          interfered = true;
          await getChallenge(user.transport);
        }
        return signed;
      },
    };
    expect(await topUp(user.transport, meddling)).toBe(order.signed[1]);
    expect(order.signed.map((s) => s.value.orderSeq)).toEqual([0, 0]);
    expect(equalBytes(order.signed[0].value.challenge, order.signed[1].value.challenge)).toBe(false);
    expect(await readStatus(user.transport)).toMatchObject({ balance: 10_00, orderSeq: 1 });
  });

  it('a top-up above the maximum balance is refused with 9C04, at once (not retried)', async () => {
    const { user } = await network.cards({ user: 'USER' });
    const counting = new CountingTransport(user.transport);
    await expect(topUp(counting, user.intermediary.topUpOrder(DEFAULT_POLICIES.USER.maxBalance + 1))).rejects.toMatchObject({ sw: SW.BALANCE_LIMIT });
    expect(counting.instructions.filter((i) => i === INS.TOP_UP).length).toBe(1);
    expect(await readStatus(user.transport)).toMatchObject({ balance: 0, orderSeq: 0, stateCounter: 0 });
  });

  it('de-fund: the card confirms the debit with its own signature, which the intermediary takes', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 200_00 } });
    const order = user.intermediary.defundOrder(150_00);
    const confirmation = await defund(user.transport, order, { pin: user.pin });
    expect(confirmation).toBeDefined();
    expect(verifyDefundConfirmation(confirmation!, user.publicKey)).toBe(true);
    expect(confirmation!.value).toMatchObject({ orderSeq: 1, amount: 150_00, balance: 50_00, stateCounter: 2 });
    expect(order.confirmations).toEqual([confirmation]);
    const { records } = await user.log();
    expect(records.map((r) => r.kind)).toEqual(['TOP_UP', 'DEFUND']);
    const defundRecord = records[1];
    if (defundRecord.kind !== 'DEFUND') throw new Error('unreachable');
    expect(defundRecord.signature).toEqual(order.signed[0].signature);
    expect(verifyInstruction(order.signed[0], user.intermediary.publicKey)).toBe(true);
  });

  it('a de-fund whose confirmation was lost debits the card once; the DEFUND record is the proof', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 80_00 } });
    const lossy = new AnswerLosingTransport(user.transport, INS.DEFUND);
    const order = user.intermediary.defundOrder(30_00);
    expect(await defund(lossy, order, { pin: user.pin })).toBeUndefined();
    expect(lossy.lost).toBe(1);
    expect(order.confirmations).toEqual([]);
    expect(await readStatus(user.transport)).toMatchObject({ balance: 50_00, orderSeq: 2 });
    const { records } = await user.log();
    expect(records.at(-1)).toMatchObject({ kind: 'DEFUND', orderSeq: 1, amount: 30_00, signature: order.signed[0].signature });
  });

  it('de-fund needs the PIN (6982) and a log without payments (9C18)', async () => {
    const { user, other } = await network.cards({ user: { role: 'USER', balance: 50_00 }, other: 'USER' });
    await selectWallet(user.transport);
    const challenge = await getChallenge(user.transport);
    const unverified = await exchangeCommand(user.transport, {
      cla: 0x80, ins: INS.DEFUND, p1: 0, p2: 0, ne: 256,
      data: encodeSigned(user.intermediary.instructionFor(challenge, 'DEFUND', { orderSeq: challenge.orderSeq, amount: 1_00 })),
    });
    expect(unverified.sw).toBe(SW.SECURITY_STATUS_NOT_SATISFIED);

    await other.select();
    const request = await createRequest(other.transport, 5_00, new Uint8Array(8));
    await selectWallet(user.transport);
    await verifyPin(user.transport, user.pin);
    await pay(user.transport, request);
    await expect(defund(user.transport, user.intermediary.defundOrder(10_00), { pin: user.pin })).rejects.toMatchObject({ sw: SW.UNSYNCED_RECORDS });
    await user.sync();
    expect(await defund(user.transport, user.intermediary.defundOrder(10_00), { pin: user.pin })).toBeDefined();
    expect(await readStatus(user.transport)).toMatchObject({ balance: 35_00 });
  });

  it('set policy: a newer version replaces the policy; the same version again is refused (9C19)', async () => {
    const { user } = await network.cards({ user: 'USER' });
    const policy = { ...DEFAULT_POLICIES.USER, version: 3, maxPayments: 2, maxBalance: 1_000_00 };
    expect(await setPolicy(user.transport, user.intermediary.policyUpdate(policy))).toBeDefined();
    expect((await readStatus(user.transport)).policy).toEqual(policy);
    await expect(setPolicy(user.transport, user.intermediary.policyUpdate({ ...policy, maxPayments: 3 }))).rejects.toMatchObject({ sw: SW.POLICY_NOT_NEWER });
    await expect(setPolicy(user.transport, user.intermediary.policyUpdate({ ...policy, version: 4, maxPayments: 20 }))).rejects.toMatchObject({ sw: SW.POLICY_INVALID });
    expect((await readStatus(user.transport)).policy).toEqual(policy);
  });

  it('set lifecycle: a blocked card refuses payments (9C20) but synchronises; it can be unblocked and terminated', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 10_00 } });
    await setLifecycle(user.transport, user.intermediary.lifecycleChange('BLOCKED'));
    expect((await readStatus(user.transport)).state).toBe(STATE.BLOCKED);
    await expect(createRequest(user.transport, 1_00, new Uint8Array(8))).rejects.toMatchObject({ sw: SW.CARD_BLOCKED });
    const sync = await user.sync();
    expect(sync.report.value.state).toBe(STATE.BLOCKED);
    await setLifecycle(user.transport, user.intermediary.lifecycleChange('ACTIVE'));
    expect((await readStatus(user.transport)).state).toBe(STATE.ACTIVE);
    await setLifecycle(user.transport, user.intermediary.lifecycleChange('TERMINATED'));
    expect((await readStatus(user.transport)).state).toBe(STATE.TERMINATED);
    // A terminated card only reports: GET CHALLENGE is refused, so no instruction can be applied.
    await expect(setLifecycle(user.transport, user.intermediary.lifecycleChange('ACTIVE'))).rejects.toMatchObject({ sw: SW.CARD_TERMINATED });
    const log = await user.log();
    expect(log.report.value.state).toBe(STATE.TERMINATED);
  });

  it('PIN: three wrong PINs block it (63C2, 63C1, 6983); a signed unblock sets a new one', async () => {
    const { user } = await network.cards({ user: 'USER' });
    await user.select();
    await expect(verifyPin(user.transport, '0000')).rejects.toMatchObject({ sw: 0x63c2, triesLeft: 2 });
    await expect(verifyPin(user.transport, '0000')).rejects.toMatchObject({ sw: 0x63c1, triesLeft: 1 });
    await expect(verifyPin(user.transport, '0000')).rejects.toMatchObject({ sw: SW.PIN_BLOCKED });
    expect(await pinState(user.transport)).toEqual({ validated: false, triesLeft: 0, blocked: true });
    await expect(verifyPin(user.transport, user.pin)).rejects.toMatchObject({ sw: SW.PIN_BLOCKED });
    await unblockPin(user.transport, user.intermediary.pinUnblock(), '86420');
    expect(await pinState(user.transport)).toEqual({ validated: false, triesLeft: 3, blocked: false });
    await expect(verifyPin(user.transport, user.pin)).rejects.toMatchObject({ sw: 0x63c2 });
    await verifyPin(user.transport, '86420');
    expect(await pinState(user.transport)).toEqual({ validated: true, triesLeft: undefined, blocked: false });
  });
});
