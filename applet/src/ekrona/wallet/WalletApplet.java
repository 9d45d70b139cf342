package ekrona.wallet;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.Util;
import javacard.security.MessageDigest;

/**
 * The offline e-krona wallet (docs/PROTOCOL.md).
 *
 * process() only dispatches: class, instruction, parameters and lifecycle state are checked from a table, the
 * command's data is collected (chained or not), and one method per command then validates everything it
 * needs before it writes anything, and writes in one transaction. The transaction safety net lives in
 * process(): whatever leaves a command with a transaction open, the transaction is aborted.
 */
public final class WalletApplet extends Applet {
    // ---------------------------------------------------------------- command table

    /** Lifecycle states a command is allowed in (low nibble). */
    private static final short IN_P = 0x01;
    private static final short IN_A = 0x02;
    private static final short IN_B = 0x04;
    private static final short IN_T = 0x08;
    private static final short IN_STATES = 0x0F;
    private static final short IN_ALL = (short) (IN_P | IN_A | IN_B | IN_T);
    private static final short IN_AB = (short) (IN_A | IN_B);
    private static final short IN_ABT = (short) (IN_A | IN_B | IN_T);

    /** CLA 00 rather than 80. */
    private static final short F_ISO = 0x10;
    /** The command has data (in T=0 its data phase is only started for these). */
    private static final short F_DATA = 0x20;
    /** A personalisation command: 9C23 once the card is locked. */
    private static final short F_PERSO = 0x40;

    /** The P1 P2 the command accepts. */
    private static final short P_NONE = 0x000;
    private static final short P_PIN = 0x100;
    private static final short P_CERT = 0x200;
    private static final short P_INDEX = 0x300;
    private static final short P_SELECT = 0x400;
    private static final short P_MASK = 0x700;

    private static short commandInfo(byte ins) {
        switch (ins) {
            case Protocol.INS_SELECT: return (short) (IN_ALL | F_ISO | P_SELECT);
            case Protocol.INS_VERIFY_PIN: return (short) (IN_ABT | F_ISO | F_DATA | P_PIN);
            case Protocol.INS_CHANGE_PIN: return (short) (IN_AB | F_ISO | F_DATA | P_PIN);
            case Protocol.INS_GET_STATUS: return IN_ALL;
            case Protocol.INS_GET_CERTIFICATE: return (short) (IN_ALL | P_CERT);
            case Protocol.INS_GET_CHALLENGE: return IN_AB;
            case Protocol.INS_UNBLOCK_PIN: return (short) (IN_AB | F_DATA);
            case Protocol.INS_CREATE_REQUEST: return (short) (IN_A | F_DATA);
            case Protocol.INS_PAY: return (short) (IN_A | F_DATA);
            case Protocol.INS_RECEIVE: return (short) (IN_A | F_DATA);
            case Protocol.INS_RESEND_LAST: return (short) (IN_AB | F_DATA);
            case Protocol.INS_DECLINE: return (short) (IN_A | F_DATA);
            case Protocol.INS_APPLY_DECLINE: return (short) (IN_AB | F_DATA);
            case Protocol.INS_LIST_OPEN_REQUESTS: return IN_AB;
            case Protocol.INS_TOP_UP: return (short) (IN_A | F_DATA);
            case Protocol.INS_DEFUND: return (short) (IN_A | F_DATA);
            case Protocol.INS_SYNC_REPORT: return IN_ABT;
            case Protocol.INS_READ_RECORDS: return (short) (IN_ABT | P_INDEX);
            case Protocol.INS_SYNC_APPLY: return (short) (IN_AB | F_DATA);
            case Protocol.INS_SET_POLICY: return (short) (IN_AB | F_DATA);
            case Protocol.INS_SET_LIFECYCLE: return (short) (IN_AB | F_DATA);
            case Protocol.INS_PERSO_GENERATE_KEY: return (short) (IN_P | F_PERSO);
            case Protocol.INS_PERSO_STORE_ROOT: return (short) (IN_P | F_PERSO | F_DATA);
            case Protocol.INS_PERSO_STORE_INTERMEDIARY_CERT: return (short) (IN_P | F_PERSO | F_DATA);
            case Protocol.INS_PERSO_STORE_CARD_CERT: return (short) (IN_P | F_PERSO | F_DATA);
            case Protocol.INS_PERSO_SET_PIN: return (short) (IN_P | F_PERSO | F_DATA);
            case Protocol.INS_PERSO_SET_POLICY: return (short) (IN_P | F_PERSO | F_DATA);
            case Protocol.INS_PERSO_LOCK: return (short) (IN_P | F_PERSO);
            default: return 0;
        }
    }

    // ---------------------------------------------------------------- sizes of data in and out

    private static final short LEN_INSTRUCTION_SIG = (short) (Protocol.LEN_INSTRUCTION_HEADER + Protocol.LEN_SIGNATURE);
    private static final short LEN_SIGNED_REQUEST = (short) (Protocol.LEN_REQUEST + Protocol.LEN_SIGNATURE);
    private static final short LEN_SIGNED_TX = (short) (Protocol.LEN_TX + Protocol.LEN_SIGNATURE);
    /** Request or decline, signature, card certificate: what CREATE REQUEST and DECLINE answer, PAY takes. */
    private static final short LEN_REQUEST_MESSAGE = (short) (LEN_SIGNED_REQUEST + Protocol.LEN_CARD_CERT);
    private static final short LEN_TX_MESSAGE = (short) (LEN_SIGNED_TX + Protocol.LEN_CARD_CERT);
    private static final short LEN_REQUEST_DATA = (short) (Protocol.LEN_AMOUNT + Protocol.LEN_REFERENCE);
    private static final short LEN_RESEND_DATA = (short) (Protocol.LEN_CARD_ID + Protocol.LEN_SEQ + Protocol.LEN_REFERENCE);
    private static final short LEN_SIGNED_CONFIRMATION = (short) (Protocol.LEN_DEFUND_CONFIRM + Protocol.LEN_SIGNATURE);
    private static final short LEN_SIGNED_REPORT = (short) (Protocol.LEN_REPORT + Protocol.LEN_SIGNATURE);

    /** Offsets of the parts of a PAY or APPLY DECLINE, and of a RECEIVE. */
    private static final short REQ_SIGNATURE = Protocol.LEN_REQUEST;
    private static final short REQ_CERT = LEN_SIGNED_REQUEST;
    private static final short REQ_ICERT = LEN_REQUEST_MESSAGE;
    private static final short TX_SIGNATURE = Protocol.LEN_TX;
    private static final short TX_CERT = LEN_SIGNED_TX;
    private static final short TX_ICERT = LEN_TX_MESSAGE;

