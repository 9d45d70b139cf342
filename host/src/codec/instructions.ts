// Intermediary instructions (docs/PROTOCOL.md section 5): a 30-byte header (tag, version, card id, challenge,
// state counter), a payload that depends on the tag, then the intermediary's signature over header and payload.

import { CodecError } from './errors.ts';
import { amountAt, bytesAt, bytesField, hex2, readU32, u8, writeBytes, writeU32 } from './fields.ts';
import { LEN, LIMIT, MSG, OFF_INSTR, STATE } from './protocol-constants.ts';
import { decodePolicy, encodePolicy, type Policy } from './policy.ts';
import { decodeSigned, type Signed, signWith, verifySigned } from './signed.ts';

export interface InstructionHeader {
  /** The card the instruction is for. */
  cardId: Uint8Array;
  /** The card's current challenge (16 bytes). */
  challenge: Uint8Array;
  /** The card's state counter the instruction was computed for. */
  stateCounter: number;
}

export type TopUpInstruction = InstructionHeader & { kind: 'TOP_UP'; orderSeq: number; amount: number };
export type DefundInstruction = InstructionHeader & { kind: 'DEFUND'; orderSeq: number; amount: number };
export type PolicyInstruction = InstructionHeader & { kind: 'POLICY'; policy: Policy };
export type UnblockPinInstruction = InstructionHeader & { kind: 'UNBLOCK_PIN' };
export type LifecycleInstruction = InstructionHeader & { kind: 'LIFECYCLE'; state: number };
export type SyncResultInstruction = InstructionHeader & { kind: 'SYNC_RESULT'; recordCount: number; newBalance: number };

export type Instruction =
  | TopUpInstruction
  | DefundInstruction
  | PolicyInstruction
  | UnblockPinInstruction
  | LifecycleInstruction
  | SyncResultInstruction;

export type InstructionKind = Instruction['kind'];
export type SignedInstruction<K extends InstructionKind = InstructionKind> = Signed<Extract<Instruction, { kind: K }>>;

/** Tag and payload length of each kind. */
export const INSTRUCTION_KINDS: Readonly<Record<InstructionKind, { tag: number; payloadLength: number }>> = {
  TOP_UP: { tag: MSG.TOP_UP, payloadLength: LEN.ORDER },
  DEFUND: { tag: MSG.DEFUND, payloadLength: LEN.ORDER },
  POLICY: { tag: MSG.POLICY, payloadLength: LEN.POLICY },
  UNBLOCK_PIN: { tag: MSG.UNBLOCK_PIN, payloadLength: 0 },
  LIFECYCLE: { tag: MSG.LIFECYCLE, payloadLength: 1 },
  SYNC_RESULT: { tag: MSG.SYNC_RESULT, payloadLength: LEN.SYNC_RESULT_PAYLOAD },
};

function kindOfTag(tag: number): InstructionKind | undefined {
  return (Object.keys(INSTRUCTION_KINDS) as InstructionKind[]).find((k) => INSTRUCTION_KINDS[k].tag === tag);
}

/** Length of the instruction body (header and payload) of `kind`. */
export function instructionLength(kind: InstructionKind): number {
  return LEN.INSTRUCTION_HEADER + INSTRUCTION_KINDS[kind].payloadLength;
}

/** Header and payload. Writes any representable value (an amount of zero, state 09...), for refusal tests. */
export function encodeInstruction(instruction: Instruction): Uint8Array {
  const spec = INSTRUCTION_KINDS[instruction.kind];
  if (!spec) throw new CodecError('instruction.kind', `instruction.kind must be one of ${Object.keys(INSTRUCTION_KINDS).join(', ')}, got ${String(instruction.kind)}.`);
  const out = new Uint8Array(LEN.INSTRUCTION_HEADER + spec.payloadLength);
  out[OFF_INSTR.TAG] = spec.tag;
  out[OFF_INSTR.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_INSTR.CARD_ID, instruction.cardId, 'instruction.cardId', LEN.CARD_ID);
  writeBytes(out, OFF_INSTR.CHALLENGE, instruction.challenge, 'instruction.challenge', LEN.CHALLENGE);
  writeU32(out, OFF_INSTR.STATE_COUNTER, instruction.stateCounter, 'instruction.stateCounter');
  const p = OFF_INSTR.PAYLOAD;
  switch (instruction.kind) {
    case 'TOP_UP':
    case 'DEFUND':
      writeU32(out, p, instruction.orderSeq, 'instruction.orderSeq');
      writeU32(out, p + LEN.SEQ, instruction.amount, 'instruction.amount');
      break;
    case 'POLICY':
      out.set(encodePolicy(instruction.policy), p);
      break;
    case 'UNBLOCK_PIN':
      break;
    case 'LIFECYCLE':
      out[p] = u8(instruction.state, 'instruction.state');
      break;
    case 'SYNC_RESULT':
      out[p] = u8(instruction.recordCount, 'instruction.recordCount');
      writeU32(out, p + 1, instruction.newBalance, 'instruction.newBalance');
      break;
  }
  return out;
}

