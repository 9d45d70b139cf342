// Personalised wallet cards on the test backend, issued by the fake network of pki.ts.
//
//   const network = useWalletNetwork();                  // in a test file: opens the backend for its tests
//   it('pays', async () => {
//     const { user, merchant } = await network.cards({ user: 'USER', merchant: 'MERCHANT' });
//     await user.topUp(100_00);
//     await network.payAtPointOfSale(user, merchant, 25_00);    // or network.transfer(payer, recipient, amount)
//     await user.sync();
//
// The network is also the fake central bank and intermediaries of pki.ts: `network.intermediary('B')` signs
// instructions (`instructionFor(challenge, 'TOP_UP', { orderSeq, amount })`, `sign(anyInstruction)`), and
// `network.register` holds what the syncs settled.
//   });
//
// A card spec is a role, or `{ role, intermediary: 'B', pin, policy, balance }` (balance: topped up at once). Each
// card is a new simulated card with the wallet applet installed, powered on, personalised and locked by its
// intermediary, and left with the wallet selected. Needs a backend that can create cards and install applets;
// test files guard their tests with `describeWith(WALLET_NETWORK_NEEDS, ...)`.

import { afterAll, beforeAll } from 'vitest';
import type { CardCertificate } from '../../host/src/codec/certificates.ts';
import { WALLET_AID, WALLET_APPLET_CLASS } from '../../host/src/codec/commands.ts';
import type { SignedInstruction } from '../../host/src/codec/instructions.ts';
import type { DefundConfirmation, Report, Transaction } from '../../host/src/codec/messages.ts';
import type { LogRecord } from '../../host/src/codec/records.ts';
import type { Policy } from '../../host/src/codec/policy.ts';
import type { CardStatus, RequestAnswer, SelectAnswer } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import { readStatus, selectWallet, verifyPin } from '../../host/src/flows/card.ts';
import { defund, topUp } from '../../host/src/flows/instructions.ts';
import { createRequest, pay, payAtPointOfSale, type PointOfSaleResult, receive } from '../../host/src/flows/payment.ts';
import { personalise } from '../../host/src/flows/personalise.ts';
import { readAllRecords, type SyncOutcome, synchronise, syncReport } from '../../host/src/flows/sync.ts';
import { type BackendCard, type CardBackend, openBackend } from '../../host/src/transport/backend.ts';
import type { SimulatedCard } from '../../host/src/transport/simulator.ts';
import { BACKEND_KIND, BACKEND_OPTIONS, uniqueCardName } from './backend.ts';
import { FakeIntermediary, FakeNetwork } from './pki.ts';

/** The backend capabilities `network.cards` needs. */
export const WALLET_NETWORK_NEEDS = ['canCreateCards', 'canInstall'] as const;

export const DEFAULT_PIN = '1234';

export type Role = 'USER' | 'MERCHANT';

export interface CardSpec {
  role: Role;
  /** The issuing intermediary's name (default 'A'). */
  intermediary?: string;
  pin?: string;
  /** A first policy set at personalisation (PERSO SET POLICY) instead of the role's default. */
  policy?: Policy;
  /** Top up this amount right after personalisation. */
  balance?: number;
}

export class WalletCard {
  constructor(
    /** The name given in the spec ("user"). */
    readonly label: string,
    readonly transport: BackendCard,
    readonly intermediary: FakeIntermediary,
    readonly certificate: CardCertificate,
    readonly role: Role,
    readonly pin: string,
  ) {}

  get cardId(): Uint8Array {
    return this.certificate.value.cardId;
  }

  get publicKey(): Uint8Array {
    return this.certificate.value.publicKey;
  }

  get intermediaryId(): number {
    return this.intermediary.id;
  }

  /** The card as a simulated card (power, tears, counters); throws on a backend without simulated cards. */
  get sim(): SimulatedCard {
    if (typeof this.transport.armTear !== 'function') throw new Error(`the ${BACKEND_KIND} backend has no simulated cards`);
    return this.transport as SimulatedCard;
  }

  select(): Promise<SelectAnswer> {
    return selectWallet(this.transport);
  }

  status(): Promise<CardStatus> {
    return readStatus(this.transport);
  }

  async balance(): Promise<number> {
    return (await this.status()).balance;
  }

  verifyPin(pin = this.pin): Promise<void> {
    return verifyPin(this.transport, pin);
  }

  /** A top-up of `amount` by the card's intermediary (the whole flow, with its retries). */
  topUp(amount: number): Promise<SignedInstruction<'TOP_UP'> | undefined> {
    return topUp(this.transport, this.intermediary.topUpOrder(amount));
  }

  defund(amount: number): Promise<Signed<DefundConfirmation> | undefined> {
    return defund(this.transport, this.intermediary.defundOrder(amount), { pin: this.pin });
  }

