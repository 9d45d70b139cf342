package ekrona.wallet;

import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.ECPrivateKey;
import javacard.security.ECPublicKey;
import javacard.security.KeyAgreement;
import javacard.security.KeyBuilder;
import javacard.security.PublicKey;
import javacard.security.Signature;

/**
 * The card's trust anchors and the checks built on them: the root key, the card's own intermediary
 * certificate and card certificate (stored at personalisation), the cache of other intermediaries' keys, and
 * the verification of a counterparty's certificate chain.
 *
 * A counterparty's intermediary key verified during a command is only staged (in transient memory); the
 * command writes it into the cache inside its own success transaction, so a refused command leaves the cache
 * as it was.
 */
final class CertificateVerifier {
    private static final short CACHE_ENTRY = (short) (Protocol.LEN_INTERMEDIARY_ID + Protocol.LEN_PUBLIC_KEY);
    private static final short CACHE_KEY = Protocol.LEN_INTERMEDIARY_ID;

    private static final short STAGED = Scratch.STAGE;
    private static final short STAGED_SLOT = (short) (Scratch.STAGE + 1);
    private static final short STAGED_ENTRY = (short) (Scratch.STAGE + 2);
    private static final byte NEW_SLOT = -1;

    private final ECPublicKey rootKey;
    private final ECPublicKey intermediaryKey;
    /** Working key: a counterparty's intermediary key, then the counterparty card's key. */
    private final ECPublicKey peerKey;
    /** A fixed, public scalar: key agreement with it is how the card asks its crypto whether a point is valid. */
    private final ECPrivateKey pointCheckKey;
    private final KeyAgreement pointCheck;
    private final Signature verifier;
    private final byte[] scratch;

    private final byte[] intermediaryCert;
    private final byte[] cardCert;
    private boolean rootStored;
    private boolean intermediaryStored;
    private boolean cardCertStored;

    private final byte[] cache;
    private byte cacheSize;
    private byte cacheNext;

    CertificateVerifier(byte[] scratch) {
        this.scratch = scratch;
        rootKey = newPublicKey();
        intermediaryKey = newPublicKey();
        peerKey = newPublicKey();
        pointCheckKey = (ECPrivateKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PRIVATE, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setDomain(pointCheckKey);
        // The scalar 1: any valid scalar would do, the result is never used.
        Util.arrayFillNonAtomic(scratch, Scratch.DER, P256.FIELD_LENGTH, (byte) 0);
        scratch[(short) (Scratch.DER + P256.FIELD_LENGTH - 1)] = 1;
        pointCheckKey.setS(scratch, Scratch.DER, P256.FIELD_LENGTH);
        pointCheck = newPointCheck();
        verifier = Signature.getInstance(Signature.ALG_ECDSA_SHA_256, false);
        intermediaryCert = new byte[Protocol.LEN_INTERMEDIARY_CERT];
        cardCert = new byte[Protocol.LEN_CARD_CERT];
        cache = new byte[(short) (Protocol.LIMIT_INTERMEDIARY_CACHE * CACHE_ENTRY)];
    }

    private static ECPublicKey newPublicKey() {
        ECPublicKey key = (ECPublicKey) KeyBuilder.buildKey(KeyBuilder.TYPE_EC_FP_PUBLIC, KeyBuilder.LENGTH_EC_FP_256, false);
        P256.setDomain(key);
        return key;
    }

    /** The plain x-coordinate agreement where the card has it (3.0.1 on), else the SHA-1 variant of 2.2. */
    private static KeyAgreement newPointCheck() {
        try {
            return KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH_PLAIN, false);
        } catch (CryptoException e) {
            return KeyAgreement.getInstance(KeyAgreement.ALG_EC_SVDP_DH, false);
        }
    }

    // ---------------------------------------------------------------- points and signatures

    /**
     * A valid P-256 public key: uncompressed, coordinates below p, and on the curve. The curve equation is
     * left to the card's key agreement, which refuses a point off the curve (JCOP checks it, as invalid-curve
     * attacks require); the Java Card API has no other way to test it without big-number arithmetic.
     */
    boolean isValidPoint(byte[] buf, short off) {
        if (!P256.isWellFormedPoint(buf, off)) {
            return false;
        }
        try {
            pointCheck.init(pointCheckKey);
            pointCheck.generateSecret(buf, off, P256.POINT_LENGTH, scratch, Scratch.DER);
            return true;
        } catch (CryptoException e) {
            return false;
        }
    }

