package javacard.security;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.crypto.Keys;

/**
 * A public and a private key generated together. EC on NIST P-256 only: the domain parameters must be set on one
 * of the keys before genKeyPair (CryptoException.ILLEGAL_VALUE otherwise, as on a JCOP card).
 */
public final class KeyPair {
    public static final byte ALG_RSA = 1;
    public static final byte ALG_RSA_CRT = 2;
    public static final byte ALG_DSA = 3;
    public static final byte ALG_EC_F2M = 4;
    public static final byte ALG_EC_FP = 5;

    private PublicKey publicKey;
    private PrivateKey privateKey;

    public KeyPair(byte algorithm, short keyLength) throws CryptoException {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (algorithm != ALG_EC_FP || keyLength != KeyBuilder.LENGTH_EC_FP_256) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        publicKey = (PublicKey) Keys.build(KeyBuilder.TYPE_EC_FP_PUBLIC, keyLength);
        privateKey = (PrivateKey) Keys.build(KeyBuilder.TYPE_EC_FP_PRIVATE, keyLength);
        card.allocated();
    }

    public KeyPair(PublicKey publicKey, PrivateKey privateKey) throws CryptoException {
        Card card = CardRuntime.card();
        card.tearPoint();
        if (!Keys.isEcPair(publicKey, privateKey)) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        card.allocated();
    }

    public final void genKeyPair() throws CryptoException {
        Keys.generate(publicKey, privateKey);
    }

    public PublicKey getPublic() {
        CardRuntime.card().checkPowered();
        return publicKey;
    }

    public PrivateKey getPrivate() {
        CardRuntime.card().checkPowered();
        return privateKey;
    }
}
