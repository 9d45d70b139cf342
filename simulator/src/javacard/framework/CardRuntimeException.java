package javacard.framework;

/** The root of the Java Card runtime exceptions: a reason code instead of a message. */
public class CardRuntimeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private short reason;

    public CardRuntimeException(short reason) {
        this.reason = reason;
    }

    public short getReason() {
        return reason;
    }

    public void setReason(short reason) {
        this.reason = reason;
    }

    public static void throwIt(short reason) throws CardRuntimeException {
        throw new CardRuntimeException(reason);
    }

    @Override
    public String getMessage() {
        return String.format("reason 0x%04X", reason & 0xFFFF);
    }
}
