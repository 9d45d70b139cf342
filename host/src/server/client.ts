// The typed HTTP client of the central bank and intermediary services, and the adapters that let the card flows
// (host/src/flows) run against them: CardIssuer, InstructionSigner (top-up, de-fund, policy, lifecycle, PIN
// unblock), DefundAuthority, SyncAuthority and IntermediaryDirectory.
//
//   const bank = new CentralBankClient(network.centralBank.url);
//   const alfa = new IntermediaryClient(url, { token: userToken });
//   await personalise(card, await cardIssuer(alfa), { role: 'USER', pin: '1234' });
//   await topUp(card, topUpOrder(alfa, 100_00));
//   await synchroniseWithService(card, alfa, { pin: '1234' });
//
// Every refusal of a service is a ServiceRequestError (HTTP status, error code, one-sentence reason); a service
// that cannot be reached is a ServiceUnreachable. Byte strings travel as hex (api.ts).

import { randomUUID } from 'node:crypto';
import type {
  CardView,
  CentralBankAudit,
  CentralBankInfo,
  CertifiedCard,
  DirectoryEntry,
  InstructionAnswer,
  IntermediaryAudit,
  IntermediaryInfo,
  IssueAnswer,
  NetworkAudit,
  NewUser,
  OrderView,
  SyncAnswer,
  UserView,
} from './api.ts';
import { type CardCertificate, decodeCardCertificate, decodeIntermediaryCertificate, type IntermediaryCertificate, verifyIntermediaryCertificate } from '../codec/certificates.ts';
import { setLifecycleCommand } from '../codec/commands.ts';
import { fromHex, toHex } from '../codec/hex.ts';
import { cardIdHex } from '../codec/ids.ts';
import { decodeSignedInstruction, type InstructionKind, type SignedInstruction } from '../codec/instructions.ts';
import type { DefundConfirmation } from '../codec/messages.ts';
import type { Policy } from '../codec/policy.ts';
import { ROLE } from '../codec/protocol-constants.ts';
import type { ChallengeAnswer } from '../codec/responses.ts';
import type { Signed } from '../codec/signed.ts';
import { runCommand } from '../flows/apdu.ts';
import { FlowError } from '../flows/errors.ts';
import type { CardIssuer, DefundAuthority, InstructionSigner, IntermediaryDirectory, SyncAuthority, SyncSubmission } from '../flows/intermediary.ts';
import { type SyncOutcome, synchronise } from '../flows/sync.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { HttpFailure, requestJson } from './http/json-http.ts';
import type { GeneratedOtpDevice, OnlinePayment, OnlinePaymentRequest, OtpDeviceAddDetails, OtpDeviceDetails, OtpDevicePatchDetails, OtpDevicesSummary } from './merchant-api.ts';

/** A service refused the request: `status` (4xx/5xx), `code` ("order-open") and the service's one-sentence reason. */
export class ServiceRequestError extends Error {
  override name = 'ServiceRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path} was refused (${status} ${code}): ${reason}`);
  }
}

/** The service did not answer (not running, wrong url, network down). */
export class ServiceUnreachable extends Error {
  override name = 'ServiceUnreachable';
}

interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
  timeoutMs?: number;
}

/** JSON over HTTP with a bearer token. */
class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let response;
    try {
      response = await requestJson({
        method,
        url: `${this.baseUrl.replace(/\/$/, '')}${path}`,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
      });
    } catch (error) {
      if (error instanceof HttpFailure) throw new ServiceUnreachable(`The service at ${this.baseUrl} did not answer: ${error.message}`, { cause: error });
      throw error;
    }
    if (response.status >= 200 && response.status < 300) return response.body as T;
    const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as { error?: string; reason?: string };
    throw new ServiceRequestError(response.status, body.error ?? 'error', body.reason ?? `HTTP ${response.status}.`, method, path);
  }
}

// ------------------------------------------------------------------------------------------- central bank

export class CentralBankClient {
  private readonly api: Api;
  private rootKey: Uint8Array | undefined;
  private readonly certificates = new Map<number, IntermediaryCertificate>();

  /** `adminToken` is needed only for the admin endpoints (register, issue, audits). */
  constructor(readonly url: string, options: { adminToken?: string; rootPublicKey?: Uint8Array } = {}) {
    this.api = new Api(url, options.adminToken);
    this.rootKey = options.rootPublicKey;
  }

