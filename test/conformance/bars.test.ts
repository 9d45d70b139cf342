// The bars of issue 3: a personalised USER card pays a personalised MERCHANT card, and a USER card pays a USER card,
// with every check along the way (certificate chains, every signature, every field, balances, logs, the sync of
// both cards and the settlement of each transaction exactly once). Cards are personalised here, not cloned, and
// like every conformance test these run behind the transport guard: a 6F00 anywhere fails them.

import { expect, it } from 'vitest';
import { verifyCertificateChain } from '../../host/src/codec/certificates.ts';
import { equalBytes, toHex } from '../../host/src/codec/hex.ts';
import { transactionAnswers, verifyReport, verifyRequest, verifyTransaction } from '../../host/src/codec/messages.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { INS, ROLE, STATE } from '../../host/src/codec/protocol-constants.ts';
import { balanceFromRecords, recordTransaction } from '../../host/src/codec/records.ts';
import { readCardCertificate, readIntermediaryCertificate } from '../../host/src/flows/card.ts';
import { createRequest, pay, payAtPointOfSale, receive } from '../../host/src/flows/payment.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { CountingTransport } from '../support/lossy.ts';
import { type ConfCard, CONFORMANCE_NEEDS, useConformance } from './harness.ts';

const suite = useConformance();

/** The card's own view of itself, checked against what the issuer knows. */
async function checkIdentity(card: ConfCard, role: 'USER' | 'MERCHANT'): Promise<void> {
  await card.select();
  const certificate = await readCardCertificate(card.guard);
  expect(certificate).toEqual(card.certificate);
  const icert = await readIntermediaryCertificate(card.guard);
  expect(equalBytes(verifyCertificateChain(certificate, icert, suite.bank.rootPublicKey), card.publicKey)).toBe(true);
  expect(await card.statusNow()).toMatchObject({ role: ROLE[role], state: STATE.ACTIVE, policy: DEFAULT_POLICIES[role], cardId: certificate.value.cardId });
}

/** After a sync: the log is empty, the balance is the last sync balance, the intermediary settled what it says. */
async function checkSynced(card: ConfCard, balance: number): Promise<void> {
  const { report, records } = await card.log();
  expect(verifyReport(report, card.publicKey)).toBe(true);
  expect(records).toEqual([]);
  expect(report.value).toMatchObject({ balance, lastSyncBalance: balance, recordCount: 0 });
}