    /** Payload offsets of the instructions. */
    private static final short ORDER_SEQ = Protocol.OFF_INSTR_PAYLOAD;
    private static final short ORDER_AMOUNT = (short) (ORDER_SEQ + Protocol.LEN_SEQ);
    private static final short SYNC_RECORD_COUNT = Protocol.OFF_INSTR_PAYLOAD;
    private static final short SYNC_BALANCE = (short) (SYNC_RECORD_COUNT + 1);

    /** Where records and structures are built in the scratch. */
    private static final short REC = Scratch.WORK;
    private static final short REC_BODY = (short) (REC + Protocol.OFF_REC_BODY);
    private static final short REC_SIGNATURE = (short) (REC + Protocol.OFF_REC_SIGNATURE);
    private static final short CONFIRMATION = (short) (REC + Protocol.LEN_RECORD);
    private static final short TMP_A = Scratch.TMP;
    private static final short TMP_B = (short) (Scratch.TMP + 4);
    private static final short TMP_C = (short) (Scratch.TMP + 8);

    // ---------------------------------------------------------------- state

    private final IoBuffer io;
    /** Working memory; CLEAR_ON_DESELECT: nothing in it outlives a command, and deselect-cleared RAM is shareable. */
    private final byte[] scratch;
    private final Counters counters;
    private final Policy policy;
    private final TransactionLog log;
    private final PaymentRequests requests;
    private final PaidMemory paid;
    private final LastPayment lastPayment;
    private final CertificateVerifier certs;
    private final InstructionVerifier instructions;
    private final CardKey cardKey;
    private final OwnerPIN pin;
    private final MessageDigest sha256;
    private byte lifecycle;
    private boolean pinSet;

    private WalletApplet() {
        io = new IoBuffer();
        scratch = JCSystem.makeTransientByteArray(Scratch.LENGTH, JCSystem.CLEAR_ON_DESELECT);
        counters = new Counters();
        policy = new Policy();
        log = new TransactionLog();
        requests = new PaymentRequests();
        paid = new PaidMemory();
        lastPayment = new LastPayment();
        certs = new CertificateVerifier(scratch);
        instructions = new InstructionVerifier(certs, counters);
        cardKey = new CardKey(scratch);
        pin = new OwnerPIN((byte) Protocol.LIMIT_PIN_TRIES, (byte) Protocol.LIMIT_PIN_MAX);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        lifecycle = Protocol.STATE_PERSONALISING;
    }

    public static void install(byte[] bArray, short bOffset, byte bLength) {
        new WalletApplet().register(bArray, (short) (bOffset + 1), bArray[bOffset]);
    }

    public boolean select() {
        io.reset();
        return true;
    }

    /** The PIN validation ends with the selection (OwnerPIN's flag is transient, but not cleared on deselect). */
    public void deselect() {
        pin.reset();
        io.reset();
    }

    public void process(APDU apdu) {
        try {
            if (selectingApplet()) {
                answerSelect(apdu);
            } else {
                dispatch(apdu);
            }
        } finally {
            if (JCSystem.getTransactionDepth() != 0) {
                JCSystem.abortTransaction();
            }
        }
    }