  info(): Promise<CentralBankInfo> {
    return this.api.call('GET', '/info');
  }

  /** The root public key: the one given to the constructor (trusted), else the one the service announces. */
  async rootPublicKey(): Promise<Uint8Array> {
    this.rootKey ??= fromHex((await this.info()).rootPublicKey);
    return this.rootKey;
  }

  async directory(): Promise<DirectoryEntry[]> {
    return (await this.api.call<{ intermediaries: DirectoryEntry[] }>('GET', '/directory')).intermediaries;
  }

  directoryEntry(id: number): Promise<DirectoryEntry> {
    return this.api.call('GET', `/directory/${id}`);
  }

  /** An intermediary's certificate from the directory, checked against the root key. */
  async intermediaryCertificate(id: number): Promise<IntermediaryCertificate> {
    const cached = this.certificates.get(id);
    if (cached) return cached;
    const certificate = decodeIntermediaryCertificate(fromHex((await this.directoryEntry(id)).certificate));
    if (!verifyIntermediaryCertificate(certificate, await this.rootPublicKey()) || certificate.value.intermediaryId !== id) {
      throw new FlowError(`The directory's certificate of intermediary ${id} does not verify with the root key.`);
    }
    this.certificates.set(id, certificate);
    return certificate;
  }

  registerIntermediary(request: { id: number; name: string; url: string; publicKey: string }): Promise<DirectoryEntry> {
    return this.api.call('POST', '/admin/intermediaries', { body: request });
  }

  issue(intermediaryId: number, amount: number): Promise<IssueAnswer> {
    return this.api.call('POST', '/admin/issue', { body: { intermediaryId, amount } });
  }

  audit(): Promise<CentralBankAudit> {
    return this.api.call('GET', '/audit');
  }

  /** Drains every outbox of the network, then audits every service and every card. */
  networkAudit(): Promise<NetworkAudit> {
    return this.api.call('GET', '/audit/network', { timeoutMs: 600_000 });
  }

  async drainOutbox(): Promise<number> {
    return (await this.api.call<{ remaining: number }>('POST', '/admin/outbox/drain')).remaining;
  }
}

/** The flows' IntermediaryDirectory: intermediary certificates from the central bank's directory, root-checked. */
export function directoryOf(bank: CentralBankClient): IntermediaryDirectory {
  return { intermediaryCertificate: (id) => bank.intermediaryCertificate(id) };
}

// ------------------------------------------------------------------------------------------- intermediary

export type InstructionRoute = 'lifecycle' | 'policy' | 'unblock-pin' | 'next';

function challengeJson(challenge: ChallengeAnswer) {
  return {
    challenge: toHex(challenge.challenge),
    cardId: toHex(challenge.cardId),
    stateCounter: challenge.stateCounter,
    orderSeq: challenge.orderSeq,
    balance: challenge.balance,
  };
}

export class IntermediaryClient {
  private readonly api: Api;

  /** `token`: a user's token for the user endpoints, the admin token for the admin endpoints (and any card). */
  constructor(readonly url: string, options: { token?: string } = {}) {
    this.api = new Api(url, options.token);
  }

  /** The same intermediary with another token. */
  as(token: string): IntermediaryClient {
    return new IntermediaryClient(this.url, { token });
  }

  info(): Promise<IntermediaryInfo> {
    return this.api.call('GET', '/info');
  }

