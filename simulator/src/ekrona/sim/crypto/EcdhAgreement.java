package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.card.NonTransactional;
import java.security.GeneralSecurityException;
import javacard.security.CryptoException;
import javacard.security.KeyAgreement;
import javacard.security.PrivateKey;

/**
 * EC Diffie-Hellman on P-256. The PLAIN variants output the shared point's x coordinate (32 bytes); the others its
 * SHA-1 (20 bytes). The cofactor of P-256 is 1, so the DHC variants give the same results.
 */
final class EcdhAgreement extends KeyAgreement {
    private byte algorithm;
    @NonTransactional
    private EcPrivateKeyImpl key;

    EcdhAgreement(byte algorithm) {
        this.algorithm = algorithm;
    }

    @Override
    public void init(PrivateKey privKey) {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (!(privKey instanceof EcPrivateKeyImpl)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        if (!privKey.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        card.beforeFieldWrite(this, "key");
        key = (EcPrivateKeyImpl) privKey;
    }

    @Override
    public byte getAlgorithm() {
        return algorithm;
    }

    @Override
    public short generateSecret(byte[] publicData, short publicOffset, short publicLength, byte[] secret,
            short secretOffset) {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (key == null) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        if (!key.isInitialized()) {
            CryptoException.throwIt(CryptoException.UNINITIALIZED_KEY);
        }
        Bytes.check(publicData, publicOffset, publicLength);
        if (!P256.isValidPoint(publicData, publicOffset, publicLength)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        byte[] x;
        try {
            javax.crypto.KeyAgreement engine = javax.crypto.KeyAgreement.getInstance("ECDH");
            engine.init(key.jdkKey());
            engine.doPhase(JdkCrypto.publicKey(publicData, publicOffset), true);
            x = engine.generateSecret();
            if (algorithm == ALG_EC_SVDP_DH || algorithm == ALG_EC_SVDP_DHC) {
                x = java.security.MessageDigest.getInstance("SHA-1").digest(x);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        Bytes.write(x, secret, secretOffset);
        card.count("ka", 1);
        return (short) x.length;
    }
}
