// Card ids, intermediary ids and transaction ids.
//
// An intermediary id is a u32 (`number`); a card id is 8 bytes, by convention `intermediaryId || serial`; a
// transaction id is `payerCardId || payerSeq` (12 bytes), unique in the network.

import { bytesField, readU32, u32, writeU32 } from './fields.ts';
import { toHex } from './hex.ts';
import { LEN } from './protocol-constants.ts';

/** The card id `intermediaryId || serial` (8 bytes). */
export function cardIdOf(intermediaryId: number, serial: number): Uint8Array {
  const out = new Uint8Array(LEN.CARD_ID);
  writeU32(out, 0, intermediaryId, 'intermediaryId');
  writeU32(out, 4, serial, 'serial');
  return out;
}

/** The intermediary id written in the first 4 bytes of a card id (the numbering convention, not a guarantee). */
export function intermediaryIdOfCard(cardId: Uint8Array): number {
  return readU32(bytesField(cardId, 'cardId', LEN.CARD_ID), 0);
}

/** Upper-case hex of a card id (16 characters), handy as a map key. */
export function cardIdHex(cardId: Uint8Array): string {
  return toHex(bytesField(cardId, 'cardId', LEN.CARD_ID));
}

/** The transaction id `payerId || payerSeq` (12 bytes). */
export function transactionIdOf(payerId: Uint8Array, payerSeq: number): Uint8Array {
  const out = new Uint8Array(LEN.CARD_ID + LEN.SEQ);
  out.set(bytesField(payerId, 'payerId', LEN.CARD_ID), 0);
  writeU32(out, LEN.CARD_ID, u32(payerSeq, 'payerSeq'), 'payerSeq');
  return out;
}
