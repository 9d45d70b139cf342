package javacard.framework;

import ekrona.sim.card.CardRuntime;

/** The base class of every applet. The runtime calls install, select, process and deselect. */
public abstract class Applet {
    protected Applet() {
    }

    /** Every applet declares its own; this one only says the class cannot be installed. */
    public static void install(byte[] bArray, short bOffset, byte bLength) throws ISOException {
        ISOException.throwIt(ISO7816.SW_FUNC_NOT_SUPPORTED);
    }

    public abstract void process(APDU apdu) throws ISOException;

    public boolean select() {
        return true;
    }

    public void deselect() {
    }

    public Shareable getShareableInterfaceObject(AID clientAID, byte parameter) {
        return null;
    }

    protected final void register() throws SystemException {
        CardRuntime.card().register(this, null, (short) 0, (byte) 0);
    }

    protected final void register(byte[] bArray, short bOffset, byte bLength) throws SystemException {
        CardRuntime.card().register(this, bArray, bOffset, bLength);
    }

    protected final boolean selectingApplet() {
        return CardRuntime.card().isSelectingApplet(this);
    }

    protected static boolean reSelectingApplet() {
        return CardRuntime.card().isReselecting();
    }
}
