package ekrona.wallet;

import javacard.framework.Util;

/**
 * The last requests this card paid (recipient card id and request number), kept across syncs, so that a
 * request cannot be paid twice even after the log that holds the first payment was emptied.
 */
final class PaidMemory {
    private static final short ENTRY = (short) (Protocol.LEN_CARD_ID + Protocol.LEN_SEQ);

    private final byte[] entries;
    private byte size;
    private byte next;

    PaidMemory() {
        entries = new byte[(short) (Protocol.LIMIT_PAID_MEMORY * ENTRY)];
    }

    boolean contains(byte[] buf, short idOff, short reqNoOff) {
        for (short i = 0; i < size; i++) {
            short o = (short) (i * ENTRY);
            if (Util.arrayCompare(entries, o, buf, idOff, Protocol.LEN_CARD_ID) == 0
                    && Util.arrayCompare(entries, (short) (o + Protocol.LEN_CARD_ID), buf, reqNoOff, Protocol.LEN_SEQ) == 0) {
                return true;
            }
        }
        return false;
    }

    /** Inside the caller's transaction; the oldest entry makes room. */
    void remember(byte[] buf, short idOff, short reqNoOff) {
        short o = (short) (next * ENTRY);
        Util.arrayCopy(buf, idOff, entries, o, Protocol.LEN_CARD_ID);
        Util.arrayCopy(buf, reqNoOff, entries, (short) (o + Protocol.LEN_CARD_ID), Protocol.LEN_SEQ);
        short n = (short) (next + 1);
        next = n == Protocol.LIMIT_PAID_MEMORY ? 0 : (byte) n;
        if (size < Protocol.LIMIT_PAID_MEMORY) {
            size++;
        }
    }
}
