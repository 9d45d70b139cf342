package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.util.Arrays;
import javacard.security.CryptoException;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;

/** An EC P-256 public key: the point W, uncompressed (65 bytes), checked to be on the curve when set. */
public final class EcPublicKeyImpl extends EcKeyImpl implements ECPublicKey {
    private byte[] w = new byte[P256.POINT_SIZE];
    private boolean wSet;
    private transient java.security.interfaces.ECPublicKey jdkKey;
    private transient byte[] jdkKeyFrom;

    EcPublicKeyImpl() {
        super(KeyBuilder.TYPE_EC_FP_PUBLIC);
    }

    @Override
    boolean hasSecretPart() {
        return wSet;
    }

    @Override
    void clearSecretPart() {
        Card card = CardRuntime.card();
        card.beforeAtomicWrite(w, 0, w.length);
        Arrays.fill(w, (byte) 0);
        card.beforeFieldWrite(this, "wSet");
        wSet = false;
    }

    @Override
    public void setW(byte[] buffer, short offset, short length) {
        CardRuntime.card().tearPoint();
        Bytes.check(buffer, offset, length);
        if (!P256.isValidPoint(buffer, offset, length)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        store(Arrays.copyOfRange(buffer, offset, offset + length));
    }

    void store(byte[] point) {
        Card card = CardRuntime.card();
        card.beforeAtomicWrite(w, 0, w.length);
        System.arraycopy(point, 0, w, 0, w.length);
        card.beforeFieldWrite(this, "wSet");
        wSet = true;
    }

    @Override
    public short getW(byte[] buffer, short offset) {
        CardRuntime.card().checkPowered();
        if (!wSet) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        Bytes.write(w.clone(), buffer, offset);
        return P256.POINT_SIZE;
    }

    java.security.interfaces.ECPublicKey jdkKey() {
        if (jdkKey == null || !Arrays.equals(jdkKeyFrom, w)) {
            jdkKey = JdkCrypto.publicKey(w, 0);
            jdkKeyFrom = w.clone();
        }
        return jdkKey;
    }
}
