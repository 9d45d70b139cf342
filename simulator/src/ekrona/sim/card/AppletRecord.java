package ekrona.sim.card;

import javacard.framework.AID;
import javacard.framework.Applet;

/** One installed applet instance in the card's registry (part of the saved persistent memory). */
public final class AppletRecord {
    AID aid;
    Applet applet;

    AppletRecord(AID aid, Applet applet) {
        this.aid = aid;
        this.applet = applet;
    }

    String contextPackage() {
        return applet.getClass().getPackageName();
    }
}
