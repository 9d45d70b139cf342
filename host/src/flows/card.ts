// Single-command flows every other flow builds on: SELECT, GET STATUS, GET CERTIFICATE, GET CHALLENGE and PIN
// handling.

import type { CardCertificate, IntermediaryCertificate } from '../codec/certificates.ts';
import {
  changePinCommand,
  getCertificateCommand,
  getChallengeCommand,
  getStatusCommand,
  selectCommand,
  verifyPinCommand,
  WALLET_AID,
} from '../codec/commands.ts';
import { CardError } from '../codec/errors.ts';
import { SW } from '../codec/protocol-constants.ts';
import {
  type CardStatus,
  type ChallengeAnswer,
  parseCardCertificateAnswer,
  parseChallengeAnswer,
  parseIntermediaryCertificateAnswer,
  parseSelectAnswer,
  parseStatus,
  type SelectAnswer,
} from '../codec/responses.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { exchangeCommand, parseAnswer, runCommand } from './apdu.ts';

/** SELECT the wallet applet: its status and, once personalised, its card certificate. Ends any PIN validation. */
export async function selectWallet(card: CardTransport, aid: Uint8Array = WALLET_AID): Promise<SelectAnswer> {
  const data = await runCommand(card, selectCommand(aid));
  return parseAnswer('SELECT', data, parseSelectAnswer);
}

/** GET STATUS. */
export async function readStatus(card: CardTransport): Promise<CardStatus> {
  return parseAnswer('GET STATUS', await runCommand(card, getStatusCommand()), parseStatus);
}

/** GET CERTIFICATE P1 01: the card's own certificate. */
export async function readCardCertificate(card: CardTransport): Promise<CardCertificate> {
  return parseAnswer('GET CERTIFICATE', await runCommand(card, getCertificateCommand('card')), parseCardCertificateAnswer);
}

/** GET CERTIFICATE P1 02: the certificate of the card's intermediary (for a counterparty card that lacks it). */
export async function readIntermediaryCertificate(card: CardTransport): Promise<IntermediaryCertificate> {
  return parseAnswer(
    'GET CERTIFICATE',
    await runCommand(card, getCertificateCommand('intermediary')),
    parseIntermediaryCertificateAnswer,
  );
}

/** GET CHALLENGE: a fresh challenge (replacing the previous one) and the state an instruction must be bound to. */
export async function getChallenge(card: CardTransport): Promise<ChallengeAnswer> {
  return parseAnswer('GET CHALLENGE', await runCommand(card, getChallengeCommand()), parseChallengeAnswer);
}

/** VERIFY PIN. A wrong PIN throws a CardError 63Cx (`triesLeft`), or 6983 once blocked. */
export async function verifyPin(card: CardTransport, pin: string | Uint8Array): Promise<void> {
  await runCommand(card, verifyPinCommand(pin));
}

export interface PinState {
  /** The PIN was verified since the applet was selected (and not consumed since). */
  validated: boolean;
  /** Tries left; undefined when validated (VERIFY without data does not say then). */
  triesLeft: number | undefined;
  blocked: boolean;
}

/** VERIFY without data: whether the PIN is validated, else the tries left. Costs no try. */
export async function pinState(card: CardTransport): Promise<PinState> {
  const answer = await exchangeCommand(card, verifyPinCommand());
  if (answer.sw === SW.OK) return { validated: true, triesLeft: undefined, blocked: false };
  if (answer.sw === SW.PIN_BLOCKED) return { validated: false, triesLeft: 0, blocked: true };
  if ((answer.sw & 0xfff0) === SW.PIN_TRIES_BASE) return { validated: false, triesLeft: answer.sw & 0x0f, blocked: false };
  throw new CardError(answer.sw, 'VERIFY PIN');
}

/** CHANGE PIN (the current PIN must be validated; the validation ends with it). */
export async function changePin(card: CardTransport, newPin: string | Uint8Array): Promise<void> {
  await runCommand(card, changePinCommand(newPin));
}
