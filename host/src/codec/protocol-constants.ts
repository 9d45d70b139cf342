// GENERATED from protocol/constants.json by scripts/gen-constants.ts: do not edit. Change the JSON and run
// `npx tsx scripts/gen-constants.ts`; CI runs it with --check and fails when this file is out of date.
//
// Per group: an `as const` object of its values as they travel on the wire (unsigned: SW 0x9000, not -28672),
// the types of its names (`SwName`) and values (`SwValue`), and a value-to-name lookup for messages (`swName`).

/** A lookup from value to name; when names share a value, the first one declared wins. */
function nameLookup<T extends { readonly [name: string]: number }>(group: T): (value: number) => keyof T | undefined {
  const names = new Map<number, keyof T>();
  for (const [name, value] of Object.entries(group)) {
    if (!names.has(value)) names.set(value, name as keyof T);
  }
  return (value) => names.get(value);
}

/** Class bytes (Java: CLA_*, byte). */
export const CLA = {
  /** ISO 7816-4 commands: SELECT, VERIFY, CHANGE REFERENCE DATA. */
  ISO: 0x00,
  /** Every wallet command. */
  PROPRIETARY: 0x80,
  /** Bit set in CLA on every block of a chained command except the last (ISO 7816-4 command chaining). */
  CHAINING: 0x10,
} as const;
export type ClaName = keyof typeof CLA;
export type ClaValue = (typeof CLA)[ClaName];
/** The name of a CLA value (e.g. `ISO`), or undefined when no constant has it. */
export const claName: (value: number) => ClaName | undefined = nameLookup(CLA);

/** Instructions (Java: INS_*, byte). */
export const INS = {
  /** ISO SELECT by AID (CLA 00, P1 04, P2 00). */
  SELECT: 0xA4,
  /** ISO VERIFY (CLA 00, P2 80). */
  VERIFY_PIN: 0x20,
  /** ISO CHANGE REFERENCE DATA (CLA 00, P2 80), PIN validated. */
  CHANGE_PIN: 0x24,
  /** Public card status. */
  GET_STATUS: 0x10,
  /** The card's certificate (P1 01) or its intermediary's (P1 02). */
  GET_CERTIFICATE: 0x12,
  /** A fresh card challenge for the next intermediary instruction, with the card state it is bound to. */
  GET_CHALLENGE: 0x14,
  /** Intermediary-signed PIN unblock, with a new PIN. */
  UNBLOCK_PIN: 0x2C,
  /** Recipient side: sign a payment request. */
  CREATE_REQUEST: 0x30,
  /** Payer side: pay a signed payment request (PIN validated). */
  PAY: 0x32,
  /** Recipient side: take a payer-signed transaction that answers an open request. */
  RECEIVE: 0x34,
  /** Payer side: the last transaction again, for the request it answered; no state change. */
  RESEND_LAST: 0x36,
  /** Recipient side: sign a refusal of an open request and close it. */
  DECLINE: 0x38,
  /** Payer side: void a payment the recipient declined and restore its amount. */
  APPLY_DECLINE: 0x3A,
  /** Recipient side: the open payment requests (number, amount, reference), so a request whose answer was lost can be found and declined. */
  LIST_OPEN_REQUESTS: 0x3C,
  /** Intermediary-signed top-up. */
  TOP_UP: 0x40,
  /** Intermediary-signed de-fund (PIN validated); answers a card-signed confirmation. */
  DEFUND: 0x42,
  /** Card-signed synchronisation report (PIN validated); makes a fresh challenge. */
  SYNC_REPORT: 0x50,
  /** Transaction log records, two per command (PIN validated). */
  READ_RECORDS: 0x52,
  /** Intermediary-signed synchronisation result. */
  SYNC_APPLY: 0x54,
  /** Intermediary-signed policy of a higher version. */
  SET_POLICY: 0x60,
  /** Intermediary-signed block, unblock or terminate. */
  SET_LIFECYCLE: 0x62,
  /** Personalisation: generate the card key pair on card. */
  PERSO_GENERATE_KEY: 0x70,
  /** Personalisation: store the central bank root public key. */
  PERSO_STORE_ROOT: 0x72,
  /** Personalisation: store the intermediary certificate, checked against the root. */
  PERSO_STORE_INTERMEDIARY_CERT: 0x74,
  /** Personalisation: store the card certificate, checked against the intermediary and the card key. */
  PERSO_STORE_CARD_CERT: 0x76,
  /** Personalisation: set the PIN. */
  PERSO_SET_PIN: 0x78,
  /** Personalisation: set the first policy (unsigned). */
  PERSO_SET_POLICY: 0x7A,
  /** Personalisation: lock; the card becomes ACTIVE. */
  PERSO_LOCK: 0x7E,
} as const;
export type InsName = keyof typeof INS;
export type InsValue = (typeof INS)[InsName];
/** The name of a INS value (e.g. `SELECT`), or undefined when no constant has it. */
export const insName: (value: number) => InsName | undefined = nameLookup(INS);

