package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.card.NonTransactional;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacardx.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES without padding, CBC or ECB. The key and mode survive a reset; the IV given to init does not (after a tear or
 * reset CBC starts again from a zero IV, as the API says), nor does a half-processed message. After doFinal the
 * cipher is back at its initialised state.
 */
final class AesCipher extends Cipher {
    private static final int BLOCK = 16;

    private byte algorithm;
    @NonTransactional
    private AesKeyImpl key;
    @NonTransactional
    private byte mode;
    private transient byte[] iv;
    private transient int ivEpoch;
    private transient javax.crypto.Cipher engine;
    private transient int engineEpoch;
    private transient byte[] engineKey;
    private transient int pending;

    AesCipher(byte algorithm) {
        this.algorithm = algorithm;
    }

    private boolean cbc() {
        return algorithm == ALG_AES_BLOCK_128_CBC_NOPAD;
    }

    @Override
    public void init(Key theKey, byte theMode) {
        start(theKey, theMode, new byte[BLOCK]);
    }

    @Override
    public void init(Key theKey, byte theMode, byte[] bArray, short bOff, short bLen) {
        CardRuntime.card().checkPowered();
        Bytes.check(bArray, bOff, bLen);
        if (!cbc() || bLen != BLOCK) {
            CardRuntime.card().tearPoint();
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        start(theKey, theMode, Arrays.copyOfRange(bArray, bOff, bOff + bLen));
    }

    private void start(Key theKey, byte theMode, byte[] initialVector) {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (!(theKey instanceof AesKeyImpl) || (theMode != MODE_ENCRYPT && theMode != MODE_DECRYPT)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        if (!theKey.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        card.beforeFieldWrite(this, "key");
        key = (AesKeyImpl) theKey;
        card.beforeFieldWrite(this, "mode");
        mode = theMode;
        iv = initialVector;
        ivEpoch = card.epoch();
        engine = null;
    }

    @Override
    public byte getAlgorithm() {
        return algorithm;
    }

    @Override
    public short update(byte[] inBuff, short inOffset, short inLength, byte[] outBuff, short outOffset) {
        Card card = CardRuntime.card();
        card.tearPoint();
        javax.crypto.Cipher e = engine();
        Bytes.check(inBuff, inOffset, inLength);
        byte[] result = e.update(Arrays.copyOfRange(inBuff, inOffset, inOffset + inLength));
        pending = (pending + inLength) % BLOCK;
        return output(result == null ? new byte[0] : result, outBuff, outOffset);
    }

    @Override
    public short doFinal(byte[] inBuff, short inOffset, short inLength, byte[] outBuff, short outOffset) {
        Card card = CardRuntime.card();
        card.tearPoint();
        javax.crypto.Cipher e = engine();
        Bytes.check(inBuff, inOffset, inLength);
        if ((pending + inLength) % BLOCK != 0) {
            engine = null;
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        }
        byte[] result;
        try {
            result = e.doFinal(Arrays.copyOfRange(inBuff, inOffset, inOffset + inLength));
        } catch (GeneralSecurityException ex) {
            engine = null;
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
            return 0;
        }
        pending = 0;
        return output(result, outBuff, outOffset);
    }

    private short output(byte[] result, byte[] outBuff, short outOffset) {
        Bytes.write(result, outBuff, outOffset);
        CardRuntime.card().count("ciph", result.length / BLOCK);
        return (short) result.length;
    }

    /** The JDK cipher at the point the applet left it; rebuilt after a reset or a change of the key's value. */
    private javax.crypto.Cipher engine() {
        Card card = CardRuntime.card();
        if (key == null) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        if (!key.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        int epoch = card.epoch();
        if (engine == null || engineEpoch != epoch || !Arrays.equals(engineKey, key.bytes())) {
            byte[] vector = iv != null && ivEpoch == epoch ? iv : new byte[BLOCK];
            try {
                javax.crypto.Cipher c = javax.crypto.Cipher.getInstance(cbc() ? "AES/CBC/NoPadding" : "AES/ECB/NoPadding");
                int jdkMode = mode == MODE_ENCRYPT ? javax.crypto.Cipher.ENCRYPT_MODE : javax.crypto.Cipher.DECRYPT_MODE;
                SecretKeySpec spec = new SecretKeySpec(key.bytes(), "AES");
                if (cbc()) {
                    c.init(jdkMode, spec, new IvParameterSpec(vector));
                } else {
                    c.init(jdkMode, spec);
                }
                engine = c;
            } catch (GeneralSecurityException ex) {
                throw new IllegalStateException(ex);
            }
            engineEpoch = epoch;
            engineKey = key.bytes().clone();
            pending = 0;
        }
        return engine;
    }
}
