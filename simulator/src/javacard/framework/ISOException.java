package javacard.framework;

/** Its reason is the status word the card answers when process() lets it escape. */
public class ISOException extends CardRuntimeException {
    private static final long serialVersionUID = 1L;

    public ISOException(short sw) {
        super(sw);
    }

    public static void throwIt(short sw) {
        throw new ISOException(sw);
    }
}