/** P1 and P2 values (Java: P1_*, byte). */
export const P1 = {
  /** P1 and P2 of every command that has no parameter. */
  NONE: 0x00,
  /** SELECT P1. */
  SELECT_BY_AID: 0x04,
  /** P2 of VERIFY and CHANGE REFERENCE DATA: the card's only PIN. */
  PIN_REFERENCE: 0x80,
  /** GET CERTIFICATE P1: the card's own certificate. */
  CERT_CARD: 0x01,
  /** GET CERTIFICATE P1: the certificate of the card's intermediary. */
  CERT_INTERMEDIARY: 0x02,
} as const;
export type P1Name = keyof typeof P1;
export type P1Value = (typeof P1)[P1Name];
/** The name of a P1 value (e.g. `NONE`), or undefined when no constant has it. */
export const p1Name: (value: number) => P1Name | undefined = nameLookup(P1);

/** Status words (Java: SW_*, short). */
export const SW = {
  /** Success. */
  OK: 0x9000,
  /** Wrong PIN; the low nibble is the number of tries left (63C2, 63C1). */
  PIN_TRIES_BASE: 0x63C0,
  /** The command's data has the wrong length for this command. */
  WRONG_LENGTH: 0x6700,
  /** A chained command was interrupted by another command, or a chain grew past the card's buffer. */
  LAST_COMMAND_EXPECTED: 0x6883,
  /** The PIN must be verified first (or was consumed by the previous payment). */
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  /** The PIN is blocked: no tries left; only an intermediary-signed UNBLOCK PIN helps. */
  PIN_BLOCKED: 0x6983,
  /** The command is not allowed in the card's lifecycle state or role. */
  CONDITIONS_NOT_SATISFIED: 0x6985,
  /** A field of the command's data is malformed (bad tag, version, point, PIN format, zero amount). */
  WRONG_DATA: 0x6A80,
  /** SELECT: no applet with this AID. */
  FILE_NOT_FOUND: 0x6A82,
  /** P1 or P2 is not defined for this command. */
  WRONG_P1P2: 0x6A86,
  /** Unknown instruction. */
  INS_NOT_SUPPORTED: 0x6D00,
  /** Unknown class byte. */
  CLA_NOT_SUPPORTED: 0x6E00,
  /** The spendable balance is below the amount. */
  INSUFFICIENT_FUNDS: 0x9C01,
  /** The policy's number of offline payments between syncs is reached. */
  PAYMENT_COUNT_LIMIT: 0x9C02,
  /** The amount is above the policy's largest offline payment. */
  PAYMENT_AMOUNT_LIMIT: 0x9C03,
  /** The balance would exceed the policy's maximum balance. */
  BALANCE_LIMIT: 0x9C04,
  /** The policy's number of offline receipts between syncs would be exceeded. */
  RECEIVED_COUNT_LIMIT: 0x9C05,
  /** The policy's amount received offline between syncs would be exceeded. */
  RECEIVED_AMOUNT_LIMIT: 0x9C06,
  /** The transaction log has no room left; synchronise first. */
  LOG_FULL: 0x9C07,
  /** Every payment request slot is open; receive or decline one first. */
  TOO_MANY_OPEN_REQUESTS: 0x9C08,
  /** A signature does not verify. */
  BAD_SIGNATURE: 0x9C10,
  /** A certificate is malformed, does not verify, or does not match the message. */
  BAD_CERTIFICATE: 0x9C11,
  /** The counterparty's intermediary is not known to the card: send its certificate too. */
  UNKNOWN_INTERMEDIARY: 0x9C12,
  /** The message is addressed to another card. */
  WRONG_CARD: 0x9C13,
  /** The instruction does not carry the card's current challenge (replayed, or a newer challenge was made). */
  STALE_CHALLENGE: 0x9C14,
  /** The card's state changed since the instruction or report was made; start the flow again. */
  STATE_CHANGED: 0x9C15,
  /** This card already paid this payment request. */
  ALREADY_PAID: 0x9C16,
  /** The transaction answers no open request of this card (unknown, received, declined, or different amount or reference). */
  NO_OPEN_REQUEST: 0x9C17,
  /** De-funding needs a log without payment, receipt or decline records: synchronise first. */
  UNSYNCED_RECORDS: 0x9C18,
  /** The policy's version is not above the card's. */
  POLICY_NOT_NEWER: 0x9C19,
  /** The policy's limits are inconsistent (too many records for the log, amounts out of range). */
  POLICY_INVALID: 0x9C1A,
  /** No logged payment matches the decline (already synchronised, voided, or never paid). */
  RECORD_NOT_FOUND: 0x9C1B,
  /** A card cannot pay itself. */
  SELF_PAYMENT: 0x9C1C,
  /** The card's last payment does not answer this request. */
  NOTHING_TO_RESEND: 0x9C1D,
  /** The top-up or de-fund order is not the card's next one (already applied or superseded by a sync). */
  WRONG_ORDER: 0x9C1E,
  /** The card is blocked by its intermediary. */
  CARD_BLOCKED: 0x9C20,
  /** The card is terminated. */
  CARD_TERMINATED: 0x9C21,
  /** The card is not personalised yet. */
  NOT_PERSONALISED: 0x9C22,
  /** Personalisation commands are refused once the card is locked. */
  PERSONALISATION_LOCKED: 0x9C23,
  /** Lock refused: key, root, certificates or PIN missing. */
  PERSONALISATION_INCOMPLETE: 0x9C24,
} as const;
export type SwName = keyof typeof SW;
export type SwValue = (typeof SW)[SwName];
/** The name of a SW value (e.g. `OK`), or undefined when no constant has it. */
export const swName: (value: number) => SwName | undefined = nameLookup(SW);

