// GENERATED from protocol/constants.json by scripts/gen-constants.ts: do not edit. Change the JSON and run
// `npx tsx scripts/gen-constants.ts`; CI runs it with --check and fails when this file is out of date.
package ekrona.wallet;

/**
 * The protocol's numbers, one group per section of docs/PROTOCOL.md. Only static final byte and short
 * constants, which the Java Card converter inlines.
 */
public final class Protocol {
    private Protocol() {}

    // CLA: Class bytes
    /** ISO 7816-4 commands: SELECT, VERIFY, CHANGE REFERENCE DATA. */
    public static final byte CLA_ISO = (byte) 0x00;
    /** Every wallet command. */
    public static final byte CLA_PROPRIETARY = (byte) 0x80;
    /** Bit set in CLA on every block of a chained command except the last (ISO 7816-4 command chaining). */
    public static final byte CLA_CHAINING = (byte) 0x10;

    // INS: Instructions
    /** ISO SELECT by AID (CLA 00, P1 04, P2 00). */
    public static final byte INS_SELECT = (byte) 0xA4;
    /** ISO VERIFY (CLA 00, P2 80). */
    public static final byte INS_VERIFY_PIN = (byte) 0x20;
    /** ISO CHANGE REFERENCE DATA (CLA 00, P2 80), PIN validated. */
    public static final byte INS_CHANGE_PIN = (byte) 0x24;
    /** Public card status. */
    public static final byte INS_GET_STATUS = (byte) 0x10;
    /** The card's certificate (P1 01) or its intermediary's (P1 02). */
    public static final byte INS_GET_CERTIFICATE = (byte) 0x12;
    /** A fresh card challenge for the next intermediary instruction, with the card state it is bound to. */
    public static final byte INS_GET_CHALLENGE = (byte) 0x14;
    /** Intermediary-signed PIN unblock, with a new PIN. */
    public static final byte INS_UNBLOCK_PIN = (byte) 0x2C;
    /** Recipient side: sign a payment request. */
    public static final byte INS_CREATE_REQUEST = (byte) 0x30;
    /** Payer side: pay a signed payment request (PIN validated). */
    public static final byte INS_PAY = (byte) 0x32;
    /** Recipient side: take a payer-signed transaction that answers an open request. */
    public static final byte INS_RECEIVE = (byte) 0x34;
    /** Payer side: the last transaction again, for the request it answered; no state change. */
    public static final byte INS_RESEND_LAST = (byte) 0x36;
    /** Recipient side: sign a refusal of an open request and close it. */
    public static final byte INS_DECLINE = (byte) 0x38;
    /** Payer side: void a payment the recipient declined and restore its amount. */
    public static final byte INS_APPLY_DECLINE = (byte) 0x3A;
    /** Recipient side: the open payment requests (number, amount, reference), so a request whose answer was lost can be found and declined. */
    public static final byte INS_LIST_OPEN_REQUESTS = (byte) 0x3C;
    /** Intermediary-signed top-up. */
    public static final byte INS_TOP_UP = (byte) 0x40;
    /** Intermediary-signed de-fund (PIN validated); answers a card-signed confirmation. */
    public static final byte INS_DEFUND = (byte) 0x42;
    /** Card-signed synchronisation report (PIN validated); makes a fresh challenge. */
    public static final byte INS_SYNC_REPORT = (byte) 0x50;
    /** Transaction log records, two per command (PIN validated). */
    public static final byte INS_READ_RECORDS = (byte) 0x52;
    /** Intermediary-signed synchronisation result. */
    public static final byte INS_SYNC_APPLY = (byte) 0x54;
    /** Intermediary-signed policy of a higher version. */
    public static final byte INS_SET_POLICY = (byte) 0x60;
    /** Intermediary-signed block, unblock or terminate. */
    public static final byte INS_SET_LIFECYCLE = (byte) 0x62;
    /** Personalisation: generate the card key pair on card. */
    public static final byte INS_PERSO_GENERATE_KEY = (byte) 0x70;
    /** Personalisation: store the central bank root public key. */
    public static final byte INS_PERSO_STORE_ROOT = (byte) 0x72;
    /** Personalisation: store the intermediary certificate, checked against the root. */
    public static final byte INS_PERSO_STORE_INTERMEDIARY_CERT = (byte) 0x74;
    /** Personalisation: store the card certificate, checked against the intermediary and the card key. */
    public static final byte INS_PERSO_STORE_CARD_CERT = (byte) 0x76;
    /** Personalisation: set the PIN. */
    public static final byte INS_PERSO_SET_PIN = (byte) 0x78;
    /** Personalisation: set the first policy (unsigned). */
    public static final byte INS_PERSO_SET_POLICY = (byte) 0x7A;
    /** Personalisation: lock; the card becomes ACTIVE. */
    public static final byte INS_PERSO_LOCK = (byte) 0x7E;