    /** Verifies a raw r || s signature; false for anything that does not verify, never an exception. */
    boolean verify(PublicKey key, byte[] msg, short off, short len, byte[] sig, short sigOff) {
        if (!EcdsaCodec.hasValidComponents(sig, sigOff)) {
            return false;
        }
        short derLen = EcdsaCodec.rawToDer(sig, sigOff, scratch, Scratch.DER);
        try {
            verifier.init(key, Signature.MODE_VERIFY);
            return verifier.verify(msg, off, len, scratch, Scratch.DER, derLen);
        } catch (CryptoException e) {
            return false;
        }
    }

    boolean verifyByIntermediary(byte[] msg, short off, short len, byte[] sig, short sigOff) {
        return verify(intermediaryKey, msg, off, len, sig, sigOff);
    }

    /** With the counterparty card's key, as left by {@link #checkCounterparty}. */
    boolean verifyByPeer(byte[] msg, short off, short len, byte[] sig, short sigOff) {
        return verify(peerKey, msg, off, len, sig, sigOff);
    }

    private void loadPeerKey(byte[] buf, short off) {
        try {
            peerKey.setW(buf, off, P256.POINT_LENGTH);
        } catch (CryptoException e) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
    }

    // ---------------------------------------------------------------- personalisation

    boolean isRootStored() {
        return rootStored;
    }

    boolean isIntermediaryStored() {
        return intermediaryStored;
    }

    boolean isCardCertStored() {
        return cardCertStored;
    }

    /**
     * An intermediary certificate the root signed: tag, version, a valid key, the root's signature. The id is
     * not checked here; the caller knows which intermediary it expects.
     */
    boolean isValidIntermediaryCert(byte[] buf, short off) {
        return buf[(short) (off + Protocol.OFF_ICERT_TAG)] == Protocol.MSG_INTERMEDIARY_CERT
                && buf[(short) (off + Protocol.OFF_ICERT_VERSION)] == Protocol.MSG_FORMAT_VERSION
                && P256.isWellFormedPoint(buf, (short) (off + Protocol.OFF_ICERT_PUBLIC_KEY))
                && verify(rootKey, buf, off, Protocol.LEN_INTERMEDIARY_CERT_BODY,
                        buf, (short) (off + Protocol.OFF_ICERT_SIGNATURE));
    }

    /**
     * A new root drops what was verified with the old one. The flags go first and the key is written outside
     * the transaction (key objects need not be transactional), so a tear leaves nothing marked stored that
     * does not match.
     */
    void storeRoot(byte[] buf, short off) {
        JCSystem.beginTransaction();
        rootStored = false;
        intermediaryStored = false;
        cardCertStored = false;
        JCSystem.commitTransaction();
        rootKey.setW(buf, off, P256.POINT_LENGTH);
        rootStored = true;
    }

    void storeIntermediaryCert(byte[] buf, short off) {
        JCSystem.beginTransaction();
        intermediaryStored = false;
        cardCertStored = false;
        JCSystem.commitTransaction();
        intermediaryKey.setW(buf, (short) (off + Protocol.OFF_ICERT_PUBLIC_KEY), P256.POINT_LENGTH);
        JCSystem.beginTransaction();
        Util.arrayCopy(buf, off, intermediaryCert, (short) 0, Protocol.LEN_INTERMEDIARY_CERT);
        intermediaryStored = true;
        JCSystem.commitTransaction();
    }

