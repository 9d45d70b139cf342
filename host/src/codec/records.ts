// Transaction log records (112 bytes, docs/PROTOCOL.md section 4), the records digest of the sync report, and
// the balance the records explain.

import { CodecError } from './errors.ts';
import { sha256 } from './ecdsa.ts';
import { amountAt, bytesAt, bytesField, expectZeros, hex2, readU32, writeBytes, writeU32 } from './fields.ts';
import { concatBytes } from './hex.ts';
import { type InstructionHeader, type DefundInstruction, type TopUpInstruction, encodeInstruction } from './instructions.ts';
import { decodeDecline, decodeTransaction, type Decline, encodeDecline, encodeTransaction, type Transaction } from './messages.ts';
import { LEN, OFF_OREC, OFF_REC, RECORD } from './protocol-constants.ts';
import type { Signed } from './signed.ts';

/** A payment this card made (OUTGOING, possibly voided by a decline) or received (INCOMING). */
export interface TransactionRecord {
  kind: 'OUTGOING' | 'INCOMING';
  /** True for an OUTGOING payment voided by APPLY DECLINE. */
  voided: boolean;
  transaction: Transaction;
  /** The payer's signature over the transaction body. */
  signature: Uint8Array;
}

/** A request this card declined. */
export interface DeclineRecord {
  kind: 'DECLINED';
  voided: false;
  decline: Decline;
  /** This card's signature over the decline body. */
  signature: Uint8Array;
}

/** A top-up or de-fund order this card applied. */
export interface OrderRecord {
  kind: 'TOP_UP' | 'DEFUND';
  voided: false;
  orderSeq: number;
  amount: number;
  /** The instruction's challenge. */
  challenge: Uint8Array;
  /** The instruction's state counter. */
  stateCounter: number;
  /** The intermediary's signature over the instruction. */
  signature: Uint8Array;
}

export type LogRecord = TransactionRecord | DeclineRecord | OrderRecord;

const KIND_VALUES = { OUTGOING: RECORD.OUTGOING, INCOMING: RECORD.INCOMING, DECLINED: RECORD.DECLINED, TOP_UP: RECORD.TOP_UP, DEFUND: RECORD.DEFUND } as const;
const BODY_END = OFF_REC.SIGNATURE;
const ORDER_BODY_END = OFF_OREC.STATE_COUNTER + LEN.SEQ;

/** The 112 bytes of a record. */
export function encodeRecord(record: LogRecord): Uint8Array {
  const out = new Uint8Array(LEN.RECORD);
  const kind = KIND_VALUES[record.kind];
  if (kind === undefined) throw new CodecError('record.kind', `record.kind must be one of ${Object.keys(KIND_VALUES).join(', ')}, got ${String(record.kind)}.`);
  out[OFF_REC.KIND] = kind;
  out[OFF_REC.STATUS] = record.voided ? RECORD.STATUS_VOID : RECORD.STATUS_NORMAL;
  switch (record.kind) {
    case 'OUTGOING':
    case 'INCOMING':
      out.set(encodeTransaction(record.transaction), OFF_REC.BODY);
      break;
    case 'DECLINED':
      out.set(encodeDecline(record.decline), OFF_REC.BODY);
      break;
    case 'TOP_UP':
    case 'DEFUND':
      writeU32(out, OFF_OREC.ORDER_SEQ, record.orderSeq, 'record.orderSeq');
      writeU32(out, OFF_OREC.AMOUNT, record.amount, 'record.amount');
      writeBytes(out, OFF_OREC.CHALLENGE, record.challenge, 'record.challenge', LEN.CHALLENGE);
      writeU32(out, OFF_OREC.STATE_COUNTER, record.stateCounter, 'record.stateCounter');
      break;
  }
  writeBytes(out, OFF_REC.SIGNATURE, record.signature, 'record.signature', LEN.SIGNATURE);
  return out;
}

