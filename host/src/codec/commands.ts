// Builders of every wallet command (docs/PROTOCOL.md section 6) and ISO 7816-4 command chaining.
//
// A builder returns the command as values `{ cla, ins, p1, p2, data?, ne? }`: the bytes of the APDU (Lc, Le) are
// the transport's business (host/src/transport/iso7816.ts). `ne` is the number of response bytes expected, 1..256
// (256 is written Le = 00); commands that answer data ask for 256, which the protocol allows (Le = 00). A command
// without data has no `data` (so no Lc is ever written for it).
//
// Splitting a command whose data does not fit one short APDU into chained blocks is protocol business (the card
// answers 9000 to each block but the last and acts on the whole), so it lives here: `chainBlocks`.

import type { CardCertificate, IntermediaryCertificate } from './certificates.ts';
import { encodeCardCertificate, encodeIntermediaryCertificate } from './certificates.ts';
import { CodecError } from './errors.ts';
import { bytesField, hex2, integerField, u8, u32Bytes, writeU32 } from './fields.ts';
import { concatBytes, fromHex } from './hex.ts';
import type { SignedInstruction } from './instructions.ts';
import type { Decline, PaymentRequest, Transaction } from './messages.ts';
import { encodePolicy, type Policy } from './policy.ts';
import { CLA, INS, insName, LEN, LIMIT, P1 } from './protocol-constants.ts';
import { encodeSigned, type Signed } from './signed.ts';

/** Application AID of the wallet applet. */
export const WALLET_AID: Uint8Array = fromHex('F000000E4B5201');
/** Package AID of the wallet applet. */
export const WALLET_PACKAGE_AID: Uint8Array = fromHex('F000000E4B52');
/** Fully qualified class of the wallet applet. */
export const WALLET_APPLET_CLASS = 'ekrona.wallet.WalletApplet';

/** A command APDU as values. */
export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (absent: no Lc). */
  data?: Uint8Array;
  /** Response bytes expected, 1..256 (absent: no Le). */
  ne?: number;
}

/** The largest data field of one short APDU. */
export const MAX_SHORT_DATA = 255;
/** Ne of every command that answers data: Le = 00. */
export const NE_ANY = 256;

/** "PAY", "PERSO STORE ROOT": the name of an instruction byte, for messages. */
export function commandName(ins: number): string {
  return insName(ins)?.replace(/_/g, ' ') ?? `INS ${hex2(ins)}`;
}

function command(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number): Command {
  const out: Command = { cla, ins, p1, p2 };
  if (data !== undefined && data.length > 0) out.data = data;
  if (ne !== undefined) out.ne = ne;
  return out;
}

function wallet(ins: number, data?: Uint8Array, ne?: number): Command {
  return command(CLA.PROPRIETARY, ins, P1.NONE, P1.NONE, data, ne);
}

/**
 * Splits `cmd` into ISO 7816-4 chained blocks of at most `blockSize` data bytes (default 255): every block but
 * the last has the chaining bit 10 set in CLA and no Le; the last keeps CLA and Ne. A command whose data fits one
 * block is returned alone, unchanged.
 */
export function chainBlocks(cmd: Command, blockSize = MAX_SHORT_DATA): Command[] {
  u8(cmd.cla, 'command.cla');
  integerField(blockSize, 'blockSize', 1, MAX_SHORT_DATA);
  if ((cmd.cla & CLA.CHAINING) !== 0) {
    throw new CodecError('command.cla', `command.cla must not have the chaining bit 10 set already, got ${hex2(cmd.cla)}.`);
  }
  const data = cmd.data ?? new Uint8Array(0);
  bytesField(data, 'command.data');
  if (data.length <= blockSize) return [cmd];
  const blocks: Command[] = [];
  for (let at = 0; at < data.length; at += blockSize) {
    const last = at + blockSize >= data.length;
    const block = data.slice(at, Math.min(at + blockSize, data.length));
    blocks.push(last ? command(cmd.cla, cmd.ins, cmd.p1, cmd.p2, block, cmd.ne) : command(cmd.cla | CLA.CHAINING, cmd.ins, cmd.p1, cmd.p2, block));
  }
  return blocks;
}

/**
 * The bytes of a PIN: a string must be 4 to 8 ASCII digits (CodecError otherwise); bytes are taken as they are,
 * so that a test can send a malformed PIN and see the card refuse it.
 */