/** Signed structure tags (first byte of every signed structure) (Java: MSG_*, byte). */
export const MSG = {
  /** Intermediary certificate, signed by the central bank root. */
  INTERMEDIARY_CERT: 0x11,
  /** Card certificate, signed by the card's intermediary. */
  CARD_CERT: 0x12,
  /** Payment request, signed by the recipient card. */
  REQUEST: 0x21,
  /** Offline transaction, signed by the payer card. */
  TX: 0x22,
  /** Refusal of a payment request, signed by the recipient card. */
  DECLINE: 0x23,
  /** Synchronisation report, signed by the card. */
  REPORT: 0x24,
  /** De-fund confirmation, signed by the card. */
  DEFUND_CONFIRM: 0x25,
  /** Top-up instruction, signed by the intermediary. */
  TOP_UP: 0x41,
  /** De-fund instruction, signed by the intermediary. */
  DEFUND: 0x42,
  /** Policy instruction, signed by the intermediary. */
  POLICY: 0x43,
  /** PIN unblock instruction, signed by the intermediary. */
  UNBLOCK_PIN: 0x44,
  /** Lifecycle instruction, signed by the intermediary. */
  LIFECYCLE: 0x45,
  /** Synchronisation result, signed by the intermediary. */
  SYNC_RESULT: 0x46,
  /** Second byte of every signed structure. */
  FORMAT_VERSION: 0x01,
} as const;
export type MsgName = keyof typeof MSG;
export type MsgValue = (typeof MSG)[MsgName];
/** The name of a MSG value (e.g. `INTERMEDIARY_CERT`), or undefined when no constant has it. */
export const msgName: (value: number) => MsgName | undefined = nameLookup(MSG);

