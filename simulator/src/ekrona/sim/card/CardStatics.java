package ekrona.sim.card;

import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.Map;

/**
 * One card's values of the applet packages' static fields. A JVM has one copy of each static field, so when the
 * runner switches from one card to another the outgoing card's values are put aside and the incoming card's are
 * put back; a card that never ran a package sees what its static initialisers made.
 */
final class CardStatics {
    private final Map<Field, Object> saved = new HashMap<>();

    void saveLive() {
        for (AppletPackages.PackageInfo pkg : AppletPackages.all()) {
            for (Field f : pkg.staticFields) {
                saved.put(f, AppletPackages.get(f));
            }
        }
    }

    void restoreLive() {
        for (AppletPackages.PackageInfo pkg : AppletPackages.all()) {
            for (int i = 0; i < pkg.staticFields.size(); i++) {
                Field f = pkg.staticFields.get(i);
                AppletPackages.set(f, saved.containsKey(f) ? saved.get(f) : pkg.pristineValue(i));
            }
        }
    }

    /** A value read from the state file; applied by the next {@link #restoreLive}. */
    void put(Field f, Object value) {
        saved.put(f, value);
    }
}
