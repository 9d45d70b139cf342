package ekrona.sim.card;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Estimates the card memory the installed applets hold, as documented in simulator/README.md: every persistent
 * object or array reachable from the applet instances and their packages' static fields costs a header of
 * {@value #OBJECT_HEADER} bytes plus its fields (by type size, 2 bytes per reference) or elements; the API's own
 * objects (keys, PINs, crypto engines) are measured the same way from their fields; transient arrays count their
 * content under their clear event. The runtime's registry and the AIDs it owns are not counted.
 */
final class MemoryAccounting {
    static final int OBJECT_HEADER = 8;

    record Report(long persistent, long transientReset, long transientDeselect) {
    }

    private MemoryAccounting() {
    }

    static Report measure(Card card) {
        Map<Object, Boolean> jcreOwned = new IdentityHashMap<>();
        List<Object> roots = new ArrayList<>();
        for (AppletRecord r : card.registry.applets) {
            jcreOwned.put(r.aid, Boolean.TRUE);
            for (Object v : ClassLayout.of(r.aid.getClass()).readAll(r.aid)) {
                if (v != null) {
                    jcreOwned.put(v, Boolean.TRUE);
                }
            }
            roots.add(r.applet);
        }
        long[] bytes = {0};
        for (AppletPackages.PackageInfo pkg : card.packages()) {
            for (Field f : pkg.staticFields) {
                bytes[0] += ClassLayout.cardSizeOf(f.getType());
                if (!f.getType().isPrimitive()) {
                    roots.add(AppletPackages.get(f));
                }
            }
            for (Field f : pkg.finalReferenceFields) {
                roots.add(AppletPackages.get(f));
            }
        }
        roots.removeIf(java.util.Objects::isNull);
        PersistentGraph.walkFrom(card, roots, PersistentGraph.Mode.PERSISTENT_ONLY, (node, layout) -> {
            if (jcreOwned.containsKey(node) || (layout != null && layout.opaque)) {
                return;
            }
            bytes[0] += OBJECT_HEADER;
            bytes[0] += layout == null ? TransientMemory.contentBytes(node) : layout.totalFieldBytes();
        });
        return new Report(bytes[0], card.transients.appletBytes(TransientMemory.CLEAR_ON_RESET),
                card.transients.appletBytes(TransientMemory.CLEAR_ON_DESELECT));
    }
}