export function pinBytes(pin: string | Uint8Array, field = 'pin'): Uint8Array {
  if (typeof pin === 'string') {
    if (!new RegExp(`^[0-9]{${LIMIT.PIN_MIN},${LIMIT.PIN_MAX}}$`).test(pin)) {
      throw new CodecError(field, `${field} must be ${LIMIT.PIN_MIN} to ${LIMIT.PIN_MAX} ASCII digits, got ${pin.length} characters${/^[0-9]*$/.test(pin) ? '' : ' (not all digits)'}.`);
    }
    return new TextEncoder().encode(pin);
  }
  bytesField(pin, field);
  if (pin.length > MAX_SHORT_DATA) throw new CodecError(field, `${field} must be at most ${MAX_SHORT_DATA} bytes, got ${pin.length}.`);
  return pin;
}

// ---------------------------------------------------------------------------------------------- ISO commands

/** SELECT by AID (00 A4 04 00): answers the status, then the card certificate once stored. */
export function selectCommand(aid: Uint8Array = WALLET_AID): Command {
  bytesField(aid, 'aid');
  if (aid.length < 5 || aid.length > 16) throw new CodecError('aid', `aid must be 5 to 16 bytes long, got ${aid.length}.`);
  return command(CLA.ISO, INS.SELECT, P1.SELECT_BY_AID, P1.NONE, aid, NE_ANY);
}

/** VERIFY (00 20 00 80) with a PIN, or without data to ask whether the PIN is validated and the tries left. */
export function verifyPinCommand(pin?: string | Uint8Array): Command {
  return command(CLA.ISO, INS.VERIFY_PIN, P1.NONE, P1.PIN_REFERENCE, pin === undefined ? undefined : pinBytes(pin));
}

/** CHANGE REFERENCE DATA (00 24 00 80): the new PIN (the current one must be validated). */
export function changePinCommand(newPin: string | Uint8Array): Command {
  return command(CLA.ISO, INS.CHANGE_PIN, P1.NONE, P1.PIN_REFERENCE, pinBytes(newPin, 'newPin'));
}

// ------------------------------------------------------------------------------------------- wallet commands

export function getStatusCommand(): Command {
  return wallet(INS.GET_STATUS, undefined, NE_ANY);
}

/** GET CERTIFICATE: the card's own (P1 01) or its intermediary's (P1 02). */
export function getCertificateCommand(which: 'card' | 'intermediary'): Command {
  if (which !== 'card' && which !== 'intermediary') throw new CodecError('which', `which must be "card" or "intermediary", got ${String(which)}.`);
  return command(CLA.PROPRIETARY, INS.GET_CERTIFICATE, which === 'card' ? P1.CERT_CARD : P1.CERT_INTERMEDIARY, P1.NONE, undefined, NE_ANY);
}

export function getChallengeCommand(): Command {
  return wallet(INS.GET_CHALLENGE, undefined, NE_ANY);
}

/** UNBLOCK PIN: the signed instruction, then the new PIN (outside the signature). */
export function unblockPinCommand(instruction: SignedInstruction, newPin: string | Uint8Array): Command {
  return wallet(INS.UNBLOCK_PIN, concatBytes(encodeSigned(instruction, 'instruction'), pinBytes(newPin, 'newPin')));
}

/** CREATE REQUEST: amount (4) and reference (8). Any u32 amount can be written (zero is the card's to refuse). */
export function createRequestCommand(amount: number, reference: Uint8Array): Command {
  const data = new Uint8Array(LEN.AMOUNT + LEN.REFERENCE);
  writeU32(data, 0, amount, 'amount');
  data.set(bytesField(reference, 'reference', LEN.REFERENCE), LEN.AMOUNT);
  return wallet(INS.CREATE_REQUEST, data, NE_ANY);
}

function withCertificates(
  message: Signed<unknown>,
  certificate: CardCertificate,
  intermediaryCertificate: IntermediaryCertificate | undefined,
): Uint8Array {
  const parts = [encodeSigned(message, 'message'), encodeCardCertificate(certificate)];
  if (intermediaryCertificate) parts.push(encodeIntermediaryCertificate(intermediaryCertificate));
  return concatBytes(...parts);
}

/**
 * PAY: the signed request, the recipient's card certificate and, when the payer card does not know the
 * recipient's intermediary, its certificate. Longer than 255 bytes with it: send with `chainBlocks`.
 */
export function payCommand(
  request: Signed<PaymentRequest>,
  recipientCertificate: CardCertificate,
  recipientIntermediaryCertificate?: IntermediaryCertificate,
): Command {
  return wallet(INS.PAY, withCertificates(request, recipientCertificate, recipientIntermediaryCertificate), NE_ANY);
}