    // P1: P1 and P2 values
    /** P1 and P2 of every command that has no parameter. */
    public static final byte P1_NONE = (byte) 0x00;
    /** SELECT P1. */
    public static final byte P1_SELECT_BY_AID = (byte) 0x04;
    /** P2 of VERIFY and CHANGE REFERENCE DATA: the card's only PIN. */
    public static final byte P1_PIN_REFERENCE = (byte) 0x80;
    /** GET CERTIFICATE P1: the card's own certificate. */
    public static final byte P1_CERT_CARD = (byte) 0x01;
    /** GET CERTIFICATE P1: the certificate of the card's intermediary. */
    public static final byte P1_CERT_INTERMEDIARY = (byte) 0x02;

    // SW: Status words
    /** Success. */
    public static final short SW_OK = (short) 0x9000;
    /** Wrong PIN; the low nibble is the number of tries left (63C2, 63C1). */
    public static final short SW_PIN_TRIES_BASE = (short) 0x63C0;
    /** The command's data has the wrong length for this command. */
    public static final short SW_WRONG_LENGTH = (short) 0x6700;
    /** A chained command was interrupted by another command, or a chain grew past the card's buffer. */
    public static final short SW_LAST_COMMAND_EXPECTED = (short) 0x6883;
    /** The PIN must be verified first (or was consumed by the previous payment). */
    public static final short SW_SECURITY_STATUS_NOT_SATISFIED = (short) 0x6982;
    /** The PIN is blocked: no tries left; only an intermediary-signed UNBLOCK PIN helps. */
    public static final short SW_PIN_BLOCKED = (short) 0x6983;
    /** The command is not allowed in the card's lifecycle state or role. */
    public static final short SW_CONDITIONS_NOT_SATISFIED = (short) 0x6985;
    /** A field of the command's data is malformed (bad tag, version, point, PIN format, zero amount). */
    public static final short SW_WRONG_DATA = (short) 0x6A80;
    /** SELECT: no applet with this AID. */
    public static final short SW_FILE_NOT_FOUND = (short) 0x6A82;
    /** P1 or P2 is not defined for this command. */
    public static final short SW_WRONG_P1P2 = (short) 0x6A86;
    /** Unknown instruction. */
    public static final short SW_INS_NOT_SUPPORTED = (short) 0x6D00;
    /** Unknown class byte. */
    public static final short SW_CLA_NOT_SUPPORTED = (short) 0x6E00;
    /** The spendable balance is below the amount. */
    public static final short SW_INSUFFICIENT_FUNDS = (short) 0x9C01;
    /** The policy's number of offline payments between syncs is reached. */
    public static final short SW_PAYMENT_COUNT_LIMIT = (short) 0x9C02;
    /** The amount is above the policy's largest offline payment. */
    public static final short SW_PAYMENT_AMOUNT_LIMIT = (short) 0x9C03;
    /** The balance would exceed the policy's maximum balance. */
    public static final short SW_BALANCE_LIMIT = (short) 0x9C04;
    /** The policy's number of offline receipts between syncs would be exceeded. */
    public static final short SW_RECEIVED_COUNT_LIMIT = (short) 0x9C05;
    /** The policy's amount received offline between syncs would be exceeded. */
    public static final short SW_RECEIVED_AMOUNT_LIMIT = (short) 0x9C06;
    /** The transaction log has no room left; synchronise first. */
    public static final short SW_LOG_FULL = (short) 0x9C07;
    /** Every payment request slot is open; receive or decline one first. */
    public static final short SW_TOO_MANY_OPEN_REQUESTS = (short) 0x9C08;
    /** A signature does not verify. */
    public static final short SW_BAD_SIGNATURE = (short) 0x9C10;
    /** A certificate is malformed, does not verify, or does not match the message. */
    public static final short SW_BAD_CERTIFICATE = (short) 0x9C11;
    /** The counterparty's intermediary is not known to the card: send its certificate too. */
    public static final short SW_UNKNOWN_INTERMEDIARY = (short) 0x9C12;
    /** The message is addressed to another card. */
    public static final short SW_WRONG_CARD = (short) 0x9C13;
    /** The instruction does not carry the card's current challenge (replayed, or a newer challenge was made). */
    public static final short SW_STALE_CHALLENGE = (short) 0x9C14;
    /** The card's state changed since the instruction or report was made; start the flow again. */
    public static final short SW_STATE_CHANGED = (short) 0x9C15;
    /** This card already paid this payment request. */
    public static final short SW_ALREADY_PAID = (short) 0x9C16;
    /** The transaction answers no open request of this card (unknown, received, declined, or different amount or reference). */
    public static final short SW_NO_OPEN_REQUEST = (short) 0x9C17;
    /** De-funding needs a log without payment, receipt or decline records: synchronise first. */
    public static final short SW_UNSYNCED_RECORDS = (short) 0x9C18;
    /** The policy's version is not above the card's. */
    public static final short SW_POLICY_NOT_NEWER = (short) 0x9C19;
    /** The policy's limits are inconsistent (too many records for the log, amounts out of range). */
    public static final short SW_POLICY_INVALID = (short) 0x9C1A;
    /** No logged payment matches the decline (already synchronised, voided, or never paid). */
    public static final short SW_RECORD_NOT_FOUND = (short) 0x9C1B;
    /** A card cannot pay itself. */
    public static final short SW_SELF_PAYMENT = (short) 0x9C1C;
    /** The card's last payment does not answer this request. */
    public static final short SW_NOTHING_TO_RESEND = (short) 0x9C1D;
    /** The top-up or de-fund order is not the card's next one (already applied or superseded by a sync). */
    public static final short SW_WRONG_ORDER = (short) 0x9C1E;
    /** The card is blocked by its intermediary. */
    public static final short SW_CARD_BLOCKED = (short) 0x9C20;
    /** The card is terminated. */
    public static final short SW_CARD_TERMINATED = (short) 0x9C21;
    /** The card is not personalised yet. */
    public static final short SW_NOT_PERSONALISED = (short) 0x9C22;
    /** Personalisation commands are refused once the card is locked. */
    public static final short SW_PERSONALISATION_LOCKED = (short) 0x9C23;
    /** Lock refused: key, root, certificates or PIN missing. */
    public static final short SW_PERSONALISATION_INCOMPLETE = (short) 0x9C24;

