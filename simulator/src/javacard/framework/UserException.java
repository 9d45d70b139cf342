package javacard.framework;

/** A checked exception for applet use; its reason is the applet's own. */
public class UserException extends CardException {
    private static final long serialVersionUID = 1L;

    public UserException() {
        this((short) 0);
    }

    public UserException(short reason) {
        super(reason);
    }

    public static void throwIt(short reason) throws UserException {
        throw new UserException(reason);
    }
}