/** Decodes 112 bytes: a known kind, status VOID only on OUTGOING, a valid body, zero padding after it. */
export function decodeRecord(bytes: Uint8Array): LogRecord {
  bytesField(bytes, 'record', LEN.RECORD);
  const kindByte = bytes[OFF_REC.KIND];
  const status = bytes[OFF_REC.STATUS];
  const kind = (Object.keys(KIND_VALUES) as (keyof typeof KIND_VALUES)[]).find((k) => KIND_VALUES[k] === kindByte);
  if (kind === undefined) {
    throw new CodecError('record.kind', `record.kind must be 01 OUTGOING, 02 INCOMING, 03 DECLINED, 04 TOP_UP or 05 DEFUND, got ${hex2(kindByte)}.`);
  }
  if (status !== RECORD.STATUS_NORMAL && !(status === RECORD.STATUS_VOID && kind === 'OUTGOING')) {
    throw new CodecError('record.status', `record.status must be 00 (NORMAL)${kind === 'OUTGOING' ? ' or 01 (VOID)' : ` for a ${kind} record`}, got ${hex2(status)}.`);
  }
  const signature = bytesAt(bytes, OFF_REC.SIGNATURE, LEN.SIGNATURE);
  switch (kind) {
    case 'OUTGOING':
    case 'INCOMING':
      return { kind, voided: status === RECORD.STATUS_VOID, transaction: decodeTransaction(bytes.slice(OFF_REC.BODY, OFF_REC.BODY + LEN.TX)), signature };
    case 'DECLINED':
      expectZeros(bytes, OFF_REC.BODY + LEN.REQUEST, BODY_END, 'record padding');
      return { kind, voided: false, decline: decodeDecline(bytes.slice(OFF_REC.BODY, OFF_REC.BODY + LEN.REQUEST)), signature };
    case 'TOP_UP':
    case 'DEFUND':
      expectZeros(bytes, ORDER_BODY_END, BODY_END, 'record padding');
      return {
        kind,
        voided: false,
        orderSeq: readU32(bytes, OFF_OREC.ORDER_SEQ),
        amount: amountAt(bytes, OFF_OREC.AMOUNT, 'record.amount'),
        challenge: bytesAt(bytes, OFF_OREC.CHALLENGE, LEN.CHALLENGE),
        stateCounter: readU32(bytes, OFF_OREC.STATE_COUNTER),
        signature,
      };
  }
}

/** SHA-256 over the records (112 bytes each) in log order; SHA-256 of nothing for an empty log. */
export function recordsDigest(records: readonly Uint8Array[]): Uint8Array {
  records.forEach((r, i) => bytesField(r, `records[${i}]`, LEN.RECORD));
  return sha256(concatBytes(...records));
}

/**
 * The signed instruction an order record was applied from: with the card's id, an order record holds everything
 * the intermediary signed, so its signature can be checked with the intermediary's key.
 */
export function orderRecordInstruction(record: OrderRecord, cardId: Uint8Array): Signed<TopUpInstruction | DefundInstruction> {
  const header: InstructionHeader = { cardId, challenge: record.challenge, stateCounter: record.stateCounter };
  const value: TopUpInstruction | DefundInstruction = { kind: record.kind, ...header, orderSeq: record.orderSeq, amount: record.amount };
  return { value, body: encodeInstruction(value), signature: record.signature };
}

/** Body and signature of a payment record, as a signed transaction (to verify with the payer's key). */
export function recordTransaction(record: TransactionRecord): Signed<Transaction> {
  return { value: record.transaction, body: encodeTransaction(record.transaction), signature: record.signature };
}

/** Body and signature of a decline record, as a signed decline (to verify with the card's own key). */
export function recordDecline(record: DeclineRecord): Signed<Decline> {
  return { value: record.decline, body: encodeDecline(record.decline), signature: record.signature };
}

/**
 * The balance the log explains (PROTOCOL.md section 4): last sync balance + top-ups - de-funds - outgoing
 * payments (voided ones excluded) + incoming payments. May be negative for an inconsistent log.
 */
export function balanceFromRecords(lastSyncBalance: number, records: readonly LogRecord[]): number {
  let balance = lastSyncBalance;
  for (const record of records) {
    switch (record.kind) {
      case 'TOP_UP':
        balance += record.amount;
        break;
      case 'DEFUND':
        balance -= record.amount;
        break;
      case 'OUTGOING':
        if (!record.voided) balance -= record.transaction.amount;
        break;
      case 'INCOMING':
        balance += record.transaction.amount;
        break;
      case 'DECLINED':
        break;
    }
  }
  return balance;
}