    // MSG: Signed structure tags (first byte of every signed structure)
    /** Intermediary certificate, signed by the central bank root. */
    public static final byte MSG_INTERMEDIARY_CERT = (byte) 0x11;
    /** Card certificate, signed by the card's intermediary. */
    public static final byte MSG_CARD_CERT = (byte) 0x12;
    /** Payment request, signed by the recipient card. */
    public static final byte MSG_REQUEST = (byte) 0x21;
    /** Offline transaction, signed by the payer card. */
    public static final byte MSG_TX = (byte) 0x22;
    /** Refusal of a payment request, signed by the recipient card. */
    public static final byte MSG_DECLINE = (byte) 0x23;
    /** Synchronisation report, signed by the card. */
    public static final byte MSG_REPORT = (byte) 0x24;
    /** De-fund confirmation, signed by the card. */
    public static final byte MSG_DEFUND_CONFIRM = (byte) 0x25;
    /** Top-up instruction, signed by the intermediary. */
    public static final byte MSG_TOP_UP = (byte) 0x41;
    /** De-fund instruction, signed by the intermediary. */
    public static final byte MSG_DEFUND = (byte) 0x42;
    /** Policy instruction, signed by the intermediary. */
    public static final byte MSG_POLICY = (byte) 0x43;
    /** PIN unblock instruction, signed by the intermediary. */
    public static final byte MSG_UNBLOCK_PIN = (byte) 0x44;
    /** Lifecycle instruction, signed by the intermediary. */
    public static final byte MSG_LIFECYCLE = (byte) 0x45;
    /** Synchronisation result, signed by the intermediary. */
    public static final byte MSG_SYNC_RESULT = (byte) 0x46;
    /** Second byte of every signed structure. */
    public static final byte MSG_FORMAT_VERSION = (byte) 0x01;

