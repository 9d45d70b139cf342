// Payments between cards (docs/PROTOCOL.md sections 3, 6, 7): request, pay, receive, resend, decline.
//
// A card that does not know the counterparty's intermediary answers 9C12; the flow then sends the command again
// with that intermediary's certificate (chained, as it no longer fits one APDU). The certificate is sent only
// then, so the usual tap stays at one APDU per command.

import type { CardCertificate, IntermediaryCertificate } from '../codec/certificates.ts';
import {
  applyDeclineCommand,
  type Command,
  commandName,
  createRequestCommand,
  declineCommand,
  listOpenRequestsCommand,
  payCommand,
  receiveCommand,
  resendLastCommand,
} from '../codec/commands.ts';
import { CardError } from '../codec/errors.ts';
import { equalBytes } from '../codec/hex.ts';
import {
  type PaymentRequest,
  type Transaction,
  transactionAnswers,
  verifyDecline,
  verifyRequest,
} from '../codec/messages.ts';
import { SW } from '../codec/protocol-constants.ts';
import {
  type DeclineAnswer,
  type OpenRequest,
  parseDeclineAnswer,
  parseOpenRequestsAnswer,
  parseRequestAnswer,
  parseTransactionAnswer,
  type RequestAnswer,
} from '../codec/responses.ts';
import type { Signed } from '../codec/signed.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { CardPowerLost, TransportError } from '../transport/card-transport.ts';
import { exchangeCommand, parseAnswer, runCommand } from './apdu.ts';
import { readIntermediaryCertificate, selectWallet, verifyPin } from './card.ts';
import { FlowError } from './errors.ts';
import type { IntermediaryCertificateSource } from './intermediary.ts';

export interface CounterpartyOptions {
  /**
   * The counterparty's intermediary certificate, or a directory to fetch it from, sent only when the card answers
   * 9C12. Without it, 9C12 is thrown as a CardError.
   */
  intermediaryCertificate?: IntermediaryCertificateSource;
}

async function resolveCertificate(source: IntermediaryCertificateSource, intermediaryId: number): Promise<IntermediaryCertificate> {
  const certificate = 'intermediaryCertificate' in source ? await source.intermediaryCertificate(intermediaryId) : source;
  if (certificate.value.intermediaryId !== intermediaryId) {
    throw new FlowError(`The intermediary certificate provided is for intermediary ${certificate.value.intermediaryId}, not ${intermediaryId}.`);
  }
  return certificate;
}

/** Sends `build()`; on 9C12 sends `build(certificate)` with the counterparty's intermediary certificate. */
async function withIntermediaryOnDemand(
  card: CardTransport,
  intermediaryId: number,
  options: CounterpartyOptions,
  build: (certificate?: IntermediaryCertificate) => Command,
): Promise<Uint8Array> {
  const first = build();
  const answer = await exchangeCommand(card, first);
  if (answer.sw === SW.OK) return answer.data;
  if (answer.sw !== SW.UNKNOWN_INTERMEDIARY || options.intermediaryCertificate === undefined) {
    throw new CardError(answer.sw, commandName(first.ins));
  }
  const certificate = await resolveCertificate(options.intermediaryCertificate, intermediaryId);
  return runCommand(card, build(certificate));
}

/** CREATE REQUEST on the recipient card; the request's signature is checked against the certificate it came with. */
export async function createRequest(card: CardTransport, amount: number, reference: Uint8Array): Promise<RequestAnswer> {
  const answer = parseAnswer('CREATE REQUEST', await runCommand(card, createRequestCommand(amount, reference)), parseRequestAnswer);
  if (!verifyRequest(answer.request, answer.certificate.value.publicKey)) {
    throw new FlowError("The card's request does not verify with the public key of the certificate it answered.");
  }
  const { request } = answer;
  if (!equalBytes(request.value.recipientId, answer.certificate.value.cardId) || request.value.amount !== amount || !equalBytes(request.value.reference, reference)) {
    throw new FlowError('The card answered a request for another card, amount or reference than asked.');
  }
  return answer;
}

