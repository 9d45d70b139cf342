// The card performance model (design brief section 9): per flow of the wallet, the operations the simulator counts
// on the card (APDUs, bytes in and out, signatures, verifications, key agreements, digest bytes, persistent bytes
// written), and the ESTIMATED card time on an NXP JCOP4 P71 (J3R180): operation counts times the per-operation
// timing profile below (published JCAlgTest measurements of a J3R180) plus the APDU transfer time at 106 kbit/s.
// Also the applet's memory (the runner's `mem`) and its largest transaction. docs/PERFORMANCE.md explains the model
// and shows the figures of a run.
//
// With CARD_BACKEND=pcsc the same flows run on the physical card in the reader (counterparts are software-signed
// cards of the test network) and their wall-clock time is reported as measured (`card.pcsc.*_ms_measured`); the
// card must hold the wallet applet, blank (it is personalised as a USER card of the test network's intermediary A)
// or personalised by an earlier run of this bench.

import { type CardCertificate, verifyCardCertificate } from '../host/src/codec/certificates.ts';
import { createRequestCommand, getCertificateCommand, payCommand, getStatusCommand, receiveCommand, selectCommand, verifyPinCommand, WALLET_AID, WALLET_APPLET_CLASS } from '../host/src/codec/commands.ts';
import { parseCardCertificateAnswer, parseRequestAnswer, parseStatus } from '../host/src/codec/responses.ts';
import { type PaymentRequest, signRequest, signTransaction } from '../host/src/codec/messages.ts';
import { ROLE, STATE, SW } from '../host/src/codec/protocol-constants.ts';
import { exchangeCommand } from '../host/src/flows/apdu.ts';
import { selectWallet } from '../host/src/flows/card.ts';
import { defund, topUp } from '../host/src/flows/instructions.ts';
import { createRequest, pay, receive } from '../host/src/flows/payment.ts';
import { personalise } from '../host/src/flows/personalise.ts';
import { synchronise } from '../host/src/flows/sync.ts';
import { backendOptionsFromEnv, openBackend } from '../host/src/transport/backend.ts';
import type { CardTransport, Exchange } from '../host/src/transport/card-transport.ts';
import { type OperationStats, type SimulatedCard, SimulatorRunner } from '../host/src/transport/simulator.ts';
import { FakeNetwork, testKeyPair } from '../test/support/pki.ts';

// ------------------------------------------------------------------------------------------ the timing profile

/**
 * NXP JCOP4 J3R180 (P71), from JCAlgTest (crocs-muni/jcalgtest_results, AlgTest 1.8.0, 2021):
 *   F = javacard/Profiles/performance/fixed/NXP_JCOP4_J3R180_SECID_P71____PERFORMANCE_SYMMETRIC_ASYMMETRIC_DATAFIXED_1634708420109__3b_d5_18_ff_81_91_fe_1f_c3_80_73_c8_21_10_0a.csv
 *   V = javacard/Profiles/performance/variable/NXP_JCOP4_J3R180_SECID_P71____PERFORMANCE_SYMMETRIC_ASYMMETRIC_DATADEPEND_1634842873864__3b_fb_91_00_ff_91_81_71_fe_40_00_41_20_00_11_77_91_80_73_c8_21_10_d6.csv
 * Milliseconds per operation ("avg op"). docs/PERFORMANCE.md lists each with its line.
 */
export const JCOP4_PROFILE = {
  /** V: KeyPair_ALG_EC_FP LENGTH_EC_FP_256 Signature_ALG_ECDSA_SHA sign(), 32 bytes of data. */
  ecdsaSignMs: 28.12,
  /** F: the same verify(), 256 bytes (30.22), less the hashing of the 224 bytes more than 32 that V's sign figures show (31.72 - 28.12 = 3.60). */
  ecdsaVerifyMs: 30.22 - (31.72 - 28.12),
  /** F: ECDSA Signature init() with an EC FP 256 key; the applet initialises before every sign and verify. */
  signatureInitMs: 8.12,
  /** V: ALG_SHA_256 MessageDigest doFinal(), slope between 128 (4.95) and 512 bytes (13.60). */
  sha256PerByteMs: (13.6 - 4.95) / (512 - 128),
  /** F: ALG_EC_FP LENGTH_EC_FP_256 ALG_EC_SVDP_DH KeyAgreement init() + generateSecret(). */
  keyAgreementMs: 7.9 + 20.04,
  /** F: ALG_EC_FP LENGTH_EC_FP_256 KeyPair genKeyPair(). */
  keyGenerationMs: 26.8,
  /** F: UTIL Util_arrayCopy_RAM2EEPROM (atomic), 256 bytes in 2.86 ms. */
  persistentWritePerByteMs: 2.86 / 256,
  /** ISO/IEC 14443 base rate fc/128 = 105.9 kbit/s; Type A sends 9 bits a byte (parity). */
  contactlessBitsPerSecond: 13.56e6 / 128,
  bitsPerByte: 9,
  /** Per APDU and direction: PCB and CRC_A (ISO/IEC 14443-4 I-block), 3 bytes. */
  frameOverheadBytes: 3,
} as const;