    // ROLE: Card roles
    /** A person's card. */
    public static final byte ROLE_USER = (byte) 0x01;
    /** The secure element of a point-of-sale terminal. */
    public static final byte ROLE_MERCHANT = (byte) 0x02;

    // STATE: Lifecycle states
    /** Installed; personalisation commands allowed. */
    public static final byte STATE_PERSONALISING = (byte) 0x01;
    /** Locked and in use. */
    public static final byte STATE_ACTIVE = (byte) 0x02;
    /** Blocked by the intermediary: no requests, payments, receipts, top-ups or de-funds; everything that recovers money still works. */
    public static final byte STATE_BLOCKED = (byte) 0x03;
    /** Final: only status, certificates, PIN verification, sync report and records. */
    public static final byte STATE_TERMINATED = (byte) 0x04;

    // RECORD: Transaction log record kinds and statuses
    /** Kind: a payment this card made (body: TX). */
    public static final byte RECORD_OUTGOING = (byte) 0x01;
    /** Kind: a payment this card received (body: TX, signature: the payer's). */
    public static final byte RECORD_INCOMING = (byte) 0x02;
    /** Kind: a request this card declined (body: DECLINE, padded). */
    public static final byte RECORD_DECLINED = (byte) 0x03;
    /** Kind: a top-up order this card applied (body: order record, signature: the intermediary's instruction signature). */
    public static final byte RECORD_TOP_UP = (byte) 0x04;
    /** Kind: a de-fund order this card applied (body: order record, signature: the intermediary's instruction signature). */
    public static final byte RECORD_DEFUND = (byte) 0x05;
    /** Status of a record. */
    public static final byte RECORD_STATUS_NORMAL = (byte) 0x00;
    /** Status of an OUTGOING record whose payment the recipient declined and this card restored. */
    public static final byte RECORD_STATUS_VOID = (byte) 0x01;

    // POLICY_FLAG: Policy flags
    /** Money received offline may be spent offline before the next sync. */
    public static final byte POLICY_FLAG_SPEND_RECEIVED = (byte) 0x01;