export interface PayOptions extends CounterpartyOptions {
  /** VERIFY PIN first (otherwise the PIN must already be validated). */
  pin?: string;
}

/**
 * PAY on the payer card, for a request as the recipient card answered it. Returns the signed transaction after
 * checking it answers the request. The PIN validation ends with a successful PAY.
 */
export async function pay(card: CardTransport, request: RequestAnswer, options: PayOptions = {}): Promise<Signed<Transaction>> {
  if (options.pin !== undefined) await verifyPin(card, options.pin);
  const data = await withIntermediaryOnDemand(card, request.certificate.value.intermediaryId, options, (icert) =>
    payCommand(request.request, request.certificate, icert),
  );
  const tx = parseAnswer('PAY', data, parseTransactionAnswer);
  if (!transactionAnswers(tx.value, request.request.value)) throw new FlowError("The card's transaction does not answer the request it was given.");
  return tx;
}

/** RECEIVE on the recipient card: the payer's signed transaction and certificate. */
export async function receive(
  card: CardTransport,
  transaction: Signed<Transaction>,
  payerCertificate: CardCertificate,
  options: CounterpartyOptions = {},
): Promise<void> {
  await withIntermediaryOnDemand(card, payerCertificate.value.intermediaryId, options, (icert) =>
    receiveCommand(transaction, payerCertificate, icert),
  );
}

/** LIST OPEN REQUESTS on the recipient card: its requests neither received nor declined, in slot order. */
export async function listOpenRequests(card: CardTransport): Promise<OpenRequest[]> {
  return parseAnswer('LIST OPEN REQUESTS', await runCommand(card, listOpenRequestsCommand()), parseOpenRequestsAnswer);
}

/**
 * After the answer to CREATE REQUEST was lost: finds the open requests of `amount` and `reference` (but those in
 * `keep`, requests whose signed answer someone holds) and declines them, so that a request nobody can pay does not
 * keep its slot and its reserved limits. Returns the declines. Safe because nobody holds the lost request: no payer
 * can have paid it. References should be unique per sale for the match to be exact.
 */
export async function withdrawLostRequests(
  card: CardTransport,
  lost: { amount: number; reference: Uint8Array },
  keep: readonly number[] = [],
): Promise<DeclineAnswer[]> {
  const open = await listOpenRequests(card);
  const declines: DeclineAnswer[] = [];
  for (const request of open) {
    if (request.amount === lost.amount && equalBytes(request.reference, lost.reference) && !keep.includes(request.requestNo)) {
      declines.push(await decline(card, request.requestNo));
    }
  }
  return declines;
}

/** RESEND LAST on the payer card: its last payment, when it answers `request` (9C1D otherwise). */
export async function resendLast(card: CardTransport, request: PaymentRequest): Promise<Signed<Transaction>> {
  const tx = parseAnswer('RESEND LAST', await runCommand(card, resendLastCommand(request.recipientId, request.requestNo, request.reference)), parseTransactionAnswer);
  if (!transactionAnswers(tx.value, request)) throw new FlowError("The card's last transaction does not answer the request it was given.");
  return tx;
}

/** DECLINE on the recipient card: closes the open request and answers the signed decline, for the payer. */
export async function decline(card: CardTransport, requestNo: number): Promise<DeclineAnswer> {
  const answer = parseAnswer('DECLINE', await runCommand(card, declineCommand(requestNo)), parseDeclineAnswer);
  if (!verifyDecline(answer.decline, answer.certificate.value.publicKey)) {
    throw new FlowError("The card's decline does not verify with the public key of the certificate it answered.");
  }
  if (answer.decline.value.requestNo !== requestNo) throw new FlowError(`The card declined request ${answer.decline.value.requestNo}, not ${requestNo}.`);
  return answer;
}