export interface FlowFigures {
  apdus: number;
  bytes_in: number;
  bytes_out: number;
  signatures: number;
  verifications: number;
  key_agreements: number;
  key_generations: number;
  digest_bytes: number;
  persistent_bytes: number;
  max_transaction_bytes: number;
  ms_crypto: number;
  ms_persistent: number;
  ms_transfer: number;
  ms_estimate: number;
}

/** The JCOP4 estimate of a sum of counters. */
export function estimate(stats: OperationStats, apdus: number, p = JCOP4_PROFILE): FlowFigures {
  const crypto =
    stats.sig * (p.ecdsaSignMs + p.signatureInitMs) +
    stats.ver * (p.ecdsaVerifyMs + p.signatureInitMs) +
    stats.dig * p.sha256PerByteMs +
    stats.ka * p.keyAgreementMs +
    stats.gen * p.keyGenerationMs;
  const persistent = stats.pw * p.persistentWritePerByteMs;
  const transfer = ((stats.in + stats.out + 2 * p.frameOverheadBytes * apdus) * p.bitsPerByte * 1000) / p.contactlessBitsPerSecond;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    apdus,
    bytes_in: stats.in,
    bytes_out: stats.out,
    signatures: stats.sig,
    verifications: stats.ver,
    key_agreements: stats.ka,
    key_generations: stats.gen,
    digest_bytes: stats.dig,
    persistent_bytes: stats.pw,
    max_transaction_bytes: stats.txmax,
    ms_crypto: round(crypto),
    ms_persistent: round(persistent),
    ms_transfer: round(transfer),
    ms_estimate: round(crypto + persistent + transfer),
  };
}

// ------------------------------------------------------------------------------------------ counting

const ZERO: OperationStats = { tp: 0, sig: 0, ver: 0, dig: 0, ka: 0, ciph: 0, gen: 0, pw: 0, txmax: 0, in: 0, out: 0, us: 0, alloc: 0 };

/** Sums the runner's counters of every APDU sent through it (and times each exchange). */
class Meter implements CardTransport {
  stats: OperationStats = { ...ZERO };
  apdus = 0;
  wallMs = 0;
  constructor(readonly inner: CardTransport) {}
  get name(): string {
    return `metered ${this.inner.name}`;
  }
  reset(): void {
    this.stats = { ...ZERO };
    this.apdus = 0;
    this.wallMs = 0;
  }
  private wrap(exchange: Exchange): Exchange {
    return async (command) => {
      const started = performance.now();
      const response = await exchange(command);
      this.wallMs += performance.now() - started;
      this.apdus++;
      const s = (this.inner as Partial<SimulatedCard>).lastExchangeStats;
      if (s) {
        for (const key of Object.keys(ZERO) as (keyof OperationStats)[]) {
          this.stats[key] = key === 'txmax' ? Math.max(this.stats.txmax, s.txmax) : this.stats[key] + s[key];
        }
      } else {
        this.stats.in += command.length;
        this.stats.out += response.length;
      }
      return response;
    };
  }
  exchange(command: Uint8Array): Promise<Uint8Array> {
    return this.inner.session((exchange) => this.wrap(exchange)(command));
  }
  session<T>(body: (exchange: Exchange) => Promise<T>): Promise<T> {
    return this.inner.session((exchange) => body(this.wrap(exchange)));
  }
  async close(): Promise<void> {}
}

/** The meters of several cards, summed. */
function combined(...meters: Meter[]): { stats: OperationStats; apdus: number } {
  const stats = { ...ZERO };
  let apdus = 0;
  for (const m of meters) {
    apdus += m.apdus;
    for (const key of Object.keys(ZERO) as (keyof OperationStats)[]) stats[key] = key === 'txmax' ? Math.max(stats.txmax, m.stats.txmax) : stats[key] + m.stats[key];
  }
  return { stats, apdus };
}

