// Messages signed by cards: payment request, decline, transaction, synchronisation report, de-fund confirmation
// (docs/PROTOCOL.md sections 3, 6).
//
// Encoders write any representable value (see fields.ts); decoders refuse what the protocol forbids (a zero
// amount in a request, a transaction or a decline, an amount above 0x7FFFFFFF, an unknown lifecycle state...).

import { amountAt, bytesAt, exactLength, expectTag, oneOfAt, readU32, u8, writeBytes, writeU32 } from './fields.ts';
import { CodecError } from './errors.ts';
import { equalBytes } from './hex.ts';
import { transactionIdOf } from './ids.ts';
import { LEN, LIMIT, MSG, OFF_DCONF, OFF_REPORT, OFF_REQ, OFF_TX, STATE } from './protocol-constants.ts';
import { decodeSigned, type Signed, signWith, verifySigned } from './signed.ts';

// --------------------------------------------------------------------------------------- payment request, decline

/** The fields of a payment request; a decline has the same fields (and layout, with tag MSG_DECLINE). */
export interface PaymentRequest {
  recipientId: Uint8Array;
  recipientIntermediary: number;
  requestNo: number;
  /** Öre. */
  amount: number;
  /** 8 bytes chosen by the recipient. */
  reference: Uint8Array;
}

/** A decline names the request it refuses, with all of its fields. */
export type Decline = PaymentRequest;

function encodeRequestLayout(tag: number, value: PaymentRequest, what: string): Uint8Array {
  const out = new Uint8Array(LEN.REQUEST);
  out[OFF_REQ.TAG] = tag;
  out[OFF_REQ.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_REQ.RECIPIENT_ID, value.recipientId, `${what}.recipientId`, LEN.CARD_ID);
  writeU32(out, OFF_REQ.RECIPIENT_INTERMEDIARY, value.recipientIntermediary, `${what}.recipientIntermediary`);
  writeU32(out, OFF_REQ.REQUEST_NO, value.requestNo, `${what}.requestNo`);
  writeU32(out, OFF_REQ.AMOUNT, value.amount, `${what}.amount`);
  writeBytes(out, OFF_REQ.REFERENCE, value.reference, `${what}.reference`, LEN.REFERENCE);
  return out;
}

function decodeRequestLayout(bytes: Uint8Array, tag: number, tagName: string, what: string): PaymentRequest {
  exactLength(bytes, what, LEN.REQUEST);
  expectTag(bytes, OFF_REQ.TAG, tag, `${what}.tag`, tagName);
  expectTag(bytes, OFF_REQ.VERSION, MSG.FORMAT_VERSION, `${what}.version`, 'MSG_FORMAT_VERSION');
  return {
    recipientId: bytesAt(bytes, OFF_REQ.RECIPIENT_ID, LEN.CARD_ID),
    recipientIntermediary: readU32(bytes, OFF_REQ.RECIPIENT_INTERMEDIARY),
    requestNo: readU32(bytes, OFF_REQ.REQUEST_NO),
    amount: amountAt(bytes, OFF_REQ.AMOUNT, `${what}.amount`),
    reference: bytesAt(bytes, OFF_REQ.REFERENCE, LEN.REFERENCE),
  };
}

/** The 30-byte request body. */
export function encodeRequest(request: PaymentRequest): Uint8Array {
  return encodeRequestLayout(MSG.REQUEST, request, 'request');
}

export function decodeRequest(bytes: Uint8Array): PaymentRequest {
  return decodeRequestLayout(bytes, MSG.REQUEST, 'MSG_REQUEST', 'request');
}

export function signRequest(request: PaymentRequest, recipientPrivateKey: Uint8Array): Signed<PaymentRequest> {
  return signWith(request, encodeRequest, recipientPrivateKey);
}

export function verifyRequest(request: Signed<PaymentRequest>, recipientPublicKey: Uint8Array): boolean {
  return verifySigned(request, recipientPublicKey);
}

/** Body and signature, 94 bytes. */
export function decodeSignedRequest(bytes: Uint8Array): Signed<PaymentRequest> {
  return decodeSigned(bytes, LEN.REQUEST, decodeRequest, 'signed request');
}

/** The 30-byte decline body. */
export function encodeDecline(decline: Decline): Uint8Array {
  return encodeRequestLayout(MSG.DECLINE, decline, 'decline');
}