/** APPLY DECLINE on the payer card: voids the declined payment and restores its amount. */
export async function applyDecline(card: CardTransport, declined: DeclineAnswer, options: CounterpartyOptions = {}): Promise<void> {
  await withIntermediaryOnDemand(card, declined.certificate.value.intermediaryId, options, (icert) =>
    applyDeclineCommand(declined.decline, declined.certificate, icert),
  );
}

export interface PointOfSaleOptions {
  merchant: CardTransport;
  payer: CardTransport;
  amount: number;
  reference: Uint8Array;
  pin: string;
  /**
   * Certificates of intermediaries the cards may not know. Default: read on demand (9C12) from the other card
   * with GET CERTIFICATE, the merchant's for PAY and the payer's for RECEIVE.
   */
  directory?: IntermediaryCertificateSource;
  /** Times to ask the payer card again (SELECT, RESEND LAST) when the answer to PAY is lost (default 2). */
  resendAttempts?: number;
  /** Open requests of the merchant card that someone holds: never withdrawn when the answer to CREATE REQUEST is lost. */
  keepOpenRequests?: readonly number[];
}

export interface PointOfSaleResult {
  request: RequestAnswer;
  transaction: Signed<Transaction>;
  /** The payer's certificate, from SELECT. */
  payerCertificate: CardCertificate;
}

/**
 * A payment at a point of sale (section 7): CREATE REQUEST on the merchant card; on the payer card SELECT, VERIFY
 * PIN, PAY; RECEIVE on the merchant card. When the answer to CREATE REQUEST is lost, the lost request is found
 * with LIST OPEN REQUESTS and declined, and a new one made (once). When the answer to PAY is lost on the way, the
 * payer card is asked again with SELECT and RESEND LAST: it paid at most once, and hands out the same transaction.
 */
export async function payAtPointOfSale(options: PointOfSaleOptions): Promise<PointOfSaleResult> {
  const { merchant, payer } = options;
  let request: RequestAnswer;
  try {
    request = await createRequest(merchant, options.amount, options.reference);
  } catch (error) {
    if (!(error instanceof TransportError) || error instanceof CardPowerLost) throw error;
    await withdrawLostRequests(merchant, options, options.keepOpenRequests);
    request = await createRequest(merchant, options.amount, options.reference);
  }
  const selected = await selectWallet(payer);
  const payerCertificate = selected.certificate;
  if (!payerCertificate) throw new FlowError('The payer card is not personalised: SELECT answered no certificate.');
  await verifyPin(payer, options.pin);
  let transaction: Signed<Transaction>;
  try {
    transaction = await pay(payer, request, {
      intermediaryCertificate: options.directory ?? { intermediaryCertificate: () => readIntermediaryCertificate(merchant) },
    });
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    transaction = await resendAfterLoss(payer, request.request.value, options.resendAttempts ?? 2, error);
  }
  await receive(merchant, transaction, payerCertificate, {
    intermediaryCertificate: options.directory ?? { intermediaryCertificate: () => readIntermediaryCertificate(payer) },
  });
  return { request, transaction, payerCertificate };
}

async function resendAfterLoss(payer: CardTransport, request: PaymentRequest, attempts: number, lost: TransportError): Promise<Signed<Transaction>> {
  let last: unknown = lost;
  for (let i = 0; i < attempts; i++) {
    try {
      await selectWallet(payer);
      return await resendLast(payer, request);
    } catch (error) {
      // 9C1D: the card did not pay (the PAY never reached it, or was rolled back): the loss was before the debit.
      if (error instanceof CardError) throw new FlowError('The answer to PAY was lost and the payer card holds no payment for this request.', { cause: error });
      if (!(error instanceof TransportError)) throw error;
      last = error;
    }
  }
  throw new FlowError(`The answer to PAY was lost and the payer card could not be asked again (${attempts} attempts).`, { cause: last });
}
