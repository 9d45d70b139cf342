// End to end on the card backend: card-to-card payments between USER cards (recipient: CREATE REQUEST; payer:
// SELECT, VERIFY PIN, PAY; recipient: SELECT, RECEIVE), top-ups first, syncs after, and declines.

import { expect, it } from 'vitest';
import { CardError } from '../../host/src/codec/errors.ts';
import { equalBytes } from '../../host/src/codec/hex.ts';
import { SW } from '../../host/src/codec/protocol-constants.ts';
import { balanceFromRecords, recordDecline } from '../../host/src/codec/records.ts';
import { transactionId, verifyDecline, verifyReport, verifyTransaction } from '../../host/src/codec/messages.ts';
import { selectWallet, verifyPin } from '../../host/src/flows/card.ts';
import { applyDecline, createRequest, decline, pay, receive, resendLast } from '../../host/src/flows/payment.ts';
import { describeWith } from '../support/backend.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS, type WalletCard } from '../support/wallet-network.ts';

const network = useWalletNetwork();
const ref = (text: string) => new TextEncoder().encode(text.padEnd(8, ' ').slice(0, 8));

/** The card-to-card flow of PROTOCOL.md section 7, step by step. */
async function transfer(payer: WalletCard, recipient: WalletCard, amount: number, reference = ref('GIFT')) {
  await recipient.select();
  const request = await createRequest(recipient.transport, amount, reference);
  const selected = await selectWallet(payer.transport);
  await verifyPin(payer.transport, payer.pin);
  const transaction = await pay(payer.transport, request, { intermediaryCertificate: network });
  await selectWallet(recipient.transport);
  await receive(recipient.transport, transaction, selected.certificate!, { intermediaryCertificate: network });
  return { request, transaction };
}