/** Card roles (Java: ROLE_*, byte). */
export const ROLE = {
  /** A person's card. */
  USER: 0x01,
  /** The secure element of a point-of-sale terminal. */
  MERCHANT: 0x02,
} as const;
export type RoleName = keyof typeof ROLE;
export type RoleValue = (typeof ROLE)[RoleName];
/** The name of a ROLE value (e.g. `USER`), or undefined when no constant has it. */
export const roleName: (value: number) => RoleName | undefined = nameLookup(ROLE);

/** Lifecycle states (Java: STATE_*, byte). */
export const STATE = {
  /** Installed; personalisation commands allowed. */
  PERSONALISING: 0x01,
  /** Locked and in use. */
  ACTIVE: 0x02,
  /** Blocked by the intermediary: no requests, payments, receipts, top-ups or de-funds; everything that recovers money still works. */
  BLOCKED: 0x03,
  /** Final: only status, certificates, PIN verification, sync report and records. */
  TERMINATED: 0x04,
} as const;
export type StateName = keyof typeof STATE;
export type StateValue = (typeof STATE)[StateName];
/** The name of a STATE value (e.g. `PERSONALISING`), or undefined when no constant has it. */
export const stateName: (value: number) => StateName | undefined = nameLookup(STATE);

/** Transaction log record kinds and statuses (Java: RECORD_*, byte). */
export const RECORD = {
  /** Kind: a payment this card made (body: TX). */
  OUTGOING: 0x01,
  /** Kind: a payment this card received (body: TX, signature: the payer's). */
  INCOMING: 0x02,
  /** Kind: a request this card declined (body: DECLINE, padded). */
  DECLINED: 0x03,
  /** Kind: a top-up order this card applied (body: order record, signature: the intermediary's instruction signature). */
  TOP_UP: 0x04,
  /** Kind: a de-fund order this card applied (body: order record, signature: the intermediary's instruction signature). */
  DEFUND: 0x05,
  /** Status of a record. */
  STATUS_NORMAL: 0x00,
  /** Status of an OUTGOING record whose payment the recipient declined and this card restored. */
  STATUS_VOID: 0x01,
} as const;
export type RecordName = keyof typeof RECORD;
export type RecordValue = (typeof RECORD)[RecordName];
/** The name of a RECORD value (e.g. `OUTGOING`), or undefined when no constant has it. */
export const recordName: (value: number) => RecordName | undefined = nameLookup(RECORD);

/** Policy flags (Java: POLICY_FLAG_*, byte). */
export const POLICY_FLAG = {
  /** Money received offline may be spent offline before the next sync. */
  SPEND_RECEIVED: 0x01,
} as const;
export type PolicyFlagName = keyof typeof POLICY_FLAG;
export type PolicyFlagValue = (typeof POLICY_FLAG)[PolicyFlagName];
/** The name of a POLICY_FLAG value (e.g. `SPEND_RECEIVED`), or undefined when no constant has it. */
export const policyFlagName: (value: number) => PolicyFlagName | undefined = nameLookup(POLICY_FLAG);