    // LIMIT: Sizes and capacities of the applet
    /** Protocol version reported in the status. */
    public static final short LIMIT_PROTOCOL_VERSION = (short) 1;
    /** Transaction log records the card holds between syncs. */
    public static final short LIMIT_LOG_CAPACITY = (short) 32;
    /** Log records a valid policy leaves free for applied top-up and de-fund orders. */
    public static final short LIMIT_ORDER_RESERVE = (short) 4;
    /** Payment requests a card can have open at once. */
    public static final short LIMIT_MAX_OPEN_REQUESTS = (short) 4;
    /** Paid requests the payer card remembers across syncs (besides its log) to refuse paying one twice. */
    public static final short LIMIT_PAID_MEMORY = (short) 16;
    /** Other intermediaries' verified keys the card remembers. */
    public static final short LIMIT_INTERMEDIARY_CACHE = (short) 3;
    /** Bytes a chained command may carry in total. */
    public static final short LIMIT_IO_BUFFER = (short) 400;
    /** Wrong PIN presentations before the PIN blocks. */
    public static final short LIMIT_PIN_TRIES = (short) 3;
    /** Shortest PIN (ASCII digits). */
    public static final short LIMIT_PIN_MIN = (short) 4;
    /** Longest PIN (ASCII digits). */
    public static final short LIMIT_PIN_MAX = (short) 8;
    /** Records one READ RECORDS answers at most. */
    public static final short LIMIT_RECORDS_PER_READ = (short) 2;

    // LEN: Field and structure lengths (bytes)
    /** Card id (by convention intermediary id then a serial). */
    public static final short LEN_CARD_ID = (short) 8;
    /** Intermediary id. */
    public static final short LEN_INTERMEDIARY_ID = (short) 4;
    /** Amount in öre, unsigned, at most 0x7FFFFFFF. */
    public static final short LEN_AMOUNT = (short) 4;
    /** Sequence numbers and counters. */
    public static final short LEN_SEQ = (short) 4;
    /** Card challenge. */
    public static final short LEN_CHALLENGE = (short) 16;
    /** Payment reference chosen by the recipient. */
    public static final short LEN_REFERENCE = (short) 8;
    /** P-256 public key, uncompressed (04 X Y). */
    public static final short LEN_PUBLIC_KEY = (short) 65;
    /** ECDSA P-256 SHA-256 signature as r then s, 32 bytes each, big-endian. */
    public static final short LEN_SIGNATURE = (short) 64;
    /** SHA-256 digest. */
    public static final short LEN_DIGEST = (short) 32;
    /** Signed part of an intermediary certificate. */
    public static final short LEN_INTERMEDIARY_CERT_BODY = (short) 71;
    /** Intermediary certificate: body then signature. */
    public static final short LEN_INTERMEDIARY_CERT = (short) 135;
    /** Signed part of a card certificate. */
    public static final short LEN_CARD_CERT_BODY = (short) 80;
    /** Card certificate: body then signature. */
    public static final short LEN_CARD_CERT = (short) 144;
    /** Payment request body (also the DECLINE body). */
    public static final short LEN_REQUEST = (short) 30;
    /** One entry of LIST OPEN REQUESTS: request number (4), amount (4), reference (8). */
    public static final short LEN_OPEN_REQUEST = (short) 16;
    /** Transaction body. */
    public static final short LEN_TX = (short) 46;
    /** Transaction log record. */
    public static final short LEN_RECORD = (short) 112;
    /** Policy body. */
    public static final short LEN_POLICY = (short) 19;
    /** GET STATUS answer. */
    public static final short LEN_STATUS = (short) 68;
    /** GET CHALLENGE answer. */
    public static final short LEN_CHALLENGE_ANSWER = (short) 36;
    /** Header of every intermediary instruction. */
    public static final short LEN_INSTRUCTION_HEADER = (short) 30;
    /** Payload of TOP UP and DEFUND: order number then amount. */
    public static final short LEN_ORDER = (short) 8;
    /** Payload of SYNC APPLY: record count then new balance. */
    public static final short LEN_SYNC_RESULT_PAYLOAD = (short) 5;
    /** Synchronisation report body. */
    public static final short LEN_REPORT = (short) 92;
    /** De-fund confirmation body. */
    public static final short LEN_DEFUND_CONFIRM = (short) 42;

