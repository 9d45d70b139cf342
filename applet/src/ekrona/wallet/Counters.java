package ekrona.wallet;

/**
 * The card's 32-bit money values and counters, side by side in one persistent array (one object, one
 * header, and a transaction touching several of them logs one array).
 */
final class Counters {
    static final short BALANCE = 0;
    /** The balance the last applied sync result set. */
    static final short LAST_SYNC_BALANCE = 4;
    /** Changes with every change of money, log, policy or lifecycle; instructions are bound to it. */
    static final short STATE_COUNTER = 8;
    /** The next payer sequence number; never reset. */
    static final short TX_SEQ = 12;
    /** The next payment request number; never reset. */
    static final short REQUEST_SEQ = 16;
    /** The next top-up or de-fund order number. */
    static final short ORDER_SEQ = 20;
    private static final short LENGTH = 24;

    final byte[] values;

    Counters() {
        values = new byte[LENGTH];
    }

    void increment(short which) {
        U32.increment(values, which);
    }
}
