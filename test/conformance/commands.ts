// The command table of docs/PROTOCOL.md section 6 as data: class, instruction, parameters, lifecycle states, PIN,
// data lengths, answer length. The generic conformance checks (class, instruction, parameters, lifecycle, PIN,
// lengths, Le, chaining, and the order of those checks) are generated from it, so a row here is a row of the spec.

import { WALLET_AID } from '../../host/src/codec/commands.ts';
import { CLA, INS, LEN, LIMIT, P1 } from '../../host/src/codec/protocol-constants.ts';

export type StateLetter = 'P' | 'A' | 'B' | 'T';

/** What the command's data field holds, as far as its length goes. */
export type DataShape =
  | { kind: 'none' }
  /** Exactly one of these lengths (PAY: with or without the intermediary certificate). */
  | { kind: 'fixed'; lengths: number[] }
  /** A PIN: 4..8 ASCII digits; any other length is a format error (6A80), not a length error. */
  | { kind: 'pin'; emptyAllowed: boolean }
  /** min..max bytes (UNBLOCK PIN: the instruction and a PIN). */
  | { kind: 'range'; min: number; max: number }
  /** SELECT: an AID. */
  | { kind: 'aid' };

/** A PERSONALISING card with the steps done before this command can act (6985 otherwise). */
export type PersoStage = 'blank' | 'root' | 'key-root-icert' | 'card-cert';

export interface CommandSpec {
  name: string;
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Other P1 values the command accepts (GET CERTIFICATE 01 and 02; READ RECORDS any index). */
  p1Any?: boolean;
  p1Also?: number[];
  states: StateLetter[];
  pin: 'no' | 'yes' | 'consumed' | 'verify';
  data: DataShape;
  /** Length of the answer (for the Le check), when it is fixed. */
  answer?: number;
  /** In state PERSONALISING: the stage the card must be at for the command to reach its length check. */
  persoStage?: PersoStage;
  /** A personalisation command: 9C23 once the card is locked. */
  perso?: boolean;
}

const instruction = (payload: number) => LEN.INSTRUCTION_HEADER + payload + LEN.SIGNATURE;
const SIGNED_REQUEST_MESSAGE = LEN.REQUEST + LEN.SIGNATURE + LEN.CARD_CERT;
const SIGNED_TX_MESSAGE = LEN.TX + LEN.SIGNATURE + LEN.CARD_CERT;