  // admin
  installCertificate(certificate: string): Promise<IntermediaryInfo> {
    return this.api.call('PUT', '/admin/certificate', { body: { certificate } });
  }
  /** With `idempotencyKey`, repeating the call makes no second user: it answers the same one with a fresh token. */
  createUser(name: string, idempotencyKey?: string): Promise<NewUser> {
    return this.api.call('POST', '/admin/users', { body: { name }, idempotencyKey });
  }
  deposit(userId: string, amount: number, idempotencyKey: string = randomUUID()): Promise<UserView> {
    return this.api.call('POST', `/admin/users/${userId}/deposit`, { body: { amount }, idempotencyKey });
  }
  block(cardId: string): Promise<CardView> {
    return this.api.call('POST', `/admin/cards/${cardId}/block`);
  }
  unblock(cardId: string): Promise<CardView> {
    return this.api.call('POST', `/admin/cards/${cardId}/unblock`);
  }
  terminate(cardId: string): Promise<CardView> {
    return this.api.call('POST', `/admin/cards/${cardId}/terminate`);
  }
  setPolicy(cardId: string, policy: Policy): Promise<CardView> {
    return this.api.call('PUT', `/admin/cards/${cardId}/policy`, { body: { policy } });
  }
  async refundLostCards(): Promise<string[]> {
    return (await this.api.call<{ refunded: string[] }>('POST', '/admin/lost-cards/refund')).refunded;
  }
  async drainOutbox(): Promise<number> {
    return (await this.api.call<{ remaining: number }>('POST', '/admin/outbox/drain')).remaining;
  }
  async anomalies(): Promise<Array<{ id: number; cardId: string; kind: string; detail: string; at: number }>> {
    return (await this.api.call<{ anomalies: Array<{ id: number; cardId: string; kind: string; detail: string; at: number }> }>('GET', '/admin/anomalies')).anomalies;
  }
  audit(): Promise<IntermediaryAudit> {
    return this.api.call('GET', '/audit');
  }

  // user
  me(): Promise<UserView> {
    return this.api.call('GET', '/me');
  }
  certifyCard(publicKey: Uint8Array, role: 'USER' | 'MERCHANT'): Promise<CertifiedCard> {
    return this.api.call('POST', '/cards', { body: { publicKey: toHex(publicKey), role } });
  }
  card(cardId: string): Promise<CardView> {
    return this.api.call('GET', `/cards/${cardId}`);
  }
  orders(cardId: string): Promise<OrderView[]> {
    return this.api.call('GET', `/cards/${cardId}/orders`);
  }
  createOrder(cardId: string, kind: 'TOP_UP' | 'DEFUND', amount: number, idempotencyKey: string = randomUUID()): Promise<OrderView> {
    return this.api.call('POST', `/cards/${cardId}/orders`, { body: { kind, amount }, idempotencyKey });
  }
  signOrder(cardId: string, orderId: number, challenge: ChallengeAnswer): Promise<InstructionAnswer> {
    return this.api.call('POST', `/cards/${cardId}/orders/${orderId}/instruction`, { body: { challenge: challengeJson(challenge) } });
  }
  confirmDefund(cardId: string, orderId: number, confirmation: Signed<DefundConfirmation>): Promise<OrderView> {
    return this.api.call('POST', `/cards/${cardId}/orders/${orderId}/confirmation`, { body: { confirmation: toHex(confirmation.body) + toHex(confirmation.signature) } });
  }
  cancelOrder(cardId: string, orderId: number): Promise<OrderView> {
    return this.api.call('DELETE', `/cards/${cardId}/orders/${orderId}`);
  }
  sync(cardId: string, report: string, records: string[]): Promise<SyncAnswer> {
    return this.api.call('POST', `/cards/${cardId}/sync`, { body: { report, records } });
  }
  instruction(cardId: string, kind: InstructionRoute, challenge: ChallengeAnswer): Promise<InstructionAnswer> {
    return this.api.call('POST', `/cards/${cardId}/instructions/${kind}`, { body: { challenge: challengeJson(challenge) } });
  }
  reportLost(cardId: string): Promise<CardView> {
    return this.api.call('POST', `/cards/${cardId}/lost`);
  }