    private void dispatch(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        io.checkContinuation(buf);
        byte cla = IoBuffer.baseClass(buf[ISO7816.OFFSET_CLA]);
        if (cla != Protocol.CLA_ISO && cla != Protocol.CLA_PROPRIETARY) {
            ISOException.throwIt(Protocol.SW_CLA_NOT_SUPPORTED);
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        short info = commandInfo(ins);
        if (info == 0) {
            ISOException.throwIt(Protocol.SW_INS_NOT_SUPPORTED);
        }
        if (((short) (info & F_ISO) != 0) != (cla == Protocol.CLA_ISO)) {
            ISOException.throwIt(Protocol.SW_CLA_NOT_SUPPORTED);
        }
        checkParameters(info, buf[ISO7816.OFFSET_P1], buf[ISO7816.OFFSET_P2]);
        checkLifecycle(info);
        short len = io.receive(apdu, (short) (info & F_DATA) != 0);
        if (len < 0) {
            return;
        }
        byte[] data = io.data();
        switch (ins) {
            case Protocol.INS_GET_STATUS: getStatus(apdu, len); return;
            case Protocol.INS_GET_CERTIFICATE: getCertificate(apdu, buf[ISO7816.OFFSET_P1], len); return;
            case Protocol.INS_GET_CHALLENGE: getChallenge(apdu, len); return;
            case Protocol.INS_VERIFY_PIN: verifyPin(data, len); return;
            case Protocol.INS_CHANGE_PIN: changePin(data, len); return;
            case Protocol.INS_UNBLOCK_PIN: unblockPin(data, len); return;
            case Protocol.INS_CREATE_REQUEST: createRequest(apdu, data, len); return;
            case Protocol.INS_PAY: pay(apdu, data, len); return;
            case Protocol.INS_RECEIVE: receive(data, len); return;
            case Protocol.INS_RESEND_LAST: resendLast(apdu, data, len); return;
            case Protocol.INS_DECLINE: decline(apdu, data, len); return;
            case Protocol.INS_APPLY_DECLINE: applyDecline(data, len); return;
            case Protocol.INS_LIST_OPEN_REQUESTS: listOpenRequests(apdu, len); return;
            case Protocol.INS_TOP_UP: topUp(data, len); return;
            case Protocol.INS_DEFUND: defund(apdu, data, len); return;
            case Protocol.INS_SYNC_REPORT: syncReport(apdu, len); return;
            case Protocol.INS_READ_RECORDS: readRecords(apdu, buf[ISO7816.OFFSET_P1], len); return;
            case Protocol.INS_SYNC_APPLY: syncApply(data, len); return;
            case Protocol.INS_SET_POLICY: setPolicy(data, len); return;
            case Protocol.INS_SET_LIFECYCLE: setLifecycle(data, len); return;
            case Protocol.INS_PERSO_GENERATE_KEY: persoGenerateKey(apdu, len); return;
            case Protocol.INS_PERSO_STORE_ROOT: persoStoreRoot(data, len); return;
            case Protocol.INS_PERSO_STORE_INTERMEDIARY_CERT: persoStoreIntermediaryCert(data, len); return;
            case Protocol.INS_PERSO_STORE_CARD_CERT: persoStoreCardCert(data, len); return;
            case Protocol.INS_PERSO_SET_PIN: persoSetPin(data, len); return;
            case Protocol.INS_PERSO_SET_POLICY: persoSetPolicy(data, len); return;
            case Protocol.INS_PERSO_LOCK: persoLock(len); return;
            default:
                // INS_SELECT, the only other entry of the table: a SELECT by AID that matched no applet, which the
                // runtime hands to the selected one.
                ISOException.throwIt(Protocol.SW_FILE_NOT_FOUND);
        }
    }

    private static void checkParameters(short info, byte p1, byte p2) {
        boolean ok;
        switch ((short) (info & P_MASK)) {
            case P_PIN: ok = p1 == Protocol.P1_NONE && p2 == Protocol.P1_PIN_REFERENCE; break;
            case P_CERT: ok = (p1 == Protocol.P1_CERT_CARD || p1 == Protocol.P1_CERT_INTERMEDIARY) && p2 == Protocol.P1_NONE; break;
            case P_INDEX: ok = p2 == Protocol.P1_NONE; break;
            case P_SELECT: ok = p1 == Protocol.P1_SELECT_BY_AID && p2 == Protocol.P1_NONE; break;
            default: ok = p1 == Protocol.P1_NONE && p2 == Protocol.P1_NONE; break;
        }
        if (!ok) {
            ISOException.throwIt(Protocol.SW_WRONG_P1P2);
        }
    }

    private void checkLifecycle(short info) {
        short bit;
        switch (lifecycle) {
            case Protocol.STATE_PERSONALISING: bit = IN_P; break;
            case Protocol.STATE_ACTIVE: bit = IN_A; break;
            case Protocol.STATE_BLOCKED: bit = IN_B; break;
            default: bit = IN_T; break;
        }
        if ((short) (info & IN_STATES & bit) != 0) {
            return;
        }
        if (lifecycle == Protocol.STATE_PERSONALISING) {
            ISOException.throwIt(Protocol.SW_NOT_PERSONALISED);
        }
        if ((short) (info & F_PERSO) != 0) {
            ISOException.throwIt(Protocol.SW_PERSONALISATION_LOCKED);
        }
        ISOException.throwIt(lifecycle == Protocol.STATE_BLOCKED ? Protocol.SW_CARD_BLOCKED : Protocol.SW_CARD_TERMINATED);
    }

    private static void requireLength(short len, short expected) {
        if (len != expected) {
            ISOException.throwIt(Protocol.SW_WRONG_LENGTH);
        }
    }

    private void requirePin() {
        if (!pin.isValidated()) {
            ISOException.throwIt(Protocol.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
    }

    // ---------------------------------------------------------------- status

    /** SELECT answers the status, then the card certificate once it is stored. */
    private void answerSelect(APDU apdu) {
        short len = certs.isCardCertStored() ? (short) (Protocol.LEN_STATUS + Protocol.LEN_CARD_CERT) : Protocol.LEN_STATUS;
        IoBuffer.expect(apdu, len);
        byte[] out = io.data();
        buildStatus(out, (short) 0);
        if (len != Protocol.LEN_STATUS) {
            Util.arrayCopyNonAtomic(certs.cardCert(), (short) 0, out, Protocol.LEN_STATUS, Protocol.LEN_CARD_CERT);
        }
        IoBuffer.send(apdu, out, (short) 0, len);
    }

    private void getStatus(APDU apdu, short len) {
        requireLength(len, (short) 0);
        IoBuffer.expect(apdu, Protocol.LEN_STATUS);
        byte[] out = io.data();
        buildStatus(out, (short) 0);
        IoBuffer.send(apdu, out, (short) 0, Protocol.LEN_STATUS);
    }

    private void buildStatus(byte[] out, short off) {
        byte[] values = counters.values;
        out[(short) (off + Protocol.OFF_STATUS_PROTOCOL_VERSION)] = (byte) Protocol.LIMIT_PROTOCOL_VERSION;
        out[(short) (off + Protocol.OFF_STATUS_ROLE)] = certs.role();
        out[(short) (off + Protocol.OFF_STATUS_STATE)] = lifecycle;
        certs.copyCardId(out, (short) (off + Protocol.OFF_STATUS_CARD_ID));
        certs.copyIntermediaryId(out, (short) (off + Protocol.OFF_STATUS_INTERMEDIARY_ID));
        Util.arrayCopyNonAtomic(values, Counters.BALANCE, out, (short) (off + Protocol.OFF_STATUS_BALANCE), U32.LENGTH);
        spendable(out, (short) (off + Protocol.OFF_STATUS_SPENDABLE));
        Util.arrayCopyNonAtomic(values, Counters.STATE_COUNTER, out, (short) (off + Protocol.OFF_STATUS_STATE_COUNTER), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.TX_SEQ, out, (short) (off + Protocol.OFF_STATUS_TX_SEQ), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.ORDER_SEQ, out, (short) (off + Protocol.OFF_STATUS_ORDER_SEQ), U32.LENGTH);
        out[(short) (off + Protocol.OFF_STATUS_PAYMENTS)] = (byte) log.countKind(Protocol.RECORD_OUTGOING);
        out[(short) (off + Protocol.OFF_STATUS_RECEIVED_COUNT)] = (byte) log.countKind(Protocol.RECORD_INCOMING);
        log.sumIncoming(out, (short) (off + Protocol.OFF_STATUS_RECEIVED_AMOUNT));
        out[(short) (off + Protocol.OFF_STATUS_LOG_COUNT)] = (byte) log.count();
        out[(short) (off + Protocol.OFF_STATUS_LOG_CAPACITY)] = (byte) Protocol.LIMIT_LOG_CAPACITY;
        out[(short) (off + Protocol.OFF_STATUS_OPEN_REQUESTS)] = (byte) requests.openCount();
        requests.openAmount(out, (short) (off + Protocol.OFF_STATUS_OPEN_AMOUNT));
        out[(short) (off + Protocol.OFF_STATUS_PIN_TRIES)] = pin.getTriesRemaining();
        Util.arrayCopyNonAtomic(policy.body, (short) 0, out, (short) (off + Protocol.OFF_STATUS_POLICY), Protocol.LEN_POLICY);
    }

    /**
     * The balance, less the amount received since the last sync when the policy keeps offline-received money
     * from being spent offline (zero rather than negative, should a new policy meet an old log).
     */
    private void spendable(byte[] dst, short off) {
        Util.arrayCopyNonAtomic(counters.values, Counters.BALANCE, dst, off, U32.LENGTH);
        if (policy.spendsReceived()) {
            return;
        }
        log.sumIncoming(scratch, TMP_C);
        if (U32.sub(dst, off, scratch, TMP_C, dst, off)) {
            U32.clear(dst, off);
        }
    }

    private void getCertificate(APDU apdu, byte which, short len) {
        boolean card = which == Protocol.P1_CERT_CARD;
        if (card ? !certs.isCardCertStored() : !certs.isIntermediaryStored()) {
            ISOException.throwIt(Protocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        requireLength(len, (short) 0);
        short certLen = card ? Protocol.LEN_CARD_CERT : Protocol.LEN_INTERMEDIARY_CERT;
        IoBuffer.expect(apdu, certLen);
        IoBuffer.send(apdu, card ? certs.cardCert() : certs.intermediaryCert(), (short) 0, certLen);
    }

    private void getChallenge(APDU apdu, short len) {
        requireLength(len, (short) 0);
        IoBuffer.expect(apdu, Protocol.LEN_CHALLENGE_ANSWER);
        byte[] out = io.data();
        instructions.generate(out, Protocol.OFF_CHAL_CHALLENGE);
        certs.copyCardId(out, Protocol.OFF_CHAL_CARD_ID);
        byte[] values = counters.values;
        Util.arrayCopyNonAtomic(values, Counters.STATE_COUNTER, out, Protocol.OFF_CHAL_STATE_COUNTER, U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.ORDER_SEQ, out, Protocol.OFF_CHAL_ORDER_SEQ, U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.BALANCE, out, Protocol.OFF_CHAL_BALANCE, U32.LENGTH);
        JCSystem.beginTransaction();
        instructions.store(out, Protocol.OFF_CHAL_CHALLENGE);
        JCSystem.commitTransaction();
        IoBuffer.send(apdu, out, (short) 0, Protocol.LEN_CHALLENGE_ANSWER);
    }

    // ---------------------------------------------------------------- PIN

    private static boolean isPinFormat(byte[] buf, short off, short len) {
        if (len < Protocol.LIMIT_PIN_MIN || len > Protocol.LIMIT_PIN_MAX) {
            return false;
        }
        for (short i = 0; i < len; i++) {
            byte c = buf[(short) (off + i)];
            if (c < (byte) '0' || c > (byte) '9') {
                return false;
            }
        }
        return true;
    }

    private void throwTriesLeft() {
        byte tries = pin.getTriesRemaining();
        if (tries == 0) {
            ISOException.throwIt(Protocol.SW_PIN_BLOCKED);
        }
        ISOException.throwIt((short) (Protocol.SW_PIN_TRIES_BASE | tries));
    }

    /**
     * The format is checked before OwnerPIN.check, so a malformed PIN costs no try; OwnerPIN decrements the
     * try counter before it compares, so a power loss never gives a free try. A wrong PIN that uses the last
     * try answers 6983.
     */
    private void verifyPin(byte[] data, short len) {
        if (len == 0) {
            if (pin.isValidated()) {
                return;
            }
            throwTriesLeft();
        }
        if (!isPinFormat(data, (short) 0, len)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        if (pin.getTriesRemaining() == 0) {
            ISOException.throwIt(Protocol.SW_PIN_BLOCKED);
        }
        if (!pin.check(data, (short) 0, (byte) len)) {
            throwTriesLeft();
        }
    }

    private void changePin(byte[] data, short len) {
        requirePin();
        if (!isPinFormat(data, (short) 0, len)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        pin.update(data, (short) 0, (byte) len);
    }

    private void unblockPin(byte[] data, short len) {
        if (len < (short) (LEN_INSTRUCTION_SIG + Protocol.LIMIT_PIN_MIN) || len > (short) (LEN_INSTRUCTION_SIG + Protocol.LIMIT_PIN_MAX)) {
            ISOException.throwIt(Protocol.SW_WRONG_LENGTH);
        }
        instructions.check(data, (short) 0, Protocol.MSG_UNBLOCK_PIN, (short) 0);
        short pinLen = (short) (len - LEN_INSTRUCTION_SIG);
        if (!isPinFormat(data, LEN_INSTRUCTION_SIG, pinLen)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        JCSystem.beginTransaction();
        pin.update(data, LEN_INSTRUCTION_SIG, (byte) pinLen);
        instructions.clear();
        JCSystem.commitTransaction();
    }

    // ---------------------------------------------------------------- payments

    /** buf[off..] + open amount + amount <= limit, in 32 bits; the sum is left at TMP_A. */
    private boolean fitsWithOpenRequests(byte[] base, short baseOff, byte[] amount, short amountOff, byte[] limit, short limitOff) {
        requests.openAmount(scratch, TMP_A);
        if (U32.add(scratch, TMP_A, base, baseOff, scratch, TMP_A)) {
            return false;
        }
        if (U32.add(scratch, TMP_A, amount, amountOff, scratch, TMP_A)) {
            return false;
        }
        return U32.compare(scratch, TMP_A, limit, limitOff) <= 0;
    }

    private void createRequest(APDU apdu, byte[] data, short len) {
        requireLength(len, LEN_REQUEST_DATA);
        IoBuffer.expect(apdu, LEN_REQUEST_MESSAGE);
        short amount = 0;
        short reference = Protocol.LEN_AMOUNT;
        if (U32.isZero(data, amount)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        short slot = requests.freeSlot();
        if (slot < 0) {
            ISOException.throwIt(Protocol.SW_TOO_MANY_OPEN_REQUESTS);
        }
        short open = requests.openCount();
        if (!log.hasRoom(open)) {
            ISOException.throwIt(Protocol.SW_LOG_FULL);
        }
        if ((short) (log.countKind(Protocol.RECORD_INCOMING) + open + 1) > policy.maxReceivedCount()) {
            ISOException.throwIt(Protocol.SW_RECEIVED_COUNT_LIMIT);
        }
        log.sumIncoming(scratch, TMP_B);
        if (!fitsWithOpenRequests(scratch, TMP_B, data, amount, policy.body, Protocol.OFF_POL_MAX_RECEIVED_AMOUNT)) {
            ISOException.throwIt(Protocol.SW_RECEIVED_AMOUNT_LIMIT);
        }
        if (!fitsWithOpenRequests(counters.values, Counters.BALANCE, data, amount, policy.body, Protocol.OFF_POL_MAX_BALANCE)) {
            ISOException.throwIt(Protocol.SW_BALANCE_LIMIT);
        }

        byte[] body = scratch;
        short b = Scratch.WORK;
        buildRequestHeader(Protocol.MSG_REQUEST, body, b);
        Util.arrayCopyNonAtomic(counters.values, Counters.REQUEST_SEQ, body, (short) (b + Protocol.OFF_REQ_REQUEST_NO), Protocol.LEN_SEQ);
        Util.arrayCopyNonAtomic(data, amount, body, (short) (b + Protocol.OFF_REQ_AMOUNT), Protocol.LEN_AMOUNT);
        Util.arrayCopyNonAtomic(data, reference, body, (short) (b + Protocol.OFF_REQ_REFERENCE), Protocol.LEN_REFERENCE);
        cardKey.sign(body, b, Protocol.LEN_REQUEST, body, (short) (b + Protocol.LEN_REQUEST));

        JCSystem.beginTransaction();
        requests.open(slot, body, (short) (b + Protocol.OFF_REQ_REQUEST_NO),
                body, (short) (b + Protocol.OFF_REQ_AMOUNT), (short) (b + Protocol.OFF_REQ_REFERENCE));
        counters.increment(Counters.REQUEST_SEQ);
        JCSystem.commitTransaction();

        answerWithCertificate(apdu, body, b, body, (short) (b + Protocol.LEN_REQUEST));
    }

    /** Tag, version, this card as recipient: the start of a request or a decline. */
    private void buildRequestHeader(byte tag, byte[] body, short b) {
        body[(short) (b + Protocol.OFF_REQ_TAG)] = tag;
        body[(short) (b + Protocol.OFF_REQ_VERSION)] = Protocol.MSG_FORMAT_VERSION;
        certs.copyCardId(body, (short) (b + Protocol.OFF_REQ_RECIPIENT_ID));
        certs.copyIntermediaryId(body, (short) (b + Protocol.OFF_REQ_RECIPIENT_INTERMEDIARY));
    }

    /** Request or decline body, its signature, and the card certificate, for the payer. */
    private void answerWithCertificate(APDU apdu, byte[] body, short bodyOff, byte[] sig, short sigOff) {
        byte[] out = io.data();
        Util.arrayCopyNonAtomic(body, bodyOff, out, (short) 0, Protocol.LEN_REQUEST);
        Util.arrayCopyNonAtomic(sig, sigOff, out, Protocol.LEN_REQUEST, Protocol.LEN_SIGNATURE);
        Util.arrayCopyNonAtomic(certs.cardCert(), (short) 0, out, LEN_SIGNED_REQUEST, Protocol.LEN_CARD_CERT);
        IoBuffer.send(apdu, out, (short) 0, LEN_REQUEST_MESSAGE);
    }

    /** The offset of the optional intermediary certificate, or -1; 6700 for any other length. */
    private static short optionalIcert(short len, short withoutIcert) {
        if (len == withoutIcert) {
            return -1;
        }
        if (len != (short) (withoutIcert + Protocol.LEN_INTERMEDIARY_CERT)) {
            ISOException.throwIt(Protocol.SW_WRONG_LENGTH);
        }
        return withoutIcert;
    }

    /**
     * Checks a signed request or decline from the recipient card: tag and version (6A80), the recipient's
     * certificates (9C11, 9C12), that they name the recipient of the message (9C11), its signature (9C10).
     */
    private void checkRecipientMessage(byte[] data, byte tag, short icert) {
        if (data[Protocol.OFF_REQ_TAG] != tag || data[Protocol.OFF_REQ_VERSION] != Protocol.MSG_FORMAT_VERSION) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        certs.checkCounterparty(data, REQ_CERT, icert);
        if (!CertificateVerifier.certNames(data, REQ_CERT, data, Protocol.OFF_REQ_RECIPIENT_ID, Protocol.OFF_REQ_RECIPIENT_INTERMEDIARY)) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        if (!certs.verifyByPeer(data, (short) 0, Protocol.LEN_REQUEST, data, REQ_SIGNATURE)) {
            ISOException.throwIt(Protocol.SW_BAD_SIGNATURE);
        }
    }

    private void pay(APDU apdu, byte[] data, short len) {
        requirePin();
        short icert = optionalIcert(len, LEN_REQUEST_MESSAGE);
        IoBuffer.expect(apdu, LEN_SIGNED_TX);
        checkRecipientMessage(data, Protocol.MSG_REQUEST, icert);
        if (certs.isOwnCardId(data, Protocol.OFF_REQ_RECIPIENT_ID)) {
            ISOException.throwIt(Protocol.SW_SELF_PAYMENT);
        }
        if (U32.isZero(data, Protocol.OFF_REQ_AMOUNT)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        if (paid.contains(data, Protocol.OFF_REQ_RECIPIENT_ID, Protocol.OFF_REQ_REQUEST_NO)
                || log.hasPaid(data, Protocol.OFF_REQ_RECIPIENT_ID, Protocol.OFF_REQ_REQUEST_NO)) {
            ISOException.throwIt(Protocol.SW_ALREADY_PAID);
        }
        if (log.countKind(Protocol.RECORD_OUTGOING) >= policy.maxPayments()) {
            ISOException.throwIt(Protocol.SW_PAYMENT_COUNT_LIMIT);
        }
        if (U32.compare(data, Protocol.OFF_REQ_AMOUNT, policy.body, Protocol.OFF_POL_MAX_PAYMENT_AMOUNT) > 0) {
            ISOException.throwIt(Protocol.SW_PAYMENT_AMOUNT_LIMIT);
        }
        spendable(scratch, TMP_A);
        if (U32.compare(data, Protocol.OFF_REQ_AMOUNT, scratch, TMP_A) > 0) {
            ISOException.throwIt(Protocol.SW_INSUFFICIENT_FUNDS);
        }
        if (!log.hasRoom(requests.openCount())) {
            ISOException.throwIt(Protocol.SW_LOG_FULL);
        }
        byte[] values = counters.values;
        U32.sub(values, Counters.BALANCE, data, Protocol.OFF_REQ_AMOUNT, scratch, TMP_A);

        byte[] rec = scratch;
        rec[REC] = Protocol.RECORD_OUTGOING;
        rec[(short) (REC + Protocol.OFF_REC_STATUS)] = Protocol.RECORD_STATUS_NORMAL;
        rec[(short) (REC_BODY + Protocol.OFF_TX_TAG)] = Protocol.MSG_TX;
        rec[(short) (REC_BODY + Protocol.OFF_TX_VERSION)] = Protocol.MSG_FORMAT_VERSION;
        certs.copyCardId(rec, (short) (REC_BODY + Protocol.OFF_TX_PAYER_ID));
        Util.arrayCopyNonAtomic(values, Counters.TX_SEQ, rec, (short) (REC_BODY + Protocol.OFF_TX_PAYER_SEQ), Protocol.LEN_SEQ);
        certs.copyIntermediaryId(rec, (short) (REC_BODY + Protocol.OFF_TX_PAYER_INTERMEDIARY));
        // Recipient, recipient intermediary, request number, amount, reference: the request's, in its order.
        Util.arrayCopyNonAtomic(data, Protocol.OFF_REQ_RECIPIENT_ID, rec, (short) (REC_BODY + Protocol.OFF_TX_RECIPIENT_ID),
                (short) (Protocol.LEN_TX - Protocol.OFF_TX_RECIPIENT_ID));
        cardKey.sign(rec, REC_BODY, Protocol.LEN_TX, rec, REC_SIGNATURE);

        JCSystem.beginTransaction();
        counters.increment(Counters.TX_SEQ);
        Util.arrayCopy(scratch, TMP_A, values, Counters.BALANCE, U32.LENGTH);
        log.append(rec, REC);
        lastPayment.set(rec, REC_BODY);
        paid.remember(data, Protocol.OFF_REQ_RECIPIENT_ID, Protocol.OFF_REQ_REQUEST_NO);
        counters.increment(Counters.STATE_COUNTER);
        certs.commitStaged();
        JCSystem.commitTransaction();
        pin.reset();

        IoBuffer.send(apdu, rec, REC_BODY, LEN_SIGNED_TX);
    }

    private void receive(byte[] data, short len) {
        short icert = optionalIcert(len, LEN_TX_MESSAGE);
        if (data[Protocol.OFF_TX_TAG] != Protocol.MSG_TX || data[Protocol.OFF_TX_VERSION] != Protocol.MSG_FORMAT_VERSION) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        if (!certs.isOwnCardId(data, Protocol.OFF_TX_RECIPIENT_ID) || !certs.isOwnIntermediaryId(data, Protocol.OFF_TX_RECIPIENT_INTERMEDIARY)) {
            ISOException.throwIt(Protocol.SW_WRONG_CARD);
        }
        certs.checkCounterparty(data, TX_CERT, icert);
        if (!CertificateVerifier.certNames(data, TX_CERT, data, Protocol.OFF_TX_PAYER_ID, Protocol.OFF_TX_PAYER_INTERMEDIARY)) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        if (!certs.verifyByPeer(data, (short) 0, Protocol.LEN_TX, data, TX_SIGNATURE)) {
            ISOException.throwIt(Protocol.SW_BAD_SIGNATURE);
        }
        short slot = requests.find(data, Protocol.OFF_TX_REQUEST_NO);
        if (slot < 0 || !requests.matches(slot, data, Protocol.OFF_TX_AMOUNT, Protocol.OFF_TX_REFERENCE)) {
            ISOException.throwIt(Protocol.SW_NO_OPEN_REQUEST);
        }
        // The request reserved this amount under the balance limit; the check only guards the arithmetic.
        if (U32.add(counters.values, Counters.BALANCE, data, Protocol.OFF_TX_AMOUNT, scratch, TMP_A)) {
            ISOException.throwIt(Protocol.SW_BALANCE_LIMIT);
        }
        byte[] rec = scratch;
        rec[REC] = Protocol.RECORD_INCOMING;
        rec[(short) (REC + Protocol.OFF_REC_STATUS)] = Protocol.RECORD_STATUS_NORMAL;
        Util.arrayCopyNonAtomic(data, (short) 0, rec, REC_BODY, LEN_SIGNED_TX);

        JCSystem.beginTransaction();
        requests.close(slot);
        Util.arrayCopy(scratch, TMP_A, counters.values, Counters.BALANCE, U32.LENGTH);
        log.append(rec, REC);
        counters.increment(Counters.STATE_COUNTER);
        certs.commitStaged();
        JCSystem.commitTransaction();
    }

    private void resendLast(APDU apdu, byte[] data, short len) {
        requireLength(len, LEN_RESEND_DATA);
        IoBuffer.expect(apdu, LEN_SIGNED_TX);
        if (!lastPayment.answers(data, (short) 0, Protocol.LEN_CARD_ID)) {
            ISOException.throwIt(Protocol.SW_NOTHING_TO_RESEND);
        }
        IoBuffer.send(apdu, lastPayment.bytes(), (short) 0, LEN_SIGNED_TX);
    }

    private void decline(APDU apdu, byte[] data, short len) {
        requireLength(len, Protocol.LEN_SEQ);
        IoBuffer.expect(apdu, LEN_REQUEST_MESSAGE);
        short slot = requests.find(data, (short) 0);
        if (slot < 0) {
            ISOException.throwIt(Protocol.SW_NO_OPEN_REQUEST);
        }
        // The open request kept a record free for this; the check only guards that invariant.
        if (!log.hasRoom((short) (requests.openCount() - 1))) {
            ISOException.throwIt(Protocol.SW_LOG_FULL);
        }
        byte[] rec = scratch;
        Util.arrayFillNonAtomic(rec, REC, Protocol.LEN_RECORD, (byte) 0);
        rec[REC] = Protocol.RECORD_DECLINED;
        rec[(short) (REC + Protocol.OFF_REC_STATUS)] = Protocol.RECORD_STATUS_NORMAL;
        buildRequestHeader(Protocol.MSG_DECLINE, rec, REC_BODY);
        Util.arrayCopyNonAtomic(data, (short) 0, rec, (short) (REC_BODY + Protocol.OFF_REQ_REQUEST_NO), Protocol.LEN_SEQ);
        requests.copyAmount(slot, rec, (short) (REC_BODY + Protocol.OFF_REQ_AMOUNT));
        requests.copyReference(slot, rec, (short) (REC_BODY + Protocol.OFF_REQ_REFERENCE));
        cardKey.sign(rec, REC_BODY, Protocol.LEN_REQUEST, rec, REC_SIGNATURE);

        JCSystem.beginTransaction();
        requests.close(slot);
        log.append(rec, REC);
        counters.increment(Counters.STATE_COUNTER);
        JCSystem.commitTransaction();

        answerWithCertificate(apdu, rec, REC_BODY, rec, REC_SIGNATURE);
    }

    /** Read-only: a point of sale whose CREATE REQUEST answer was lost finds the request here and declines it. */
    private void listOpenRequests(APDU apdu, short len) {
        requireLength(len, (short) 0);
        byte[] out = io.data();
        short n = requests.copyOpen(out, (short) 0);
        if (n == 0) {
            return;
        }
        IoBuffer.expect(apdu, n);
        IoBuffer.send(apdu, out, (short) 0, n);
    }

    private void applyDecline(byte[] data, short len) {
        short icert = optionalIcert(len, LEN_REQUEST_MESSAGE);
        checkRecipientMessage(data, Protocol.MSG_DECLINE, icert);
        short index = log.findDeclinedPayment(data, (short) 0);
        if (index < 0) {
            ISOException.throwIt(Protocol.SW_RECORD_NOT_FOUND);
        }
        // The card held this money before it paid; no limit applies, only the arithmetic is guarded.
        if (U32.add(counters.values, Counters.BALANCE, log.records(), log.amountOffset(index), scratch, TMP_A)) {
            ISOException.throwIt(Protocol.SW_BALANCE_LIMIT);
        }
        JCSystem.beginTransaction();
        log.markVoid(index);
        Util.arrayCopy(scratch, TMP_A, counters.values, Counters.BALANCE, U32.LENGTH);
        counters.increment(Counters.STATE_COUNTER);
        certs.commitStaged();
        JCSystem.commitTransaction();
    }

    // ---------------------------------------------------------------- orders

    /**
     * The checks TOP UP and DEFUND share after their instruction: a non-zero amount (6A80), the card's next
     * order number (9C1E).
     */
    private void checkOrder(byte[] data) {
        if (U32.isZero(data, ORDER_AMOUNT)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        if (U32.compare(data, ORDER_SEQ, counters.values, Counters.ORDER_SEQ) != 0) {
            ISOException.throwIt(Protocol.SW_WRONG_ORDER);
        }
    }

    /** The order's log record in the scratch: order number, amount, challenge, state counter, signature. */
    private void buildOrderRecord(byte kind, byte[] data) {
        byte[] rec = scratch;
        Util.arrayFillNonAtomic(rec, REC, Protocol.LEN_RECORD, (byte) 0);
        rec[REC] = kind;
        rec[(short) (REC + Protocol.OFF_REC_STATUS)] = Protocol.RECORD_STATUS_NORMAL;
        Util.arrayCopyNonAtomic(data, ORDER_SEQ, rec, (short) (REC + Protocol.OFF_OREC_ORDER_SEQ), Protocol.LEN_ORDER);
        Util.arrayCopyNonAtomic(data, Protocol.OFF_INSTR_CHALLENGE, rec, (short) (REC + Protocol.OFF_OREC_CHALLENGE),
                (short) (Protocol.LEN_CHALLENGE + Protocol.LEN_SEQ));
        Util.arrayCopyNonAtomic(data, (short) (Protocol.LEN_INSTRUCTION_HEADER + Protocol.LEN_ORDER), rec, REC_SIGNATURE,
                Protocol.LEN_SIGNATURE);
    }

    private void topUp(byte[] data, short len) {
        requireLength(len, (short) (LEN_INSTRUCTION_SIG + Protocol.LEN_ORDER));
        instructions.check(data, (short) 0, Protocol.MSG_TOP_UP, Protocol.LEN_ORDER);
        checkOrder(data);
        // The room open requests reserved stays theirs: a top-up that took it would let their receipts push the
        // balance past the maximum.
        if (!fitsWithOpenRequests(counters.values, Counters.BALANCE, data, ORDER_AMOUNT, policy.body, Protocol.OFF_POL_MAX_BALANCE)) {
            ISOException.throwIt(Protocol.SW_BALANCE_LIMIT);
        }
        if (!log.hasRoom(requests.openCount())) {
            ISOException.throwIt(Protocol.SW_LOG_FULL);
        }
        // Cannot overflow: the larger sum with the open amount fitted.
        U32.add(counters.values, Counters.BALANCE, data, ORDER_AMOUNT, scratch, TMP_A);
        buildOrderRecord(Protocol.RECORD_TOP_UP, data);

        JCSystem.beginTransaction();
        Util.arrayCopy(scratch, TMP_A, counters.values, Counters.BALANCE, U32.LENGTH);
        log.append(scratch, REC);
        counters.increment(Counters.ORDER_SEQ);
        counters.increment(Counters.STATE_COUNTER);
        instructions.clear();
        JCSystem.commitTransaction();
    }

    private void defund(APDU apdu, byte[] data, short len) {
        requirePin();
        requireLength(len, (short) (LEN_INSTRUCTION_SIG + Protocol.LEN_ORDER));
        IoBuffer.expect(apdu, LEN_SIGNED_CONFIRMATION);
        instructions.check(data, (short) 0, Protocol.MSG_DEFUND, Protocol.LEN_ORDER);
        checkOrder(data);
        if (log.hasMoneyRecords()) {
            ISOException.throwIt(Protocol.SW_UNSYNCED_RECORDS);
        }
        byte[] values = counters.values;
        if (U32.sub(values, Counters.BALANCE, data, ORDER_AMOUNT, scratch, TMP_A)) {
            ISOException.throwIt(Protocol.SW_INSUFFICIENT_FUNDS);
        }
        if (!log.hasRoom(requests.openCount())) {
            ISOException.throwIt(Protocol.SW_LOG_FULL);
        }
        buildOrderRecord(Protocol.RECORD_DEFUND, data);

        byte[] conf = scratch;
        short c = CONFIRMATION;
        conf[(short) (c + Protocol.OFF_DCONF_TAG)] = Protocol.MSG_DEFUND_CONFIRM;
        conf[(short) (c + Protocol.OFF_DCONF_VERSION)] = Protocol.MSG_FORMAT_VERSION;
        certs.copyCardId(conf, (short) (c + Protocol.OFF_DCONF_CARD_ID));
        Util.arrayCopyNonAtomic(data, Protocol.OFF_INSTR_CHALLENGE, conf, (short) (c + Protocol.OFF_DCONF_CHALLENGE), Protocol.LEN_CHALLENGE);
        Util.arrayCopyNonAtomic(data, ORDER_SEQ, conf, (short) (c + Protocol.OFF_DCONF_ORDER_SEQ), Protocol.LEN_ORDER);
        Util.arrayCopyNonAtomic(scratch, TMP_A, conf, (short) (c + Protocol.OFF_DCONF_BALANCE), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.STATE_COUNTER, conf, (short) (c + Protocol.OFF_DCONF_STATE_COUNTER), U32.LENGTH);
        U32.increment(conf, (short) (c + Protocol.OFF_DCONF_STATE_COUNTER));
        cardKey.sign(conf, c, Protocol.LEN_DEFUND_CONFIRM, conf, (short) (c + Protocol.LEN_DEFUND_CONFIRM));

        JCSystem.beginTransaction();
        Util.arrayCopy(scratch, TMP_A, values, Counters.BALANCE, U32.LENGTH);
        log.append(scratch, REC);
        counters.increment(Counters.ORDER_SEQ);
        counters.increment(Counters.STATE_COUNTER);
        instructions.clear();
        JCSystem.commitTransaction();
        pin.reset();

        IoBuffer.send(apdu, conf, c, LEN_SIGNED_CONFIRMATION);
    }

    // ---------------------------------------------------------------- sync

    private void syncReport(APDU apdu, short len) {
        requirePin();
        requireLength(len, (short) 0);
        IoBuffer.expect(apdu, LEN_SIGNED_REPORT);
        byte[] r = scratch;
        short o = Scratch.WORK;
        byte[] values = counters.values;
        r[(short) (o + Protocol.OFF_REPORT_TAG)] = Protocol.MSG_REPORT;
        r[(short) (o + Protocol.OFF_REPORT_VERSION)] = Protocol.MSG_FORMAT_VERSION;
        certs.copyCardId(r, (short) (o + Protocol.OFF_REPORT_CARD_ID));
        instructions.generate(r, (short) (o + Protocol.OFF_REPORT_CHALLENGE));
        Util.arrayCopyNonAtomic(values, Counters.STATE_COUNTER, r, (short) (o + Protocol.OFF_REPORT_STATE_COUNTER), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.ORDER_SEQ, r, (short) (o + Protocol.OFF_REPORT_ORDER_SEQ), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.BALANCE, r, (short) (o + Protocol.OFF_REPORT_BALANCE), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.LAST_SYNC_BALANCE, r, (short) (o + Protocol.OFF_REPORT_LAST_SYNC_BALANCE), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.TX_SEQ, r, (short) (o + Protocol.OFF_REPORT_TX_SEQ), U32.LENGTH);
        Util.arrayCopyNonAtomic(values, Counters.REQUEST_SEQ, r, (short) (o + Protocol.OFF_REPORT_REQUEST_SEQ), U32.LENGTH);
        Util.arrayCopyNonAtomic(policy.body, Protocol.OFF_POL_VERSION, r, (short) (o + Protocol.OFF_REPORT_POLICY_VERSION), U32.LENGTH);
        r[(short) (o + Protocol.OFF_REPORT_STATE)] = lifecycle;
        r[(short) (o + Protocol.OFF_REPORT_RECORD_COUNT)] = (byte) log.count();
        requests.openAmount(r, (short) (o + Protocol.OFF_REPORT_OPEN_AMOUNT));
        log.digest(sha256, r, (short) (o + Protocol.OFF_REPORT_RECORDS_DIGEST));
        cardKey.sign(r, o, Protocol.LEN_REPORT, r, (short) (o + Protocol.LEN_REPORT));

        JCSystem.beginTransaction();
        instructions.store(r, (short) (o + Protocol.OFF_REPORT_CHALLENGE));
        JCSystem.commitTransaction();

        IoBuffer.send(apdu, r, o, LEN_SIGNED_REPORT);
    }

    private void readRecords(APDU apdu, byte p1, short len) {
        requirePin();
        requireLength(len, (short) 0);
        short index = (short) (p1 & 0xFF);
        if (index > log.count()) {
            ISOException.throwIt(Protocol.SW_WRONG_P1P2);
        }
        if (index == log.count()) {
            return;
        }
        byte[] out = io.data();
        short n = log.read(index, Protocol.LIMIT_RECORDS_PER_READ, out, (short) 0);
        IoBuffer.expect(apdu, n);
        IoBuffer.send(apdu, out, (short) 0, n);
    }

    private void syncApply(byte[] data, short len) {
        requireLength(len, (short) (LEN_INSTRUCTION_SIG + Protocol.LEN_SYNC_RESULT_PAYLOAD));
        instructions.check(data, (short) 0, Protocol.MSG_SYNC_RESULT, Protocol.LEN_SYNC_RESULT_PAYLOAD);
        if ((short) (data[SYNC_RECORD_COUNT] & 0xFF) != log.count()) {
            ISOException.throwIt(Protocol.SW_STATE_CHANGED);
        }
        if (!U32.isAmount(data, SYNC_BALANCE)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        byte[] values = counters.values;
        JCSystem.beginTransaction();
        Util.arrayCopy(data, SYNC_BALANCE, values, Counters.BALANCE, U32.LENGTH);
        Util.arrayCopy(data, SYNC_BALANCE, values, Counters.LAST_SYNC_BALANCE, U32.LENGTH);
        log.clear();
        counters.increment(Counters.ORDER_SEQ);
        counters.increment(Counters.STATE_COUNTER);
        instructions.clear();
        JCSystem.commitTransaction();
    }

    // ---------------------------------------------------------------- policy and lifecycle

    private void setPolicy(byte[] data, short len) {
        requireLength(len, (short) (LEN_INSTRUCTION_SIG + Protocol.LEN_POLICY));
        instructions.check(data, (short) 0, Protocol.MSG_POLICY, Protocol.LEN_POLICY);
        if (!policy.isOlderThan(data, Protocol.OFF_INSTR_PAYLOAD)) {
            ISOException.throwIt(Protocol.SW_POLICY_NOT_NEWER);
        }
        if (!Policy.isValid(data, Protocol.OFF_INSTR_PAYLOAD)) {
            ISOException.throwIt(Protocol.SW_POLICY_INVALID);
        }
        JCSystem.beginTransaction();
        policy.set(data, Protocol.OFF_INSTR_PAYLOAD);
        counters.increment(Counters.STATE_COUNTER);
        instructions.clear();
        JCSystem.commitTransaction();
    }

    private void setLifecycle(byte[] data, short len) {
        requireLength(len, (short) (LEN_INSTRUCTION_SIG + 1));
        instructions.check(data, (short) 0, Protocol.MSG_LIFECYCLE, (short) 1);
        byte target = data[Protocol.OFF_INSTR_PAYLOAD];
        boolean allowed;
        switch (target) {
            case Protocol.STATE_ACTIVE: allowed = lifecycle == Protocol.STATE_BLOCKED; break;
            case Protocol.STATE_BLOCKED: allowed = lifecycle == Protocol.STATE_ACTIVE; break;
            case Protocol.STATE_TERMINATED: allowed = true; break;
            default: allowed = false; break;
        }
        if (!allowed) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        JCSystem.beginTransaction();
        lifecycle = target;
        counters.increment(Counters.STATE_COUNTER);
        instructions.clear();
        JCSystem.commitTransaction();
    }

    // ---------------------------------------------------------------- personalisation

    private void persoGenerateKey(APDU apdu, short len) {
        requireLength(len, (short) 0);
        IoBuffer.expect(apdu, Protocol.LEN_PUBLIC_KEY);
        certs.dropCardCert();
        cardKey.generate();
        byte[] out = io.data();
        cardKey.copyPublic(out, (short) 0);
        IoBuffer.send(apdu, out, (short) 0, Protocol.LEN_PUBLIC_KEY);
    }

    private void persoStoreRoot(byte[] data, short len) {
        requireLength(len, Protocol.LEN_PUBLIC_KEY);
        if (!certs.isValidPoint(data, (short) 0)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        certs.storeRoot(data, (short) 0);
    }

    private void persoStoreIntermediaryCert(byte[] data, short len) {
        if (!certs.isRootStored()) {
            ISOException.throwIt(Protocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        requireLength(len, Protocol.LEN_INTERMEDIARY_CERT);
        if (!certs.isValidIntermediaryCert(data, (short) 0)) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        certs.storeIntermediaryCert(data, (short) 0);
    }

    private void persoStoreCardCert(byte[] data, short len) {
        if (!cardKey.isGenerated() || !certs.isIntermediaryStored()) {
            ISOException.throwIt(Protocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        requireLength(len, Protocol.LEN_CARD_CERT);
        if (!cardKey.isPublicKey(data, Protocol.OFF_CCERT_PUBLIC_KEY) || !certs.isValidOwnCardCert(data, (short) 0)) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        JCSystem.beginTransaction();
        certs.storeCardCert(data, (short) 0);
        policy.setDefault(data[Protocol.OFF_CCERT_ROLE]);
        JCSystem.commitTransaction();
    }

    private void persoSetPin(byte[] data, short len) {
        if (!isPinFormat(data, (short) 0, len)) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        JCSystem.beginTransaction();
        pin.update(data, (short) 0, (byte) len);
        pinSet = true;
        JCSystem.commitTransaction();
    }

    private void persoSetPolicy(byte[] data, short len) {
        if (!certs.isCardCertStored()) {
            ISOException.throwIt(Protocol.SW_CONDITIONS_NOT_SATISFIED);
        }
        requireLength(len, Protocol.LEN_POLICY);
        if (!Policy.isValid(data, (short) 0)) {
            ISOException.throwIt(Protocol.SW_POLICY_INVALID);
        }
        JCSystem.beginTransaction();
        policy.set(data, (short) 0);
        JCSystem.commitTransaction();
    }

    private void persoLock(short len) {
        requireLength(len, (short) 0);
        if (!cardKey.isGenerated() || !certs.isRootStored() || !certs.isIntermediaryStored()
                || !certs.isCardCertStored() || !pinSet) {
            ISOException.throwIt(Protocol.SW_PERSONALISATION_INCOMPLETE);
        }
        lifecycle = Protocol.STATE_ACTIVE;
    }
}
