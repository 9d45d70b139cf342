package ekrona.wallet;

import javacard.framework.Util;
import javacard.security.MessageDigest;

/**
 * The records since the last sync, in order. The counters the pilot kept by hand (payments, receipts, amount
 * received) are read off the log every time, so they can never disagree with it.
 */
final class TransactionLog {
    private final byte[] records;
    private byte count;

    TransactionLog() {
        records = new byte[(short) (Protocol.LIMIT_LOG_CAPACITY * Protocol.LEN_RECORD)];
    }

    short count() {
        return count;
    }

    /** Room for one more record, with a record kept back for every open request's receipt or decline. */
    boolean hasRoom(short openRequests) {
        return (short) (count + openRequests + 1) <= Protocol.LIMIT_LOG_CAPACITY;
    }

    private static short offset(short index) {
        return (short) (index * Protocol.LEN_RECORD);
    }

    private byte kind(short index) {
        return records[(short) (offset(index) + Protocol.OFF_REC_KIND)];
    }

    short countKind(byte kind) {
        short n = 0;
        for (short i = 0; i < count; i++) {
            if (kind(i) == kind) {
                n++;
            }
        }
        return n;
    }

    /** Payment, receipt or decline records: what a de-fund must wait for a sync to settle. */
    boolean hasMoneyRecords() {
        for (short i = 0; i < count; i++) {
            byte k = kind(i);
            if (k == Protocol.RECORD_OUTGOING || k == Protocol.RECORD_INCOMING || k == Protocol.RECORD_DECLINED) {
                return true;
            }
        }
        return false;
    }

    /**
     * The amount received in the log (INCOMING records). Each receipt was admitted under a policy whose
     * received-amount limit fits 31 bits, so the sum does too; it saturates all the same.
     */
    void sumIncoming(byte[] dst, short off) {
        U32.clear(dst, off);
        for (short i = 0; i < count; i++) {
            if (kind(i) == Protocol.RECORD_INCOMING) {
                short amount = (short) (offset(i) + Protocol.OFF_REC_BODY + Protocol.OFF_TX_AMOUNT);
                if (U32.add(dst, off, records, amount, dst, off)) {
                    Util.arrayFillNonAtomic(dst, off, U32.LENGTH, (byte) 0xFF);
                }
            }
        }
    }

    /** An OUTGOING record (void or not) paying request reqNo of recipient id: the request was paid. */
    boolean hasPaid(byte[] buf, short idOff, short reqNoOff) {
        for (short i = 0; i < count; i++) {
            if (kind(i) != Protocol.RECORD_OUTGOING) {
                continue;
            }
            short body = (short) (offset(i) + Protocol.OFF_REC_BODY);
            if (Util.arrayCompare(records, (short) (body + Protocol.OFF_TX_RECIPIENT_ID), buf, idOff, Protocol.LEN_CARD_ID) == 0
                    && Util.arrayCompare(records, (short) (body + Protocol.OFF_TX_REQUEST_NO), buf, reqNoOff, Protocol.LEN_SEQ) == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The OUTGOING record, not void, that paid the request a decline refuses: same recipient, recipient
     * intermediary, request number, amount and reference. Its index, or -1.
     */
    short findDeclinedPayment(byte[] decline, short off) {
        for (short i = 0; i < count; i++) {
            short rec = offset(i);
            if (records[(short) (rec + Protocol.OFF_REC_KIND)] != Protocol.RECORD_OUTGOING
                    || records[(short) (rec + Protocol.OFF_REC_STATUS)] != Protocol.RECORD_STATUS_NORMAL) {
                continue;
            }
            short tx = (short) (rec + Protocol.OFF_REC_BODY);
            // Recipient id, recipient intermediary, request number, amount and reference sit side by side in
            // both layouts (8 + 4 + 4 + 4 + 8 bytes), so one comparison covers all five.
            if (Util.arrayCompare(records, (short) (tx + Protocol.OFF_TX_RECIPIENT_ID), decline,
                    (short) (off + Protocol.OFF_REQ_RECIPIENT_ID), MATCHED_FIELDS) == 0) {
                return i;
            }
        }
        return -1;
    }

    private static final short MATCHED_FIELDS = (short) (Protocol.LEN_TX - Protocol.OFF_TX_RECIPIENT_ID);

    /** The amount of the record at index, for a caller that restores it. */
    short amountOffset(short index) {
        return (short) (offset(index) + Protocol.OFF_REC_BODY + Protocol.OFF_TX_AMOUNT);
    }

    byte[] records() {
        return records;
    }

    /** Inside the caller's transaction. */
    void append(byte[] record, short off) {
        Util.arrayCopy(record, off, records, offset(count), Protocol.LEN_RECORD);
        count++;
    }

    /** Inside the caller's transaction. */
    void markVoid(short index) {
        records[(short) (offset(index) + Protocol.OFF_REC_STATUS)] = Protocol.RECORD_STATUS_VOID;
    }

    /**
     * Inside the caller's transaction. The records themselves stay in memory: wiping them would not fit one
     * transaction, and nothing reads past the count.
     */
    void clear() {
        count = 0;
    }

    /** Copies up to max records from index on; returns the bytes copied. */
    short read(short index, short max, byte[] dst, short off) {
        short n = (short) (count - index);
        if (n > max) {
            n = max;
        }
        short len = (short) (n * Protocol.LEN_RECORD);
        Util.arrayCopyNonAtomic(records, offset(index), dst, off, len);
        return len;
    }

    /** SHA-256 over the records in log order (of nothing when the log is empty). */
    void digest(MessageDigest sha256, byte[] dst, short off) {
        sha256.reset();
        sha256.doFinal(records, (short) 0, offset(count), dst, off);
    }
}
