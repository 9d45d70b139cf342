package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import javacard.framework.JCSystem;
import javacard.security.CryptoException;
import javacard.security.Key;
import javacard.security.KeyBuilder;
import javacard.security.PrivateKey;
import javacard.security.PublicKey;

/** Key construction and EC key pair generation behind KeyBuilder and KeyPair. */
public final class Keys {
    private Keys() {
    }

    /** A new key of a supported type; CryptoException.NO_SUCH_ALGORITHM for any other. */
    public static Key build(byte type, short length) {
        switch (type) {
            case KeyBuilder.TYPE_EC_FP_PRIVATE:
                requireLength(length == KeyBuilder.LENGTH_EC_FP_256);
                return new EcPrivateKeyImpl();
            case KeyBuilder.TYPE_EC_FP_PUBLIC:
                requireLength(length == KeyBuilder.LENGTH_EC_FP_256);
                return new EcPublicKeyImpl();
            case KeyBuilder.TYPE_AES:
            case KeyBuilder.TYPE_AES_TRANSIENT_RESET:
            case KeyBuilder.TYPE_AES_TRANSIENT_DESELECT:
                requireLength(length == 128 || length == 192 || length == 256);
                byte event = type == KeyBuilder.TYPE_AES ? 0
                        : type == KeyBuilder.TYPE_AES_TRANSIENT_RESET ? JCSystem.CLEAR_ON_RESET
                        : JCSystem.CLEAR_ON_DESELECT;
                return new AesKeyImpl(type, length, event);
            default:
                CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
                return null;
        }
    }

    private static void requireLength(boolean supported) {
        if (!supported) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
    }

    public static boolean isEcPair(PublicKey publicKey, PrivateKey privateKey) {
        return publicKey instanceof EcPublicKeyImpl && privateKey instanceof EcPrivateKeyImpl;
    }

    /**
     * Generates S and W on the domain parameters set on either key (copied to the other); without any,
     * CryptoException.ILLEGAL_VALUE, as a JCOP card answers.
     */
    public static void generate(PublicKey publicKey, PrivateKey privateKey) {
        Card card = CardRuntime.card();
        card.tearPoint();
        EcPublicKeyImpl pub = (EcPublicKeyImpl) publicKey;
        EcPrivateKeyImpl priv = (EcPrivateKeyImpl) privateKey;
        if (pub.hasDomain()) {
            if (!priv.hasDomain()) {
                priv.copyDomainFrom(pub);
            }
        } else if (priv.hasDomain()) {
            pub.copyDomainFrom(priv);
        } else {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        java.security.KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(JdkCrypto.params(), card.random());
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        ECPrivateKey s = (ECPrivateKey) pair.getPrivate();
        ECPublicKey w = (ECPublicKey) pair.getPublic();
        priv.store(P256.fixed(s.getS()));
        pub.store(P256.point(w.getW().getAffineX(), w.getW().getAffineY()));
        card.count("gen", 1);
    }
}
