// A real network for tests (central bank and intermediaries in this process, on loopback, each with its own
// SQLite database in a temporary folder) and model cards (./card-model.ts) driven through the typed client,
// exactly as the CLI will drive real cards.
//
//   const net = await TestNetwork.open({ liquidity: 'pool' });
//   const alice = await net.card(0, { deposit: 500_00, topUp: 200_00 });
//   const bob = await net.card(1);
//   await net.transfer(alice, bob, 80_00);
//   await net.sync(bob);
//   await net.expectBalanced();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Liquidity, NetworkAudit, SyncAnswer } from '../../host/src/server/api.ts';
import { CentralBankClient, IntermediaryClient } from '../../host/src/server/client.ts';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { decodeSignedInstruction, type SignedInstruction } from '../../host/src/codec/instructions.ts';
import type { Transaction } from '../../host/src/codec/messages.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import { type InProcessNetwork, type NetworkFile, startLocalNetwork } from '../../host/src/server/network.ts';
import { ModelCard } from './card-model.ts';

export interface CardOptions {
  role?: 'USER' | 'MERCHANT';
  /** Deposited to the user's online wallet first. */
  deposit?: number;
  /** Topped up right after personalisation. */
  topUp?: number;
  /** Another card of the same user. */
  sameUserAs?: NetworkCard;
}

/** A model card with the user and intermediary it belongs to. */
export interface NetworkCard {
  card: ModelCard;
  im: number;
  userId: string;
  client: IntermediaryClient;
}

export class TestNetwork {
  readonly bank: CentralBankClient;
  readonly admins: IntermediaryClient[];
  private users = 0;

  private constructor(
    readonly dir: string,
    readonly file: NetworkFile,
    private readonly keys: Uint8Array[],
    /** The services, when they run in this process. */
    readonly inProcess: InProcessNetwork | undefined,
  ) {
    this.bank = new CentralBankClient(file.centralBank.url, { adminToken: file.centralBank.adminToken });
    this.admins = file.intermediaries.map((im) => new IntermediaryClient(im.url, { token: im.adminToken }));
  }

  /** The in-process network (throws for a network of child processes). */
  get network(): InProcessNetwork {
    if (!this.inProcess) throw new Error('this network runs in child processes');
    return this.inProcess;
  }

  static async open(options: { liquidity?: Liquidity; intermediaries?: number; lostCardGraceMs?: number; poolLimit?: number; issue?: number } = {}): Promise<TestNetwork> {
    const dir = mkdtempSync(join(tmpdir(), 'ekrona-net-'));
    const count = options.intermediaries ?? 2;
    const network = await startLocalNetwork({
      dir,
      liquidity: options.liquidity ?? 'pending',
      poolLimit: options.poolLimit,
      lostCardGraceMs: options.lostCardGraceMs,
      issue: options.issue,
      intermediaries: Array.from({ length: count }, (_, i) => ({ id: i + 1, name: `Bank ${i + 1}` })),
      start: { outboxIntervalMs: 200, onInternalError: (e) => console.error('internal error', e) },
    });
    return new TestNetwork(dir, network.file, network.intermediaries.map((im) => im.service.publicKey), network);
  }

  /** A network already running elsewhere (child processes started by networkUp). */
  static async attach(file: NetworkFile): Promise<TestNetwork> {
    const keys: Uint8Array[] = [];
    for (const im of file.intermediaries) keys.push(fromHex((await new IntermediaryClient(im.url).info()).publicKey));
    return new TestNetwork(file.dir, file, keys, undefined);
  }

