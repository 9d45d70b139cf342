package ekrona.wallet;

import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.Signature;

/** The card's own key pair, generated on card; the private key is only ever used to sign. */
final class CardKey {
    private final ECPublicKey publicKey;
    private final ECPrivateKey privateKey;
    private final KeyPair pair;
    private final Signature signer;
    private final byte[] scratch;
    private boolean generated;

    CardKey(byte[] scratch) {
        this.scratch = scratch;
        publicKey = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        privateKey = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setDomain(publicKey);
        P256.setDomain(privateKey);
        pair = new KeyPair(publicKey, privateKey);
        signer = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
    }

    boolean isGenerated() {
        return generated;
    }

    /**
     * The flag is cleared before the keys change and set after, so a tear in between leaves a card that
     * knows it has no usable key.
     */
    void generate() {
        generated = false;
        pair.genKeyPair();
        generated = true;
    }

    short copyPublic(byte[] dst, short off) {
        return publicKey.getW(dst, off);
    }

    boolean isPublicKey(byte[] buf, short off) {
        publicKey.getW(scratch, Scratch.DER);
        return Util.arrayCompare(buf, off, scratch, Scratch.DER, P256.POINT_LENGTH) == 0;
    }

    /** Signs msg with the card key and writes the signature as raw r || s. */
    void sign(byte[] msg, short off, short len, byte[] raw, short rawOff) {
        signer.init(privateKey, Signature.MODE_SIGN);
        short derLen = signer.sign(msg, off, len, scratch, Scratch.DER);
        if (!EcdsaCodec.derToRaw(scratch, Scratch.DER, derLen, raw, rawOff)) {
            // The card's own ECDSA always answers DER; this only guards the conversion against a surprise.
            ISOException.throwIt(Protocol.SW_CONDITIONS_NOT_SATISFIED);
        }
    }
}