/** RECEIVE: the signed transaction, the payer's card certificate [, the payer's intermediary certificate]. */
export function receiveCommand(
  transaction: Signed<Transaction>,
  payerCertificate: CardCertificate,
  payerIntermediaryCertificate?: IntermediaryCertificate,
): Command {
  return wallet(INS.RECEIVE, withCertificates(transaction, payerCertificate, payerIntermediaryCertificate));
}

/** LIST OPEN REQUESTS: the open requests (number, amount, reference), 16 bytes each. */
export function listOpenRequestsCommand(): Command {
  return wallet(INS.LIST_OPEN_REQUESTS, undefined, NE_ANY);
}

/** RESEND LAST: the recipient card id, request number and reference of the payment to answer again. */
export function resendLastCommand(recipientId: Uint8Array, requestNo: number, reference: Uint8Array): Command {
  return wallet(
    INS.RESEND_LAST,
    concatBytes(
      bytesField(recipientId, 'recipientId', LEN.CARD_ID),
      u32Bytes(requestNo, 'requestNo'),
      bytesField(reference, 'reference', LEN.REFERENCE),
    ),
    NE_ANY,
  );
}

/** DECLINE: the number of the open request to refuse. */
export function declineCommand(requestNo: number): Command {
  return wallet(INS.DECLINE, u32Bytes(requestNo, 'requestNo'), NE_ANY);
}

/** APPLY DECLINE: the signed decline, the recipient's card certificate [, its intermediary certificate]. */
export function applyDeclineCommand(
  decline: Signed<Decline>,
  recipientCertificate: CardCertificate,
  recipientIntermediaryCertificate?: IntermediaryCertificate,
): Command {
  return wallet(INS.APPLY_DECLINE, withCertificates(decline, recipientCertificate, recipientIntermediaryCertificate));
}

export function topUpCommand(instruction: SignedInstruction): Command {
  return wallet(INS.TOP_UP, encodeSigned(instruction, 'instruction'));
}

/** DEFUND: answers the card-signed confirmation. */
export function defundCommand(instruction: SignedInstruction): Command {
  return wallet(INS.DEFUND, encodeSigned(instruction, 'instruction'), NE_ANY);
}

export function syncReportCommand(): Command {
  return wallet(INS.SYNC_REPORT, undefined, NE_ANY);
}

/** READ RECORDS from `index` (P1): up to LIMIT_RECORDS_PER_READ records. */
export function readRecordsCommand(index: number): Command {
  return command(CLA.PROPRIETARY, INS.READ_RECORDS, u8(index, 'index'), P1.NONE, undefined, NE_ANY);
}

export function syncApplyCommand(instruction: SignedInstruction): Command {
  return wallet(INS.SYNC_APPLY, encodeSigned(instruction, 'instruction'));
}

export function setPolicyCommand(instruction: SignedInstruction): Command {
  return wallet(INS.SET_POLICY, encodeSigned(instruction, 'instruction'));
}

export function setLifecycleCommand(instruction: SignedInstruction): Command {
  return wallet(INS.SET_LIFECYCLE, encodeSigned(instruction, 'instruction'));
}

// ------------------------------------------------------------------------------------------ personalisation

/** PERSO GENERATE KEY: answers the card's public key (65). */
export function persoGenerateKeyCommand(): Command {
  return wallet(INS.PERSO_GENERATE_KEY, undefined, NE_ANY);
}

export function persoStoreRootCommand(rootPublicKey: Uint8Array): Command {
  return wallet(INS.PERSO_STORE_ROOT, bytesField(rootPublicKey, 'rootPublicKey', LEN.PUBLIC_KEY));
}

export function persoStoreIntermediaryCertCommand(certificate: IntermediaryCertificate): Command {
  return wallet(INS.PERSO_STORE_INTERMEDIARY_CERT, encodeIntermediaryCertificate(certificate));
}

export function persoStoreCardCertCommand(certificate: CardCertificate): Command {
  return wallet(INS.PERSO_STORE_CARD_CERT, encodeCardCertificate(certificate));
}

export function persoSetPinCommand(pin: string | Uint8Array): Command {
  return wallet(INS.PERSO_SET_PIN, pinBytes(pin));
}

export function persoSetPolicyCommand(policy: Policy): Command {
  return wallet(INS.PERSO_SET_POLICY, encodePolicy(policy));
}

export function persoLockCommand(): Command {
  return wallet(INS.PERSO_LOCK);
}
