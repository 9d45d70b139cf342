// End to end on the card backend: synchronisation (SYNC REPORT, READ RECORDS, [I] settle, SYNC APPLY), the records
// checked against the report's digest, and the repetition "from SYNC REPORT" after a failure.

import { expect, it } from 'vitest';
import { INS, LIMIT, SW } from '../../host/src/codec/protocol-constants.ts';
import { exchangeCommand } from '../../host/src/flows/apdu.ts';
import { selectWallet, verifyPin } from '../../host/src/flows/card.ts';
import { FlowError } from '../../host/src/flows/errors.ts';
import type { SyncAuthority, SyncSubmission } from '../../host/src/flows/intermediary.ts';
import { createRequest, pay, receive } from '../../host/src/flows/payment.ts';
import { applySyncResult, readAllRecords, RecordsMismatch, synchronise, syncReport } from '../../host/src/flows/sync.ts';
import { syncApplyCommand } from '../../host/src/codec/commands.ts';
import { describeWith } from '../support/backend.ts';
import { AnswerLosingTransport, CountingTransport } from '../support/lossy.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';

const network = useWalletNetwork();

describeWith([...WALLET_NETWORK_NEEDS], 'synchronisation', () => {
  it('reads every record, two per READ RECORDS, and checks them against the digest', async () => {
    const { user } = await network.cards({ user: 'USER' });
    for (const amount of [1_00, 2_00, 3_00, 4_00, 5_00]) await user.topUp(amount);
    const counting = new CountingTransport(user.transport);
    await selectWallet(counting);
    counting.reset();
    const report = await syncReport(counting, { pin: user.pin });
    const records = await readAllRecords(counting, report);
    expect(counting.instructions).toEqual([INS.VERIFY_PIN, INS.SYNC_REPORT, INS.READ_RECORDS, INS.READ_RECORDS, INS.READ_RECORDS]);
    expect(LIMIT.RECORDS_PER_READ).toBe(2);
    expect(records.map((r) => (r.record.kind === 'TOP_UP' ? r.record.amount : 0))).toEqual([1_00, 2_00, 3_00, 4_00, 5_00]);
    expect(records.map((r) => (r.record.kind === 'TOP_UP' ? r.record.orderSeq : -1))).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses records that do not match the report (RecordsMismatch)', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 10_00 } });
    await selectWallet(user.transport);
    const report = await syncReport(user.transport, { pin: user.pin });
    const digest = report.value.recordsDigest.slice();
    digest[0] ^= 1;
    await expect(readAllRecords(user.transport, { ...report.value, recordsDigest: digest })).rejects.toBeInstanceOf(RecordsMismatch);
    await expect(readAllRecords(user.transport, { ...report.value, recordCount: 2 })).rejects.toThrow(/no record at index 1/);
    expect(new RecordsMismatch('x')).toBeInstanceOf(FlowError);
  });

  it('needs the PIN: SYNC REPORT without it answers 6982', async () => {
    const { user } = await network.cards({ user: 'USER' });
    await selectWallet(user.transport);
    await expect(syncReport(user.transport)).rejects.toMatchObject({ sw: SW.SECURITY_STATUS_NOT_SATISFIED });
  });

  it('a result for a report the card has since replaced is refused (9C14), and leaves the log', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 10_00 } });
    await selectWallet(user.transport);
    await verifyPin(user.transport, user.pin);
    const report = await syncReport(user.transport);
    const records = await readAllRecords(user.transport, report);
    const result = await user.intermediary.settle({ report, records, certificate: user.certificate });
    await syncReport(user.transport); // a new report, a new challenge
    await expect(applySyncResult(user.transport, result)).rejects.toMatchObject({ sw: SW.STALE_CHALLENGE });
    expect((await user.status()).logCount).toBe(1);
  });

  it('repeats from SYNC REPORT when the card changed during the settlement (9C15)', async () => {
    const { alice, bob } = await network.cards({ alice: { role: 'USER', balance: 50_00 }, bob: 'USER' });
    await bob.select();
    const request = await createRequest(bob.transport, 20_00, new Uint8Array(8));
    await alice.select();
    const tx = await pay(alice.transport, request, { pin: alice.pin });

    // Bob's intermediary settles slowly; meanwhile Bob's card receives Alice's payment (state counter + 1).
    const submissions: SyncSubmission[] = [];
    const slow: SyncAuthority = {
      async settle(submission) {
        submissions.push(submission);
        if (submissions.length === 1) await receive(bob.transport, tx, alice.certificate);
        return bob.intermediary.settle(submission);
      },
    };
    const counting = new CountingTransport(bob.transport);
    const outcome = await synchronise(counting, slow, { pin: bob.pin });
    expect(submissions.map((s) => s.records.length)).toEqual([0, 1]);
    expect(outcome.records.map((r) => r.record.kind)).toEqual(['INCOMING']);
    const applies = counting.instructions.filter((i) => i === INS.SYNC_APPLY).length;
    expect(applies).toBe(2);
    await bob.select();
    expect(await bob.status()).toMatchObject({ balance: 20_00, logCount: 0, receivedCount: 0 });
  });

  it('a lost answer to SYNC APPLY is repeated from SYNC REPORT and settles nothing twice', async () => {
    const { alice, bob } = await network.cards({ alice: { role: 'USER', balance: 50_00 }, bob: 'USER' });
    await bob.select();
    const request = await createRequest(bob.transport, 7_00, new Uint8Array(8));
    await alice.select();
    await pay(alice.transport, request, { pin: alice.pin });
    const before = network.register.settled.size;
    const lossy = new AnswerLosingTransport(alice.transport, INS.SYNC_APPLY);
    const outcome = await synchronise(lossy, alice.intermediary, { pin: alice.pin });
    expect(lossy.lost).toBe(1);
    // The card applied the first result: the repeated report is of an empty log.
    expect(outcome.records).toEqual([]);
    expect(outcome.report.value.lastSyncBalance).toBe(43_00);
    expect(network.register.settled.size).toBe(before + 1);
  });

  it('a result with another record count is refused (9C15)', async () => {
    const { user } = await network.cards({ user: { role: 'USER', balance: 10_00 } });
    await selectWallet(user.transport);
    const report = await syncReport(user.transport, { pin: user.pin });
    const forged = user.intermediary.sign({
      kind: 'SYNC_RESULT',
      cardId: user.cardId,
      challenge: report.value.challenge,
      stateCounter: report.value.stateCounter,
      recordCount: report.value.recordCount + 1,
      newBalance: 10_00,
    });
    expect((await exchangeCommand(user.transport, syncApplyCommand(forged))).sw).toBe(SW.STATE_CHANGED);
  });
});
