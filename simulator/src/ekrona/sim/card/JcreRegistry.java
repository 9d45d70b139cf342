package ekrona.sim.card;

/**
 * The runtime's own persistent memory: the installed applet instances and their AIDs, in install order. The root
 * of the saved object graph (with the static fields of the applet packages).
 */
public final class JcreRegistry {
    AppletRecord[] applets = new AppletRecord[0];

    /** The longest AID ISO 7816-5 allows; a longer SELECT names no applet (and must not reach AID's byte-length API). */
    private static final int MAX_AID_LENGTH = 16;

    AppletRecord find(byte[] buffer, int offset, int length) {
        if (length > MAX_AID_LENGTH) {
            return null;
        }
        for (AppletRecord r : applets) {
            if (r.aid.equals(buffer, (short) offset, (byte) length)) {
                return r;
            }
        }
        return null;
    }

    /** ISO 7816-4 lets a SELECT name a right-truncated AID: the first applet whose AID starts with it. */
    AppletRecord findPartial(byte[] buffer, int offset, int length) {
        if (length > MAX_AID_LENGTH) {
            return null;
        }
        for (AppletRecord r : applets) {
            if (r.aid.partialEquals(buffer, (short) offset, (byte) length)) {
                return r;
            }
        }
        return null;
    }

    void add(AppletRecord record) {
        AppletRecord[] grown = new AppletRecord[applets.length + 1];
        System.arraycopy(applets, 0, grown, 0, applets.length);
        grown[applets.length] = record;
        applets = grown;
    }
}
