package ekrona.sim.crypto;

import javacard.security.CryptoException;
import javacard.security.KeyAgreement;
import javacard.security.MessageDigest;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/** The engines behind the getInstance methods; an algorithm not implemented here is NO_SUCH_ALGORITHM. */
public final class CryptoFactory {
    private CryptoFactory() {
    }

    public static Signature signature(byte algorithm) {
        if (algorithm != Signature.ALG_ECDSA_SHA_256) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        return new EcdsaSignature();
    }

    public static MessageDigest digest(byte algorithm) {
        String name = DigestEngine.jdkName(algorithm);
        if (name == null) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        return new DigestEngine(algorithm);
    }

    public static RandomData random(byte algorithm) {
        if (algorithm < RandomData.ALG_PSEUDO_RANDOM || algorithm > RandomData.ALG_TRNG) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        return new RandomEngine(algorithm);
    }

    public static KeyAgreement keyAgreement(byte algorithm) {
        if (algorithm < KeyAgreement.ALG_EC_SVDP_DH || algorithm > KeyAgreement.ALG_EC_SVDP_DHC_PLAIN) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        return new EcdhAgreement(algorithm);
    }

    public static Cipher cipher(byte algorithm) {
        if (algorithm != Cipher.ALG_AES_BLOCK_128_CBC_NOPAD && algorithm != Cipher.ALG_AES_BLOCK_128_ECB_NOPAD) {
            CryptoException.throwIt(CryptoException.NO_SUCH_ALGORITHM);
        }
        return new AesCipher(algorithm);
    }
}
