package javacard.security;

import javacard.framework.CardRuntimeException;

/** A cryptography failure; reason codes as in the Java Card 3.0.4 API. */
public class CryptoException extends CardRuntimeException {
    private static final long serialVersionUID = 1L;

    public static final short ILLEGAL_VALUE = 1;
    public static final short UNINITIALIZED_KEY = 2;
    public static final short NO_SUCH_ALGORITHM = 3;
    public static final short INVALID_INIT = 4;
    public static final short ILLEGAL_USE = 5;

    public CryptoException(short reason) {
        super(reason);
    }

    public static void throwIt(short reason) {
        throw new CryptoException(reason);
    }
}
