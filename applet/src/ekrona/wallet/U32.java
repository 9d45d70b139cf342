package ekrona.wallet;

/**
 * Unsigned 32-bit big-endian numbers held in 4 bytes of an array: amounts, balances and counters.
 *
 * The converter accepts no int arithmetic, so every operation walks the bytes with short intermediates. The
 * destination may be one of the operands; results are written least significant byte first, after the byte has
 * been read, so aliasing is safe. Writes to persistent arrays go through plain stores, which take part in an
 * open transaction.
 */
final class U32 {
    private U32() {}

    static final short LENGTH = 4;

    /** dst = a + b; returns true when the sum does not fit in 32 bits (dst then holds the low 32 bits). */
    static boolean add(byte[] a, short aOff, byte[] b, short bOff, byte[] dst, short dstOff) {
        short carry = 0;
        for (short i = (short) (LENGTH - 1); i >= 0; i--) {
            short sum = (short) ((short) (a[(short) (aOff + i)] & 0xFF) + (short) (b[(short) (bOff + i)] & 0xFF) + carry);
            dst[(short) (dstOff + i)] = (byte) sum;
            carry = (short) ((sum >> 8) & 0x01);
        }
        return carry != 0;
    }

    /** dst = a - b; returns true when b > a (dst then holds the difference modulo 2^32). */
    static boolean sub(byte[] a, short aOff, byte[] b, short bOff, byte[] dst, short dstOff) {
        short borrow = 0;
        for (short i = (short) (LENGTH - 1); i >= 0; i--) {
            short diff = (short) ((short) (a[(short) (aOff + i)] & 0xFF) - (short) (b[(short) (bOff + i)] & 0xFF) - borrow);
            dst[(short) (dstOff + i)] = (byte) diff;
            borrow = (short) (diff < 0 ? 1 : 0);
        }
        return borrow != 0;
    }

    /** Negative, zero or positive as a is below, equal to or above b. */
    static short compare(byte[] a, short aOff, byte[] b, short bOff) {
        for (short i = 0; i < LENGTH; i++) {
            short x = (short) (a[(short) (aOff + i)] & 0xFF);
            short y = (short) (b[(short) (bOff + i)] & 0xFF);
            if (x != y) {
                return (short) (x - y);
            }
        }
        return 0;
    }

    /** a + 1, wrapping at 2^32 (a counter of the card's life never gets there). */
    static void increment(byte[] a, short off) {
        for (short i = (short) (off + LENGTH - 1); i >= off; i--) {
            a[i] = (byte) (a[i] + 1);
            if (a[i] != 0) {
                return;
            }
        }
    }

    static boolean isZero(byte[] a, short off) {
        return (short) (a[off] | a[(short) (off + 1)] | a[(short) (off + 2)] | a[(short) (off + 3)]) == 0;
    }

    /** Amounts are at most 0x7FFFFFFF: the top bit is never set. */
    static boolean isAmount(byte[] a, short off) {
        return a[off] >= 0;
    }

    static void clear(byte[] a, short off) {
        a[off] = 0;
        a[(short) (off + 1)] = 0;
        a[(short) (off + 2)] = 0;
        a[(short) (off + 3)] = 0;
    }

    static void setSmall(byte[] a, short off, short value) {
        a[off] = 0;
        a[(short) (off + 1)] = 0;
        a[(short) (off + 2)] = (byte) (value >> 8);
        a[(short) (off + 3)] = (byte) value;
    }
}
