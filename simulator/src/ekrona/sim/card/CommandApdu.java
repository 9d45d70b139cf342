package ekrona.sim.card;

/**
 * A short command APDU split into its ISO 7816-4 case. Extended-length and malformed commands (Lc not matching
 * the length) do not parse: the runtime answers them 6700 without reaching an applet.
 */
record CommandApdu(byte[] raw, int apduCase, int nc, int ne) {
    int cla() {
        return raw[0] & 0xFF;
    }

    int ins() {
        return raw[1] & 0xFF;
    }

    int p1() {
        return raw[2] & 0xFF;
    }

    int p2() {
        return raw[3] & 0xFF;
    }

    /** P3 as the card sees it in the header: Lc for cases 3 and 4, Le for case 2, 00 for case 1. */
    byte p3() {
        return apduCase == 1 ? 0 : raw[4];
    }

    static final int DATA_OFFSET = 5;

    static CommandApdu parse(byte[] raw) {
        int n = raw.length;
        if (n < 4) {
            return null;
        }
        if (n == 4) {
            return new CommandApdu(raw, 1, 0, 0);
        }
        if (n == 5) {
            return new CommandApdu(raw, 2, 0, le(raw[4]));
        }
        int lc = raw[4] & 0xFF;
        if (lc == 0) {
            return null;
        }
        if (n == 5 + lc) {
            return new CommandApdu(raw, 3, lc, 0);
        }
        if (n == 6 + lc) {
            return new CommandApdu(raw, 4, lc, le(raw[n - 1]));
        }
        return null;
    }

    private static int le(byte b) {
        return b == 0 ? 256 : b & 0xFF;
    }

    boolean sameHeader(CommandApdu other) {
        return raw[0] == other.raw[0] && raw[1] == other.raw[1] && raw[2] == other.raw[2] && raw[3] == other.raw[3];
    }
}
