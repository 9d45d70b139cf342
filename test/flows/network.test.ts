// The test network itself (test/support): cards of several intermediaries, transfers, and a card of a rogue
// network (another root) that honest cards refuse.

import { expect, it } from 'vitest';
import { verifyCardCertificate, verifyCertificateChain } from '../../host/src/codec/certificates.ts';
import { SW } from '../../host/src/codec/protocol-constants.ts';
import { createRequest, pay } from '../../host/src/flows/payment.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import { describeWith } from '../support/backend.ts';
import { FakeNetwork, testKeyPair } from '../support/pki.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';

const network = useWalletNetwork();

it('fixed keys: the same label gives the same key, another label another key', () => {
  expect(testKeyPair('x')).toEqual(testKeyPair('x'));
  expect(testKeyPair('x').publicKey).not.toEqual(testKeyPair('y').publicKey);
  const a = new FakeNetwork().intermediary('A');
  const again = new FakeNetwork().intermediary('A');
  expect(again.intermediaryCertificate).toEqual(a.intermediaryCertificate);
});

describeWith([...WALLET_NETWORK_NEEDS], 'test network', () => {
  it('issues cards numbered by their intermediary, chained to the root', async () => {
    const { u1, u2, m } = await network.cards({ u1: 'USER', u2: 'USER', m: { role: 'MERCHANT', intermediary: 'C' } });
    const a = network.intermediary('A');
    expect(u2.cardId.subarray(0, 4)).toEqual(u1.cardId.subarray(0, 4));
    expect(u1.cardId).not.toEqual(u2.cardId);
    expect(verifyCardCertificate(u1.certificate, a.publicKey)).toBe(true);
    const c = network.intermediary('C');
    expect(verifyCertificateChain(m.certificate, c.intermediaryCertificate, network.bank.rootPublicKey)).toEqual(m.publicKey);
    expect(network.cardCertificate(m.cardId)).toEqual(m.certificate);
  });

  it('transfers between intermediaries and pays at a point of sale with the network as directory', async () => {
    const { alice, shop } = await network.cards({ alice: { role: 'USER', intermediary: 'A', balance: 80_00 }, shop: { role: 'MERCHANT', intermediary: 'D' } });
    await network.payAtPointOfSale(alice, shop, 30_00);
    const { bob } = await network.cards({ bob: { role: 'USER', intermediary: 'E' } });
    await network.transfer(alice, bob, 20_00);
    expect(await alice.balance()).toBe(30_00);
    await bob.select();
    expect(await bob.balance()).toBe(20_00);
    await shop.select();
    expect(await shop.balance()).toBe(30_00);
  });

  it("refuses a card of a rogue network: its intermediary certificate does not verify against the card's root (9C11)", async () => {
    const rogue = new FakeNetwork({ rootLabel: 'rogue root' }).intermediary('Z', 99);
    const rogueCard = await network.blankCard('rogue');
    await personalise(rogueCard, rogue, { role: 'MERCHANT', pin: '1234' });
    const request = await createRequest(rogueCard, 5_00, new Uint8Array(8));
    const { user } = await network.cards({ user: { role: 'USER', balance: 10_00 } });
    await user.select();
    await expect(pay(user.transport, request, { pin: user.pin, intermediaryCertificate: rogue.intermediaryCertificate })).rejects.toMatchObject({
      sw: SW.BAD_CERTIFICATE,
    });
    expect(await user.balance()).toBe(10_00);
  });
});