const REF = new TextEncoder().encode('BENCH-01');
const PIN = '1234';

// ------------------------------------------------------------------------------------------ the simulator run

async function simulated(): Promise<Record<string, number>> {
  const runner = await SimulatorRunner.start();
  const network = new FakeNetwork();
  const A = network.intermediary('A');
  const B = network.intermediary('B');
  const out: Record<string, number> = {};
  let maxTransaction = 0;
  const record = (flow: string, meters: Meter[]) => {
    const { stats, apdus } = combined(...meters);
    const figures = estimate(stats, apdus);
    maxTransaction = Math.max(maxTransaction, figures.max_transaction_bytes);
    for (const [key, value] of Object.entries(figures)) out[`card.${flow}_${key}`] = value;
  };
  let serial = 0;
  const blank = async (): Promise<{ raw: SimulatedCard; meter: Meter }> => {
    const raw = await runner.card(`bench-${++serial}`);
    await raw.install(WALLET_APPLET_CLASS, WALLET_AID);
    await raw.powerOn();
    return { raw, meter: new Meter(raw) };
  };
  const personalised = async (role: 'USER' | 'MERCHANT', issuer = A) => {
    const { raw, meter } = await blank();
    const { certificate } = await personalise(meter, issuer, { role, pin: PIN });
    meter.reset();
    return { raw, meter, certificate, issuer };
  };
  try {
    // Personalise (the card's side of issuance: SELECT, GENERATE KEY, STORE ROOT, STORE ICERT, STORE CARD CERT, SET PIN, LOCK).
    {
      const { raw, meter } = await blank();
      await personalise(meter, A, { role: 'USER', pin: PIN });
      record('personalise', [meter]);
      const memory = await raw.memory();
      out['applet.persistent_bytes'] = memory.persistent;
      out['applet.transient_bytes'] = memory.transientReset + memory.transientDeselect;
      out['applet.transient_reset_bytes'] = memory.transientReset;
      out['applet.transient_deselect_bytes'] = memory.transientDeselect;
    }

    // Top-up: SELECT, GET CHALLENGE, TOP UP.
    const payer = await personalised('USER');
    await topUp(payer.meter, A.topUpOrder(1000_00));
    record('top_up', [payer.meter]);

    // Point of sale, same intermediary: the merchant's CREATE REQUEST, the tap on the payer (SELECT, VERIFY PIN,
    // PAY), the merchant's RECEIVE.
    const merchant = await personalised('MERCHANT');
    const request = await createRequest(merchant.meter, 25_00, REF);
    record('merchant_request', [merchant.meter]);
    merchant.meter.reset();
    payer.meter.reset();
    await selectWallet(payer.meter);
    const tx = await pay(payer.meter, request, { pin: PIN });
    record('pos_payment', [payer.meter]);
    await receive(merchant.meter, tx, payer.certificate);
    record('merchant_receive', [merchant.meter]);

    // Point of sale across intermediaries: the request comes with the merchant's intermediary certificate (chained PAY).
    const merchantB = await personalised('MERCHANT', B);
    const requestB = await createRequest(merchantB.meter, 25_00, REF);
    payer.meter.reset();
    await selectWallet(payer.meter);
    await exchangeCommand(payer.meter, verifyPinCommand(PIN));
    const chained = await exchangeCommand(payer.meter, payCommand(requestB.request, requestB.certificate, B.intermediaryCertificate));
    if (chained.sw !== SW.OK) throw new Error(`PAY with the intermediary certificate answered ${chained.sw.toString(16)}`);
    record('pos_payment_cross', [payer.meter]);

    // Card to card (both cards): recipient CREATE REQUEST; payer SELECT, VERIFY PIN, PAY; recipient SELECT, RECEIVE.
    const alice = await personalised('USER');
    await topUp(alice.meter, A.topUpOrder(500_00));
    const bob = await personalised('USER');
    alice.meter.reset();
    bob.meter.reset();
    const bobRequest = await createRequest(bob.meter, 10_00, REF);
    await selectWallet(alice.meter);
    const aliceTx = await pay(alice.meter, bobRequest, { pin: PIN });
    await selectWallet(bob.meter);
    await receive(bob.meter, aliceTx, alice.certificate);
    record('card_to_card', [alice.meter, bob.meter]);

    // Sync of a full log (32 records: a top-up, 5 payments, 12 receipts, 14 more top-ups), then a de-fund.
    const full = await personalised('USER');
    await topUp(full.meter, A.topUpOrder(1000_00));
    const shop = await personalised('MERCHANT');
    for (let i = 0; i < 5; i++) {
      const r = await createRequest(shop.meter, 1_00, REF);
      await selectWallet(full.meter);
      await receive(shop.meter, await pay(full.meter, r, { pin: PIN }), full.certificate);
    }
    const softPayer = testKeyPair('bench payer');
    const softCert = await A.certifyCard({ publicKey: softPayer.publicKey, role: ROLE.USER });
    for (let i = 0; i < 12; i++) {
      const answer = await exchangeCommand(full.meter, createRequestCommand(1_00, REF));
      const r = parseRequestAnswer(answer.data).request.value;
      const t = signTransaction({ payerId: softCert.value.cardId, payerSeq: i, payerIntermediary: A.id, recipientId: r.recipientId, recipientIntermediary: r.recipientIntermediary, requestNo: r.requestNo, amount: r.amount, reference: r.reference }, softPayer.privateKey);
      const received = await exchangeCommand(full.meter, receiveCommand(t, softCert));
      if (received.sw !== SW.OK) throw new Error(`RECEIVE answered ${received.sw.toString(16)}`);
    }
    for (let i = 0; i < 14; i++) await topUp(full.meter, A.topUpOrder(1));
    const status = parseStatus((await exchangeCommand(full.meter, getStatusCommand())).data);
    if (status.logCount !== 32) throw new Error(`the full log holds ${status.logCount} records, not 32`);
    full.meter.reset();
    await synchronise(full.meter, A, { pin: PIN });
    record('sync', [full.meter]);
    out['card.sync_records'] = 32;
    full.meter.reset();
    await defund(full.meter, A.defundOrder(100_00), { pin: PIN });
    record('defund', [full.meter]);

    out['applet.max_transaction_bytes'] = maxTransaction;
    return out;
  } finally {
    await runner.close();
  }
}