    // OFF_ICERT: Intermediary certificate layout (offsets)
    /** MSG_INTERMEDIARY_CERT. */
    public static final short OFF_ICERT_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_ICERT_VERSION = (short) 1;
    /** Intermediary id (4). */
    public static final short OFF_ICERT_INTERMEDIARY_ID = (short) 2;
    /** Intermediary public key (65). */
    public static final short OFF_ICERT_PUBLIC_KEY = (short) 6;
    /** Root signature over bytes 0..70 (64). */
    public static final short OFF_ICERT_SIGNATURE = (short) 71;

    // OFF_CCERT: Card certificate layout (offsets)
    /** MSG_CARD_CERT. */
    public static final short OFF_CCERT_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_CCERT_VERSION = (short) 1;
    /** Card id (8). */
    public static final short OFF_CCERT_CARD_ID = (short) 2;
    /** ROLE_USER or ROLE_MERCHANT. */
    public static final short OFF_CCERT_ROLE = (short) 10;
    /** Issuing intermediary id (4). */
    public static final short OFF_CCERT_INTERMEDIARY_ID = (short) 11;
    /** Card public key (65). */
    public static final short OFF_CCERT_PUBLIC_KEY = (short) 15;
    /** Intermediary signature over bytes 0..79 (64). */
    public static final short OFF_CCERT_SIGNATURE = (short) 80;

    // OFF_REQ: Payment request and decline body layout (offsets)
    /** MSG_REQUEST or MSG_DECLINE. */
    public static final short OFF_REQ_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_REQ_VERSION = (short) 1;
    /** Recipient card id (8). */
    public static final short OFF_REQ_RECIPIENT_ID = (short) 2;
    /** Recipient's intermediary id (4). */
    public static final short OFF_REQ_RECIPIENT_INTERMEDIARY = (short) 10;
    /** Request number, unique on the recipient card (4). */
    public static final short OFF_REQ_REQUEST_NO = (short) 14;
    /** Amount (4). */
    public static final short OFF_REQ_AMOUNT = (short) 18;
    /** Recipient's reference (8). */
    public static final short OFF_REQ_REFERENCE = (short) 22;

    // OFF_TX: Transaction body layout (offsets)
    /** MSG_TX. */
    public static final short OFF_TX_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_TX_VERSION = (short) 1;
    /** Payer card id (8); with PAYER_SEQ the transaction id. */
    public static final short OFF_TX_PAYER_ID = (short) 2;
    /** Payer sequence number (4), never repeated in the card's life. */
    public static final short OFF_TX_PAYER_SEQ = (short) 10;
    /** Payer's intermediary id (4). */
    public static final short OFF_TX_PAYER_INTERMEDIARY = (short) 14;
    /** Recipient card id (8). */
    public static final short OFF_TX_RECIPIENT_ID = (short) 18;
    /** Recipient's intermediary id (4). */
    public static final short OFF_TX_RECIPIENT_INTERMEDIARY = (short) 26;
    /** The request this pays (4). */
    public static final short OFF_TX_REQUEST_NO = (short) 30;
    /** Amount (4). */
    public static final short OFF_TX_AMOUNT = (short) 34;
    /** The request's reference (8). */
    public static final short OFF_TX_REFERENCE = (short) 38;

    // OFF_REC: Transaction log record layout (offsets)
    /** RECORD_OUTGOING, RECORD_INCOMING or RECORD_DECLINED. */
    public static final short OFF_REC_KIND = (short) 0;
    /** RECORD_STATUS_NORMAL or RECORD_STATUS_VOID. */
    public static final short OFF_REC_STATUS = (short) 1;
    /** TX body (46); DECLINE body (30) then 16 zero bytes; or order record body (28) then 18 zero bytes. */
    public static final short OFF_REC_BODY = (short) 2;
    /** The body's signature (64): the payer's for a TX, this card's for a DECLINE, the intermediary's instruction signature for an order. */
    public static final short OFF_REC_SIGNATURE = (short) 48;

