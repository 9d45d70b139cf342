package ekrona.sim.crypto;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** The JDK's EC objects, made on first use (loading SunEC takes time the runner's startup must not pay). */
final class JdkCrypto {
    private static ECParameterSpec params;
    private static KeyFactory keyFactory;

    private JdkCrypto() {
    }

    static synchronized ECParameterSpec params() {
        if (params == null) {
            try {
                AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                p.init(new ECGenParameterSpec("secp256r1"));
                params = p.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no secp256r1", e);
            }
        }
        return params;
    }

    private static synchronized KeyFactory keyFactory() throws GeneralSecurityException {
        if (keyFactory == null) {
            keyFactory = KeyFactory.getInstance("EC");
        }
        return keyFactory;
    }

    static ECPrivateKey privateKey(byte[] s) {
        try {
            return (ECPrivateKey) keyFactory().generatePrivate(new ECPrivateKeySpec(new BigInteger(1, s), params()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static ECPublicKey publicKey(byte[] w, int offset) {
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(w, offset + 1, offset + 1 + P256.SIZE));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(w, offset + 1 + P256.SIZE, offset + P256.POINT_SIZE));
        try {
            return (ECPublicKey) keyFactory().generatePublic(new ECPublicKeySpec(new ECPoint(x, y), params()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