const wallet = (name: string, ins: number, rest: Omit<CommandSpec, 'name' | 'cla' | 'ins' | 'p1' | 'p2'> & { p1?: number; p2?: number }): CommandSpec => ({
  name,
  cla: CLA.PROPRIETARY,
  ins,
  p1: rest.p1 ?? P1.NONE,
  p2: rest.p2 ?? P1.NONE,
  ...rest,
});

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'SELECT', cla: CLA.ISO, ins: INS.SELECT, p1: P1.SELECT_BY_AID, p2: P1.NONE, states: ['P', 'A', 'B', 'T'], pin: 'no', data: { kind: 'aid' }, answer: LEN.STATUS + LEN.CARD_CERT },
  wallet('GET STATUS', INS.GET_STATUS, { states: ['P', 'A', 'B', 'T'], pin: 'no', data: { kind: 'none' }, answer: LEN.STATUS }),
  wallet('GET CERTIFICATE', INS.GET_CERTIFICATE, { p1: P1.CERT_CARD, p1Also: [P1.CERT_INTERMEDIARY], states: ['P', 'A', 'B', 'T'], pin: 'no', data: { kind: 'none' }, answer: LEN.CARD_CERT }),
  wallet('GET CHALLENGE', INS.GET_CHALLENGE, { states: ['A', 'B'], pin: 'no', data: { kind: 'none' }, answer: LEN.CHALLENGE_ANSWER }),
  { name: 'VERIFY PIN', cla: CLA.ISO, ins: INS.VERIFY_PIN, p1: P1.NONE, p2: P1.PIN_REFERENCE, states: ['A', 'B', 'T'], pin: 'verify', data: { kind: 'pin', emptyAllowed: true } },
  { name: 'CHANGE PIN', cla: CLA.ISO, ins: INS.CHANGE_PIN, p1: P1.NONE, p2: P1.PIN_REFERENCE, states: ['A', 'B'], pin: 'yes', data: { kind: 'pin', emptyAllowed: false } },
  wallet('UNBLOCK PIN', INS.UNBLOCK_PIN, { states: ['A', 'B'], pin: 'no', data: { kind: 'range', min: instruction(0) + LIMIT.PIN_MIN, max: instruction(0) + LIMIT.PIN_MAX } }),
  wallet('CREATE REQUEST', INS.CREATE_REQUEST, { states: ['A'], pin: 'no', data: { kind: 'fixed', lengths: [LEN.AMOUNT + LEN.REFERENCE] }, answer: SIGNED_REQUEST_MESSAGE }),
  wallet('PAY', INS.PAY, { states: ['A'], pin: 'consumed', data: { kind: 'fixed', lengths: [SIGNED_REQUEST_MESSAGE, SIGNED_REQUEST_MESSAGE + LEN.INTERMEDIARY_CERT] }, answer: LEN.TX + LEN.SIGNATURE }),
  wallet('RECEIVE', INS.RECEIVE, { states: ['A'], pin: 'no', data: { kind: 'fixed', lengths: [SIGNED_TX_MESSAGE, SIGNED_TX_MESSAGE + LEN.INTERMEDIARY_CERT] } }),
  wallet('RESEND LAST', INS.RESEND_LAST, { states: ['A', 'B'], pin: 'no', data: { kind: 'fixed', lengths: [LEN.CARD_ID + LEN.SEQ + LEN.REFERENCE] }, answer: LEN.TX + LEN.SIGNATURE }),
  wallet('DECLINE', INS.DECLINE, { states: ['A'], pin: 'no', data: { kind: 'fixed', lengths: [LEN.SEQ] }, answer: SIGNED_REQUEST_MESSAGE }),
  wallet('APPLY DECLINE', INS.APPLY_DECLINE, { states: ['A', 'B'], pin: 'no', data: { kind: 'fixed', lengths: [SIGNED_REQUEST_MESSAGE, SIGNED_REQUEST_MESSAGE + LEN.INTERMEDIARY_CERT] } }),
  wallet('LIST OPEN REQUESTS', INS.LIST_OPEN_REQUESTS, { states: ['A', 'B'], pin: 'no', data: { kind: 'none' } }),
  wallet('TOP UP', INS.TOP_UP, { states: ['A'], pin: 'no', data: { kind: 'fixed', lengths: [instruction(LEN.ORDER)] } }),
  wallet('DEFUND', INS.DEFUND, { states: ['A'], pin: 'consumed', data: { kind: 'fixed', lengths: [instruction(LEN.ORDER)] }, answer: LEN.DEFUND_CONFIRM + LEN.SIGNATURE }),
  wallet('SYNC REPORT', INS.SYNC_REPORT, { states: ['A', 'B', 'T'], pin: 'yes', data: { kind: 'none' }, answer: LEN.REPORT + LEN.SIGNATURE }),
  wallet('READ RECORDS', INS.READ_RECORDS, { p1Any: true, states: ['A', 'B', 'T'], pin: 'yes', data: { kind: 'none' } }),
  wallet('SYNC APPLY', INS.SYNC_APPLY, { states: ['A', 'B'], pin: 'no', data: { kind: 'fixed', lengths: [instruction(LEN.SYNC_RESULT_PAYLOAD)] } }),
  wallet('SET POLICY', INS.SET_POLICY, { states: ['A', 'B'], pin: 'no', data: { kind: 'fixed', lengths: [instruction(LEN.POLICY)] } }),
  wallet('SET LIFECYCLE', INS.SET_LIFECYCLE, { states: ['A', 'B'], pin: 'no', data: { kind: 'fixed', lengths: [instruction(1)] } }),
  wallet('PERSO GENERATE KEY', INS.PERSO_GENERATE_KEY, { states: ['P'], perso: true, pin: 'no', data: { kind: 'none' }, answer: LEN.PUBLIC_KEY, persoStage: 'blank' }),
  wallet('PERSO STORE ROOT', INS.PERSO_STORE_ROOT, { states: ['P'], perso: true, pin: 'no', data: { kind: 'fixed', lengths: [LEN.PUBLIC_KEY] }, persoStage: 'blank' }),
  wallet('PERSO STORE INTERMEDIARY CERT', INS.PERSO_STORE_INTERMEDIARY_CERT, { states: ['P'], perso: true, pin: 'no', data: { kind: 'fixed', lengths: [LEN.INTERMEDIARY_CERT] }, persoStage: 'root' }),
  wallet('PERSO STORE CARD CERT', INS.PERSO_STORE_CARD_CERT, { states: ['P'], perso: true, pin: 'no', data: { kind: 'fixed', lengths: [LEN.CARD_CERT] }, persoStage: 'key-root-icert' }),
  wallet('PERSO SET PIN', INS.PERSO_SET_PIN, { states: ['P'], perso: true, pin: 'no', data: { kind: 'pin', emptyAllowed: false }, persoStage: 'blank' }),
  wallet('PERSO SET POLICY', INS.PERSO_SET_POLICY, { states: ['P'], perso: true, pin: 'no', data: { kind: 'fixed', lengths: [LEN.POLICY] }, persoStage: 'card-cert' }),
  wallet('PERSO LOCK', INS.PERSO_LOCK, { states: ['P'], perso: true, pin: 'no', data: { kind: 'none' }, persoStage: 'blank' }),
];

/** The valid data length of a command (the first one), for commands whose header checks are under test. */
export function validLength(spec: CommandSpec): number {
  switch (spec.data.kind) {
    case 'none':
      return 0;
    case 'fixed':
      return spec.data.lengths[0];
    case 'pin':
      return LIMIT.PIN_MIN;
    case 'range':
      return spec.data.min;
    case 'aid':
      return 7;
  }
}

/** Data of the valid length whose content is whatever (every check under test comes before the content). */
export function dummyData(spec: CommandSpec, length = validLength(spec)): Uint8Array {
  if (spec.data.kind === 'aid' && length === validLength(spec)) return WALLET_AID.slice();
  const data = new Uint8Array(length);
  // Digits, so that a PIN-shaped field is well-formed; the rest is never read before the header checks.
  data.fill(0x35);
  return data;
}

/** The INS bytes no command uses. */
export const UNUSED_INS: number[] = (() => {
  const used = new Set(COMMANDS.map((c) => c.ins));
  const out: number[] = [];
  for (let ins = 0; ins < 256; ins++) {
    // ISO 7816-3 forbids 6x and 9x INS bytes in T=0 (they are procedure bytes); the runtime frames them anyway.
    if (!used.has(ins)) out.push(ins);
  }
  return out;
})();

export const STATE_SW_NAMES: Record<StateLetter, string> = { P: 'NOT_PERSONALISED', A: '', B: 'CARD_BLOCKED', T: 'CARD_TERMINATED' };
