package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.util.Arrays;
import javacard.security.CryptoException;
import javacard.security.ECKey;
import javacard.security.Key;

/**
 * The domain parameters of an EC key. As on a JCOP card the applet must set them (field, A, B, G, R; K optional)
 * before the key can be generated or used; this runtime computes on NIST P-256 only, so a parameter of another
 * curve is refused at once with CryptoException.ILLEGAL_VALUE.
 */
public abstract class EcKeyImpl implements ECKey, Key {
    static final byte FIELD = 1;
    static final byte A = 2;
    static final byte B = 4;
    static final byte G = 8;
    static final byte R = 16;
    static final byte K = 32;
    static final byte DOMAIN = FIELD | A | B | G | R;

    private byte type;
    private byte[] field = new byte[P256.SIZE];
    private byte[] a = new byte[P256.SIZE];
    private byte[] b = new byte[P256.SIZE];
    private byte[] g = new byte[P256.POINT_SIZE];
    private byte[] r = new byte[P256.SIZE];
    private short k;
    private byte parameters;

    EcKeyImpl(byte type) {
        this.type = type;
    }

    boolean hasDomain() {
        return (parameters & DOMAIN) == DOMAIN;
    }

    abstract boolean hasSecretPart();

    abstract void clearSecretPart();

    @Override
    public boolean isInitialized() {
        CardRuntime.card().checkPowered();
        return hasDomain() && hasSecretPart();
    }

    @Override
    public byte getType() {
        return type;
    }

    @Override
    public short getSize() {
        return 256;
    }

    @Override
    public void clearKey() {
        Card card = CardRuntime.card();
        card.tearPoint();
        for (byte[] array : new byte[][] {field, a, b, g, r}) {
            card.beforeAtomicWrite(array, 0, array.length);
            Arrays.fill(array, (byte) 0);
        }
        card.beforeFieldWrite(this, "parameters");
        parameters = 0;
        card.beforeFieldWrite(this, "k");
        k = 0;
        clearSecretPart();
    }

    @Override
    public void setFieldFP(byte[] buffer, short offset, short length) {
        setScalarParameter(buffer, offset, length, P256.FIELD_BYTES, field, FIELD);
    }

    @Override
    public void setFieldF2M(short e) {
        CardRuntime.card().tearPoint();
        CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
    }

    @Override
    public void setFieldF2M(short e1, short e2, short e3) {
        CardRuntime.card().tearPoint();
        CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
    }

    @Override
    public void setA(byte[] buffer, short offset, short length) {
        setScalarParameter(buffer, offset, length, P256.A_BYTES, a, A);
    }

    @Override
    public void setB(byte[] buffer, short offset, short length) {
        setScalarParameter(buffer, offset, length, P256.B_BYTES, b, B);
    }

    @Override
    public void setR(byte[] buffer, short offset, short length) {
        setScalarParameter(buffer, offset, length, P256.R_BYTES, r, R);
    }

    @Override
    public void setG(byte[] buffer, short offset, short length) {
        CardRuntime.card().tearPoint();
        Bytes.check(buffer, offset, length);
        if (length != P256.POINT_SIZE
                || !Arrays.equals(buffer, offset, offset + length, P256.G_BYTES, 0, P256.POINT_SIZE)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        store(g, P256.G_BYTES, G);
    }

    @Override
    public void setK(short cofactor) {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (cofactor != 1) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        card.beforeFieldWrite(this, "k");
        k = cofactor;
        card.beforeFieldWrite(this, "parameters");
        parameters |= K;
    }

    private void setScalarParameter(byte[] buffer, short offset, short length, byte[] expected, byte[] target,
            byte bit) {
        CardRuntime.card().tearPoint();
        Bytes.check(buffer, offset, length);
        byte[] value = P256.normalize(buffer, offset, length);
        if (value == null || !Arrays.equals(value, expected)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        store(target, value, bit);
    }

    private void store(byte[] target, byte[] value, byte bit) {
        Card card = CardRuntime.card();
        card.beforeAtomicWrite(target, 0, target.length);
        System.arraycopy(value, 0, target, 0, target.length);
        card.beforeFieldWrite(this, "parameters");
        parameters |= bit;
    }

    @Override
    public short getField(byte[] buffer, short offset) {
        return read(field, FIELD, buffer, offset);
    }

    @Override
    public short getA(byte[] buffer, short offset) {
        return read(a, A, buffer, offset);
    }

    @Override
    public short getB(byte[] buffer, short offset) {
        return read(b, B, buffer, offset);
    }

    @Override
    public short getG(byte[] buffer, short offset) {
        return read(g, G, buffer, offset);
    }

    @Override
    public short getR(byte[] buffer, short offset) {
        return read(r, R, buffer, offset);
    }

    @Override
    public short getK() {
        CardRuntime.card().checkPowered();
        if ((parameters & K) == 0) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        return k;
    }

    private short read(byte[] source, byte bit, byte[] buffer, short offset) {
        CardRuntime.card().checkPowered();
        if ((parameters & bit) == 0) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        Bytes.write(source.clone(), buffer, offset);
        return (short) source.length;
    }

    @Override
    public void copyDomainParametersFrom(ECKey ecKey) {
        CardRuntime.card().tearPoint();
        if (!(ecKey instanceof EcKeyImpl other) || !other.hasDomain()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
            return;
        }
        copyDomainFrom(other);
    }

    /** Copies the domain parameters (no tear point: part of another API call). */
    void copyDomainFrom(EcKeyImpl other) {
        store(field, other.field, FIELD);
        store(a, other.a, A);
        store(b, other.b, B);
        store(g, other.g, G);
        store(r, other.r, R);
        if ((other.parameters & K) != 0) {
            Card card = CardRuntime.card();
            card.beforeFieldWrite(this, "k");
            k = other.k;
            card.beforeFieldWrite(this, "parameters");
            parameters |= K;
        }
    }
}
