package ekrona.sim.card;

import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Walks a card's persistent memory: everything reachable from its registry (applet instances, their AIDs) and
 * from the static fields of its applet packages. Transient arrays are not persistent (their elements, when they
 * are references, may be followed: the objects they point to are persistent); JDK objects are opaque leaves;
 * the APDU object and buffer are the runtime's temporary objects and are never part of persistent memory.
 */
final class PersistentGraph {
    interface Visitor {
        /** Called once per persistent object or array, in breadth-first order from the roots. */
        void visit(Object node, ClassLayout layout);
    }

    /** How to treat a transient Object[] and JDK objects met on the way. */
    enum Mode {
        /** For journaling and write counting: follow references held in transient Object[] arrays. */
        WITH_TRANSIENT_REFERENCES,
        /** For saving and memory accounting: a transient array's content is not part of persistent memory. */
        PERSISTENT_ONLY
    }

    private PersistentGraph() {
    }

    static void walk(Card card, Mode mode, Visitor visitor) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>(256);
        ArrayDeque<Object> queue = new ArrayDeque<>(256);
        enqueue(card.registry, seen, queue);
        for (AppletPackages.PackageInfo pkg : card.packages()) {
            for (Field f : pkg.staticFields) {
                if (!f.getType().isPrimitive()) {
                    enqueue(AppletPackages.get(f), seen, queue);
                }
            }
            for (Field f : pkg.finalReferenceFields) {
                enqueue(AppletPackages.get(f), seen, queue);
            }
        }
        drain(card, mode, visitor, seen, queue);
    }

    /** Walks from explicit roots only (memory accounting starts at the applet instances). */
    static void walkFrom(Card card, List<Object> roots, Mode mode, Visitor visitor) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>(256);
        ArrayDeque<Object> queue = new ArrayDeque<>(256);
        for (Object root : roots) {
            enqueue(root, seen, queue);
        }
        drain(card, mode, visitor, seen, queue);
    }

    private static void drain(Card card, Mode mode, Visitor visitor, IdentityHashMap<Object, Boolean> seen,
            ArrayDeque<Object> queue) {
        Object node;
        while ((node = queue.poll()) != null) {
            if (card.isSystemObject(node)) {
                continue;
            }
            Class<?> type = node.getClass();
            if (type.isArray()) {
                boolean isTransient = card.transients.contains(node);
                if (!isTransient) {
                    visitor.visit(node, null);
                }
                if (node instanceof Object[] refs && (!isTransient || mode == Mode.WITH_TRANSIENT_REFERENCES)) {
                    for (Object ref : refs) {
                        enqueue(ref, seen, queue);
                    }
                }
                continue;
            }
            ClassLayout layout = ClassLayout.of(type);
            if (layout.opaque) {
                visitor.visit(node, layout);
                continue;
            }
            visitor.visit(node, layout);
            for (int i = 0; i < layout.fields.length; i++) {
                if (layout.reference[i]) {
                    enqueue(layout.read(node, i), seen, queue);
                }
            }
        }
    }

    private static void enqueue(Object node, IdentityHashMap<Object, Boolean> seen, ArrayDeque<Object> queue) {
        if (node != null && seen.put(node, Boolean.TRUE) == null) {
            queue.add(node);
        }
    }
}
