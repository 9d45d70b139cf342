package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.card.NonTransactional;
import java.security.GeneralSecurityException;
import java.security.SignatureException;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacard.security.Signature;

/**
 * ECDSA with SHA-256 on P-256. The message is hashed here (so update() may span commands); the hash is signed by
 * the JDK's NONEwithECDSA, whose DER output is what real cards return. The key and mode survive a reset (they are
 * persistent, not journaled); the running hash does not.
 */
final class EcdsaSignature extends Signature {
    private static final short MAX_DER_LENGTH = 72;

    @NonTransactional
    private Key key;
    @NonTransactional
    private byte mode;
    private transient java.security.MessageDigest running;
    private transient int runningEpoch;

    @Override
    public void init(Key theKey, byte theMode) {
        Card card = CardRuntime.card();
        card.tearPoint();
        boolean fits = (theMode == MODE_SIGN && theKey instanceof EcPrivateKeyImpl)
                || (theMode == MODE_VERIFY && theKey instanceof EcPublicKeyImpl);
        if (!fits) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        if (!theKey.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        card.beforeFieldWrite(this, "key");
        key = theKey;
        card.beforeFieldWrite(this, "mode");
        mode = theMode;
        digest().reset();
    }

    @Override
    public void init(Key theKey, byte theMode, byte[] bArray, short bOff, short bLen) {
        CardRuntime.card().tearPoint();
        CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
    }

    @Override
    public void setInitialDigest(byte[] initialDigestBuf, short initialDigestOffset, short initialDigestLength,
            byte[] digestedMsgLenBuf, short digestedMsgLenOffset, short digestedMsgLenLength) {
        CardRuntime.card().tearPoint();
        CryptoException.throwIt(CryptoException.ILLEGAL_USE);
    }

    @Override
    public byte getAlgorithm() {
        return ALG_ECDSA_SHA_256;
    }

    @Override
    public short getLength() {
        CardRuntime.card().checkPowered();
        if (key == null) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        return MAX_DER_LENGTH;
    }

    @Override
    public void update(byte[] inBuff, short inOffset, short inLength) {
        Card card = CardRuntime.card();
        card.tearPoint();
        requireInit(mode);
        Bytes.check(inBuff, inOffset, inLength);
        digest().update(inBuff, inOffset, inLength);
        card.count("dig", inLength);
    }

    @Override
    public short sign(byte[] inBuff, short inOffset, short inLength, byte[] sigBuff, short sigOffset) {
        Card card = CardRuntime.card();
        card.tearPoint();
        requireInit(MODE_SIGN);
        Bytes.check(inBuff, inOffset, inLength);
        java.security.MessageDigest d = digest();
        d.update(inBuff, inOffset, inLength);
        card.count("dig", inLength);
        return signHash(d.digest(), sigBuff, sigOffset);
    }

    @Override
    public short signPreComputedHash(byte[] hashBuff, short hashOffset, short hashLength, byte[] sigBuff,
            short sigOffset) {
        CardRuntime.card().tearPoint();
        requireInit(MODE_SIGN);
        Bytes.check(hashBuff, hashOffset, hashLength);
        if (hashLength != 32) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        digest().reset();
        return signHash(java.util.Arrays.copyOfRange(hashBuff, hashOffset, hashOffset + hashLength), sigBuff,
                sigOffset);
    }

    private short signHash(byte[] hash, byte[] sigBuff, short sigOffset) {
        Card card = CardRuntime.card();
        byte[] der;
        try {
            java.security.Signature engine = java.security.Signature.getInstance("NONEwithECDSA");
            engine.initSign(((EcPrivateKeyImpl) key).jdkKey(), card.random());
            engine.update(hash);
            der = engine.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Bytes.write(der, sigBuff, sigOffset);
        card.count("sig", 1);
        return (short) der.length;
    }

    @Override
    public boolean verify(byte[] inBuff, short inOffset, short inLength, byte[] sigBuff, short sigOffset,
            short sigLength) {
        Card card = CardRuntime.card();
        card.tearPoint();
        requireInit(MODE_VERIFY);
        Bytes.check(inBuff, inOffset, inLength);
        Bytes.check(sigBuff, sigOffset, sigLength);
        java.security.MessageDigest d = digest();
        d.update(inBuff, inOffset, inLength);
        card.count("dig", inLength);
        return verifyHash(d.digest(), sigBuff, sigOffset, sigLength);
    }

    @Override
    public boolean verifyPreComputedHash(byte[] hashBuff, short hashOffset, short hashLength, byte[] sigBuff,
            short sigOffset, short sigLength) {
        CardRuntime.card().tearPoint();
        requireInit(MODE_VERIFY);
        Bytes.check(hashBuff, hashOffset, hashLength);
        Bytes.check(sigBuff, sigOffset, sigLength);
        if (hashLength != 32) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        digest().reset();
        return verifyHash(java.util.Arrays.copyOfRange(hashBuff, hashOffset, hashOffset + hashLength), sigBuff,
                sigOffset, sigLength);
    }

    /** A malformed or wrong signature is simply not valid: false, never an exception. */
    private boolean verifyHash(byte[] hash, byte[] sigBuff, short sigOffset, short sigLength) {
        CardRuntime.card().count("ver", 1);
        try {
            java.security.Signature engine = java.security.Signature.getInstance("NONEwithECDSA");
            engine.initVerify(((EcPublicKeyImpl) key).jdkKey());
            engine.update(hash);
            return engine.verify(sigBuff, sigOffset, sigLength);
        } catch (SignatureException | IllegalArgumentException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void requireInit(byte wanted) {
        if (key == null || mode != wanted) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        if (!key.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
    }

    /** The running hash; a reset or power loss since it started means it starts over. */
    private java.security.MessageDigest digest() {
        int epoch = CardRuntime.card().epoch();
        if (running == null || runningEpoch != epoch) {
            try {
                running = java.security.MessageDigest.getInstance("SHA-256");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            runningEpoch = epoch;
        }
        return running;
    }
}
