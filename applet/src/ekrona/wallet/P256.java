package ekrona.wallet;

import javacard.security.ECKey;

/**
 * The NIST P-256 (secp256r1) domain parameters.
 *
 * JCOP keys carry no default curve: every EC key object must be given p, a, b, G, n and h before it is used,
 * so every key the applet builds goes through {@link #setDomain}.
 */
final class P256 {
    private P256() {}

    static final short FIELD_LENGTH = 32;
    static final short POINT_LENGTH = 65;
    static final byte POINT_UNCOMPRESSED = 0x04;

    static final byte[] P = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF
    };

    static final byte[] A = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFC
    };

    static final byte[] B = {
        0x5A, (byte) 0xC6, 0x35, (byte) 0xD8, (byte) 0xAA, 0x3A, (byte) 0x93, (byte) 0xE7,
        (byte) 0xB3, (byte) 0xEB, (byte) 0xBD, 0x55, 0x76, (byte) 0x98, (byte) 0x86, (byte) 0xBC,
        0x65, 0x1D, 0x06, (byte) 0xB0, (byte) 0xCC, 0x53, (byte) 0xB0, (byte) 0xF6,
        0x3B, (byte) 0xCE, 0x3C, 0x3E, 0x27, (byte) 0xD2, 0x60, 0x4B
    };

    static final byte[] G = {
        0x04,
        0x6B, 0x17, (byte) 0xD1, (byte) 0xF2, (byte) 0xE1, 0x2C, 0x42, 0x47,
        (byte) 0xF8, (byte) 0xBC, (byte) 0xE6, (byte) 0xE5, 0x63, (byte) 0xA4, 0x40, (byte) 0xF2,
        0x77, 0x03, 0x7D, (byte) 0x81, 0x2D, (byte) 0xEB, 0x33, (byte) 0xA0,
        (byte) 0xF4, (byte) 0xA1, 0x39, 0x45, (byte) 0xD8, (byte) 0x98, (byte) 0xC2, (byte) 0x96,
        0x4F, (byte) 0xE3, 0x42, (byte) 0xE2, (byte) 0xFE, 0x1A, 0x7F, (byte) 0x9B,
        (byte) 0x8E, (byte) 0xE7, (byte) 0xEB, 0x4A, 0x7C, 0x0F, (byte) 0x9E, 0x16,
        0x2B, (byte) 0xCE, 0x33, 0x57, 0x6B, 0x31, 0x5E, (byte) 0xCE,
        (byte) 0xCB, (byte) 0xB6, 0x40, 0x68, 0x37, (byte) 0xBF, 0x51, (byte) 0xF5
    };

    /** The group order: signature components must lie in [1, N-1]. */
    static final byte[] N = {
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, 0x00,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xBC, (byte) 0xE6, (byte) 0xFA, (byte) 0xAD, (byte) 0xA7, 0x17, (byte) 0x9E, (byte) 0x84,
        (byte) 0xF3, (byte) 0xB9, (byte) 0xCA, (byte) 0xC2, (byte) 0xFC, 0x63, 0x25, 0x51
    };

    static final short COFACTOR = 1;

    static void setDomain(ECKey key) {
        key.setFieldFP(P, (short) 0, FIELD_LENGTH);
        key.setA(A, (short) 0, FIELD_LENGTH);
        key.setB(B, (short) 0, FIELD_LENGTH);
        key.setG(G, (short) 0, POINT_LENGTH);
        key.setR(N, (short) 0, FIELD_LENGTH);
        key.setK(COFACTOR);
    }

    /**
     * Compares a 32-byte big-endian number with one of the constants above: negative, zero or positive as
     * value is below, equal to or above the constant. Unsigned, byte by byte, so no int arithmetic is needed.
     */
    static short compare(byte[] value, short off, byte[] constant) {
        for (short i = 0; i < FIELD_LENGTH; i++) {
            short a = (short) (value[(short) (off + i)] & 0xFF);
            short b = (short) (constant[i] & 0xFF);
            if (a != b) {
                return (short) (a - b);
            }
        }
        return 0;
    }

    /**
     * The encoding checks of an uncompressed point: the 04 prefix and both coordinates below p. Whether the
     * point lies on the curve is left to the card's key agreement (see CertificateVerifier#isValidPoint).
     */
    static boolean isWellFormedPoint(byte[] buf, short off) {
        if (buf[off] != POINT_UNCOMPRESSED) {
            return false;
        }
        if (compare(buf, (short) (off + 1), P) >= 0) {
            return false;
        }
        return compare(buf, (short) (off + 1 + FIELD_LENGTH), P) < 0;
    }
}
