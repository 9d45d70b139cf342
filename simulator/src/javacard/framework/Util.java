package javacard.framework;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;

/**
 * Array and short helpers. Copies, fills and short writes are tear points. arrayCopy and setShort are atomic and
 * journaled inside a transaction; the NonAtomic variants are not (their writes survive an abort).
 */
public class Util {
    Util() {
    }

    public static final short arrayCopy(byte[] src, short srcOff, byte[] dest, short destOff, short length)
            throws ArrayIndexOutOfBoundsException, NullPointerException, TransactionException {
        Card card = CardRuntime.card();
        card.tearPoint();
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        card.beforeAtomicWrite(dest, destOff, length);
        System.arraycopy(src, srcOff, dest, destOff, length);
        return (short) (destOff + length);
    }

    public static final short arrayCopyNonAtomic(byte[] src, short srcOff, byte[] dest, short destOff, short length)
            throws ArrayIndexOutOfBoundsException, NullPointerException {
        Card card = CardRuntime.card();
        card.tearPoint();
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        System.arraycopy(src, srcOff, dest, destOff, length);
        card.afterNonAtomicWrite(dest, destOff, length);
        return (short) (destOff + length);
    }

    public static final short arrayFillNonAtomic(byte[] bArray, short bOff, short bLen, byte bValue)
            throws ArrayIndexOutOfBoundsException, NullPointerException {
        Card card = CardRuntime.card();
        card.tearPoint();
        checkRange(bArray, bOff, bLen);
        java.util.Arrays.fill(bArray, bOff, bOff + bLen, bValue);
        card.afterNonAtomicWrite(bArray, bOff, bLen);
        return (short) (bOff + bLen);
    }

    /** Java Card 3.0.5 only (listed in simulator/api-3.0.5-only.txt). */
    public static final short arrayFill(byte[] bArray, short bOff, short bLen, byte bValue)
            throws ArrayIndexOutOfBoundsException, NullPointerException, TransactionException {
        Card card = CardRuntime.card();
        card.tearPoint();
        checkRange(bArray, bOff, bLen);
        card.beforeAtomicWrite(bArray, bOff, bLen);
        java.util.Arrays.fill(bArray, bOff, bOff + bLen, bValue);
        return (short) (bOff + bLen);
    }

    /** 0 when equal, else -1 or 1 as the first differing byte (signed, as Java compares bytes) is smaller or larger. */
    public static final byte arrayCompare(byte[] src, short srcOff, byte[] dest, short destOff, short length)
            throws ArrayIndexOutOfBoundsException, NullPointerException {
        CardRuntime.card().checkPowered();
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        for (int i = 0; i < length; i++) {
            byte a = src[srcOff + i];
            byte b = dest[destOff + i];
            if (a != b) {
                return (byte) (a < b ? -1 : 1);
            }
        }
        return 0;
    }

    public static final short makeShort(byte b1, byte b2) {
        return (short) ((b1 << 8) | (b2 & 0xFF));
    }

    public static final short getShort(byte[] bArray, short bOff) throws NullPointerException,
            ArrayIndexOutOfBoundsException {
        CardRuntime.card().checkPowered();
        return (short) ((bArray[bOff] << 8) | (bArray[bOff + 1] & 0xFF));
    }

    public static final short setShort(byte[] bArray, short bOff, short sValue) throws TransactionException,
            NullPointerException, ArrayIndexOutOfBoundsException {
        Card card = CardRuntime.card();
        card.tearPoint();
        checkRange(bArray, bOff, (short) 2);
        card.beforeAtomicWrite(bArray, bOff, 2);
        bArray[bOff] = (byte) (sValue >> 8);
        bArray[bOff + 1] = (byte) sValue;
        return (short) (bOff + 2);
    }

    private static void checkRange(byte[] array, short offset, short length) {
        if (offset < 0 || length < 0 || offset + length > array.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
    }
}
