package ekrona.sim.runner;

/** Hex text as the line protocol writes it: upper case on output, either case on input. */
public final class Hex {
    private static final char[] DIGITS = "0123456789ABCDEF".toCharArray();

    private Hex() {
    }

    public static String encode(byte[] bytes) {
        return encode(bytes, 0, bytes.length);
    }

    public static String encode(byte[] bytes, int offset, int length) {
        char[] out = new char[length * 2];
        for (int i = 0; i < length; i++) {
            int b = bytes[offset + i] & 0xFF;
            out[2 * i] = DIGITS[b >>> 4];
            out[2 * i + 1] = DIGITS[b & 0x0F];
        }
        return new String(out);
    }

    /** Decodes hex; {@code what} names the argument in the error sentence. */
    public static byte[] decode(String text, String what) throws RunnerException {
        if ((text.length() & 1) != 0) {
            throw new RunnerException(what + " must have an even number of hex digits, got " + text.length());
        }
        byte[] out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(text.charAt(2 * i), 16);
            int lo = Character.digit(text.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new RunnerException(what + " is not hex: '" + text + "'");
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }
}
