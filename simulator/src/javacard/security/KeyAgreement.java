package javacard.security;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import ekrona.sim.crypto.CryptoFactory;

/** Elliptic curve Diffie-Hellman on NIST P-256. */
public abstract class KeyAgreement {
    public static final byte ALG_EC_SVDP_DH = 1;
    public static final byte ALG_EC_SVDP_DHC = 2;
    public static final byte ALG_EC_SVDP_DH_PLAIN = 3;
    public static final byte ALG_EC_SVDP_DHC_PLAIN = 4;

    protected KeyAgreement() {
    }

    public static final KeyAgreement getInstance(byte algorithm, boolean externalAccess) throws CryptoException {
        Card card = CardRuntime.card();
        card.tearPoint();
        KeyAgreement k = CryptoFactory.keyAgreement(algorithm);
        card.allocated();
        return k;
    }

    public abstract void init(PrivateKey privKey) throws CryptoException;

    public abstract byte getAlgorithm();

    public abstract short generateSecret(byte[] publicData, short publicOffset, short publicLength, byte[] secret,
            short secretOffset) throws CryptoException;
}
