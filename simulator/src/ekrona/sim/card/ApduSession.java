package ekrona.sim.card;

import ekrona.sim.runner.TransmissionProtocol;
import javacard.framework.APDU;
import javacard.framework.APDUException;

/**
 * The state of the one command being processed, behind javacard.framework.APDU. Incoming data reaches the buffer
 * only through setIncomingAndReceive/receiveBytes, at most {@code chunk} bytes per call (a card's buffer fills
 * block by block; an applet that reads data it did not receive sees zeros). Outgoing data is held to Ne.
 */
public final class ApduSession {
    private static final int MAX_RESPONSE = 256;

    private final Card card;
    private final byte[] buffer;
    private final byte[] out = new byte[MAX_RESPONSE];
    private CommandApdu command;
    private TransmissionProtocol protocol;
    private byte state;
    private int received;
    private int ne;
    private int declared;
    private int sent;
    private boolean active;

    ApduSession(Card card, byte[] buffer) {
        this.card = card;
        this.buffer = buffer;
    }

    void begin(CommandApdu c, TransmissionProtocol p) {
        command = c;
        protocol = p;
        java.util.Arrays.fill(buffer, (byte) 0);
        System.arraycopy(c.raw(), 0, buffer, 0, 4);
        buffer[4] = c.p3();
        state = APDU.STATE_INITIAL;
        received = 0;
        ne = 0;
        declared = 0;
        sent = 0;
        active = true;
    }

    void end() {
        active = false;
    }

    boolean isActive() {
        return active;
    }

    /** The response data the applet sent. */
    byte[] output() {
        return java.util.Arrays.copyOf(out, sent);
    }

    public byte[] getBuffer() {
        card.checkPowered();
        return buffer;
    }

    public byte getCurrentState() {
        card.checkPowered();
        return state;
    }

    public short setIncomingAndReceive() {
        card.checkPowered();
        if (state != APDU.STATE_INITIAL) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        return receive(CommandApdu.DATA_OFFSET);
    }

    public short receiveBytes(short bOff) {
        card.checkPowered();
        if (state != APDU.STATE_PARTIAL_INCOMING && state != APDU.STATE_FULL_INCOMING) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        return receive(bOff);
    }

    private short receive(int offset) {
        int remaining = command.nc() - received;
        int n = Math.min(card.config.chunk(), remaining);
        if (offset < 0 || offset + n > buffer.length) {
            APDUException.throwIt(APDUException.BUFFER_BOUNDS);
        }
        if (n > 0) {
            System.arraycopy(command.raw(), CommandApdu.DATA_OFFSET + received, buffer, offset, n);
        }
        received += n;
        state = received < command.nc() ? APDU.STATE_PARTIAL_INCOMING : APDU.STATE_FULL_INCOMING;
        return (short) n;
    }

    public short getIncomingLength() {
        card.checkPowered();
        if (state != APDU.STATE_PARTIAL_INCOMING && state != APDU.STATE_FULL_INCOMING) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        return (short) command.nc();
    }

    public short getOffsetCdata() {
        card.checkPowered();
        if (state != APDU.STATE_PARTIAL_INCOMING && state != APDU.STATE_FULL_INCOMING) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        return CommandApdu.DATA_OFFSET;
    }

    /** Ne: Le as sent (00 = 256) in T=1, 0 when there is no Le; in T=0 the card cannot know Le except in case 2. */
    public short setOutgoing() {
        card.checkPowered();
        if (state >= APDU.STATE_OUTGOING || state < 0) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        if (protocol == TransmissionProtocol.T1) {
            ne = command.ne();
        } else {
            ne = command.apduCase() == 2 ? command.ne() : MAX_RESPONSE;
        }
        state = APDU.STATE_OUTGOING;
        return (short) ne;
    }

    public void setOutgoingLength(short len) {
        card.checkPowered();
        if (state != APDU.STATE_OUTGOING) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        // In T=0 a length other than Le is answered 6Cxx after the command (see Card); only 256 is a hard limit.
        int limit = protocol == TransmissionProtocol.T1 ? ne : MAX_RESPONSE;
        if (len < 0 || len > limit) {
            APDUException.throwIt(APDUException.BAD_LENGTH);
        }
        declared = len;
        state = APDU.STATE_OUTGOING_LENGTH_KNOWN;
    }

    public void sendBytes(short bOff, short len) {
        sendBytesLong(buffer, bOff, len);
    }

    public void sendBytesLong(byte[] data, short bOff, short len) {
        card.tearPoint();
        if (state != APDU.STATE_OUTGOING_LENGTH_KNOWN && state != APDU.STATE_PARTIAL_OUTGOING) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        if (len < 0 || sent + len > declared) {
            APDUException.throwIt(APDUException.ILLEGAL_USE);
        }
        if (bOff < 0 || bOff + len > data.length) {
            APDUException.throwIt(APDUException.BUFFER_BOUNDS);
        }
        System.arraycopy(data, bOff, out, sent, len);
        sent += len;
        state = sent == declared ? APDU.STATE_FULL_OUTGOING : APDU.STATE_PARTIAL_OUTGOING;
    }

    public void setOutgoingAndSend(short bOff, short len) {
        setOutgoing();
        setOutgoingLength(len);
        sendBytes(bOff, len);
    }

    public byte claByte() {
        return command.raw()[0];
    }

    public byte protocolByte() {
        return protocol == TransmissionProtocol.T1 ? APDU.PROTOCOL_T1 : APDU.PROTOCOL_T0;
    }

    public short inBlockSize() {
        return (short) (protocol == TransmissionProtocol.T1 ? card.config.chunk() : 1);
    }
}