  // merchants (docs/TOTP.md): the OTP device registry of the token's user; with `merchant` (a user id), that
  // merchant's through /instances/{merchant} (the admin token, or the merchant's own)
  private privatePath(merchant: string | undefined, rest: string): string {
    return `${merchant === undefined ? '' : `/instances/${encodeURIComponent(merchant)}`}/private/otp-devices${rest}`;
  }
  /** Registers a device: undefined (204) when `otp_key` is given, else the generated key (shown this once). */
  async addOtpDevice(details: OtpDeviceAddDetails, merchant?: string): Promise<GeneratedOtpDevice | undefined> {
    return (await this.api.call<GeneratedOtpDevice | undefined>('POST', this.privatePath(merchant, ''), { body: details })) ?? undefined;
  }
  otpDevices(merchant?: string): Promise<OtpDevicesSummary> {
    return this.api.call('GET', this.privatePath(merchant, ''));
  }
  /** A device (never its key); with `faketime`/`price`, the `otp_code` a payment at that time for that price would carry. */
  otpDevice(deviceId: string, query: { faketime?: number; price?: string } = {}, merchant?: string): Promise<OtpDeviceDetails> {
    const params = new URLSearchParams();
    if (query.faketime !== undefined) params.set('faketime', String(query.faketime));
    if (query.price !== undefined) params.set('price', query.price);
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.api.call('GET', this.privatePath(merchant, `/${encodeURIComponent(deviceId)}${search}`));
  }
  async updateOtpDevice(deviceId: string, patch: OtpDevicePatchDetails, merchant?: string): Promise<void> {
    await this.api.call('PATCH', this.privatePath(merchant, `/${encodeURIComponent(deviceId)}`), { body: patch });
  }
  async deleteOtpDevice(deviceId: string, merchant?: string): Promise<void> {
    await this.api.call('DELETE', this.privatePath(merchant, `/${encodeURIComponent(deviceId)}`));
  }
  /** Pays a merchant from the token's user's online wallet; the same idempotency key answers the same payment. */
  payOnline(request: OnlinePaymentRequest, idempotencyKey: string = randomUUID()): Promise<OnlinePayment> {
    return this.api.call('POST', '/online-payments', { body: request, idempotencyKey });
  }
  onlinePayment(paymentId: string): Promise<OnlinePayment> {
    return this.api.call('GET', `/online-payments/${encodeURIComponent(paymentId)}`);
  }
}

// ------------------------------------------------------------------------------------------------ adapters

function decodeAnswer<K extends InstructionKind>(answer: InstructionAnswer, kind: K): SignedInstruction<K> | undefined {
  if (answer.instruction === null) return undefined;
  const signed = decodeSignedInstruction(fromHex(answer.instruction));
  if (signed.value.kind !== kind) throw new FlowError(`The intermediary answered a ${signed.value.kind} instruction where ${kind} was asked for.`);
  return signed as SignedInstruction<K>;
}

/** The flows' CardIssuer for an intermediary, with a user's token: its root key and certificate are read once. */
export async function cardIssuer(client: IntermediaryClient): Promise<CardIssuer> {
  const info = await client.info();
  if (!info.certificate) throw new FlowError(`Intermediary ${info.intermediaryId} has no certificate from the central bank yet.`);
  return {
    rootPublicKey: fromHex(info.rootPublicKey),
    intermediaryCertificate: decodeIntermediaryCertificate(fromHex(info.certificate)),
    async certifyCard(request: { publicKey: Uint8Array; role: number }): Promise<CardCertificate> {
      const role = request.role === ROLE.MERCHANT ? 'MERCHANT' : 'USER';
      const answer = await client.certifyCard(request.publicKey, role);
      return decodeCardCertificate(fromHex(answer.certificate));
    },
  };
}

/**
 * A top-up or de-fund order as an InstructionSigner: created at the intermediary on the first `sign` (for the card
 * of the challenge, under a fixed idempotency key, so a retried flow never creates a second order), then signed for
 * each fresh challenge; undefined once the order can no longer apply.
 */
export class OrderSigner<K extends 'TOP_UP' | 'DEFUND'> implements InstructionSigner<K> {
  orderId: number | undefined;
  private readonly idempotencyKey = randomUUID();

  constructor(
    protected readonly client: IntermediaryClient,
    readonly kind: K,
    readonly amount: number,
  ) {}

  async sign(challenge: ChallengeAnswer): Promise<SignedInstruction<K> | undefined> {
    const cardId = cardIdHex(challenge.cardId);
    if (this.orderId === undefined) this.orderId = (await this.client.createOrder(cardId, this.kind, this.amount, this.idempotencyKey)).orderId;
    return decodeAnswer(await this.client.signOrder(cardId, this.orderId, challenge), this.kind);
  }
}

export class DefundSigner extends OrderSigner<'DEFUND'> implements DefundAuthority {
  async confirmDefund(confirmation: Signed<DefundConfirmation>, certificate: CardCertificate): Promise<void> {
    if (this.orderId === undefined) throw new FlowError('The de-fund order was never created.');
    await this.client.confirmDefund(cardIdHex(certificate.value.cardId), this.orderId, confirmation);
  }
}

