package ekrona.wallet;

/**
 * ECDSA signatures between the card's crypto API (ASN.1 DER: SEQUENCE { INTEGER r, INTEGER s }) and the
 * protocol's fixed form r || s, 32 bytes each, big-endian, left-padded.
 */
final class EcdsaCodec {
    private EcdsaCodec() {}

    static final short RAW_LENGTH = 64;
    /** 30 L, then 02 L and at most 33 bytes for each of r and s. */
    static final short DER_MAX_LENGTH = 72;

    private static final byte ASN1_SEQUENCE = 0x30;
    private static final byte ASN1_INTEGER = 0x02;
    private static final short COMPONENT = 32;

    /**
     * True when both r and s lie in [1, n-1]. A component outside that range can never verify; refusing it
     * here keeps such input away from the crypto engine, which may throw on it.
     */
    static boolean hasValidComponents(byte[] raw, short off) {
        return isValidScalar(raw, off) && isValidScalar(raw, (short) (off + COMPONENT));
    }

    private static boolean isValidScalar(byte[] buf, short off) {
        boolean zero = true;
        for (short i = 0; i < COMPONENT; i++) {
            if (buf[(short) (off + i)] != 0) {
                zero = false;
                break;
            }
        }
        return !zero && P256.compare(buf, off, P256.N) < 0;
    }

    /** Writes the DER form of the raw signature at raw[off..off+63]; returns its length. */
    static short rawToDer(byte[] raw, short rawOff, byte[] der, short derOff) {
        short p = (short) (derOff + 2);
        p = writeInteger(raw, rawOff, der, p);
        p = writeInteger(raw, (short) (rawOff + COMPONENT), der, p);
        der[derOff] = ASN1_SEQUENCE;
        der[(short) (derOff + 1)] = (byte) (short) (p - derOff - 2);
        return (short) (p - derOff);
    }

    /** Minimal positive INTEGER: leading zero bytes dropped, one 00 put back when the top bit is set. */
    private static short writeInteger(byte[] raw, short off, byte[] der, short p) {
        short start = off;
        short end = (short) (off + COMPONENT);
        while (start < (short) (end - 1) && raw[start] == 0) {
            start++;
        }
        short len = (short) (end - start);
        boolean pad = raw[start] < 0;
        der[p] = ASN1_INTEGER;
        short encoded = pad ? (short) (len + 1) : len;
        der[(short) (p + 1)] = (byte) encoded;
        p = (short) (p + 2);
        if (pad) {
            der[p] = 0;
            p++;
        }
        for (short i = 0; i < len; i++) {
            der[(short) (p + i)] = raw[(short) (start + i)];
        }
        return (short) (p + len);
    }

    /**
     * Reads the DER signature at der[off..off+len-1] into raw[rawOff..rawOff+63]; returns false when it is
     * not a well-formed SEQUENCE of two INTEGERs that fit in 32 bytes.
     */
    static boolean derToRaw(byte[] der, short off, short len, byte[] raw, short rawOff) {
        if (len < 8 || der[off] != ASN1_SEQUENCE || (short) (der[(short) (off + 1)] & 0xFF) != (short) (len - 2)) {
            return false;
        }
        short end = (short) (off + len);
        short p = readInteger(der, (short) (off + 2), end, raw, rawOff);
        if (p < 0) {
            return false;
        }
        p = readInteger(der, p, end, raw, (short) (rawOff + COMPONENT));
        return p == end;
    }

    /** Returns the offset after the INTEGER, or -1. */
    private static short readInteger(byte[] der, short p, short end, byte[] raw, short rawOff) {
        if ((short) (p + 2) > end || der[p] != ASN1_INTEGER) {
            return -1;
        }
        short len = (short) (der[(short) (p + 1)] & 0xFF);
        p = (short) (p + 2);
        if (len == 0 || len > (short) (COMPONENT + 1) || (short) (p + len) > end) {
            return -1;
        }
        short next = (short) (p + len);
        while (len > COMPONENT) {
            if (der[p] != 0) {
                return -1;
            }
            p++;
            len--;
        }
        short pad = (short) (COMPONENT - len);
        for (short i = 0; i < pad; i++) {
            raw[(short) (rawOff + i)] = 0;
        }
        for (short i = 0; i < len; i++) {
            raw[(short) (rawOff + pad + i)] = der[(short) (p + i)];
        }
        return next;
    }
}