/** Sizes and capacities of the applet (Java: LIMIT_*, short). */
export const LIMIT = {
  /** Protocol version reported in the status. */
  PROTOCOL_VERSION: 1,
  /** Transaction log records the card holds between syncs. */
  LOG_CAPACITY: 32,
  /** Log records a valid policy leaves free for applied top-up and de-fund orders. */
  ORDER_RESERVE: 4,
  /** Payment requests a card can have open at once. */
  MAX_OPEN_REQUESTS: 4,
  /** Paid requests the payer card remembers across syncs (besides its log) to refuse paying one twice. */
  PAID_MEMORY: 16,
  /** Other intermediaries' verified keys the card remembers. */
  INTERMEDIARY_CACHE: 3,
  /** Bytes a chained command may carry in total. */
  IO_BUFFER: 400,
  /** Wrong PIN presentations before the PIN blocks. */
  PIN_TRIES: 3,
  /** Shortest PIN (ASCII digits). */
  PIN_MIN: 4,
  /** Longest PIN (ASCII digits). */
  PIN_MAX: 8,
  /** Records one READ RECORDS answers at most. */
  RECORDS_PER_READ: 2,
} as const;
export type LimitName = keyof typeof LIMIT;
export type LimitValue = (typeof LIMIT)[LimitName];
/** The name of a LIMIT value (e.g. `PROTOCOL_VERSION`), or undefined when no constant has it. */
export const limitName: (value: number) => LimitName | undefined = nameLookup(LIMIT);

/** Field and structure lengths (bytes) (Java: LEN_*, short). */
export const LEN = {
  /** Card id (by convention intermediary id then a serial). */
  CARD_ID: 8,
  /** Intermediary id. */
  INTERMEDIARY_ID: 4,
  /** Amount in öre, unsigned, at most 0x7FFFFFFF. */
  AMOUNT: 4,
  /** Sequence numbers and counters. */
  SEQ: 4,
  /** Card challenge. */
  CHALLENGE: 16,
  /** Payment reference chosen by the recipient. */
  REFERENCE: 8,
  /** P-256 public key, uncompressed (04 X Y). */
  PUBLIC_KEY: 65,
  /** ECDSA P-256 SHA-256 signature as r then s, 32 bytes each, big-endian. */
  SIGNATURE: 64,
  /** SHA-256 digest. */
  DIGEST: 32,
  /** Signed part of an intermediary certificate. */
  INTERMEDIARY_CERT_BODY: 71,
  /** Intermediary certificate: body then signature. */
  INTERMEDIARY_CERT: 135,
  /** Signed part of a card certificate. */
  CARD_CERT_BODY: 80,
  /** Card certificate: body then signature. */
  CARD_CERT: 144,
  /** Payment request body (also the DECLINE body). */
  REQUEST: 30,
  /** One entry of LIST OPEN REQUESTS: request number (4), amount (4), reference (8). */
  OPEN_REQUEST: 16,
  /** Transaction body. */
  TX: 46,
  /** Transaction log record. */
  RECORD: 112,
  /** Policy body. */
  POLICY: 19,
  /** GET STATUS answer. */
  STATUS: 68,
  /** GET CHALLENGE answer. */
  CHALLENGE_ANSWER: 36,
  /** Header of every intermediary instruction. */
  INSTRUCTION_HEADER: 30,
  /** Payload of TOP UP and DEFUND: order number then amount. */
  ORDER: 8,
  /** Payload of SYNC APPLY: record count then new balance. */
  SYNC_RESULT_PAYLOAD: 5,
  /** Synchronisation report body. */
  REPORT: 92,
  /** De-fund confirmation body. */
  DEFUND_CONFIRM: 42,
} as const;
export type LenName = keyof typeof LEN;
export type LenValue = (typeof LEN)[LenName];
/** The name of a LEN value (e.g. `CARD_ID`), or undefined when no constant has it. */
export const lenName: (value: number) => LenName | undefined = nameLookup(LEN);

/** Intermediary certificate layout (offsets) (Java: OFF_ICERT_*, short). */
export const OFF_ICERT = {
  /** MSG_INTERMEDIARY_CERT. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Intermediary id (4). */
  INTERMEDIARY_ID: 2,
  /** Intermediary public key (65). */
  PUBLIC_KEY: 6,
  /** Root signature over bytes 0..70 (64). */
  SIGNATURE: 71,
} as const;
export type OffIcertName = keyof typeof OFF_ICERT;
export type OffIcertValue = (typeof OFF_ICERT)[OffIcertName];
/** The name of a OFF_ICERT value (e.g. `TAG`), or undefined when no constant has it. */
export const offIcertName: (value: number) => OffIcertName | undefined = nameLookup(OFF_ICERT);