export function decodeDecline(bytes: Uint8Array): Decline {
  return decodeRequestLayout(bytes, MSG.DECLINE, 'MSG_DECLINE', 'decline');
}

export function signDecline(decline: Decline, recipientPrivateKey: Uint8Array): Signed<Decline> {
  return signWith(decline, encodeDecline, recipientPrivateKey);
}

export function verifyDecline(decline: Signed<Decline>, recipientPublicKey: Uint8Array): boolean {
  return verifySigned(decline, recipientPublicKey);
}

export function decodeSignedDecline(bytes: Uint8Array): Signed<Decline> {
  return decodeSigned(bytes, LEN.REQUEST, decodeDecline, 'signed decline');
}

// --------------------------------------------------------------------------------------------------- transaction

export interface Transaction {
  payerId: Uint8Array;
  /** The payer card's payment counter when it paid; with payerId the transaction id. */
  payerSeq: number;
  payerIntermediary: number;
  recipientId: Uint8Array;
  recipientIntermediary: number;
  requestNo: number;
  amount: number;
  reference: Uint8Array;
}

/** The 46-byte transaction body. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  const out = new Uint8Array(LEN.TX);
  out[OFF_TX.TAG] = MSG.TX;
  out[OFF_TX.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_TX.PAYER_ID, tx.payerId, 'transaction.payerId', LEN.CARD_ID);
  writeU32(out, OFF_TX.PAYER_SEQ, tx.payerSeq, 'transaction.payerSeq');
  writeU32(out, OFF_TX.PAYER_INTERMEDIARY, tx.payerIntermediary, 'transaction.payerIntermediary');
  writeBytes(out, OFF_TX.RECIPIENT_ID, tx.recipientId, 'transaction.recipientId', LEN.CARD_ID);
  writeU32(out, OFF_TX.RECIPIENT_INTERMEDIARY, tx.recipientIntermediary, 'transaction.recipientIntermediary');
  writeU32(out, OFF_TX.REQUEST_NO, tx.requestNo, 'transaction.requestNo');
  writeU32(out, OFF_TX.AMOUNT, tx.amount, 'transaction.amount');
  writeBytes(out, OFF_TX.REFERENCE, tx.reference, 'transaction.reference', LEN.REFERENCE);
  return out;
}

export function decodeTransaction(bytes: Uint8Array): Transaction {
  exactLength(bytes, 'transaction', LEN.TX);
  expectTag(bytes, OFF_TX.TAG, MSG.TX, 'transaction.tag', 'MSG_TX');
  expectTag(bytes, OFF_TX.VERSION, MSG.FORMAT_VERSION, 'transaction.version', 'MSG_FORMAT_VERSION');
  return {
    payerId: bytesAt(bytes, OFF_TX.PAYER_ID, LEN.CARD_ID),
    payerSeq: readU32(bytes, OFF_TX.PAYER_SEQ),
    payerIntermediary: readU32(bytes, OFF_TX.PAYER_INTERMEDIARY),
    recipientId: bytesAt(bytes, OFF_TX.RECIPIENT_ID, LEN.CARD_ID),
    recipientIntermediary: readU32(bytes, OFF_TX.RECIPIENT_INTERMEDIARY),
    requestNo: readU32(bytes, OFF_TX.REQUEST_NO),
    amount: amountAt(bytes, OFF_TX.AMOUNT, 'transaction.amount'),
    reference: bytesAt(bytes, OFF_TX.REFERENCE, LEN.REFERENCE),
  };
}

export function signTransaction(tx: Transaction, payerPrivateKey: Uint8Array): Signed<Transaction> {
  return signWith(tx, encodeTransaction, payerPrivateKey);
}

export function verifyTransaction(tx: Signed<Transaction>, payerPublicKey: Uint8Array): boolean {
  return verifySigned(tx, payerPublicKey);
}

/** Body and signature, 110 bytes. */
export function decodeSignedTransaction(bytes: Uint8Array): Signed<Transaction> {
  return decodeSigned(bytes, LEN.TX, decodeTransaction, 'signed transaction');
}

/** The transaction id `payerId || payerSeq` (12 bytes). */
export function transactionId(tx: Transaction): Uint8Array {
  return transactionIdOf(tx.payerId, tx.payerSeq);
}

