package ekrona.sim.runner;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads request lines of at most {@link LineProtocol#MAX_LINE} characters. A longer line is consumed to its end and
 * reported as too long, so the connection stays in step.
 */
final class LineReader {
    /** Returned for a line longer than the limit (the protocol answers it with err). */
    static final String TOO_LONG = "\u0000too long";

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;

    LineReader(InputStream in) {
        this.in = in;
    }

    /** The next line without its end, or null at end of input. */
    String readLine() throws IOException {
        StringBuilder line = new StringBuilder(128);
        boolean tooLong = false;
        boolean sawAny = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return sawAny ? (tooLong ? TOO_LONG : line.toString()) : null;
                }
            }
            byte b = buffer[position++];
            sawAny = true;
            if (b == '\n') {
                return tooLong ? TOO_LONG : line.toString();
            }
            if (line.length() > LineProtocol.MAX_LINE + 1) {
                tooLong = true;
            } else {
                line.append((char) (b & 0xFF));
            }
        }
    }
}