/** Card certificate layout (offsets) (Java: OFF_CCERT_*, short). */
export const OFF_CCERT = {
  /** MSG_CARD_CERT. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Card id (8). */
  CARD_ID: 2,
  /** ROLE_USER or ROLE_MERCHANT. */
  ROLE: 10,
  /** Issuing intermediary id (4). */
  INTERMEDIARY_ID: 11,
  /** Card public key (65). */
  PUBLIC_KEY: 15,
  /** Intermediary signature over bytes 0..79 (64). */
  SIGNATURE: 80,
} as const;
export type OffCcertName = keyof typeof OFF_CCERT;
export type OffCcertValue = (typeof OFF_CCERT)[OffCcertName];
/** The name of a OFF_CCERT value (e.g. `TAG`), or undefined when no constant has it. */
export const offCcertName: (value: number) => OffCcertName | undefined = nameLookup(OFF_CCERT);

/** Payment request and decline body layout (offsets) (Java: OFF_REQ_*, short). */
export const OFF_REQ = {
  /** MSG_REQUEST or MSG_DECLINE. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Recipient card id (8). */
  RECIPIENT_ID: 2,
  /** Recipient's intermediary id (4). */
  RECIPIENT_INTERMEDIARY: 10,
  /** Request number, unique on the recipient card (4). */
  REQUEST_NO: 14,
  /** Amount (4). */
  AMOUNT: 18,
  /** Recipient's reference (8). */
  REFERENCE: 22,
} as const;
export type OffReqName = keyof typeof OFF_REQ;
export type OffReqValue = (typeof OFF_REQ)[OffReqName];
/** The name of a OFF_REQ value (e.g. `TAG`), or undefined when no constant has it. */
export const offReqName: (value: number) => OffReqName | undefined = nameLookup(OFF_REQ);

/** Transaction body layout (offsets) (Java: OFF_TX_*, short). */
export const OFF_TX = {
  /** MSG_TX. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Payer card id (8); with PAYER_SEQ the transaction id. */
  PAYER_ID: 2,
  /** Payer sequence number (4), never repeated in the card's life. */
  PAYER_SEQ: 10,
  /** Payer's intermediary id (4). */
  PAYER_INTERMEDIARY: 14,
  /** Recipient card id (8). */
  RECIPIENT_ID: 18,
  /** Recipient's intermediary id (4). */
  RECIPIENT_INTERMEDIARY: 26,
  /** The request this pays (4). */
  REQUEST_NO: 30,
  /** Amount (4). */
  AMOUNT: 34,
  /** The request's reference (8). */
  REFERENCE: 38,
} as const;
export type OffTxName = keyof typeof OFF_TX;
export type OffTxValue = (typeof OFF_TX)[OffTxName];
/** The name of a OFF_TX value (e.g. `TAG`), or undefined when no constant has it. */
export const offTxName: (value: number) => OffTxName | undefined = nameLookup(OFF_TX);

/** Transaction log record layout (offsets) (Java: OFF_REC_*, short). */
export const OFF_REC = {
  /** RECORD_OUTGOING, RECORD_INCOMING or RECORD_DECLINED. */
  KIND: 0,
  /** RECORD_STATUS_NORMAL or RECORD_STATUS_VOID. */
  STATUS: 1,
  /** TX body (46); DECLINE body (30) then 16 zero bytes; or order record body (28) then 18 zero bytes. */
  BODY: 2,
  /** The body's signature (64): the payer's for a TX, this card's for a DECLINE, the intermediary's instruction signature for an order. */
  SIGNATURE: 48,
} as const;
export type OffRecName = keyof typeof OFF_REC;
export type OffRecValue = (typeof OFF_REC)[OffRecName];
/** The name of a OFF_REC value (e.g. `KIND`), or undefined when no constant has it. */
export const offRecName: (value: number) => OffRecName | undefined = nameLookup(OFF_REC);

