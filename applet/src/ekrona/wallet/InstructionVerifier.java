package ekrona.wallet;

import javacard.framework.ISOException;
import javacard.framework.Util;
import javacard.security.RandomData;

/**
 * The card's challenge and the header checks every intermediary instruction passes (PROTOCOL.md section 5):
 * an instruction is for this card, signed by its intermediary, made for the current challenge and for the
 * card's current state, and works once.
 *
 * The challenge is persistent on purpose: a sync result may come back after the card left the field.
 */
final class InstructionVerifier {
    private final CertificateVerifier certs;
    private final Counters counters;
    private final RandomData random;
    private final byte[] challenge;
    private boolean challengeSet;

    InstructionVerifier(CertificateVerifier certs, Counters counters) {
        this.certs = certs;
        this.counters = counters;
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        challenge = new byte[Protocol.LEN_CHALLENGE];
    }

    /** A fresh random challenge, to be stored by the caller's transaction with {@link #store}. */
    void generate(byte[] dst, short off) {
        random.generateData(dst, off, Protocol.LEN_CHALLENGE);
    }

    /** Inside the caller's transaction: the new current challenge, replacing any other. */
    void store(byte[] buf, short off) {
        Util.arrayCopy(buf, off, challenge, (short) 0, Protocol.LEN_CHALLENGE);
        challengeSet = true;
    }

    /** Inside the transaction that applies an instruction, so that it applies once. */
    void clear() {
        challengeSet = false;
    }

    /**
     * The checks after the length, in the documented order: tag and version (6A80), card id (9C13), the
     * intermediary's signature over header and payload (9C10), challenge (9C14), state counter (9C15).
     */
    void check(byte[] buf, short off, byte tag, short payloadLength) {
        if (buf[(short) (off + Protocol.OFF_INSTR_TAG)] != tag
                || buf[(short) (off + Protocol.OFF_INSTR_VERSION)] != Protocol.MSG_FORMAT_VERSION) {
            ISOException.throwIt(Protocol.SW_WRONG_DATA);
        }
        if (!certs.isOwnCardId(buf, (short) (off + Protocol.OFF_INSTR_CARD_ID))) {
            ISOException.throwIt(Protocol.SW_WRONG_CARD);
        }
        short signed = (short) (Protocol.LEN_INSTRUCTION_HEADER + payloadLength);
        if (!certs.verifyByIntermediary(buf, off, signed, buf, (short) (off + signed))) {
            ISOException.throwIt(Protocol.SW_BAD_SIGNATURE);
        }
        if (!challengeSet
                || Util.arrayCompare(buf, (short) (off + Protocol.OFF_INSTR_CHALLENGE), challenge, (short) 0, Protocol.LEN_CHALLENGE) != 0) {
            ISOException.throwIt(Protocol.SW_STALE_CHALLENGE);
        }
        if (U32.compare(buf, (short) (off + Protocol.OFF_INSTR_STATE_COUNTER), counters.values, Counters.STATE_COUNTER) != 0) {
            ISOException.throwIt(Protocol.SW_STATE_CHANGED);
        }
    }
}
