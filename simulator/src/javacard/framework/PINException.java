package javacard.framework;

/** A Java Card runtime exception; the reason codes are those of the Java Card 3.0.4 API. */
public class PINException extends CardRuntimeException {
    private static final long serialVersionUID = 1L;

    public static final short ILLEGAL_VALUE = 1;
    public static final short ILLEGAL_STATE = 2;

    public PINException(short reason) {
        super(reason);
    }

    public static void throwIt(short reason) {
        throw new PINException(reason);
    }
}