describeWith([...CONFORMANCE_NEEDS], 'the bars', () => {
  it('a personalised USER card pays a personalised MERCHANT card at a point of sale, with every check, and both syncs settle it once', async () => {
    // Fresh personalisations (not clones): the whole issuance is part of the bar.
    const user = await suite.freshCard('user', { role: 'USER', balance: 1000_00 });
    const merchant = await suite.freshCard('merchant', 'MERCHANT');
    await checkIdentity(user, 'USER');
    await checkIdentity(merchant, 'MERCHANT');
    suite.register.settled.clear();

    const payer = new CountingTransport(user.guard);
    const reference = new TextEncoder().encode('BAR-0001');
    const { request, transaction, payerCertificate } = await payAtPointOfSale({ merchant: merchant.guard, payer, amount: 249_90, reference, pin: user.pin });
    expect(payer.instructions, 'the tap: three APDUs').toEqual([INS.SELECT, INS.VERIFY_PIN, INS.PAY]);
    expect(verifyRequest(request.request, merchant.publicKey)).toBe(true);
    expect(request.request.value).toEqual({ recipientId: merchant.cardId, recipientIntermediary: merchant.intermediaryId, requestNo: 0, amount: 249_90, reference });
    expect(payerCertificate).toEqual(user.certificate);
    expect(verifyTransaction(transaction, user.publicKey)).toBe(true);
    expect(transactionAnswers(transaction.value, request.request.value)).toBe(true);
    expect(transaction.value).toMatchObject({ payerId: user.cardId, payerSeq: 0, payerIntermediary: user.intermediaryId });

    expect(await user.statusNow()).toMatchObject({ balance: 750_10, spendable: 750_10, payments: 1, txSeq: 1, logCount: 2, stateCounter: 2 });
    expect(await merchant.statusNow()).toMatchObject({ balance: 249_90, spendable: 0, receivedCount: 1, receivedAmount: 249_90, logCount: 1, openRequests: 0, stateCounter: 1 });

    // Both logs hold the transaction with the payer's signature; each balance is explained by its log.
    const payerLog = await user.log();
    expect(payerLog.records.map((r) => r.kind)).toEqual(['TOP_UP', 'OUTGOING']);
    expect(balanceFromRecords(payerLog.report.value.lastSyncBalance, payerLog.records)).toBe(750_10);
    const merchantLog = await merchant.log();
    const incoming = merchantLog.records[0];
    if (incoming.kind !== 'INCOMING') throw new Error('the merchant logged no receipt');
    expect(toHex(recordTransaction(incoming).body)).toBe(toHex(transaction.body));
    expect(verifyTransaction(recordTransaction(incoming), user.publicKey)).toBe(true);
    expect(balanceFromRecords(merchantLog.report.value.lastSyncBalance, merchantLog.records)).toBe(249_90);

    // Whichever syncs first settles it; the second finds it settled.
    await merchant.sync();
    await user.sync();
    expect(suite.intermediary('A').syncs.slice(-2).map((s) => s.settledNow.length)).toEqual([1, 0]);
    expect(suite.register.isSettled(transaction.value)).toBe(true);
    await checkSynced(user, 750_10);
    await checkSynced(merchant, 249_90);
    expect((await merchant.statusNow()).spendable).toBe(249_90);
  });

  it('a personalised USER card pays a USER card of another intermediary, card to card, with every check, and both syncs settle it once', async () => {
    const alice = await suite.freshCard('alice', { role: 'USER', balance: 500_00 });
    const bob = await suite.freshCard('bob', { role: 'USER', intermediary: 'B', balance: 20_00 });
    await checkIdentity(alice, 'USER');
    await checkIdentity(bob, 'USER');
    suite.register.settled.clear();

    const reference = new TextEncoder().encode('LUNCH-01');
    await bob.select();
    const request = await createRequest(bob.guard, 120_00, reference);
    expect(verifyRequest(request.request, bob.publicKey)).toBe(true);
    await alice.select();
    const payer = new CountingTransport(alice.guard);
    const tx = await pay(payer, request, { pin: alice.pin, intermediaryCertificate: suite });
    // Alice's card did not know intermediary B: PAY answered 9C12, then went again with B's certificate, chained.
    expect(payer.instructions).toEqual([INS.VERIFY_PIN, INS.PAY, INS.PAY, INS.PAY]);
    expect(verifyTransaction(tx, alice.publicKey)).toBe(true);
    expect(transactionAnswers(tx.value, request.request.value)).toBe(true);
    await bob.select();
    await receive(bob.guard, tx, alice.certificate, { intermediaryCertificate: suite });

    expect(await alice.statusNow()).toMatchObject({ balance: 380_00, payments: 1, txSeq: 1 });
    expect(await bob.statusNow()).toMatchObject({ balance: 140_00, spendable: 140_00, receivedCount: 1, receivedAmount: 120_00 });

    await alice.sync();
    await bob.sync();
    expect(suite.intermediary('A').syncs.at(-1)!.settledNow.length).toBe(1);
    expect(suite.intermediary('B').syncs.at(-1)!.settledNow.length).toBe(0);
    await checkSynced(alice, 380_00);
    await checkSynced(bob, 140_00);
  });

  itWith(['canSetProtocol'], 'the same payments, syncs, top-up and de-fund over T=0 (61xx and 6Cxx procedure bytes)', async () => {
    const { user, merchant, merchantB } = await suite.cards({ user: { role: 'USER', balance: 1000_00 }, merchant: 'MERCHANT', merchantB: { role: 'MERCHANT', intermediary: 'B' } });
    for (const card of [user, merchant, merchantB]) {
      await (card.guard.inner as import('../../host/src/transport/simulator.ts').SimulatedCard).setProtocol('T0');
      await card.select();
    }
    const reference = new TextEncoder().encode('T0-SALE1');
    const local = await payAtPointOfSale({ merchant: merchant.guard, payer: user.guard, amount: 10_00, reference, pin: user.pin, directory: suite });
    const cross = await payAtPointOfSale({ merchant: merchantB.guard, payer: user.guard, amount: 20_00, reference, pin: user.pin, directory: suite });
    expect(verifyTransaction(local.transaction, user.publicKey) && verifyTransaction(cross.transaction, user.publicKey)).toBe(true);
    // T=0 answers its data through GET RESPONSE (00 C0) after 61xx.
    expect(user.guard.recent.some((e) => e.command[1] === 0xc0)).toBe(true);
    await user.sync();
    await merchant.sync();
    await merchantB.sync();
    expect(await user.topUp(5_00)).toBeDefined();
    expect(await user.defund(5_00)).toBeDefined();
    expect(await user.statusNow()).toMatchObject({ balance: 970_00, payments: 0 });
    expect(await merchant.statusNow()).toMatchObject({ balance: 10_00, spendable: 10_00 });
    expect(await merchantB.statusNow()).toMatchObject({ balance: 20_00 });
  });
});
