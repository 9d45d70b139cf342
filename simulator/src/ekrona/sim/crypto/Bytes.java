package ekrona.sim.crypto;

import ekrona.sim.card.CardRuntime;

/** Bounds checks and output writes shared by the crypto engines. */
final class Bytes {
    private Bytes() {
    }

    static void check(byte[] buffer, int offset, int length) {
        if (buffer == null) {
            throw new NullPointerException();
        }
        if (offset < 0 || length < 0 || offset + length > buffer.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
    }

    /** Writes a result into the applet's buffer; a crypto engine's output is not journaled. */
    static void write(byte[] result, byte[] dest, int offset) {
        check(dest, offset, result.length);
        System.arraycopy(result, 0, dest, offset, result.length);
        CardRuntime.card().afterNonAtomicWrite(dest, offset, result.length);
    }
}