// ------------------------------------------------------------------------------------------ a physical card

async function physical(): Promise<Record<string, number>> {
  const backend = await openBackend(backendOptionsFromEnv());
  const network = new FakeNetwork();
  const A = network.intermediary('A');
  const out: Record<string, number> = {};
  try {
    const card = new Meter(await backend.openCard('pcsc'));
    const selected = await exchangeCommand(card, selectCommand());
    if (selected.sw !== SW.OK) throw new Error(`SELECT of the wallet answered ${selected.sw.toString(16)}: install the applet first`);
    const state = parseStatus(selected.data.slice(0, 68)).state;
    const time = async (flow: string, run: () => Promise<unknown>) => {
      card.reset();
      await run();
      out[`card.pcsc.${flow}_ms_measured`] = Math.round(card.wallMs * 10) / 10;
      out[`card.pcsc.${flow}_apdus`] = card.apdus;
    };
    let certificate: CardCertificate;
    if (state === STATE.PERSONALISING) {
      await time('personalise', async () => {
        certificate = (await personalise(card, A, { role: 'USER', pin: PIN })).certificate;
      });
    } else {
      certificate = parseCardCertificateAnswer((await exchangeCommand(card, getCertificateCommand('card'))).data);
      if (!verifyCardCertificate(certificate, A.publicKey)) throw new Error('the card was personalised by another issuer than this bench\'s test network');
    }
    await synchronise(card, A, { pin: PIN });
    await time('top_up', () => topUp(card, A.topUpOrder(10_00)));
    const merchantKey = testKeyPair('bench soft merchant');
    const merchantCert = await A.certifyCard({ publicKey: merchantKey.publicKey, role: ROLE.MERCHANT });
    const value: PaymentRequest = { recipientId: merchantCert.value.cardId, recipientIntermediary: A.id, requestNo: Date.now() >>> 0, amount: 1_00, reference: REF };
    const request = { request: signRequest(value, merchantKey.privateKey), certificate: merchantCert };
    await time('pos_payment', async () => {
      await selectWallet(card);
      await pay(card, request, { pin: PIN });
    });
    await time('sync', () => synchronise(card, A, { pin: PIN }));
    await time('defund', () => defund(card, A.defundOrder(1_00), { pin: PIN }));
    void certificate!;
    return out;
  } finally {
    await backend.close();
  }
}

export default async function bench(): Promise<Record<string, number>> {
  const kind = backendOptionsFromEnv().kind;
  if (kind === 'pcsc') return physical();
  return simulated();
}
