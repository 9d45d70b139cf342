package ekrona.wallet;

import javacard.framework.Util;

/**
 * The payment requests this card signed that are neither received nor declined. Each slot reserves, in
 * advance, the limits and the log record its receipt will use, so RECEIVE never fails on a limit.
 */
final class PaymentRequests {
    private static final short USED = 0;
    private static final short REQUEST_NO = 1;
    private static final short AMOUNT = (short) (REQUEST_NO + Protocol.LEN_SEQ);
    private static final short REFERENCE = (short) (AMOUNT + Protocol.LEN_AMOUNT);
    private static final short SLOT = (short) (REFERENCE + Protocol.LEN_REFERENCE);

    private final byte[] slots;

    PaymentRequests() {
        slots = new byte[(short) (Protocol.LIMIT_MAX_OPEN_REQUESTS * SLOT)];
    }

    private static short offset(short slot) {
        return (short) (slot * SLOT);
    }

    private boolean isOpen(short slot) {
        return slots[(short) (offset(slot) + USED)] != 0;
    }

    short freeSlot() {
        for (short i = 0; i < Protocol.LIMIT_MAX_OPEN_REQUESTS; i++) {
            if (!isOpen(i)) {
                return i;
            }
        }
        return -1;
    }

    short openCount() {
        short n = 0;
        for (short i = 0; i < Protocol.LIMIT_MAX_OPEN_REQUESTS; i++) {
            if (isOpen(i)) {
                n++;
            }
        }
        return n;
    }

    /** The sum of the open amounts; each was admitted under a 31-bit limit with the others, so it fits. */
    void openAmount(byte[] dst, short off) {
        U32.clear(dst, off);
        for (short i = 0; i < Protocol.LIMIT_MAX_OPEN_REQUESTS; i++) {
            if (isOpen(i)) {
                U32.add(dst, off, slots, (short) (offset(i) + AMOUNT), dst, off);
            }
        }
    }

    /** Copies request number, amount and reference of every open request, in slot order; answers the bytes written. */
    short copyOpen(byte[] dst, short off) {
        short at = off;
        for (short i = 0; i < Protocol.LIMIT_MAX_OPEN_REQUESTS; i++) {
            if (isOpen(i)) {
                Util.arrayCopyNonAtomic(slots, (short) (offset(i) + REQUEST_NO), dst, at, Protocol.LEN_OPEN_REQUEST);
                at = (short) (at + Protocol.LEN_OPEN_REQUEST);
            }
        }
        return (short) (at - off);
    }

    /** The open slot with this request number, or -1. */
    short find(byte[] buf, short reqNoOff) {
        for (short i = 0; i < Protocol.LIMIT_MAX_OPEN_REQUESTS; i++) {
            if (isOpen(i) && Util.arrayCompare(slots, (short) (offset(i) + REQUEST_NO), buf, reqNoOff, Protocol.LEN_SEQ) == 0) {
                return i;
            }
        }
        return -1;
    }

    /** The slot's amount then reference (12 bytes) equal buf[off..]. */
    boolean matches(short slot, byte[] buf, short amountOff, short referenceOff) {
        short o = offset(slot);
        return Util.arrayCompare(slots, (short) (o + AMOUNT), buf, amountOff, Protocol.LEN_AMOUNT) == 0
                && Util.arrayCompare(slots, (short) (o + REFERENCE), buf, referenceOff, Protocol.LEN_REFERENCE) == 0;
    }

    void copyAmount(short slot, byte[] dst, short off) {
        Util.arrayCopyNonAtomic(slots, (short) (offset(slot) + AMOUNT), dst, off, Protocol.LEN_AMOUNT);
    }

    void copyReference(short slot, byte[] dst, short off) {
        Util.arrayCopyNonAtomic(slots, (short) (offset(slot) + REFERENCE), dst, off, Protocol.LEN_REFERENCE);
    }

    /** Inside the caller's transaction. */
    void open(short slot, byte[] reqNo, short reqNoOff, byte[] buf, short amountOff, short referenceOff) {
        short o = offset(slot);
        Util.arrayCopy(reqNo, reqNoOff, slots, (short) (o + REQUEST_NO), Protocol.LEN_SEQ);
        Util.arrayCopy(buf, amountOff, slots, (short) (o + AMOUNT), Protocol.LEN_AMOUNT);
        Util.arrayCopy(buf, referenceOff, slots, (short) (o + REFERENCE), Protocol.LEN_REFERENCE);
        slots[(short) (o + USED)] = 1;
    }

    /** Inside the caller's transaction. */
    void close(short slot) {
        slots[(short) (offset(slot) + USED)] = 0;
    }
}