  /**
   * The card's signed report and its log records, read as the sync flow reads them (SELECT, VERIFY PIN, SYNC
   * REPORT, READ RECORDS, records checked against the digest) without applying anything. Makes a new challenge.
   */
  async log(): Promise<{ report: Signed<Report>; records: LogRecord[] }> {
    await this.select();
    const report = await syncReport(this.transport, { pin: this.pin });
    const records = await readAllRecords(this.transport, report);
    return { report, records: records.map((r) => r.record) };
  }

  /** The whole synchronisation with the card's intermediary. */
  sync(): Promise<SyncOutcome> {
    return synchronise(this.transport, this.intermediary, { pin: this.pin });
  }
}

type Specs = Record<string, Role | CardSpec>;

export interface Transfer {
  request: RequestAnswer;
  transaction: Signed<Transaction>;
}

export class WalletNetwork extends FakeNetwork {
  private backendValue: CardBackend | undefined;

  constructor(private readonly openCardBackend: () => Promise<CardBackend> = () => openBackend(BACKEND_OPTIONS)) {
    super();
  }

  async open(): Promise<void> {
    this.backendValue ??= await this.openCardBackend();
  }

  async close(): Promise<void> {
    await this.backendValue?.close();
    this.backendValue = undefined;
  }

  get backend(): CardBackend {
    if (!this.backendValue) throw new Error('the wallet network is not open yet (use it inside a test)');
    return this.backendValue;
  }

  /** A new card with the wallet applet installed, powered on, the wallet selected, not personalised. */
  async blankCard(label = 'wallet'): Promise<BackendCard> {
    const card = await this.backend.openCard(uniqueCardName(label));
    if (!card.install || !card.powerOn) throw new Error(`the ${BACKEND_KIND} backend cannot install the wallet applet`);
    await card.install(WALLET_APPLET_CLASS, WALLET_AID);
    await card.powerOn();
    await selectWallet(card);
    return card;
  }

  /** A personalised card as `spec` says. */
  async card(label: string, spec: Role | CardSpec): Promise<WalletCard> {
    const s: CardSpec = typeof spec === 'string' ? { role: spec } : spec;
    const intermediary = this.intermediary(s.intermediary ?? 'A');
    const pin = s.pin ?? DEFAULT_PIN;
    const transport = await this.blankCard(label);
    const { certificate } = await personalise(transport, intermediary, { role: s.role, pin, ...(s.policy ? { policy: s.policy } : {}) });
    const card = new WalletCard(label, transport, intermediary, certificate, s.role, pin);
    if (s.balance !== undefined && s.balance > 0) {
      const applied = await card.topUp(s.balance);
      if (!applied) throw new Error(`the top-up of ${s.balance} for ${label} was not applied`);
    }
    await card.select();
    return card;
  }

  /**
   * The card-to-card flow of PROTOCOL.md section 7: recipient CREATE REQUEST; payer SELECT, VERIFY PIN, PAY;
   * recipient SELECT, RECEIVE (intermediary certificates sent when a card asks for them, 9C12).
   */
  async transfer(payer: WalletCard, recipient: WalletCard, amount: number, reference = new Uint8Array(8)): Promise<Transfer> {
    await recipient.select();
    const request = await createRequest(recipient.transport, amount, reference);
    await payer.select();
    const transaction = await pay(payer.transport, request, { pin: payer.pin, intermediaryCertificate: this });
    await recipient.select();
    await receive(recipient.transport, transaction, payer.certificate, { intermediaryCertificate: this });
    return { request, transaction };
  }

  /** A payment at a point of sale (the merchant card in the terminal, the payer card tapped). */
  payAtPointOfSale(payer: WalletCard, merchant: WalletCard, amount: number, reference = new Uint8Array(8)): Promise<PointOfSaleResult> {
    return payAtPointOfSale({ merchant: merchant.transport, payer: payer.transport, amount, reference, pin: payer.pin, directory: this });
  }

  /** Several personalised cards at once: `const { user, merchant } = await network.cards({ user: 'USER', merchant: 'MERCHANT' })`. */
  async cards<T extends Specs>(specs: T): Promise<{ [K in keyof T]: WalletCard }> {
    const out: Record<string, WalletCard> = {};
    for (const [label, spec] of Object.entries(specs)) out[label] = await this.card(label, spec);
    return out as { [K in keyof T]: WalletCard };
  }
}

/** A wallet network for the tests of one file: the backend opens before them and closes after them. */
export function useWalletNetwork(): WalletNetwork {
  const network = new WalletNetwork();
  beforeAll(async () => {
    await network.open();
  });
  afterAll(async () => {
    await network.close();
  });
  return network;
}