/** Order record body layout (offsets inside the record) (Java: OFF_OREC_*, short). */
export const OFF_OREC = {
  /** The applied order number (4). */
  ORDER_SEQ: 2,
  /** Amount (4). */
  AMOUNT: 6,
  /** The instruction's challenge (16). */
  CHALLENGE: 10,
  /** The instruction's state counter (4); with the card id, tag, challenge, order number and amount, the instruction the intermediary signed can be rebuilt and its signature checked. */
  STATE_COUNTER: 26,
} as const;
export type OffOrecName = keyof typeof OFF_OREC;
export type OffOrecValue = (typeof OFF_OREC)[OffOrecName];
/** The name of a OFF_OREC value (e.g. `ORDER_SEQ`), or undefined when no constant has it. */
export const offOrecName: (value: number) => OffOrecName | undefined = nameLookup(OFF_OREC);

/** Policy body layout (offsets) (Java: OFF_POL_*, short). */
export const OFF_POL = {
  /** Policy version (4), strictly increasing. */
  VERSION: 0,
  /** Offline payments between syncs (1). */
  MAX_PAYMENTS: 4,
  /** Largest offline payment (4). */
  MAX_PAYMENT_AMOUNT: 5,
  /** Largest balance (4). */
  MAX_BALANCE: 9,
  /** Offline receipts between syncs (1). */
  MAX_RECEIVED_COUNT: 13,
  /** Amount received offline between syncs (4). */
  MAX_RECEIVED_AMOUNT: 14,
  /** POLICY_FLAG_* bits (1). */
  FLAGS: 18,
} as const;
export type OffPolName = keyof typeof OFF_POL;
export type OffPolValue = (typeof OFF_POL)[OffPolName];
/** The name of a OFF_POL value (e.g. `VERSION`), or undefined when no constant has it. */
export const offPolName: (value: number) => OffPolName | undefined = nameLookup(OFF_POL);

/** GET STATUS answer layout (offsets) (Java: OFF_STATUS_*, short). */
export const OFF_STATUS = {
  /** LIMIT_PROTOCOL_VERSION (1). */
  PROTOCOL_VERSION: 0,
  /** Role (1), 00 before personalisation. */
  ROLE: 1,
  /** Lifecycle state (1). */
  STATE: 2,
  /** Card id (8), zeros before personalisation. */
  CARD_ID: 3,
  /** Intermediary id (4). */
  INTERMEDIARY_ID: 11,
  /** Balance (4). */
  BALANCE: 15,
  /** Spendable balance under the policy (4). */
  SPENDABLE: 19,
  /** State counter (4): changes with every money or state change. */
  STATE_COUNTER: 23,
  /** Payments made in the card's life (4): the next payer sequence number. */
  TX_SEQ: 27,
  /** Next top-up/de-fund order number (4). */
  ORDER_SEQ: 31,
  /** Payments in the log (1). */
  PAYMENTS: 35,
  /** Receipts in the log (1). */
  RECEIVED_COUNT: 36,
  /** Amount received in the log (4). */
  RECEIVED_AMOUNT: 37,
  /** Records in the log (1). */
  LOG_COUNT: 41,
  /** LIMIT_LOG_CAPACITY (1). */
  LOG_CAPACITY: 42,
  /** Open payment requests (1). */
  OPEN_REQUESTS: 43,
  /** Amount of the open requests (4). */
  OPEN_AMOUNT: 44,
  /** PIN tries left (1). */
  PIN_TRIES: 48,
  /** Current policy body (19). */
  POLICY: 49,
} as const;
export type OffStatusName = keyof typeof OFF_STATUS;
export type OffStatusValue = (typeof OFF_STATUS)[OffStatusName];
/** The name of a OFF_STATUS value (e.g. `PROTOCOL_VERSION`), or undefined when no constant has it. */
export const offStatusName: (value: number) => OffStatusName | undefined = nameLookup(OFF_STATUS);

