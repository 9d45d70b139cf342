// End to end on the card backend: a personalised USER card pays a personalised MERCHANT card at a point of sale
// (CREATE REQUEST on the merchant card; SELECT, VERIFY PIN, PAY on the payer; RECEIVE on the merchant), after a
// top-up, followed by a sync of both cards. Balances, logs, reports and every signature are checked with the codec.

import { expect, it } from 'vitest';
import { verifyCardCertificate } from '../../host/src/codec/certificates.ts';
import { equalBytes } from '../../host/src/codec/hex.ts';
import { INS, ROLE, STATE } from '../../host/src/codec/protocol-constants.ts';
import { recordTransaction } from '../../host/src/codec/records.ts';
import { transactionAnswers, verifyReport, verifyRequest, verifyTransaction } from '../../host/src/codec/messages.ts';
import { createRequest, decline, listOpenRequests, payAtPointOfSale } from '../../host/src/flows/payment.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { AnswerLosingTransport, CountingTransport } from '../support/lossy.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';

const network = useWalletNetwork();
const reference = new TextEncoder().encode('INV-0001');

describeWith([...WALLET_NETWORK_NEEDS], 'pay at a point of sale', () => {
  itWith(['randomKeysAndNonces'], 'a USER card pays a MERCHANT card of the same intermediary in three APDUs, and both syncs settle it once', async () => {
    const { user, merchant } = await network.cards({ user: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT' });
    expect(user.certificate.value.role).toBe(ROLE.USER);
    expect(merchant.certificate.value.role).toBe(ROLE.MERCHANT);
    expect(verifyCardCertificate(merchant.certificate, network.intermediary('A').publicKey)).toBe(true);

    const payer = new CountingTransport(user.transport);
    const { request, transaction, payerCertificate } = await payAtPointOfSale({
      merchant: merchant.transport,
      payer,
      amount: 125_50,
      reference,
      pin: user.pin,
    });
    // The tap: SELECT, VERIFY PIN, PAY.
    expect(payer.instructions).toEqual([INS.SELECT, INS.VERIFY_PIN, INS.PAY]);

    // The request is the merchant card's, signed by it.
    expect(verifyRequest(request.request, merchant.publicKey)).toBe(true);
    expect(request.request.value).toMatchObject({ recipientIntermediary: merchant.intermediaryId, requestNo: 0, amount: 125_50 });
    expect(equalBytes(request.request.value.recipientId, merchant.cardId)).toBe(true);
    expect(request.certificate).toEqual(merchant.certificate);

    // The transaction is the payer card's first payment, signed by it, answering the request.
    expect(payerCertificate).toEqual(user.certificate);
    expect(verifyTransaction(transaction, user.publicKey)).toBe(true);
    expect(verifyTransaction(transaction, merchant.publicKey)).toBe(false);
    expect(transactionAnswers(transaction.value, request.request.value)).toBe(true);
    expect(transaction.value).toMatchObject({ payerSeq: 0, payerIntermediary: user.intermediaryId, amount: 125_50 });
    expect(equalBytes(transaction.value.payerId, user.cardId)).toBe(true);

    // Balances and counters.
    await user.select();
    const payerStatus = await user.status();
    expect(payerStatus).toMatchObject({ balance: 874_50, spendable: 874_50, txSeq: 1, payments: 1, logCount: 2, stateCounter: 2 });
    await merchant.select();
    const merchantStatus = await merchant.status();
    // A merchant may not spend offline-received money offline: nothing of it is spendable.
    expect(merchantStatus).toMatchObject({ balance: 125_50, spendable: 0, receivedCount: 1, receivedAmount: 125_50, openRequests: 0, openAmount: 0, logCount: 1, stateCounter: 1 });

    // The logs: the payer holds the top-up and the payment, the merchant the receipt, both with the payer's signature.
    const payerLog = await user.log();
    expect(verifyReport(payerLog.report, user.publicKey)).toBe(true);
    expect(payerLog.records.map((r) => r.kind)).toEqual(['TOP_UP', 'OUTGOING']);
    const outgoing = payerLog.records[1];
    if (outgoing.kind !== 'OUTGOING') throw new Error('unreachable');
    expect(outgoing.voided).toBe(false);
    expect(recordTransaction(outgoing).body).toEqual(transaction.body);
    expect(outgoing.signature).toEqual(transaction.signature);
    const merchantLog = await merchant.log();
    expect(merchantLog.records.map((r) => r.kind)).toEqual(['INCOMING']);
    const incoming = merchantLog.records[0];
    if (incoming.kind !== 'INCOMING') throw new Error('unreachable');
    expect(verifyTransaction(recordTransaction(incoming), user.publicKey)).toBe(true);

    // Sync: the payer's sync settles the transaction, the merchant's finds it settled.
    const payerSync = await user.sync();
    expect(payerSync.report.value).toMatchObject({ recordCount: 2, balance: 874_50, lastSyncBalance: 0, txSeq: 1, state: STATE.ACTIVE });
    const merchantSync = await merchant.sync();
    expect(merchantSync.report.value).toMatchObject({ recordCount: 1, balance: 125_50, lastSyncBalance: 0 });
    const syncs = network.intermediary('A').syncs.slice(-2);
    expect(syncs.map((s) => s.settledNow.length)).toEqual([1, 0]);
    expect(network.register.isSettled(transaction.value)).toBe(true);

    // After the sync the logs are empty, the balances stay, the last sync balance is the balance.
    await user.select();
    expect(await user.status()).toMatchObject({ balance: 874_50, logCount: 0, payments: 0, txSeq: 1, orderSeq: 2 });
    await merchant.select();
    expect(await merchant.status()).toMatchObject({ balance: 125_50, spendable: 125_50, logCount: 0, receivedCount: 0, receivedAmount: 0 });
    const after = await merchant.log();
    expect(after.records).toEqual([]);
    expect(after.report.value).toMatchObject({ recordCount: 0, balance: 125_50, lastSyncBalance: 125_50 });
  });

  it('across intermediaries the cards ask for the certificate (9C12) once, then know the intermediary', async () => {
    const { user, merchant } = await network.cards({
      user: { role: 'USER', intermediary: 'A', balance: 300_00 },
      merchant: { role: 'MERCHANT', intermediary: 'B' },
    });
    expect(user.intermediaryId).not.toBe(merchant.intermediaryId);

    const payer = new CountingTransport(user.transport);
    const till = new CountingTransport(merchant.transport);
    const first = await payAtPointOfSale({ merchant: till, payer, amount: 10_00, reference, pin: user.pin });
    // PAY without the certificate answers 9C12; the flow reads it from the merchant card (GET CERTIFICATE) and sends
    // PAY again, chained. RECEIVE likewise, with the payer's intermediary certificate read from the payer card.
    expect(payer.instructions).toEqual([INS.SELECT, INS.VERIFY_PIN, INS.PAY, INS.PAY, INS.PAY, INS.GET_CERTIFICATE]);
    expect(payer.commands[3][0]).toBe(0x90); // the chained block
    expect(payer.commands[4][0]).toBe(0x80);
    expect(till.instructions).toEqual([INS.CREATE_REQUEST, INS.GET_CERTIFICATE, INS.RECEIVE, INS.RECEIVE, INS.RECEIVE]);
    expect(till.commands.map((c) => c[0])).toEqual([0x80, 0x80, 0x80, 0x90, 0x80]);
    expect(verifyTransaction(first.transaction, user.publicKey)).toBe(true);

    // Both cards cached the other intermediary: the next payment is three APDUs again.
    payer.reset();
    till.reset();
    await payAtPointOfSale({ merchant: till, payer, amount: 20_00, reference, pin: user.pin });
    expect(payer.instructions).toEqual([INS.SELECT, INS.VERIFY_PIN, INS.PAY]);
    expect(till.instructions).toEqual([INS.CREATE_REQUEST, INS.RECEIVE]);

    await user.select();
    expect(await user.balance()).toBe(270_00);
    await merchant.select();
    expect(await merchant.balance()).toBe(30_00);

    // Each intermediary syncs its own card; the network register settles each transaction once.
    await user.sync();
    await merchant.sync();
    expect(network.intermediary('A').syncs.at(-1)!.settledNow.length).toBe(2);
    expect(network.intermediary('B').syncs.at(-1)!.settledNow.length).toBe(0);
  });

  it('when the answer to PAY is lost, SELECT and RESEND LAST hand out the same transaction: the payer paid once', async () => {
    const { user, merchant } = await network.cards({ user: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const lossy = new AnswerLosingTransport(user.transport, INS.PAY);
    const payer = new CountingTransport(lossy);
    const { transaction } = await payAtPointOfSale({ merchant: merchant.transport, payer, amount: 42_00, reference, pin: user.pin });
    expect(lossy.lost).toBe(1);
    expect(payer.instructions).toEqual([INS.SELECT, INS.VERIFY_PIN, INS.PAY, INS.SELECT, INS.RESEND_LAST]);
    expect(verifyTransaction(transaction, user.publicKey)).toBe(true);
    await user.select();
    expect(await user.status()).toMatchObject({ balance: 58_00, payments: 1, txSeq: 1 });
    await merchant.select();
    expect(await merchant.balance()).toBe(42_00);
  });

  it('when the answer to CREATE REQUEST is lost, the lost request is found, declined, and a new one made', async () => {
    const { user, merchant } = await network.cards({ user: { role: 'USER', balance: 100_00 }, merchant: 'MERCHANT' });
    const lossy = new AnswerLosingTransport(merchant.transport, INS.CREATE_REQUEST);
    const till = new CountingTransport(lossy);
    const { request } = await payAtPointOfSale({ merchant: till, payer: user.transport, amount: 9_90, reference, pin: user.pin });
    expect(lossy.lost).toBe(1);
    expect(till.instructions).toEqual([INS.CREATE_REQUEST, INS.LIST_OPEN_REQUESTS, INS.DECLINE, INS.CREATE_REQUEST, INS.RECEIVE]);
    expect(request.request.value.requestNo).toBe(1);
    await merchant.select();
    expect(await merchant.status()).toMatchObject({ balance: 9_90, openRequests: 0, openAmount: 0, receivedCount: 1 });
    expect(await listOpenRequests(merchant.transport)).toEqual([]);
    const { records } = await merchant.log();
    expect(records.map((r) => r.kind)).toEqual(['DECLINED', 'INCOMING']);
    expect(records[0]).toMatchObject({ kind: 'DECLINED', decline: { requestNo: 0, amount: 9_90 } });
  });

  it('LIST OPEN REQUESTS answers the open requests in slot order', async () => {
    const { merchant } = await network.cards({ merchant: 'MERCHANT' });
    const references = ['A', 'B', 'C'].map((c) => new TextEncoder().encode(c.repeat(8)));
    for (const [i, r] of references.entries()) await createRequest(merchant.transport, (i + 1) * 100, r);
    expect(await listOpenRequests(merchant.transport)).toEqual(references.map((r, i) => ({ requestNo: i, amount: (i + 1) * 100, reference: r })));
    await decline(merchant.transport, 1);
    expect((await listOpenRequests(merchant.transport)).map((r) => r.requestNo)).toEqual([0, 2]);
  });

  itWith(['canSetProtocol'], 'works the same with T=0 cards (61xx and GET RESPONSE, 6Cxx)', async () => {
    const { user, merchant } = await network.cards({ user: { role: 'USER', balance: 50_00 }, merchant: { role: 'MERCHANT', intermediary: 'B' } });
    await user.sim.setProtocol('T0');
    await merchant.sim.setProtocol('T0');
    const { transaction } = await payAtPointOfSale({ merchant: merchant.transport, payer: user.transport, amount: 12_34, reference, pin: user.pin });
    expect(verifyTransaction(transaction, user.publicKey)).toBe(true);
    await merchant.select();
    expect(await merchant.balance()).toBe(12_34);
    const sync = await user.sync();
    expect(sync.records.map((r) => r.record.kind)).toEqual(['TOP_UP', 'OUTGOING']);
  });

  it("a payment above the payer's balance is refused with 9C01 and moves nothing", async () => {
    const { user, merchant } = await network.cards({ user: { role: 'USER', balance: 10_00 }, merchant: 'MERCHANT' });
    await expect(payAtPointOfSale({ merchant: merchant.transport, payer: user.transport, amount: 10_01, reference, pin: user.pin })).rejects.toMatchObject({
      name: 'CardError',
      sw: 0x9c01,
      swName: 'INSUFFICIENT_FUNDS',
    });
    await user.select();
    expect(await user.status()).toMatchObject({ balance: 10_00, payments: 0, txSeq: 0 });
    await merchant.select();
    // The merchant's request stays open until it is received or declined.
    expect(await merchant.status()).toMatchObject({ balance: 0, openRequests: 1, openAmount: 10_01 });
  });
});
