package ekrona.sim.crypto;

import ekrona.sim.card.Card;
import ekrona.sim.card.CardRuntime;
import java.security.GeneralSecurityException;
import javacard.security.MessageDigest;

/** A message digest backed by the JDK; the running state is lost at reset, as in RAM. */
final class DigestEngine extends MessageDigest {
    private byte algorithm;
    private transient java.security.MessageDigest running;
    private transient int runningEpoch;

    DigestEngine(byte algorithm) {
        this.algorithm = algorithm;
    }

    static String jdkName(byte algorithm) {
        return switch (algorithm) {
            case ALG_SHA -> "SHA-1";
            case ALG_MD5 -> "MD5";
            case ALG_SHA_224 -> "SHA-224";
            case ALG_SHA_256 -> "SHA-256";
            case ALG_SHA_384 -> "SHA-384";
            case ALG_SHA_512 -> "SHA-512";
            default -> null;
        };
    }

    @Override
    public byte getAlgorithm() {
        return algorithm;
    }

    @Override
    public byte getLength() {
        return (byte) engine().getDigestLength();
    }

    @Override
    public short doFinal(byte[] inBuff, short inOffset, short inLength, byte[] outBuff, short outOffset) {
        Card card = CardRuntime.card();
        card.tearPoint();
        Bytes.check(inBuff, inOffset, inLength);
        java.security.MessageDigest d = engine();
        d.update(inBuff, inOffset, inLength);
        card.count("dig", inLength);
        byte[] result = d.digest();
        Bytes.write(result, outBuff, outOffset);
        return (short) result.length;
    }

    @Override
    public void update(byte[] inBuff, short inOffset, short inLength) {
        Card card = CardRuntime.card();
        card.tearPoint();
        Bytes.check(inBuff, inOffset, inLength);
        engine().update(inBuff, inOffset, inLength);
        card.count("dig", inLength);
    }

    @Override
    public void reset() {
        CardRuntime.card().checkPowered();
        engine().reset();
    }

    private java.security.MessageDigest engine() {
        int epoch = CardRuntime.card().epoch();
        if (running == null || runningEpoch != epoch) {
            try {
                running = java.security.MessageDigest.getInstance(jdkName(algorithm));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            runningEpoch = epoch;
        }
        return running;
    }
}
