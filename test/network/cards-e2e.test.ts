// Every pilot flow end to end: simulated cards running the wallet applet, the card flows (host/src/flows), the typed
// client and its adapters (host/src/server/client.ts), and the real services (central bank and two intermediaries,
// each with its own database) on loopback. Personalise through the intermediary, top up, pay at a point of sale,
// pay card to card across intermediaries, decline, synchronise both sides, de-fund; then instructions (policy,
// block and unblock, PIN unblock) delivered at the card's next contact, and the network audit.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { CardError } from '../../host/src/codec/errors.ts';
import { STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { readStatus, selectWallet, verifyPin } from '../../host/src/flows/card.ts';
import { defund, setLifecycle, setPolicy, topUp, unblockPin } from '../../host/src/flows/instructions.ts';
import { applyDecline, createRequest, decline, pay, payAtPointOfSale, receive } from '../../host/src/flows/payment.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import type { BackendCard } from '../../host/src/transport/backend.ts';
import { cardIssuer, defundOrder, directoryOf, instructionSigner, IntermediaryClient, ServiceRequestError, synchroniseWithService, topUpOrder } from '../../host/src/server/client.ts';
import { describeWith } from '../support/backend.ts';
import { useWalletNetwork, WALLET_NETWORK_NEEDS } from '../support/wallet-network.ts';
import { TestNetwork } from './harness.ts';

const cards = useWalletNetwork(); // only its card backend: the fake PKI of test/support is not used here
let net: TestNetwork;

beforeAll(async () => {
  net = await TestNetwork.open();
});
afterAll(async () => {
  await net?.close();
});

const PIN = '1234';
const ref = (text: string) => new TextEncoder().encode(text.padEnd(8, ' ').slice(0, 8));

interface RealCard {
  transport: BackendCard;
  client: IntermediaryClient;
  userId: string;
  cardId: string;
  im: number;
}

async function issueCard(im: number, role: 'USER' | 'MERCHANT', deposit = 0): Promise<RealCard> {
  const admin = net.admins[im];
  const user = await admin.createUser(`${role.toLowerCase()} at ${im + 1}`);
  const client = admin.as(user.token);
  if (deposit > 0) await admin.deposit(user.userId, deposit);
  const transport = await cards.blankCard(role.toLowerCase());
  const { certificate } = await personalise(transport, await cardIssuer(client), { role, pin: PIN });
  const cardId = Buffer.from(certificate.value.cardId).toString('hex').toUpperCase();
  expect(cardId.slice(0, 8)).toBe((im + 1).toString(16).padStart(8, '0'));
  return { transport, client, userId: user.userId, cardId, im };
}

async function balance(card: RealCard): Promise<number> {
  await selectWallet(card.transport);
  return (await readStatus(card.transport)).balance;
}

describeWith([...WALLET_NETWORK_NEEDS], 'pilot flows against the services', () => {
  it('personalises, tops up, pays at a point of sale and card to card across intermediaries, declines, syncs both sides, de-funds', async () => {
    const bank = net.bank;
    const directory = directoryOf(bank);
    const alice = await issueCard(0, 'USER', 1_000_00);
    const shop = await issueCard(1, 'MERCHANT');
    const bob = await issueCard(1, 'USER');

    // Top-up: online -> shadow once, signed for the card's challenge.
    const order = topUpOrder(alice.client, 300_00);
    expect(await topUp(alice.transport, order)).toBeDefined();
    expect(await balance(alice)).toBe(300_00);
    // The same order never applies twice: the card's counter moved on, the intermediary signs nothing more.
    expect(await topUp(alice.transport, order)).toBeUndefined();
    expect((await alice.client.me()).online).toBe(700_00);

    // Pay at a point of sale (the shop's merchant card is at the other intermediary).
    const sale = await payAtPointOfSale({ merchant: shop.transport, payer: alice.transport, amount: 45_50, reference: ref('SALE-1'), pin: PIN, directory });
    expect(sale.transaction.value.amount).toBe(45_50);

    // Card to card across intermediaries.
    await selectWallet(bob.transport);
    const request = await createRequest(bob.transport, 20_00, ref('GIFT'));
    await selectWallet(alice.transport);
    const tx = await pay(alice.transport, request, { pin: PIN, intermediaryCertificate: directory });
    await selectWallet(bob.transport);
    await receive(bob.transport, tx, (await selectWallet(alice.transport)).certificate!, { intermediaryCertificate: directory });
    await selectWallet(bob.transport);

    // A declined request: Alice pays, Bob never receives it and declines; Alice's card voids the payment.
    const refused = await createRequest(bob.transport, 5_00, ref('NO'));
    await selectWallet(alice.transport);
    await pay(alice.transport, refused, { pin: PIN, intermediaryCertificate: directory });
    await selectWallet(bob.transport);
    const declined = await decline(bob.transport, refused.request.value.requestNo);
    await selectWallet(alice.transport);
    await applyDecline(alice.transport, declined, { intermediaryCertificate: directory });
    expect(await balance(alice)).toBe(300_00 - 45_50 - 20_00);
    expect(await balance(bob)).toBe(20_00);
    expect(await balance(shop)).toBe(45_50);

    // Synchronise every card (recipients first: their claims wait until Alice's shadow pays them).
    for (const card of [shop, bob, alice]) {
      const outcome = await synchroniseWithService(card.transport, card.client, { pin: PIN });
      expect(outcome.outcome).toBe('synchronised');
    }
    await net.expectBalanced();
    expect(await balance(alice)).toBe(234_50);
    expect(await balance(bob)).toBe(20_00);
    expect(await balance(shop)).toBe(45_50);
    for (const [card, amount] of [
      [alice, 234_50],
      [bob, 20_00],
      [shop, 45_50],
    ] as const) {
      const view = await card.client.card(card.cardId);
      expect({ shadow: view.shadow, pendingIn: view.pendingIn, pendingOut: view.pendingOut }).toEqual({ shadow: amount, pendingIn: 0, pendingOut: 0 });
    }
    // The register settled the two payments once; the declined one never.
    expect((await bank.audit()).register).toMatchObject({ settled: 2, declines: 1 });

    // A second sync of everyone settles nothing twice.
    for (const card of [alice, bob, shop]) await synchroniseWithService(card.transport, card.client, { pin: PIN });
    expect((await bank.audit()).register).toMatchObject({ settled: 2 });

    // De-fund: the card confirms, shadow -> online.
    const confirmation = await defund(alice.transport, defundOrder(alice.client, 34_50), { pin: PIN });
    expect(confirmation?.value.amount).toBe(34_50);
    expect(await balance(alice)).toBe(200_00);
    expect((await alice.client.me()).online).toBe(700_00 + 34_50);
    expect((await alice.client.card(alice.cardId)).shadow).toBe(200_00);
    await net.expectBalanced();
  });

  it('a decline after the payer settled reverses the payment: the payer gets its money back at its next sync', async () => {
    const directory = directoryOf(net.bank);
    const payer = await issueCard(0, 'USER', 100_00);
    await topUp(payer.transport, topUpOrder(payer.client, 100_00));
    const recipient = await issueCard(1, 'USER');
    await selectWallet(recipient.transport);
    const request = await createRequest(recipient.transport, 30_00, ref('LATER'));
    await selectWallet(payer.transport);
    await pay(payer.transport, request, { pin: PIN, intermediaryCertificate: directory });
    // The payer syncs first: the payment settles into the recipient's shadow wallet.
    await synchroniseWithService(payer.transport, payer.client, { pin: PIN });
    await net.bank.networkAudit();
    expect((await recipient.client.card(recipient.cardId)).shadow).toBe(30_00);
    // The recipient never received it, and declines; its sync registers the decline, which reverses the payment.
    await selectWallet(recipient.transport);
    await decline(recipient.transport, request.request.value.requestNo);
    await synchroniseWithService(recipient.transport, recipient.client, { pin: PIN });
    expect(await balance(recipient)).toBe(0);
    await net.expectBalanced();
    expect((await payer.client.card(payer.cardId)).shadow).toBe(100_00);
    await synchroniseWithService(payer.transport, payer.client, { pin: PIN });
    expect(await balance(payer)).toBe(100_00);
    expect((await net.bank.audit()).register.reversed).toBeGreaterThanOrEqual(1);
  });

  it('delivers a policy, a block, an unblock and a PIN unblock at the card next contact', async () => {
    const card = await issueCard(0, 'USER', 50_00);
    const admin = net.admins[0];
    await admin.setPolicy(card.cardId, { version: 1, maxPayments: 3, maxPaymentAmount: 100_00, maxBalance: 1_000_00, maxReceivedCount: 10, maxReceivedAmount: 1_000_00, flags: 1 });
    expect(await setPolicy(card.transport, instructionSigner(card.client, 'policy'))).toBeDefined();
    expect((await readStatus(card.transport)).policy.maxPayments).toBe(3);

    await admin.block(card.cardId);
    expect(await setLifecycle(card.transport, instructionSigner(card.client, 'lifecycle'))).toBeDefined();
    expect((await readStatus(card.transport)).state).toBe(STATE.BLOCKED);
    // A blocked card is refused a top-up by the intermediary and by the card.
    await expect(topUp(card.transport, topUpOrder(card.client, 10_00))).rejects.toBeInstanceOf(ServiceRequestError);
    // Its sync tells the intermediary it applied the block; then the unblock is due.
    await synchroniseWithService(card.transport, card.client, { pin: PIN });
    expect((await card.client.card(card.cardId)).lifecycle).toBe('BLOCKED');
    await admin.unblock(card.cardId);
    await setLifecycle(card.transport, instructionSigner(card.client, 'lifecycle'));
    expect((await readStatus(card.transport)).state).toBe(STATE.ACTIVE);

    // Three wrong PINs block the PIN; the owner's intermediary signs an unblock with a new PIN.
    await selectWallet(card.transport);
    for (let i = 0; i < 3; i++) await verifyPin(card.transport, '0000').catch(() => undefined);
    await expect(verifyPin(card.transport, PIN)).rejects.toMatchObject({ sw: SW.PIN_BLOCKED });
    await unblockPin(card.transport, instructionSigner(card.client, 'unblock-pin'), '4321');
    await selectWallet(card.transport);
    await verifyPin(card.transport, '4321');
    await expect(verifyPin(card.transport, PIN)).rejects.toBeInstanceOf(CardError);
    await net.expectBalanced();
  });
});