    // OFF_OREC: Order record body layout (offsets inside the record)
    /** The applied order number (4). */
    public static final short OFF_OREC_ORDER_SEQ = (short) 2;
    /** Amount (4). */
    public static final short OFF_OREC_AMOUNT = (short) 6;
    /** The instruction's challenge (16). */
    public static final short OFF_OREC_CHALLENGE = (short) 10;
    /** The instruction's state counter (4); with the card id, tag, challenge, order number and amount, the instruction the intermediary signed can be rebuilt and its signature checked. */
    public static final short OFF_OREC_STATE_COUNTER = (short) 26;

    // OFF_POL: Policy body layout (offsets)
    /** Policy version (4), strictly increasing. */
    public static final short OFF_POL_VERSION = (short) 0;
    /** Offline payments between syncs (1). */
    public static final short OFF_POL_MAX_PAYMENTS = (short) 4;
    /** Largest offline payment (4). */
    public static final short OFF_POL_MAX_PAYMENT_AMOUNT = (short) 5;
    /** Largest balance (4). */
    public static final short OFF_POL_MAX_BALANCE = (short) 9;
    /** Offline receipts between syncs (1). */
    public static final short OFF_POL_MAX_RECEIVED_COUNT = (short) 13;
    /** Amount received offline between syncs (4). */
    public static final short OFF_POL_MAX_RECEIVED_AMOUNT = (short) 14;
    /** POLICY_FLAG_* bits (1). */
    public static final short OFF_POL_FLAGS = (short) 18;

    // OFF_STATUS: GET STATUS answer layout (offsets)
    /** LIMIT_PROTOCOL_VERSION (1). */
    public static final short OFF_STATUS_PROTOCOL_VERSION = (short) 0;
    /** Role (1), 00 before personalisation. */
    public static final short OFF_STATUS_ROLE = (short) 1;
    /** Lifecycle state (1). */
    public static final short OFF_STATUS_STATE = (short) 2;
    /** Card id (8), zeros before personalisation. */
    public static final short OFF_STATUS_CARD_ID = (short) 3;
    /** Intermediary id (4). */
    public static final short OFF_STATUS_INTERMEDIARY_ID = (short) 11;
    /** Balance (4). */
    public static final short OFF_STATUS_BALANCE = (short) 15;
    /** Spendable balance under the policy (4). */
    public static final short OFF_STATUS_SPENDABLE = (short) 19;
    /** State counter (4): changes with every money or state change. */
    public static final short OFF_STATUS_STATE_COUNTER = (short) 23;
    /** Payments made in the card's life (4): the next payer sequence number. */
    public static final short OFF_STATUS_TX_SEQ = (short) 27;
    /** Next top-up/de-fund order number (4). */
    public static final short OFF_STATUS_ORDER_SEQ = (short) 31;
    /** Payments in the log (1). */
    public static final short OFF_STATUS_PAYMENTS = (short) 35;
    /** Receipts in the log (1). */
    public static final short OFF_STATUS_RECEIVED_COUNT = (short) 36;
    /** Amount received in the log (4). */
    public static final short OFF_STATUS_RECEIVED_AMOUNT = (short) 37;
    /** Records in the log (1). */
    public static final short OFF_STATUS_LOG_COUNT = (short) 41;
    /** LIMIT_LOG_CAPACITY (1). */
    public static final short OFF_STATUS_LOG_CAPACITY = (short) 42;
    /** Open payment requests (1). */
    public static final short OFF_STATUS_OPEN_REQUESTS = (short) 43;
    /** Amount of the open requests (4). */
    public static final short OFF_STATUS_OPEN_AMOUNT = (short) 44;
    /** PIN tries left (1). */
    public static final short OFF_STATUS_PIN_TRIES = (short) 48;
    /** Current policy body (19). */
    public static final short OFF_STATUS_POLICY = (short) 49;