/** True when `tx` pays `request`: same recipient, recipient intermediary, request number, amount and reference. */
export function transactionAnswers(tx: Transaction, request: PaymentRequest): boolean {
  return (
    equalBytes(tx.recipientId, request.recipientId) &&
    tx.recipientIntermediary === request.recipientIntermediary &&
    tx.requestNo === request.requestNo &&
    tx.amount === request.amount &&
    equalBytes(tx.reference, request.reference)
  );
}

// ------------------------------------------------------------------------------------------------ sync report

export interface Report {
  cardId: Uint8Array;
  /** The challenge SYNC REPORT made, 16 bytes: the SYNC APPLY instruction must carry it. */
  challenge: Uint8Array;
  stateCounter: number;
  orderSeq: number;
  balance: number;
  lastSyncBalance: number;
  txSeq: number;
  requestSeq: number;
  policyVersion: number;
  /** STATE.* value. */
  state: number;
  recordCount: number;
  /** SHA-256 of the log records in log order. */
  recordsDigest: Uint8Array;
  /** Amount of the open payment requests: the room they reserve under MAX_BALANCE. */
  openAmount: number;
}

/** The 92-byte report body. */
export function encodeReport(report: Report): Uint8Array {
  const out = new Uint8Array(LEN.REPORT);
  out[OFF_REPORT.TAG] = MSG.REPORT;
  out[OFF_REPORT.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_REPORT.CARD_ID, report.cardId, 'report.cardId', LEN.CARD_ID);
  writeBytes(out, OFF_REPORT.CHALLENGE, report.challenge, 'report.challenge', LEN.CHALLENGE);
  writeU32(out, OFF_REPORT.STATE_COUNTER, report.stateCounter, 'report.stateCounter');
  writeU32(out, OFF_REPORT.ORDER_SEQ, report.orderSeq, 'report.orderSeq');
  writeU32(out, OFF_REPORT.BALANCE, report.balance, 'report.balance');
  writeU32(out, OFF_REPORT.LAST_SYNC_BALANCE, report.lastSyncBalance, 'report.lastSyncBalance');
  writeU32(out, OFF_REPORT.TX_SEQ, report.txSeq, 'report.txSeq');
  writeU32(out, OFF_REPORT.REQUEST_SEQ, report.requestSeq, 'report.requestSeq');
  writeU32(out, OFF_REPORT.POLICY_VERSION, report.policyVersion, 'report.policyVersion');
  out[OFF_REPORT.STATE] = u8(report.state, 'report.state');
  out[OFF_REPORT.RECORD_COUNT] = u8(report.recordCount, 'report.recordCount');
  writeBytes(out, OFF_REPORT.RECORDS_DIGEST, report.recordsDigest, 'report.recordsDigest', LEN.DIGEST);
  writeU32(out, OFF_REPORT.OPEN_AMOUNT, report.openAmount, 'report.openAmount');
  return out;
}

export function decodeReport(bytes: Uint8Array): Report {
  exactLength(bytes, 'report', LEN.REPORT);
  expectTag(bytes, OFF_REPORT.TAG, MSG.REPORT, 'report.tag', 'MSG_REPORT');
  expectTag(bytes, OFF_REPORT.VERSION, MSG.FORMAT_VERSION, 'report.version', 'MSG_FORMAT_VERSION');
  const recordCount = bytes[OFF_REPORT.RECORD_COUNT];
  if (recordCount > LIMIT.LOG_CAPACITY) {
    throw new CodecError('report.recordCount', `report.recordCount must be 0 to ${LIMIT.LOG_CAPACITY}, got ${recordCount}.`);
  }
  return {
    cardId: bytesAt(bytes, OFF_REPORT.CARD_ID, LEN.CARD_ID),
    challenge: bytesAt(bytes, OFF_REPORT.CHALLENGE, LEN.CHALLENGE),
    stateCounter: readU32(bytes, OFF_REPORT.STATE_COUNTER),
    orderSeq: readU32(bytes, OFF_REPORT.ORDER_SEQ),
    balance: amountAt(bytes, OFF_REPORT.BALANCE, 'report.balance', true),
    lastSyncBalance: amountAt(bytes, OFF_REPORT.LAST_SYNC_BALANCE, 'report.lastSyncBalance', true),
    txSeq: readU32(bytes, OFF_REPORT.TX_SEQ),
    requestSeq: readU32(bytes, OFF_REPORT.REQUEST_SEQ),
    policyVersion: readU32(bytes, OFF_REPORT.POLICY_VERSION),
    state: oneOfAt(bytes, OFF_REPORT.STATE, 'report.state', STATE),
    recordCount,
    recordsDigest: bytesAt(bytes, OFF_REPORT.RECORDS_DIGEST, LEN.DIGEST),
    openAmount: amountAt(bytes, OFF_REPORT.OPEN_AMOUNT, 'report.openAmount', true),
  };
}

