// Payment steps for the conformance tests: each one command, sent as the protocol says, its answer checked only for
// the status word when the test asks for success (the tests check the rest themselves).

import type { CardCertificate, IntermediaryCertificate } from '../../host/src/codec/certificates.ts';
import { applyDeclineCommand, createRequestCommand, declineCommand, payCommand, receiveCommand, verifyPinCommand } from '../../host/src/codec/commands.ts';
import type { Decline, PaymentRequest, Transaction } from '../../host/src/codec/messages.ts';
import { SW } from '../../host/src/codec/protocol-constants.ts';
import { type DeclineAnswer, parseDeclineAnswer, parseRequestAnswer, parseTransactionAnswer, type RequestAnswer } from '../../host/src/codec/responses.ts';
import type { Signed } from '../../host/src/codec/signed.ts';
import type { CardAnswer } from '../../host/src/flows/apdu.ts';
import { type ConfCard, expectSw } from './harness.ts';

export const REF = new TextEncoder().encode('SALE-001');

/** CREATE REQUEST, 9000 expected. */
export async function requestOn(card: ConfCard, amount: number, reference: Uint8Array = REF): Promise<RequestAnswer> {
  const answer = await card.send(createRequestCommand(amount, reference));
  expectSw(answer, SW.OK, `CREATE REQUEST of ${amount} on ${card.label}`);
  return parseRequestAnswer(answer.data);
}

/** VERIFY PIN then PAY; the answer whatever it is. */
export async function payRaw(payer: ConfCard, request: RequestAnswer | { request: Signed<PaymentRequest>; certificate: CardCertificate }, icert?: IntermediaryCertificate): Promise<CardAnswer> {
  expectSw(await payer.send(verifyPinCommand(payer.pinNow)), SW.OK, `VERIFY PIN on ${payer.label}`);
  return payer.send(payCommand(request.request, request.certificate, icert));
}

/** VERIFY PIN, PAY, 9000 expected: the signed transaction. */
export async function payOn(payer: ConfCard, request: RequestAnswer, icert?: IntermediaryCertificate): Promise<Signed<Transaction>> {
  const answer = await payRaw(payer, request, icert);
  expectSw(answer, SW.OK, `PAY on ${payer.label}`);
  return parseTransactionAnswer(answer.data);
}

/** RECEIVE; the answer whatever it is. */
export function receiveRaw(card: ConfCard, tx: Signed<Transaction>, payerCertificate: CardCertificate, icert?: IntermediaryCertificate): Promise<CardAnswer> {
  return card.send(receiveCommand(tx, payerCertificate, icert));
}

export async function receiveOn(card: ConfCard, tx: Signed<Transaction>, payerCertificate: CardCertificate, icert?: IntermediaryCertificate): Promise<void> {
  expectSw(await receiveRaw(card, tx, payerCertificate, icert), SW.OK, `RECEIVE on ${card.label}`);
}

/** DECLINE, 9000 expected. */
export async function declineOn(card: ConfCard, requestNo: number): Promise<DeclineAnswer> {
  const answer = await card.send(declineCommand(requestNo));
  expectSw(answer, SW.OK, `DECLINE ${requestNo} on ${card.label}`);
  return parseDeclineAnswer(answer.data);
}

export function applyDeclineRaw(card: ConfCard, decline: { decline: Signed<Decline>; certificate: CardCertificate }, icert?: IntermediaryCertificate): Promise<CardAnswer> {
  return card.send(applyDeclineCommand(decline.decline, decline.certificate, icert));
}

/** The whole card-to-card payment (request, pay, receive); the transaction. */
export async function transferBetween(payer: ConfCard, recipient: ConfCard, amount: number, reference: Uint8Array = REF): Promise<{ request: RequestAnswer; tx: Signed<Transaction> }> {
  const request = await requestOn(recipient, amount, reference);
  const tx = await payOn(payer, request);
  await receiveOn(recipient, tx, payer.certificate);
  return { request, tx };
}

/** A copy of `bytes` with byte `index` XOR `mask`. */
export function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index] ^= mask;
  return out;
}