    /** A card certificate for this card: names the stored intermediary and verifies with its key. */
    boolean isValidOwnCardCert(byte[] buf, short off) {
        byte role = buf[(short) (off + Protocol.OFF_CCERT_ROLE)];
        return buf[(short) (off + Protocol.OFF_CCERT_TAG)] == Protocol.MSG_CARD_CERT
                && buf[(short) (off + Protocol.OFF_CCERT_VERSION)] == Protocol.MSG_FORMAT_VERSION
                && (role == Protocol.ROLE_USER || role == Protocol.ROLE_MERCHANT)
                && Util.arrayCompare(buf, (short) (off + Protocol.OFF_CCERT_INTERMEDIARY_ID), intermediaryCert,
                        Protocol.OFF_ICERT_INTERMEDIARY_ID, Protocol.LEN_INTERMEDIARY_ID) == 0
                && verifyByIntermediary(buf, off, Protocol.LEN_CARD_CERT_BODY,
                        buf, (short) (off + Protocol.OFF_CCERT_SIGNATURE));
    }

    /** Inside the caller's transaction. */
    void storeCardCert(byte[] buf, short off) {
        Util.arrayCopy(buf, off, cardCert, (short) 0, Protocol.LEN_CARD_CERT);
        cardCertStored = true;
    }

    /** A new card key makes the stored certificate a certificate of another key. */
    void dropCardCert() {
        cardCertStored = false;
    }

    byte[] intermediaryCert() {
        return intermediaryCert;
    }

    byte[] cardCert() {
        return cardCert;
    }

    // ---------------------------------------------------------------- the card's identity

    byte role() {
        return cardCertStored ? cardCert[Protocol.OFF_CCERT_ROLE] : 0;
    }

    /** Card id then intermediary id are not adjacent in the certificate; each is copied on its own. */
    void copyCardId(byte[] dst, short off) {
        if (cardCertStored) {
            Util.arrayCopyNonAtomic(cardCert, Protocol.OFF_CCERT_CARD_ID, dst, off, Protocol.LEN_CARD_ID);
        } else {
            Util.arrayFillNonAtomic(dst, off, Protocol.LEN_CARD_ID, (byte) 0);
        }
    }

    void copyIntermediaryId(byte[] dst, short off) {
        if (cardCertStored) {
            Util.arrayCopyNonAtomic(cardCert, Protocol.OFF_CCERT_INTERMEDIARY_ID, dst, off, Protocol.LEN_INTERMEDIARY_ID);
        } else {
            Util.arrayFillNonAtomic(dst, off, Protocol.LEN_INTERMEDIARY_ID, (byte) 0);
        }
    }

    boolean isOwnCardId(byte[] buf, short off) {
        return Util.arrayCompare(buf, off, cardCert, Protocol.OFF_CCERT_CARD_ID, Protocol.LEN_CARD_ID) == 0;
    }

    boolean isOwnIntermediaryId(byte[] buf, short off) {
        return Util.arrayCompare(buf, off, cardCert, Protocol.OFF_CCERT_INTERMEDIARY_ID, Protocol.LEN_INTERMEDIARY_ID) == 0;
    }

    // ---------------------------------------------------------------- counterparties

    /**
     * Certified keys are only checked for form: the issuer verified that the point is on the curve before it
     * signed, so the key agreement that would repeat the check (the card's slowest way to do it) is saved on
     * every payment. A key off the curve in a correctly signed certificate would mean a rogue issuer, which the
     * signature cannot protect against anyway; setW refuses it on cards that check, and verify fails otherwise.
     *
     * Checks a counterparty's card certificate at buf[certOff] and, when icertOff is not negative, the
     * intermediary certificate sent with it: 9C11 for anything malformed or not verifying, 9C12 when the
     * card's intermediary is unknown and no certificate came. On return the counterparty card's key is loaded
     * for {@link #verifyByPeer}, and a newly verified intermediary key may be staged for the cache.
     */
    void checkCounterparty(byte[] buf, short certOff, short icertOff) {
        scratch[STAGED] = 0;
        byte role = buf[(short) (certOff + Protocol.OFF_CCERT_ROLE)];
        if (buf[(short) (certOff + Protocol.OFF_CCERT_TAG)] != Protocol.MSG_CARD_CERT
                || buf[(short) (certOff + Protocol.OFF_CCERT_VERSION)] != Protocol.MSG_FORMAT_VERSION
                || (role != Protocol.ROLE_USER && role != Protocol.ROLE_MERCHANT)
                || !P256.isWellFormedPoint(buf, (short) (certOff + Protocol.OFF_CCERT_PUBLIC_KEY))) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        short idOff = (short) (certOff + Protocol.OFF_CCERT_INTERMEDIARY_ID);
        PublicKey issuer;
        if (icertOff >= 0) {
            if (!isValidIntermediaryCert(buf, icertOff)
                    || Util.arrayCompare(buf, (short) (icertOff + Protocol.OFF_ICERT_INTERMEDIARY_ID), buf, idOff,
                            Protocol.LEN_INTERMEDIARY_ID) != 0) {
                ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
            }
            short keyOff = (short) (icertOff + Protocol.OFF_ICERT_PUBLIC_KEY);
            loadPeerKey(buf, keyOff);
            issuer = peerKey;
            stage(buf, idOff, keyOff);
        } else if (isOwnIntermediaryId(buf, idOff)) {
            issuer = intermediaryKey;
        } else {
            short slot = findCached(buf, idOff);
            if (slot < 0) {
                ISOException.throwIt(Protocol.SW_UNKNOWN_INTERMEDIARY);
            }
            loadPeerKey(cache, (short) (slot * CACHE_ENTRY + CACHE_KEY));
            issuer = peerKey;
        }
        if (!verify(issuer, buf, certOff, Protocol.LEN_CARD_CERT_BODY, buf, (short) (certOff + Protocol.OFF_CCERT_SIGNATURE))) {
            ISOException.throwIt(Protocol.SW_BAD_CERTIFICATE);
        }
        loadPeerKey(buf, (short) (certOff + Protocol.OFF_CCERT_PUBLIC_KEY));
    }