  async close(): Promise<void> {
    if (!this.inProcess) return;
    await this.inProcess.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  intermediaryKey(im: number): Uint8Array {
    return this.keys[im];
  }

  /** A new user with a personalised model card at intermediary `im` (0-based). */
  async card(im: number, options: CardOptions = {}): Promise<NetworkCard> {
    const admin = this.admins[im];
    let userId: string;
    let client: IntermediaryClient;
    if (options.sameUserAs) {
      userId = options.sameUserAs.userId;
      client = options.sameUserAs.client;
    } else {
      const user = await admin.createUser(`user ${++this.users}`);
      userId = user.userId;
      client = admin.as(user.token);
    }
    const card = new ModelCard(`card ${this.users}`);
    const certified = await client.certifyCard(card.publicKey, options.role ?? 'USER');
    card.personalise(fromHex(certified.certificate), this.intermediaryKey(im));
    const result: NetworkCard = { card, im, userId, client };
    if (options.deposit) await admin.deposit(userId, options.deposit);
    if (options.topUp) await this.topUp(result, options.topUp);
    return result;
  }

  /** The top-up flow: order, GET CHALLENGE, signed instruction, TOP UP. */
  async topUp(c: NetworkCard, amount: number): Promise<void> {
    const order = await c.client.createOrder(c.card.cardIdHex, 'TOP_UP', amount);
    const answer = await c.client.signOrder(c.card.cardIdHex, order.orderId, c.card.getChallenge());
    if (!answer.instruction) throw new Error(`the top-up was not signed: ${answer.reason}`);
    c.card.topUp(decodeSignedInstruction(fromHex(answer.instruction)) as SignedInstruction<'TOP_UP'>);
  }

  /** The de-fund flow: order, GET CHALLENGE, DEFUND, confirmation. */
  async defund(c: NetworkCard, amount: number): Promise<void> {
    const order = await c.client.createOrder(c.card.cardIdHex, 'DEFUND', amount);
    const answer = await c.client.signOrder(c.card.cardIdHex, order.orderId, c.card.getChallenge());
    if (!answer.instruction) throw new Error(`the de-fund was not signed: ${answer.reason}`);
    const confirmation = c.card.defund(decodeSignedInstruction(fromHex(answer.instruction)) as SignedInstruction<'DEFUND'>);
    await c.client.confirmDefund(c.card.cardIdHex, order.orderId, confirmation);
  }

  /** Card to card (or at a point of sale): CREATE REQUEST, PAY, RECEIVE. */
  async transfer(payer: NetworkCard, recipient: NetworkCard, amount: number): Promise<{ tx: Signed<Transaction>; requestNo: number }> {
    const { request } = recipient.card.createRequest(amount);
    const tx = payer.card.pay(request, recipient.card.publicKey);
    recipient.card.receive(tx, payer.card.publicKey);
    return { tx, requestNo: request.value.requestNo };
  }

  /** The report and records as the sync flow sends them. */
  report(c: NetworkCard): { report: string; records: string[] } {
    const report = c.card.syncReport();
    return { report: toHex(report.body) + toHex(report.signature), records: c.card.recordBytes().map((b) => toHex(b)) };
  }

  /** The sync flow: SYNC REPORT, records, POST sync, SYNC APPLY (or the SET LIFECYCLE answered instead). */
  async sync(c: NetworkCard, options: { apply?: boolean } = {}): Promise<SyncAnswer> {
    const { report, records } = this.report(c);
    const answer = await c.client.sync(c.card.cardIdHex, report, records);
    if (options.apply !== false && answer.instruction) {
      const instruction = decodeSignedInstruction(fromHex(answer.instruction));
      if (instruction.value.kind === 'SYNC_RESULT') c.card.applySyncResult(instruction as SignedInstruction<'SYNC_RESULT'>);
      else if (instruction.value.kind === 'LIFECYCLE') c.card.setLifecycle(instruction as SignedInstruction<'LIFECYCLE'>);
    }
    return answer;
  }

  /** Syncs until the answer is a result (a due lifecycle change is applied first). */
  async syncFully(c: NetworkCard): Promise<SyncAnswer> {
    let answer = await this.sync(c);
    for (let i = 0; i < 3 && answer.outcome === 'lifecycle'; i++) answer = await this.sync(c);
    return answer;
  }

  /** The network audit (drains every outbox first). */
  audit(): Promise<NetworkAudit> {
    return this.bank.networkAudit();
  }

  /** Conservation of money and card coverage, network-wide: fails the test with the audit's problems. */
  async expectBalanced(): Promise<NetworkAudit> {
    const audit = await this.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.balanced).toBe(true);
    return audit;
  }

  /** The card's coverage (shadow + pending in - pending out - reserved) as its intermediary sees it. */
  async coverage(c: NetworkCard): Promise<number> {
    return (await this.admins[c.im].card(c.card.cardIdHex)).coverage;
  }

  /** Total e-krona in the network: online + shadow + treasury + clearing of every intermediary. */
  async total(): Promise<number> {
    let sum = 0;
    for (const admin of this.admins) {
      const a = await admin.audit();
      sum += a.treasury + a.online + a.shadow + a.clearing;
    }
    return sum;
  }
}
