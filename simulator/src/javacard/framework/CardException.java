package javacard.framework;

/** The root of the checked Java Card exceptions: a reason code instead of a message. */
public class CardException extends Exception {
    private static final long serialVersionUID = 1L;
    private short reason;

    public CardException(short reason) {
        this.reason = reason;
    }

    public short getReason() {
        return reason;
    }

    public void setReason(short reason) {
        this.reason = reason;
    }

    public static void throwIt(short reason) throws CardException {
        throw new CardException(reason);
    }
}
