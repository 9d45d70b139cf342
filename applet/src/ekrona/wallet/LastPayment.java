package ekrona.wallet;

import javacard.framework.Util;

/** The card's last payment, body and signature, for RESEND LAST. */
final class LastPayment {
    static final short LENGTH = (short) (Protocol.LEN_TX + Protocol.LEN_SIGNATURE);

    private final byte[] payment;
    private boolean present;

    LastPayment() {
        payment = new byte[LENGTH];
    }

    /** Inside the caller's transaction. */
    void set(byte[] buf, short off) {
        Util.arrayCopy(buf, off, payment, (short) 0, LENGTH);
        present = true;
    }

    /**
     * Only to the one who knows the request it paid: recipient card id, request number and reference must be
     * given. Ids and numbers can be guessed; a reference chosen at random by the recipient cannot.
     */
    boolean answers(byte[] buf, short idOff, short reqNoOff) {
        return present
                && Util.arrayCompare(payment, Protocol.OFF_TX_RECIPIENT_ID, buf, idOff, Protocol.LEN_CARD_ID) == 0
                && Util.arrayCompare(payment, Protocol.OFF_TX_REQUEST_NO, buf, reqNoOff, Protocol.LEN_SEQ) == 0
                && Util.arrayCompare(payment, Protocol.OFF_TX_REFERENCE, buf, (short) (reqNoOff + Protocol.LEN_SEQ),
                        Protocol.LEN_REFERENCE) == 0;
    }

    byte[] bytes() {
        return payment;
    }
}