    // OFF_CHAL: GET CHALLENGE answer layout (offsets)
    /** Challenge (16). */
    public static final short OFF_CHAL_CHALLENGE = (short) 0;
    /** Card id (8). */
    public static final short OFF_CHAL_CARD_ID = (short) 16;
    /** State counter (4). */
    public static final short OFF_CHAL_STATE_COUNTER = (short) 24;
    /** Next order number (4). */
    public static final short OFF_CHAL_ORDER_SEQ = (short) 28;
    /** Balance (4). */
    public static final short OFF_CHAL_BALANCE = (short) 32;

    // OFF_INSTR: Intermediary instruction header layout (offsets)
    /** MSG_TOP_UP, MSG_DEFUND, MSG_POLICY, MSG_UNBLOCK_PIN, MSG_LIFECYCLE or MSG_SYNC_RESULT. */
    public static final short OFF_INSTR_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_INSTR_VERSION = (short) 1;
    /** The card this instruction is for (8). */
    public static final short OFF_INSTR_CARD_ID = (short) 2;
    /** The card's current challenge (16). */
    public static final short OFF_INSTR_CHALLENGE = (short) 10;
    /** The card's state counter the instruction was computed for (4). */
    public static final short OFF_INSTR_STATE_COUNTER = (short) 26;
    /** Payload; the intermediary's signature (64) follows it. */
    public static final short OFF_INSTR_PAYLOAD = (short) 30;

    // OFF_REPORT: Synchronisation report body layout (offsets)
    /** MSG_REPORT. */
    public static final short OFF_REPORT_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_REPORT_VERSION = (short) 1;
    /** Card id (8). */
    public static final short OFF_REPORT_CARD_ID = (short) 2;
    /** The challenge made for this report (16). */
    public static final short OFF_REPORT_CHALLENGE = (short) 10;
    /** State counter (4). */
    public static final short OFF_REPORT_STATE_COUNTER = (short) 26;
    /** Next order number (4). */
    public static final short OFF_REPORT_ORDER_SEQ = (short) 30;
    /** Balance (4). */
    public static final short OFF_REPORT_BALANCE = (short) 34;
    /** Balance set by the last sync (4). */
    public static final short OFF_REPORT_LAST_SYNC_BALANCE = (short) 38;
    /** Payments made in the card's life (4). */
    public static final short OFF_REPORT_TX_SEQ = (short) 42;
    /** Payment requests made in the card's life (4). */
    public static final short OFF_REPORT_REQUEST_SEQ = (short) 46;
    /** Policy version (4). */
    public static final short OFF_REPORT_POLICY_VERSION = (short) 50;
    /** Lifecycle state (1). */
    public static final short OFF_REPORT_STATE = (short) 54;
    /** Records in the log (1). */
    public static final short OFF_REPORT_RECORD_COUNT = (short) 55;
    /** SHA-256 of the records, in log order (32). */
    public static final short OFF_REPORT_RECORDS_DIGEST = (short) 56;
    /** Amount of the open payment requests (4): room they reserve under MAX_BALANCE, which the sync result leaves free. */
    public static final short OFF_REPORT_OPEN_AMOUNT = (short) 88;

    // OFF_DCONF: De-fund confirmation body layout (offsets)
    /** MSG_DEFUND_CONFIRM. */
    public static final short OFF_DCONF_TAG = (short) 0;
    /** MSG_FORMAT_VERSION. */
    public static final short OFF_DCONF_VERSION = (short) 1;
    /** Card id (8). */
    public static final short OFF_DCONF_CARD_ID = (short) 2;
    /** The instruction's challenge (16). */
    public static final short OFF_DCONF_CHALLENGE = (short) 10;
    /** The applied order number (4). */
    public static final short OFF_DCONF_ORDER_SEQ = (short) 26;
    /** Amount de-funded (4). */
    public static final short OFF_DCONF_AMOUNT = (short) 30;
    /** Balance after (4). */
    public static final short OFF_DCONF_BALANCE = (short) 34;
    /** State counter after (4). */
    public static final short OFF_DCONF_STATE_COUNTER = (short) 38;
}