describeWith([...WALLET_NETWORK_NEEDS], 'card to card', () => {
  it('a USER card pays a USER card after a top-up; the sync of each settles the payment once', async () => {
    const { alice, bob } = await network.cards({ alice: 'USER', bob: 'USER' });
    expect(await alice.topUp(500_00)).toBeDefined();
    await alice.select();
    expect(await alice.status()).toMatchObject({ balance: 500_00, orderSeq: 1, stateCounter: 1, logCount: 1 });

    const { request, transaction } = await transfer(alice, bob, 75_25);
    expect(verifyTransaction(transaction, alice.publicKey)).toBe(true);
    expect(equalBytes(transaction.value.recipientId, bob.cardId)).toBe(true);
    expect(transaction.value.requestNo).toBe(request.request.value.requestNo);

    await alice.select();
    expect(await alice.status()).toMatchObject({ balance: 424_75, payments: 1 });
    await bob.select();
    // USER cards may spend what they receive: all of it is spendable.
    expect(await bob.status()).toMatchObject({ balance: 75_25, spendable: 75_25, receivedCount: 1, receivedAmount: 75_25 });

    // Both logs explain their balances from the last sync balance.
    for (const card of [alice, bob]) {
      const { report, records } = await card.log();
      expect(verifyReport(report, card.publicKey)).toBe(true);
      expect(balanceFromRecords(report.value.lastSyncBalance, records)).toBe(report.value.balance);
    }

    // Bob syncs first and settles it; Alice's sync finds it settled.
    const bobSync = await bob.sync();
    expect(bobSync.records.map((r) => r.record.kind)).toEqual(['INCOMING']);
    expect(network.intermediary('A').syncs.at(-1)!.settledNow.map(transactionId)).toEqual([transactionId(transaction.value)]);
    const aliceSync = await alice.sync();
    expect(aliceSync.records.map((r) => r.record.kind)).toEqual(['TOP_UP', 'OUTGOING']);
    expect(network.intermediary('A').syncs.at(-1)!.settledNow).toEqual([]);

    // Bob spends what he received, to Alice: a second transaction id, Bob's first.
    const back = await transfer(bob, alice, 25_25, ref('BACK'));
    expect(back.transaction.value.payerSeq).toBe(0);
    await alice.select();
    expect(await alice.balance()).toBe(450_00);
    await bob.select();
    expect(await bob.balance()).toBe(50_00);
  });

  it('a payer card never pays the same request twice (9C16), and RESEND LAST answers only that request', async () => {
    const { alice, bob } = await network.cards({ alice: { role: 'USER', balance: 100_00 }, bob: 'USER' });
    await bob.select();
    const request = await createRequest(bob.transport, 5_00, ref('ONCE'));
    await alice.select();
    const first = await pay(alice.transport, request, { pin: alice.pin });
    await expect(pay(alice.transport, request, { pin: alice.pin })).rejects.toMatchObject({ sw: SW.ALREADY_PAID });
    expect((await resendLast(alice.transport, request.request.value)).body).toEqual(first.body);
    const other = { ...request.request.value, requestNo: request.request.value.requestNo + 1 };
    await expect(resendLast(alice.transport, other)).rejects.toMatchObject({ sw: SW.NOTHING_TO_RESEND });
    await alice.select();
    expect(await alice.status()).toMatchObject({ balance: 95_00, payments: 1 });
  });

  it('the PIN is consumed by PAY: a second payment needs VERIFY PIN again (6982)', async () => {
    const { alice, bob } = await network.cards({ alice: { role: 'USER', balance: 100_00 }, bob: 'USER' });
    await bob.select();
    const r1 = await createRequest(bob.transport, 1_00, ref('R1'));
    const r2 = await createRequest(bob.transport, 2_00, ref('R2'));
    await alice.select();
    await pay(alice.transport, r1, { pin: alice.pin });
    const error = await pay(alice.transport, r2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardError);
    expect(error).toMatchObject({ sw: SW.SECURITY_STATUS_NOT_SATISFIED, swName: 'SECURITY_STATUS_NOT_SATISFIED' });
  });

  it('a declined payment is voided on the payer card, refused by the recipient card, and never settled', async () => {
    const { alice, bob } = await network.cards({ alice: { role: 'USER', balance: 100_00 }, bob: 'USER' });
    await bob.select();
    const request = await createRequest(bob.transport, 30_00, ref('DECLINE'));
    await alice.select();
    const transaction = await pay(alice.transport, request, { pin: alice.pin });
    await alice.select();
    expect(await alice.balance()).toBe(70_00);

    // Bob refuses the request before receiving the payment.
    await bob.select();
    const declined = await decline(bob.transport, request.request.value.requestNo);
    expect(verifyDecline(declined.decline, bob.publicKey)).toBe(true);
    expect(declined.decline.value).toEqual(request.request.value);
    await expect(receive(bob.transport, transaction, alice.certificate)).rejects.toMatchObject({ sw: SW.NO_OPEN_REQUEST });
    await expect(decline(bob.transport, request.request.value.requestNo)).rejects.toMatchObject({ sw: SW.NO_OPEN_REQUEST });

    // Alice applies the decline: her payment is voided and the amount restored, once.
    await alice.select();
    await applyDecline(alice.transport, declined);
    expect(await alice.status()).toMatchObject({ balance: 100_00, payments: 1 });
    await expect(applyDecline(alice.transport, declined)).rejects.toMatchObject({ sw: SW.RECORD_NOT_FOUND });

    const aliceLog = await alice.log();
    const outgoing = aliceLog.records.find((r) => r.kind === 'OUTGOING');
    expect(outgoing).toMatchObject({ kind: 'OUTGOING', voided: true });
    const bobLog = await bob.log();
    const declinedRecord = bobLog.records.find((r) => r.kind === 'DECLINED');
    if (declinedRecord?.kind !== 'DECLINED') throw new Error('Bob logged no DECLINED record');
    expect(verifyDecline(recordDecline(declinedRecord), bob.publicKey)).toBe(true);

    // Whatever the order of the syncs, the declined payment is never settled.
    await alice.sync();
    await bob.sync();
    expect(network.register.isSettled(transaction.value)).toBe(false);
    await alice.select();
    expect(await alice.status()).toMatchObject({ balance: 100_00, payments: 0, logCount: 0 });
  });
});
