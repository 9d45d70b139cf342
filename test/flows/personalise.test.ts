// End to end on the card backend: personalisation by an issuer (the fake intermediary) and what it leaves.

import { expect, it } from 'vitest';
import { signCardCertificate } from '../../host/src/codec/certificates.ts';
import { persoLockCommand } from '../../host/src/codec/commands.ts';
import { CardError } from '../../host/src/codec/errors.ts';
import { DEFAULT_POLICIES } from '../../host/src/codec/policy.ts';
import { ROLE, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { exchangeCommand } from '../../host/src/flows/apdu.ts';
import { getChallenge, readCardCertificate, readIntermediaryCertificate, readStatus, selectWallet } from '../../host/src/flows/card.ts';
import { FlowError } from '../../host/src/flows/errors.ts';
import type { CardIssuer } from '../../host/src/flows/intermediary.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import { describeWith } from '../support/backend.ts';
import { testKeyPair } from '../support/pki.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';

const network = useWalletNetwork();

describeWith([...WALLET_NETWORK_NEEDS], 'personalisation', () => {
  it('a blank card answers SELECT with its status only and refuses wallet commands (9C22)', async () => {
    const card = await network.blankCard();
    const answer = await selectWallet(card);
    expect(answer.certificate).toBeUndefined();
    expect(answer.status).toMatchObject({ protocolVersion: 1, role: 0, state: STATE.PERSONALISING, balance: 0, stateCounter: 0 });
    await expect(getChallenge(card)).rejects.toMatchObject({ sw: SW.NOT_PERSONALISED });
  });

  it('personalises a MERCHANT card: ACTIVE, state counter 0, the role default policy, certificates readable', async () => {
    const card = await network.blankCard();
    const issuer = network.intermediary('A');
    const { certificate, publicKey, status } = await personalise(card, issuer, { role: 'MERCHANT', pin: '2468' });
    expect(status).toMatchObject({ role: ROLE.MERCHANT, state: STATE.ACTIVE, stateCounter: 0, balance: 0, intermediaryId: issuer.id, pinTries: 3 });
    expect(status.cardId).toEqual(certificate.value.cardId);
    expect(status.policy).toEqual(DEFAULT_POLICIES.MERCHANT);
    expect(certificate.value.publicKey).toEqual(publicKey);
    expect((await selectWallet(card)).certificate).toEqual(certificate);
    expect(await readCardCertificate(card)).toEqual(certificate);
    expect(await readIntermediaryCertificate(card)).toEqual(issuer.intermediaryCertificate);
  });

  it('personalises with a first policy of its own', async () => {
    const card = await network.blankCard();
    const policy = { ...DEFAULT_POLICIES.USER, version: 9, maxPayments: 3, maxBalance: 500_00 };
    const { status } = await personalise(card, network.intermediary('A'), { role: 'USER', pin: '1234', policy });
    expect(status.policy).toEqual(policy);
  });

  it('refuses a faulty issuer before storing anything, and the card can be personalised afterwards', async () => {
    const card = await network.blankCard();
    const honest = network.intermediary('A');
    const wrongKey: CardIssuer = {
      rootPublicKey: honest.rootPublicKey,
      intermediaryCertificate: honest.intermediaryCertificate,
      async certifyCard(request) {
        return signCardCertificate({ cardId: honest.nextCardId(), role: request.role, intermediaryId: honest.id, publicKey: testKeyPair('not the card').publicKey }, honest.keyPair.privateKey);
      },
    };
    await expect(personalise(card, wrongKey, { role: 'USER', pin: '1234' })).rejects.toBeInstanceOf(FlowError);
    const otherRoot: CardIssuer = { ...honest, rootPublicKey: testKeyPair('another root').publicKey, intermediaryCertificate: honest.intermediaryCertificate, certifyCard: (r) => honest.certifyCard(r) };
    await expect(personalise(card, otherRoot, { role: 'USER', pin: '1234' })).rejects.toThrow(/chain to its root/);
    expect((await readStatus(card)).state).toBe(STATE.PERSONALISING);
    const { status } = await personalise(card, honest, { role: 'USER', pin: '1234' });
    expect(status.state).toBe(STATE.ACTIVE);
  });

  it('PERSO LOCK before everything is stored is refused (9C24); after the lock, personalisation is refused (9C23)', async () => {
    const card = await network.blankCard();
    expect((await exchangeCommand(card, persoLockCommand())).sw).toBe(SW.PERSONALISATION_INCOMPLETE);
    await personalise(card, network.intermediary('A'), { role: 'USER', pin: '1234' });
    const error = await personalise(card, network.intermediary('A'), { role: 'USER', pin: '1234' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardError);
    expect(error).toMatchObject({ sw: SW.PERSONALISATION_LOCKED, command: 'PERSO GENERATE KEY' });
  });
});
