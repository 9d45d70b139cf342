// Parsers of the wallet's answers (the response data, status word already split off), and the status word check
// that turns a refusal into a CardError.

import {
  type CardCertificate,
  decodeCardCertificate,
  decodeIntermediaryCertificate,
  type IntermediaryCertificate,
} from './certificates.ts';
import { assertPublicKey } from './ecdsa.ts';
import { CardError, CodecError } from './errors.ts';
import { amountAt, bytesAt, bytesField, exactLength, hex2, readU32 } from './fields.ts';
import {
  type Decline,
  type DefundConfirmation,
  decodeSignedDecline,
  decodeSignedDefundConfirmation,
  decodeSignedReport,
  decodeSignedRequest,
  decodeSignedTransaction,
  type PaymentRequest,
  type Report,
  type Transaction,
} from './messages.ts';
import { decodePolicy, type Policy } from './policy.ts';
import { decodeRecord, type LogRecord } from './records.ts';
import { LEN, LIMIT, OFF_CHAL, OFF_STATUS, ROLE, STATE, SW } from './protocol-constants.ts';
import type { Signed } from './signed.ts';

/** Throws a CardError unless `sw` is 9000. */
export function checkStatusWord(sw: number, command?: string): void {
  if (sw !== SW.OK) throw new CardError(sw, command);
}

// ------------------------------------------------------------------------------------------------------ status

export interface CardStatus {
  protocolVersion: number;
  /** ROLE.USER, ROLE.MERCHANT, or 0 before personalisation. */
  role: number;
  /** STATE.* value. */
  state: number;
  /** Zeros before personalisation. */
  cardId: Uint8Array;
  intermediaryId: number;
  balance: number;
  spendable: number;
  stateCounter: number;
  txSeq: number;
  orderSeq: number;
  /** OUTGOING records in the log. */
  payments: number;
  /** INCOMING records in the log. */
  receivedCount: number;
  receivedAmount: number;
  logCount: number;
  logCapacity: number;
  openRequests: number;
  openAmount: number;
  pinTries: number;
  policy: Policy;
}

/** The 68-byte status (GET STATUS, and the start of the SELECT answer). */
export function parseStatus(data: Uint8Array): CardStatus {
  exactLength(data, 'status', LEN.STATUS);
  const role = data[OFF_STATUS.ROLE];
  if (role !== 0 && role !== ROLE.USER && role !== ROLE.MERCHANT) {
    throw new CodecError('status.role', `status.role must be 00, 01 (USER) or 02 (MERCHANT), got ${hex2(role)}.`);
  }
  const state = data[OFF_STATUS.STATE];
  if (!(Object.values(STATE) as number[]).includes(state)) {
    throw new CodecError('status.state', `status.state must be 01 to 04, got ${hex2(state)}.`);
  }
  const count = (offset: number, field: string, max: number) => {
    const v = data[offset];
    if (v > max) throw new CodecError(field, `${field} must be 0 to ${max}, got ${v}.`);
    return v;
  };
  return {
    protocolVersion: data[OFF_STATUS.PROTOCOL_VERSION],
    role,
    state,
    cardId: bytesAt(data, OFF_STATUS.CARD_ID, LEN.CARD_ID),
    intermediaryId: readU32(data, OFF_STATUS.INTERMEDIARY_ID),
    balance: amountAt(data, OFF_STATUS.BALANCE, 'status.balance', true),
    spendable: amountAt(data, OFF_STATUS.SPENDABLE, 'status.spendable', true),
    stateCounter: readU32(data, OFF_STATUS.STATE_COUNTER),
    txSeq: readU32(data, OFF_STATUS.TX_SEQ),
    orderSeq: readU32(data, OFF_STATUS.ORDER_SEQ),
    payments: count(OFF_STATUS.PAYMENTS, 'status.payments', LIMIT.LOG_CAPACITY),
    receivedCount: count(OFF_STATUS.RECEIVED_COUNT, 'status.receivedCount', LIMIT.LOG_CAPACITY),
    receivedAmount: readU32(data, OFF_STATUS.RECEIVED_AMOUNT),
    logCount: count(OFF_STATUS.LOG_COUNT, 'status.logCount', LIMIT.LOG_CAPACITY),
    logCapacity: data[OFF_STATUS.LOG_CAPACITY],
    openRequests: count(OFF_STATUS.OPEN_REQUESTS, 'status.openRequests', LIMIT.MAX_OPEN_REQUESTS),
    openAmount: readU32(data, OFF_STATUS.OPEN_AMOUNT),
    pinTries: count(OFF_STATUS.PIN_TRIES, 'status.pinTries', LIMIT.PIN_TRIES),
    policy: decodePolicy(data.slice(OFF_STATUS.POLICY, OFF_STATUS.POLICY + LEN.POLICY)),
  };
}

export interface SelectAnswer {
  status: CardStatus;
  /** The card certificate, once stored. */
  certificate?: CardCertificate;
}

/** SELECT: the status (68), then the card certificate (144) once stored. */
export function parseSelectAnswer(data: Uint8Array): SelectAnswer {
  bytesField(data, 'select answer');
  if (data.length === LEN.STATUS) return { status: parseStatus(data) };
  if (data.length === LEN.STATUS + LEN.CARD_CERT) {
    return { status: parseStatus(data.slice(0, LEN.STATUS)), certificate: decodeCardCertificate(data.slice(LEN.STATUS)) };
  }
  throw new CodecError('select answer', `select answer must be ${LEN.STATUS} or ${LEN.STATUS + LEN.CARD_CERT} bytes long, got ${data.length}.`);
}

// --------------------------------------------------------------------------------------------------- challenge