    /** True when the card certificate at certOff names the card id and intermediary id given. */
    static boolean certNames(byte[] cert, short certOff, byte[] buf, short cardIdOff, short intermediaryIdOff) {
        return Util.arrayCompare(cert, (short) (certOff + Protocol.OFF_CCERT_CARD_ID), buf, cardIdOff, Protocol.LEN_CARD_ID) == 0
                && Util.arrayCompare(cert, (short) (certOff + Protocol.OFF_CCERT_INTERMEDIARY_ID), buf, intermediaryIdOff,
                        Protocol.LEN_INTERMEDIARY_ID) == 0;
    }

    private short findCached(byte[] buf, short idOff) {
        for (short i = 0; i < cacheSize; i++) {
            if (Util.arrayCompare(cache, (short) (i * CACHE_ENTRY), buf, idOff, Protocol.LEN_INTERMEDIARY_ID) == 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Stages a root-verified intermediary key: nothing for the card's own intermediary or a key already
     * cached, a replacement when the cache holds another key for that id, else a new entry.
     */
    private void stage(byte[] buf, short idOff, short keyOff) {
        if (isOwnIntermediaryId(buf, idOff)) {
            return;
        }
        short slot = findCached(buf, idOff);
        if (slot >= 0 && Util.arrayCompare(cache, (short) (slot * CACHE_ENTRY + CACHE_KEY), buf, keyOff,
                Protocol.LEN_PUBLIC_KEY) == 0) {
            return;
        }
        scratch[STAGED] = 1;
        scratch[STAGED_SLOT] = slot >= 0 ? (byte) slot : NEW_SLOT;
        Util.arrayCopyNonAtomic(buf, idOff, scratch, STAGED_ENTRY, Protocol.LEN_INTERMEDIARY_ID);
        Util.arrayCopyNonAtomic(buf, keyOff, scratch, (short) (STAGED_ENTRY + CACHE_KEY), Protocol.LEN_PUBLIC_KEY);
    }

    /** Inside the caller's success transaction: the staged key joins the cache, replacing round-robin. */
    void commitStaged() {
        if (scratch[STAGED] == 0) {
            return;
        }
        short slot = scratch[STAGED_SLOT];
        if (slot == NEW_SLOT) {
            slot = cacheNext;
            short next = (short) (cacheNext + 1);
            cacheNext = next == Protocol.LIMIT_INTERMEDIARY_CACHE ? 0 : (byte) next;
            if (cacheSize < Protocol.LIMIT_INTERMEDIARY_CACHE) {
                cacheSize++;
            }
        }
        Util.arrayCopy(scratch, STAGED_ENTRY, cache, (short) (slot * CACHE_ENTRY), CACHE_ENTRY);
        scratch[STAGED] = 0;
    }
}