export function topUpOrder(client: IntermediaryClient, amount: number): OrderSigner<'TOP_UP'> {
  return new OrderSigner(client, 'TOP_UP', amount);
}

export function defundOrder(client: IntermediaryClient, amount: number): DefundSigner {
  return new DefundSigner(client, 'DEFUND', amount);
}

const ROUTE_KINDS = { lifecycle: 'LIFECYCLE', policy: 'POLICY', 'unblock-pin': 'UNBLOCK_PIN' } as const;

/** The due lifecycle change, policy, or a PIN unblock, signed for the card's challenge (undefined when none is due). */
export function instructionSigner<R extends keyof typeof ROUTE_KINDS>(client: IntermediaryClient, route: R): InstructionSigner<(typeof ROUTE_KINDS)[R]> {
  return {
    async sign(challenge: ChallengeAnswer) {
      return decodeAnswer(await client.instruction(cardIdHex(challenge.cardId), route, challenge), ROUTE_KINDS[route]);
    },
  };
}

/** The sync was answered with something other than a result: an anomaly blocked the card, a lifecycle change is due, or the card is closed. */
export class SyncInstructionInstead extends Error {
  override name = 'SyncInstructionInstead';
  constructor(
    readonly answer: SyncAnswer,
    /** The SET LIFECYCLE to apply now (bound to the report's challenge), if any. */
    readonly instruction: SignedInstruction<'LIFECYCLE'> | undefined,
  ) {
    super(
      answer.outcome === 'blocked'
        ? `The intermediary blocked the card: ${(answer.anomalies ?? []).map((a) => a.detail).join(' ')}`
        : answer.outcome === 'closed'
          ? 'The card is terminated: its records are settled and its money is in the online wallet.'
          : 'A lifecycle change is due before the card can be synchronised.',
    );
  }
}

/** The flows' SyncAuthority: POST /cards/{id}/sync; anything but a result is thrown as SyncInstructionInstead. */
export function syncAuthority(client: IntermediaryClient): SyncAuthority {
  return {
    async settle(submission: SyncSubmission): Promise<SignedInstruction<'SYNC_RESULT'>> {
      const cardId = cardIdHex(submission.certificate.value.cardId);
      const answer = await client.sync(
        cardId,
        toHex(submission.report.body) + toHex(submission.report.signature),
        submission.records.map((r) => toHex(r.bytes)),
      );
      if (answer.outcome === 'synchronised' && answer.instruction) return decodeAnswer(answer, 'SYNC_RESULT')!;
      const lifecycle = answer.instruction ? decodeAnswer({ instruction: answer.instruction }, 'LIFECYCLE') : undefined;
      throw new SyncInstructionInstead(answer, lifecycle);
    },
  };
}

export interface ServiceSyncOutcome {
  /** synchronised: the result was applied. blocked: the card was blocked (SET LIFECYCLE applied when it was due). closed: terminated card, settled. */
  outcome: 'synchronised' | 'blocked' | 'closed';
  sync?: SyncOutcome;
  answer?: SyncAnswer;
}

/**
 * The whole synchronisation against an intermediary: the sync flow; when the answer is a SET LIFECYCLE instead of
 * a result, it is applied at once (it is bound to the report's challenge) and, for a due lifecycle change, the sync
 * is run again.
 */
export async function synchroniseWithService(card: CardTransport, client: IntermediaryClient, options: { pin: string; attempts?: number }): Promise<ServiceSyncOutcome> {
  for (let round = 0; round < 3; round++) {
    try {
      const sync = await synchronise(card, syncAuthority(client), options);
      return { outcome: 'synchronised', sync };
    } catch (error) {
      if (!(error instanceof SyncInstructionInstead)) throw error;
      if (error.instruction) await runCommand(card, setLifecycleCommand(error.instruction));
      if (error.answer.outcome === 'blocked') return { outcome: 'blocked', answer: error.answer };
      if (error.answer.outcome === 'closed') return { outcome: 'closed', answer: error.answer };
    }
  }
  throw new FlowError('The intermediary kept answering lifecycle changes instead of a sync result.');
}
