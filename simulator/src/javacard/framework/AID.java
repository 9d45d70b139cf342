package javacard.framework;

import ekrona.sim.card.CardRuntime;

/** An ISO 7816-5 application identifier of 5 to 16 bytes. */
public class AID {
    private byte[] bytes;

    public AID(byte[] bArray, short offset, byte length) throws SystemException {
        if (length < 5 || length > 16) {
            SystemException.throwIt(SystemException.ILLEGAL_VALUE);
        }
        if (offset < 0 || offset + length > bArray.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        CardRuntime.card().allocated();
        bytes = new byte[length];
        System.arraycopy(bArray, offset, bytes, 0, length);
    }

    public final byte getBytes(byte[] dest, short offset) {
        System.arraycopy(bytes, 0, dest, offset, bytes.length);
        return (byte) bytes.length;
    }

    @Override
    public final boolean equals(Object anObject) {
        return anObject instanceof AID && java.util.Arrays.equals(bytes, ((AID) anObject).bytes);
    }

    public final boolean equals(byte[] bArray, short offset, byte length) {
        if (bArray == null) {
            return false;
        }
        if (offset < 0 || length < 0 || offset + length > bArray.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        return length == bytes.length && startsWith(bArray, offset, length);
    }

    public final boolean partialEquals(byte[] bArray, short offset, byte length) {
        if (bArray == null) {
            return false;
        }
        if (offset < 0 || length < 0 || offset + length > bArray.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        return length <= bytes.length && startsWith(bArray, offset, length);
    }

    public final boolean RIDEquals(AID otherAID) {
        if (otherAID == null) {
            return false;
        }
        for (int i = 0; i < 5; i++) {
            if (bytes[i] != otherAID.bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** Copies up to oLength bytes (all remaining when 0) of this AID from aidOffset; returns how many. */
    public final byte getPartialBytes(short aidOffset, byte[] dest, short oOffset, byte oLength) {
        if (aidOffset < 0 || aidOffset > bytes.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        int n = bytes.length - aidOffset;
        if (oLength != 0 && oLength < n) {
            n = oLength;
        }
        System.arraycopy(bytes, aidOffset, dest, oOffset, n);
        return (byte) n;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }

    private boolean startsWith(byte[] bArray, short offset, byte length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] != bArray[offset + i]) {
                return false;
            }
        }
        return true;
    }
}