/**
 * Decodes header and payload. The tag gives the kind and the exact length; the version must be 01; orders carry
 * an amount 1..0x7FFFFFFF, a lifecycle instruction ACTIVE, BLOCKED or TERMINATED, a sync result a record count up
 * to the log capacity and a balance up to 0x7FFFFFFF.
 */
export function decodeInstruction(bytes: Uint8Array): Instruction {
  bytesField(bytes, 'instruction');
  if (bytes.length < LEN.INSTRUCTION_HEADER) {
    throw new CodecError('instruction', `instruction must be at least ${LEN.INSTRUCTION_HEADER} bytes long, got ${bytes.length}.`);
  }
  const kind = kindOfTag(bytes[OFF_INSTR.TAG]);
  if (kind === undefined) {
    throw new CodecError('instruction.tag', `instruction.tag must be an instruction tag (41 to 46), got ${hex2(bytes[OFF_INSTR.TAG])}.`);
  }
  const length = instructionLength(kind);
  if (bytes.length !== length) throw new CodecError('instruction', `a ${kind} instruction must be ${length} bytes long, got ${bytes.length}.`);
  if (bytes[OFF_INSTR.VERSION] !== MSG.FORMAT_VERSION) {
    throw new CodecError('instruction.version', `instruction.version must be 01 (MSG_FORMAT_VERSION), got ${hex2(bytes[OFF_INSTR.VERSION])}.`);
  }
  const header: InstructionHeader = {
    cardId: bytesAt(bytes, OFF_INSTR.CARD_ID, LEN.CARD_ID),
    challenge: bytesAt(bytes, OFF_INSTR.CHALLENGE, LEN.CHALLENGE),
    stateCounter: readU32(bytes, OFF_INSTR.STATE_COUNTER),
  };
  const p = OFF_INSTR.PAYLOAD;
  switch (kind) {
    case 'TOP_UP':
    case 'DEFUND':
      return { kind, ...header, orderSeq: readU32(bytes, p), amount: amountAt(bytes, p + LEN.SEQ, 'instruction.amount') };
    case 'POLICY':
      return { kind, ...header, policy: decodePolicy(bytes.slice(p, p + LEN.POLICY)) };
    case 'UNBLOCK_PIN':
      return { kind, ...header };
    case 'LIFECYCLE': {
      const state = bytes[p];
      if (state !== STATE.ACTIVE && state !== STATE.BLOCKED && state !== STATE.TERMINATED) {
        throw new CodecError('instruction.state', `instruction.state must be 02 ACTIVE, 03 BLOCKED or 04 TERMINATED, got ${hex2(state)}.`);
      }
      return { kind, ...header, state };
    }
    case 'SYNC_RESULT': {
      const recordCount = bytes[p];
      if (recordCount > LIMIT.LOG_CAPACITY) {
        throw new CodecError('instruction.recordCount', `instruction.recordCount must be 0 to ${LIMIT.LOG_CAPACITY}, got ${recordCount}.`);
      }
      return { kind, ...header, recordCount, newBalance: amountAt(bytes, p + 1, 'instruction.newBalance', true) };
    }
  }
}

export function signInstruction<I extends Instruction>(instruction: I, intermediaryPrivateKey: Uint8Array): Signed<I> {
  return signWith(instruction, encodeInstruction, intermediaryPrivateKey);
}

export function verifyInstruction(instruction: Signed<Instruction>, intermediaryPublicKey: Uint8Array): boolean {
  return verifySigned(instruction, intermediaryPublicKey);
}

/** Header, payload and signature (the data of the instruction's command, but for UNBLOCK PIN's new PIN). */
export function decodeSignedInstruction(bytes: Uint8Array): SignedInstruction {
  bytesField(bytes, 'signed instruction');
  if (bytes.length < LEN.INSTRUCTION_HEADER + LEN.SIGNATURE) {
    throw new CodecError('signed instruction', `signed instruction must be at least ${LEN.INSTRUCTION_HEADER + LEN.SIGNATURE} bytes long, got ${bytes.length}.`);
  }
  return decodeSigned(bytes, bytes.length - LEN.SIGNATURE, decodeInstruction, 'signed instruction');
}
