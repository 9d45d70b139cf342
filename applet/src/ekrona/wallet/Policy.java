package ekrona.wallet;

import javacard.framework.Util;

/** The card's limits: a versioned policy set by the intermediary, with the pilot's values as defaults. */
final class Policy {
    private static final byte[] USER_DEFAULT = {
        0x00, 0x00, 0x00, 0x00,                 // version 0
        0x05,                                   // 5 payments between syncs
        0x00, 0x04, (byte) 0x93, (byte) 0xE0,   // largest payment 300 000 öre
        0x00, 0x04, (byte) 0x93, (byte) 0xE0,   // largest balance 300 000 öre
        0x0C,                                   // 12 receipts between syncs
        0x00, 0x04, (byte) 0x93, (byte) 0xE0,   // 300 000 öre received between syncs
        Protocol.POLICY_FLAG_SPEND_RECEIVED
    };

    private static final byte[] MERCHANT_DEFAULT = {
        0x00, 0x00, 0x00, 0x00,
        0x05,
        0x00, 0x1E, (byte) 0x84, (byte) 0x80,   // 2 000 000 öre
        0x00, 0x1E, (byte) 0x84, (byte) 0x80,
        0x0C,
        0x00, 0x1E, (byte) 0x84, (byte) 0x80,
        0x00                                    // received money is not spent offline
    };

    final byte[] body;

    Policy() {
        body = new byte[Protocol.LEN_POLICY];
    }

    /**
     * Every payment, receipt and decline the policy allows has a log record waiting for it, with the order
     * reserve left for top-ups and de-funds; and every amount is an amount (at most 0x7FFFFFFF).
     */
    static boolean isValid(byte[] buf, short off) {
        short records = (short) ((short) (buf[(short) (off + Protocol.OFF_POL_MAX_PAYMENTS)] & 0xFF)
                + (short) (buf[(short) (off + Protocol.OFF_POL_MAX_RECEIVED_COUNT)] & 0xFF)
                + Protocol.LIMIT_MAX_OPEN_REQUESTS + Protocol.LIMIT_ORDER_RESERVE);
        return records <= Protocol.LIMIT_LOG_CAPACITY
                && U32.isAmount(buf, (short) (off + Protocol.OFF_POL_MAX_PAYMENT_AMOUNT))
                && U32.isAmount(buf, (short) (off + Protocol.OFF_POL_MAX_BALANCE))
                && U32.isAmount(buf, (short) (off + Protocol.OFF_POL_MAX_RECEIVED_AMOUNT));
    }

    boolean isOlderThan(byte[] buf, short off) {
        return U32.compare(buf, (short) (off + Protocol.OFF_POL_VERSION), body, Protocol.OFF_POL_VERSION) > 0;
    }

    /** Inside the caller's transaction. */
    void set(byte[] buf, short off) {
        Util.arrayCopy(buf, off, body, (short) 0, Protocol.LEN_POLICY);
    }

    /** Inside the caller's transaction. */
    void setDefault(byte role) {
        set(role == Protocol.ROLE_MERCHANT ? MERCHANT_DEFAULT : USER_DEFAULT, (short) 0);
    }

    short maxPayments() {
        return (short) (body[Protocol.OFF_POL_MAX_PAYMENTS] & 0xFF);
    }

    short maxReceivedCount() {
        return (short) (body[Protocol.OFF_POL_MAX_RECEIVED_COUNT] & 0xFF);
    }

    boolean spendsReceived() {
        return (short) (body[Protocol.OFF_POL_FLAGS] & Protocol.POLICY_FLAG_SPEND_RECEIVED) != 0;
    }
}
