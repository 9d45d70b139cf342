package ekrona.wallet;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * Command data in (ISO 7816-4 command chaining into one buffer) and response data out (Le checked before the
 * command acts, so that a wrong Le refuses the command instead of losing its answer).
 */
final class IoBuffer {
    private static final short CHAIN_ACTIVE = 0;
    private static final short CHAIN_CLA = 1;
    private static final short CHAIN_INS = 2;
    private static final short CHAIN_P1 = 3;
    private static final short CHAIN_P2 = 4;
    private static final short CHAIN_STATE_LENGTH = 5;

    /**
     * The whole data of the current command. CLEAR_ON_DESELECT: a chain never survives a change of applet
     * or a reset, and on JCOP deselect-cleared RAM of different packages can share the same physical RAM.
     */
    private final byte[] data;
    /** Whether a chain is open, and the header its next blocks must repeat. CLEAR_ON_DESELECT as data. */
    private final byte[] chain;
    /** Bytes of the open chain received so far. CLEAR_ON_DESELECT as data. */
    private final short[] received;

    IoBuffer() {
        data = JCSystem.makeTransientByteArray(Protocol.LIMIT_IO_BUFFER, JCSystem.CLEAR_ON_DESELECT);
        chain = JCSystem.makeTransientByteArray(CHAIN_STATE_LENGTH, JCSystem.CLEAR_ON_DESELECT);
        received = JCSystem.makeTransientShortArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
    }

    byte[] data() {
        return data;
    }

    void reset() {
        chain[CHAIN_ACTIVE] = 0;
        received[0] = 0;
    }

    /** 6883 (and the chain dropped) when a chain is open and this command is not its next block. */
    void checkContinuation(byte[] apdu) {
        if (chain[CHAIN_ACTIVE] == 0) {
            return;
        }
        if (chain[CHAIN_CLA] == baseClass(apdu[ISO7816.OFFSET_CLA])
                && chain[CHAIN_INS] == apdu[ISO7816.OFFSET_INS]
                && chain[CHAIN_P1] == apdu[ISO7816.OFFSET_P1]
                && chain[CHAIN_P2] == apdu[ISO7816.OFFSET_P2]) {
            return;
        }
        reset();
        ISOException.throwIt(Protocol.SW_LAST_COMMAND_EXPECTED);
    }

    static byte baseClass(byte cla) {
        return (byte) (cla & (byte) ~Protocol.CLA_CHAINING);
    }

    static boolean isChained(byte cla) {
        return (short) (cla & Protocol.CLA_CHAINING) != 0;
    }

    /**
     * Receives this APDU's data after the earlier blocks of its chain. Returns the length of the whole command
     * data once the last block is in, or -1 after a block that announces more (the card then answers 9000).
     *
     * In T=0 a command without data cannot be told from one with data by its header (P3 is Le or Lc), so the
     * data phase is only started there for commands that take data; elsewhere data sent to a command that
     * takes none is received, and its length then refuses the command.
     */
    short receive(APDU apdu, boolean takesData) {
        byte[] buf = apdu.getBuffer();
        boolean more = isChained(buf[ISO7816.OFFSET_CLA]);
        short pos = chain[CHAIN_ACTIVE] != 0 ? received[0] : 0;
        boolean t0 = (short) (APDU.getProtocol() & APDU.PROTOCOL_TYPE_MASK) == APDU.PROTOCOL_T0;
        if (takesData || more || pos != 0 || !t0) {
            short got = apdu.setIncomingAndReceive();
            short remaining = apdu.getIncomingLength();
            short cdata = apdu.getOffsetCdata();
            if ((short) (pos + remaining) > Protocol.LIMIT_IO_BUFFER) {
                reset();
                ISOException.throwIt(Protocol.SW_LAST_COMMAND_EXPECTED);
            }
            while (remaining > 0) {
                Util.arrayCopyNonAtomic(buf, cdata, data, pos, got);
                pos = (short) (pos + got);
                remaining = (short) (remaining - got);
                if (remaining > 0) {
                    got = apdu.receiveBytes(cdata);
                }
            }
        }
        if (more) {
            chain[CHAIN_ACTIVE] = 1;
            chain[CHAIN_CLA] = baseClass(buf[ISO7816.OFFSET_CLA]);
            chain[CHAIN_INS] = buf[ISO7816.OFFSET_INS];
            chain[CHAIN_P1] = buf[ISO7816.OFFSET_P1];
            chain[CHAIN_P2] = buf[ISO7816.OFFSET_P2];
            received[0] = pos;
            return -1;
        }
        reset();
        return pos;
    }

    /**
     * Switches to the response phase and checks Le against the answer's length: 6Cxx (xx = the length) when
     * Le is shorter. Called before the command changes anything.
     */
    static void expect(APDU apdu, short length) {
        short le = apdu.setOutgoing();
        if (le < length) {
            ISOException.throwIt((short) (ISO7816.SW_CORRECT_LENGTH_00 | length));
        }
    }

    static void send(APDU apdu, byte[] src, short off, short length) {
        apdu.setOutgoingLength(length);
        apdu.sendBytesLong(src, off, length);
    }
}
