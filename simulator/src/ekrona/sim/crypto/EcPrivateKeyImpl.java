package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.util.Arrays;
import javacard.security.CryptoException;
import javacard.security.ECPrivateKey;
import javacard.security.KeyBuilder;

/** An EC P-256 private key: the scalar S, 32 bytes. The JDK key is a cache, rebuilt when S changes. */
public final class EcPrivateKeyImpl extends EcKeyImpl implements ECPrivateKey {
    private byte[] s = new byte[P256.SIZE];
    private boolean sSet;
    private transient java.security.interfaces.ECPrivateKey jdkKey;
    private transient byte[] jdkKeyFrom;

    EcPrivateKeyImpl() {
        super(KeyBuilder.TYPE_EC_FP_PRIVATE);
    }

    @Override
    boolean hasSecretPart() {
        return sSet;
    }

    @Override
    void clearSecretPart() {
        Card card = CardRuntime.card();
        card.beforeAtomicWrite(s, 0, s.length);
        Arrays.fill(s, (byte) 0);
        card.beforeFieldWrite(this, "sSet");
        sSet = false;
    }

    @Override
    public void setS(byte[] buffer, short offset, short length) {
        CardRuntime.card().tearPoint();
        Bytes.check(buffer, offset, length);
        byte[] value = P256.normalize(buffer, offset, length);
        if (value == null || !P256.isValidScalar(value)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        store(value);
    }

    void store(byte[] value) {
        Card card = CardRuntime.card();
        card.beforeAtomicWrite(s, 0, s.length);
        System.arraycopy(value, 0, s, 0, s.length);
        card.beforeFieldWrite(this, "sSet");
        sSet = true;
    }

    @Override
    public short getS(byte[] buffer, short offset) {
        CardRuntime.card().checkPowered();
        if (!sSet) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        Bytes.write(s.clone(), buffer, offset);
        return P256.SIZE;
    }

    java.security.interfaces.ECPrivateKey jdkKey() {
        if (jdkKey == null || !Arrays.equals(jdkKeyFrom, s)) {
            jdkKey = JdkCrypto.privateKey(s);
            jdkKeyFrom = s.clone();
        }
        return jdkKey;
    }
}
