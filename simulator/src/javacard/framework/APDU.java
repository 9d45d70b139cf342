package javacard.framework;

import ekrona.sim.card.ApduSession;
import ekrona.sim.card.CardRuntime;

/**
 * The command being processed and its buffer (261 bytes: a short case-4 command with 255 data bytes and Le).
 * Short APDUs only. The runtime owns the one instance; applets must not keep it or its buffer in fields.
 */
public final class APDU {
    public static final byte STATE_INITIAL = 0;
    public static final byte STATE_PARTIAL_INCOMING = 1;
    public static final byte STATE_FULL_INCOMING = 2;
    public static final byte STATE_OUTGOING = 3;
    public static final byte STATE_OUTGOING_LENGTH_KNOWN = 4;
    public static final byte STATE_PARTIAL_OUTGOING = 5;
    public static final byte STATE_FULL_OUTGOING = 6;
    public static final byte STATE_ERROR_NO_T0_GETRESPONSE = (byte) -1;
    public static final byte STATE_ERROR_T1_IFD_ABORT = (byte) -2;
    public static final byte STATE_ERROR_IO = (byte) -3;
    public static final byte STATE_ERROR_NO_T0_REISSUE = (byte) -4;
    public static final byte PROTOCOL_MEDIA_MASK = (byte) 0xF0;
    public static final byte PROTOCOL_TYPE_MASK = 0x0F;
    public static final byte PROTOCOL_T0 = 0;
    public static final byte PROTOCOL_T1 = 1;
    public static final byte PROTOCOL_MEDIA_DEFAULT = 0x00;
    public static final byte PROTOCOL_MEDIA_CONTACTLESS_TYPE_A = (byte) 0x80;
    public static final byte PROTOCOL_MEDIA_CONTACTLESS_TYPE_B = (byte) 0x90;
    public static final byte PROTOCOL_MEDIA_USB = (byte) 0xA0;
    public static final byte PROTOCOL_MEDIA_HCI_APDU_GATE = (byte) 0xB0;

    private final ApduSession session;

    APDU(ApduSession session) {
        this.session = session;
    }

    public byte[] getBuffer() {
        return session.getBuffer();
    }

    public static short getInBlockSize() {
        return CardRuntime.card().session().inBlockSize();
    }

    public static short getOutBlockSize() {
        return 258;
    }

    public static byte getProtocol() {
        return CardRuntime.card().protocolByte();
    }

    public byte getNAD() {
        return 0;
    }

    public short setOutgoing() throws APDUException {
        return session.setOutgoing();
    }

    public short setOutgoingNoChaining() throws APDUException {
        return session.setOutgoing();
    }

    public void setOutgoingLength(short len) throws APDUException {
        session.setOutgoingLength(len);
    }

    public short receiveBytes(short bOff) throws APDUException {
        return session.receiveBytes(bOff);
    }

    public short setIncomingAndReceive() throws APDUException {
        return session.setIncomingAndReceive();
    }

    public void sendBytes(short bOff, short len) throws APDUException {
        session.sendBytes(bOff, len);
    }

    public void sendBytesLong(byte[] outData, short bOff, short len) throws APDUException {
        session.sendBytesLong(outData, bOff, len);
    }

    public void setOutgoingAndSend(short bOff, short len) throws APDUException {
        session.setOutgoingAndSend(bOff, len);
    }

    public byte getCurrentState() {
        return session.getCurrentState();
    }

    public static APDU getCurrentAPDU() throws SecurityException {
        return CardRuntime.card().currentApdu();
    }

    public static byte[] getCurrentAPDUBuffer() throws SecurityException {
        return getCurrentAPDU().getBuffer();
    }

    public static byte getCLAChannel() {
        return 0;
    }

    public static void waitExtension() throws APDUException {
        CardRuntime.card().checkPowered();
    }

    public boolean isCommandChainingCLA() {
        byte cla = session.claByte();
        return isISOInterindustryCLA() && (cla & 0x10) != 0;
    }

    public boolean isSecureMessagingCLA() {
        byte cla = session.claByte();
        if (!isISOInterindustryCLA()) {
            return false;
        }
        return (cla & 0x40) == 0 ? (cla & 0x0C) != 0 : (cla & 0x20) != 0;
    }

    public boolean isISOInterindustryCLA() {
        return (session.claByte() & 0x80) == 0;
    }

    public boolean isValidCLA() {
        return session.claByte() != (byte) 0xFF;
    }

    public short getIncomingLength() {
        return session.getIncomingLength();
    }

    public short getOffsetCdata() {
        return session.getOffsetCdata();
    }
}
