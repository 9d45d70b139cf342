package ekrona.sim.crypto;

import java.math.BigInteger;

/**
 * NIST P-256 (secp256r1), the one curve this runtime computes on. Point checks are done here with BigInteger, so
 * setting a key does not load the JDK's EC provider.
 */
public final class P256 {
    public static final int SIZE = 32;
    public static final int POINT_SIZE = 65;

    static final BigInteger P = new BigInteger("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", 16);
    static final BigInteger A = new BigInteger("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC", 16);
    static final BigInteger B = new BigInteger("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B", 16);
    static final BigInteger GX = new BigInteger("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296", 16);
    static final BigInteger GY = new BigInteger("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5", 16);
    static final BigInteger N = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    static final byte[] FIELD_BYTES = fixed(P);
    static final byte[] A_BYTES = fixed(A);
    static final byte[] B_BYTES = fixed(B);
    static final byte[] R_BYTES = fixed(N);
    static final byte[] G_BYTES = point(GX, GY);

    private P256() {
    }

    /** A big-endian unsigned integer as exactly 32 bytes. */
    static byte[] fixed(BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[SIZE];
        int n = Math.min(raw.length, SIZE);
        System.arraycopy(raw, raw.length - n, out, SIZE - n, n);
        return out;
    }

    static byte[] point(BigInteger x, BigInteger y) {
        byte[] out = new byte[POINT_SIZE];
        out[0] = 0x04;
        System.arraycopy(fixed(x), 0, out, 1, SIZE);
        System.arraycopy(fixed(y), 0, out, 1 + SIZE, SIZE);
        return out;
    }

    /** Reads an unsigned integer of at most 32 significant bytes (leading zero bytes allowed); null if longer. */
    static byte[] normalize(byte[] buffer, int offset, int length) {
        int start = offset;
        int end = offset + length;
        while (start < end && buffer[start] == 0) {
            start++;
        }
        if (end - start > SIZE) {
            return null;
        }
        byte[] out = new byte[SIZE];
        System.arraycopy(buffer, start, out, SIZE - (end - start), end - start);
        return out;
    }

    /** True for an uncompressed point (04 X Y) on the curve, not the point at infinity. */
    static boolean isValidPoint(byte[] buffer, int offset, int length) {
        if (length != POINT_SIZE || buffer[offset] != 0x04) {
            return false;
        }
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(buffer, offset + 1, offset + 1 + SIZE));
        BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(buffer, offset + 1 + SIZE, offset + POINT_SIZE));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            return false;
        }
        BigInteger left = y.multiply(y).mod(P);
        BigInteger right = x.multiply(x).multiply(x).add(A.multiply(x)).add(B).mod(P);
        return left.equals(right);
    }

    /** True for a private scalar in [1, n-1]. */
    static boolean isValidScalar(byte[] s) {
        BigInteger v = new BigInteger(1, s);
        return v.signum() > 0 && v.compareTo(N) < 0;
    }
}