/** GET CHALLENGE answer layout (offsets) (Java: OFF_CHAL_*, short). */
export const OFF_CHAL = {
  /** Challenge (16). */
  CHALLENGE: 0,
  /** Card id (8). */
  CARD_ID: 16,
  /** State counter (4). */
  STATE_COUNTER: 24,
  /** Next order number (4). */
  ORDER_SEQ: 28,
  /** Balance (4). */
  BALANCE: 32,
} as const;
export type OffChalName = keyof typeof OFF_CHAL;
export type OffChalValue = (typeof OFF_CHAL)[OffChalName];
/** The name of a OFF_CHAL value (e.g. `CHALLENGE`), or undefined when no constant has it. */
export const offChalName: (value: number) => OffChalName | undefined = nameLookup(OFF_CHAL);

/** Intermediary instruction header layout (offsets) (Java: OFF_INSTR_*, short). */
export const OFF_INSTR = {
  /** MSG_TOP_UP, MSG_DEFUND, MSG_POLICY, MSG_UNBLOCK_PIN, MSG_LIFECYCLE or MSG_SYNC_RESULT. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** The card this instruction is for (8). */
  CARD_ID: 2,
  /** The card's current challenge (16). */
  CHALLENGE: 10,
  /** The card's state counter the instruction was computed for (4). */
  STATE_COUNTER: 26,
  /** Payload; the intermediary's signature (64) follows it. */
  PAYLOAD: 30,
} as const;
export type OffInstrName = keyof typeof OFF_INSTR;
export type OffInstrValue = (typeof OFF_INSTR)[OffInstrName];
/** The name of a OFF_INSTR value (e.g. `TAG`), or undefined when no constant has it. */
export const offInstrName: (value: number) => OffInstrName | undefined = nameLookup(OFF_INSTR);

/** Synchronisation report body layout (offsets) (Java: OFF_REPORT_*, short). */
export const OFF_REPORT = {
  /** MSG_REPORT. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Card id (8). */
  CARD_ID: 2,
  /** The challenge made for this report (16). */
  CHALLENGE: 10,
  /** State counter (4). */
  STATE_COUNTER: 26,
  /** Next order number (4). */
  ORDER_SEQ: 30,
  /** Balance (4). */
  BALANCE: 34,
  /** Balance set by the last sync (4). */
  LAST_SYNC_BALANCE: 38,
  /** Payments made in the card's life (4). */
  TX_SEQ: 42,
  /** Payment requests made in the card's life (4). */
  REQUEST_SEQ: 46,
  /** Policy version (4). */
  POLICY_VERSION: 50,
  /** Lifecycle state (1). */
  STATE: 54,
  /** Records in the log (1). */
  RECORD_COUNT: 55,
  /** SHA-256 of the records, in log order (32). */
  RECORDS_DIGEST: 56,
  /** Amount of the open payment requests (4): room they reserve under MAX_BALANCE, which the sync result leaves free. */
  OPEN_AMOUNT: 88,
} as const;
export type OffReportName = keyof typeof OFF_REPORT;
export type OffReportValue = (typeof OFF_REPORT)[OffReportName];
/** The name of a OFF_REPORT value (e.g. `TAG`), or undefined when no constant has it. */
export const offReportName: (value: number) => OffReportName | undefined = nameLookup(OFF_REPORT);

/** De-fund confirmation body layout (offsets) (Java: OFF_DCONF_*, short). */
export const OFF_DCONF = {
  /** MSG_DEFUND_CONFIRM. */
  TAG: 0,
  /** MSG_FORMAT_VERSION. */
  VERSION: 1,
  /** Card id (8). */
  CARD_ID: 2,
  /** The instruction's challenge (16). */
  CHALLENGE: 10,
  /** The applied order number (4). */
  ORDER_SEQ: 26,
  /** Amount de-funded (4). */
  AMOUNT: 30,
  /** Balance after (4). */
  BALANCE: 34,
  /** State counter after (4). */
  STATE_COUNTER: 38,
} as const;
export type OffDconfName = keyof typeof OFF_DCONF;
export type OffDconfValue = (typeof OFF_DCONF)[OffDconfName];
/** The name of a OFF_DCONF value (e.g. `TAG`), or undefined when no constant has it. */
export const offDconfName: (value: number) => OffDconfName | undefined = nameLookup(OFF_DCONF);