export function signReport(report: Report, cardPrivateKey: Uint8Array): Signed<Report> {
  return signWith(report, encodeReport, cardPrivateKey);
}

export function verifyReport(report: Signed<Report>, cardPublicKey: Uint8Array): boolean {
  return verifySigned(report, cardPublicKey);
}

/** Body and signature, 152 bytes. */
export function decodeSignedReport(bytes: Uint8Array): Signed<Report> {
  return decodeSigned(bytes, LEN.REPORT, decodeReport, 'signed report');
}

// ------------------------------------------------------------------------------------- de-fund confirmation

export interface DefundConfirmation {
  cardId: Uint8Array;
  /** The DEFUND instruction's challenge. */
  challenge: Uint8Array;
  orderSeq: number;
  amount: number;
  /** Balance after the de-fund. */
  balance: number;
  /** State counter after the de-fund. */
  stateCounter: number;
}

/** The 42-byte confirmation body. */
export function encodeDefundConfirmation(confirmation: DefundConfirmation): Uint8Array {
  const out = new Uint8Array(LEN.DEFUND_CONFIRM);
  out[OFF_DCONF.TAG] = MSG.DEFUND_CONFIRM;
  out[OFF_DCONF.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_DCONF.CARD_ID, confirmation.cardId, 'defundConfirmation.cardId', LEN.CARD_ID);
  writeBytes(out, OFF_DCONF.CHALLENGE, confirmation.challenge, 'defundConfirmation.challenge', LEN.CHALLENGE);
  writeU32(out, OFF_DCONF.ORDER_SEQ, confirmation.orderSeq, 'defundConfirmation.orderSeq');
  writeU32(out, OFF_DCONF.AMOUNT, confirmation.amount, 'defundConfirmation.amount');
  writeU32(out, OFF_DCONF.BALANCE, confirmation.balance, 'defundConfirmation.balance');
  writeU32(out, OFF_DCONF.STATE_COUNTER, confirmation.stateCounter, 'defundConfirmation.stateCounter');
  return out;
}

export function decodeDefundConfirmation(bytes: Uint8Array): DefundConfirmation {
  exactLength(bytes, 'defundConfirmation', LEN.DEFUND_CONFIRM);
  expectTag(bytes, OFF_DCONF.TAG, MSG.DEFUND_CONFIRM, 'defundConfirmation.tag', 'MSG_DEFUND_CONFIRM');
  expectTag(bytes, OFF_DCONF.VERSION, MSG.FORMAT_VERSION, 'defundConfirmation.version', 'MSG_FORMAT_VERSION');
  return {
    cardId: bytesAt(bytes, OFF_DCONF.CARD_ID, LEN.CARD_ID),
    challenge: bytesAt(bytes, OFF_DCONF.CHALLENGE, LEN.CHALLENGE),
    orderSeq: readU32(bytes, OFF_DCONF.ORDER_SEQ),
    amount: amountAt(bytes, OFF_DCONF.AMOUNT, 'defundConfirmation.amount'),
    balance: amountAt(bytes, OFF_DCONF.BALANCE, 'defundConfirmation.balance', true),
    stateCounter: readU32(bytes, OFF_DCONF.STATE_COUNTER),
  };
}

export function signDefundConfirmation(confirmation: DefundConfirmation, cardPrivateKey: Uint8Array): Signed<DefundConfirmation> {
  return signWith(confirmation, encodeDefundConfirmation, cardPrivateKey);
}

export function verifyDefundConfirmation(confirmation: Signed<DefundConfirmation>, cardPublicKey: Uint8Array): boolean {
  return verifySigned(confirmation, cardPublicKey);
}

/** Body and signature, 106 bytes. */
export function decodeSignedDefundConfirmation(bytes: Uint8Array): Signed<DefundConfirmation> {
  return decodeSigned(bytes, LEN.DEFUND_CONFIRM, decodeDefundConfirmation, 'signed defundConfirmation');
}