export interface ChallengeAnswer {
  challenge: Uint8Array;
  cardId: Uint8Array;
  stateCounter: number;
  /** The card's next order number. */
  orderSeq: number;
  balance: number;
}

/** GET CHALLENGE: 36 bytes. */
export function parseChallengeAnswer(data: Uint8Array): ChallengeAnswer {
  exactLength(data, 'challenge answer', LEN.CHALLENGE_ANSWER);
  return {
    challenge: bytesAt(data, OFF_CHAL.CHALLENGE, LEN.CHALLENGE),
    cardId: bytesAt(data, OFF_CHAL.CARD_ID, LEN.CARD_ID),
    stateCounter: readU32(data, OFF_CHAL.STATE_COUNTER),
    orderSeq: readU32(data, OFF_CHAL.ORDER_SEQ),
    balance: amountAt(data, OFF_CHAL.BALANCE, 'challenge answer.balance', true),
  };
}

// -------------------------------------------------------------------------------------------- card messages

/** A request (or decline) as a recipient card answers it: signed body and the recipient's card certificate. */
export interface RequestAnswer {
  request: Signed<PaymentRequest>;
  certificate: CardCertificate;
}

export interface DeclineAnswer {
  decline: Signed<Decline>;
  certificate: CardCertificate;
}

const SIGNED_REQUEST = LEN.REQUEST + LEN.SIGNATURE;

/** CREATE REQUEST: request (30), signature (64), card certificate (144). */
export function parseRequestAnswer(data: Uint8Array): RequestAnswer {
  exactLength(data, 'request answer', SIGNED_REQUEST + LEN.CARD_CERT);
  return { request: decodeSignedRequest(data.slice(0, SIGNED_REQUEST)), certificate: decodeCardCertificate(data.slice(SIGNED_REQUEST)) };
}

/** DECLINE: decline (30), signature (64), card certificate (144). */
export function parseDeclineAnswer(data: Uint8Array): DeclineAnswer {
  exactLength(data, 'decline answer', SIGNED_REQUEST + LEN.CARD_CERT);
  return { decline: decodeSignedDecline(data.slice(0, SIGNED_REQUEST)), certificate: decodeCardCertificate(data.slice(SIGNED_REQUEST)) };
}

/** PAY and RESEND LAST: transaction (46), signature (64). */
export function parseTransactionAnswer(data: Uint8Array): Signed<Transaction> {
  return decodeSignedTransaction(data);
}

/** SYNC REPORT: report (88), signature (64). */
export function parseReportAnswer(data: Uint8Array): Signed<Report> {
  return decodeSignedReport(data);
}

/** DEFUND: confirmation (42), signature (64). */
export function parseDefundAnswer(data: Uint8Array): Signed<DefundConfirmation> {
  return decodeSignedDefundConfirmation(data);
}

/** One entry of LIST OPEN REQUESTS. */
export interface OpenRequest {
  requestNo: number;
  amount: number;
  reference: Uint8Array;
}

/** LIST OPEN REQUESTS: 0 to LIMIT_MAX_OPEN_REQUESTS entries of 16 bytes (request number, amount, reference). */
export function parseOpenRequestsAnswer(data: Uint8Array): OpenRequest[] {
  bytesField(data, 'open requests answer');
  if (data.length % LEN.OPEN_REQUEST !== 0 || data.length > LIMIT.MAX_OPEN_REQUESTS * LEN.OPEN_REQUEST) {
    throw new CodecError(
      'open requests answer',
      `open requests answer must be 0 to ${LIMIT.MAX_OPEN_REQUESTS} entries of ${LEN.OPEN_REQUEST} bytes, got ${data.length} bytes.`,
    );
  }
  const out: OpenRequest[] = [];
  for (let at = 0; at < data.length; at += LEN.OPEN_REQUEST) {
    out.push({
      requestNo: readU32(data, at),
      amount: amountAt(data, at + LEN.SEQ, `open requests answer[${at / LEN.OPEN_REQUEST}].amount`),
      reference: bytesAt(data, at + LEN.SEQ + LEN.AMOUNT, LEN.REFERENCE),
    });
  }
  return out;
}

/** A record as read: its 112 bytes (for the digest) and its decoded value. */
export interface ReadRecord {
  bytes: Uint8Array;
  record: LogRecord;
}

/** READ RECORDS: 0 to LIMIT_RECORDS_PER_READ records of 112 bytes. */
export function parseRecordsAnswer(data: Uint8Array): ReadRecord[] {
  bytesField(data, 'records answer');
  if (data.length % LEN.RECORD !== 0 || data.length > LIMIT.RECORDS_PER_READ * LEN.RECORD) {
    throw new CodecError(
      'records answer',
      `records answer must be 0 to ${LIMIT.RECORDS_PER_READ} records of ${LEN.RECORD} bytes, got ${data.length} bytes.`,
    );
  }
  const out: ReadRecord[] = [];
  for (let at = 0; at < data.length; at += LEN.RECORD) {
    const bytes = data.slice(at, at + LEN.RECORD);
    out.push({ bytes, record: decodeRecord(bytes) });
  }
  return out;
}

/** PERSO GENERATE KEY: the card's public key (65), a point of P-256. */
export function parsePublicKeyAnswer(data: Uint8Array): Uint8Array {
  return assertPublicKey(exactLength(data, 'public key answer', LEN.PUBLIC_KEY).slice(), 'public key answer');
}

/** GET CERTIFICATE P1 01. */
export function parseCardCertificateAnswer(data: Uint8Array): CardCertificate {
  return decodeCardCertificate(data);
}

/** GET CERTIFICATE P1 02. */
export function parseIntermediaryCertificateAnswer(data: Uint8Array): IntermediaryCertificate {
  return decodeIntermediaryCertificate(data);
}
