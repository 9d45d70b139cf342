package ekrona.sim.card;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A copy of every value in a card's persistent memory, kept beside the live objects (never replacing them: running
 * code holds references). Used two ways: as the transaction journal (restore writes each value back into the same
 * object) and as the rolling image that tells which bytes a command's direct stores changed.
 */
final class Snapshot {
    private Map<Object, Object> copies;
    private List<Field> staticFields;
    private Object[] staticValues;

    private Snapshot() {
    }

    static Snapshot capture(Card card) {
        Snapshot s = new Snapshot();
        s.copies = new IdentityHashMap<>(256);
        PersistentGraph.walk(card, PersistentGraph.Mode.WITH_TRANSIENT_REFERENCES, (node, layout) -> {
            if (layout == null) {
                s.copies.put(node, cloneArray(node));
            } else if (!layout.opaque) {
                s.copies.put(node, layout.readAll(node));
            }
        });
        s.staticFields = card.staticFields();
        s.staticValues = readStatics(s.staticFields);
        return s;
    }

    /** What a command changed, in bytes of card memory, after the API's own marked writes are taken out. */
    record Change(long bytes, boolean any) {
    }

    /**
     * Compares live memory with this image, counts the changed bytes not in {@code marks}, then makes this image
     * the live state (one walk for both; copies are reused where the shape did not change).
     */
    Change refresh(Card card, WriteMarks marks) {
        for (int i = 0; i < staticFields.size(); i++) {
            Object now = AppletPackages.get(staticFields.get(i));
            if (now != staticValues[i] && card.isSystemObject(now)) {
                AppletPackages.set(staticFields.get(i), staticValues[i]);
                card.noteForbiddenStoreUndone();
            }
        }
        Map<Object, Object> previous = copies;
        Map<Object, Object> next = new IdentityHashMap<>(Math.max(256, previous.size() * 2));
        long[] bytes = {0};
        boolean[] any = {false};
        PersistentGraph.walk(card, PersistentGraph.Mode.WITH_TRANSIENT_REFERENCES, (node, layout) -> {
            if (layout != null && layout.opaque) {
                return;
            }
            Object old = previous.remove(node);
            if (layout == null) {
                if (old == null || java.lang.reflect.Array.getLength(old) != java.lang.reflect.Array.getLength(node)) {
                    bytes[0] += TransientMemory.contentBytes(node);
                    any[0] = true;
                    next.put(node, cloneArray(node));
                } else {
                    if (node instanceof Object[] refs) {
                        Object[] before = (Object[]) old;
                        for (int i = 0; i < refs.length; i++) {
                            if (refs[i] != before[i] && card.isSystemObject(refs[i])) {
                                refs[i] = before[i];
                                card.noteForbiddenStoreUndone();
                            }
                        }
                    }
                    long changed = arrayChanges(node, old, marks.of(node));
                    if (changed != 0 || !sameArray(node, old)) {
                        bytes[0] += changed;
                        any[0] = true;
                        System.arraycopy(node, 0, old, 0, java.lang.reflect.Array.getLength(node));
                    }
                    next.put(node, old);
                }
            } else {
                Object[] values = (Object[]) old;
                if (values == null) {
                    bytes[0] += layout.totalFieldBytes();
                    any[0] = true;
                    next.put(node, layout.readAll(node));
                } else {
                    BitSet marked = marks.of(node);
                    for (int i = 0; i < values.length; i++) {
                        Object now = layout.read(node, i);
                        if (layout.reference[i] && now != values[i] && card.isSystemObject(now)) {
                            // A card refuses this store (SecurityException): undo it.
                            layout.write(node, i, values[i]);
                            card.noteForbiddenStoreUndone();
                            continue;
                        }
                        if (!sameValue(now, values[i], layout.reference[i])) {
                            any[0] = true;
                            if (marked == null || !marked.get(i)) {
                                bytes[0] += layout.cardSize[i];
                            }
                            values[i] = now;
                        }
                    }
                    next.put(node, values);
                }
            }
        });
        if (!previous.isEmpty()) {
            any[0] = true;
        }
        copies = next;
        List<Field> fields = card.staticFields();
        Object[] now = readStatics(fields);
        if (!fields.equals(staticFields)) {
            any[0] = true;
        } else {
            for (int i = 0; i < now.length; i++) {
                Field f = fields.get(i);
                if (!sameValue(now[i], staticValues[i], !f.getType().isPrimitive())) {
                    any[0] = true;
                    bytes[0] += ClassLayout.cardSizeOf(f.getType());
                }
            }
        }
        staticFields = fields;
        staticValues = now;
        return new Change(bytes[0], any[0]);
    }

    /** Bytes of transactional values that differ from this journal and are not in {@code marks}. */
    long changedBytes(WriteMarks marks) {
        long bytes = 0;
        for (Map.Entry<Object, Object> e : copies.entrySet()) {
            Object live = e.getKey();
            if (live.getClass().isArray()) {
                bytes += arrayChanges(live, e.getValue(), marks.of(live));
            } else {
                ClassLayout layout = ClassLayout.of(live.getClass());
                Object[] saved = (Object[]) e.getValue();
                BitSet marked = marks.of(live);
                for (int i = 0; i < saved.length; i++) {
                    if (layout.transactional[i] && (marked == null || !marked.get(i))
                            && !sameValue(layout.read(live, i), saved[i], layout.reference[i])) {
                        bytes += layout.cardSize[i];
                    }
                }
            }
        }
        Object[] now = readStatics(staticFields);
        for (int i = 0; i < now.length; i++) {
            Field f = staticFields.get(i);
            if (!sameValue(now[i], staticValues[i], !f.getType().isPrimitive())) {
                bytes += ClassLayout.cardSizeOf(f.getType());
            }
        }
        return bytes;
    }

    /** Writes every journaled value back into the same objects; non-transactional fields are left alone. */
    void restore() {
        for (Map.Entry<Object, Object> e : copies.entrySet()) {
            Object live = e.getKey();
            if (live.getClass().isArray()) {
                Object saved = e.getValue();
                System.arraycopy(saved, 0, live, 0, java.lang.reflect.Array.getLength(saved));
            } else {
                ClassLayout layout = ClassLayout.of(live.getClass());
                Object[] saved = (Object[]) e.getValue();
                for (int i = 0; i < saved.length; i++) {
                    if (layout.transactional[i] && !sameValue(layout.read(live, i), saved[i], layout.reference[i])) {
                        layout.write(live, i, saved[i]);
                    }
                }
            }
        }
        for (int i = 0; i < staticFields.size(); i++) {
            AppletPackages.set(staticFields.get(i), staticValues[i]);
        }
    }

    private static Object[] readStatics(List<Field> fields) {
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = AppletPackages.get(fields.get(i));
        }
        return values;
    }

    static List<Field> copyList(List<Field> fields) {
        return new ArrayList<>(fields);
    }

    private static boolean sameValue(Object a, Object b, boolean reference) {
        return reference ? a == b : a.equals(b);
    }

    private static Object cloneArray(Object array) {
        if (array instanceof byte[] b) {
            return b.clone();
        }
        if (array instanceof short[] s) {
            return s.clone();
        }
        if (array instanceof boolean[] z) {
            return z.clone();
        }
        if (array instanceof Object[] o) {
            return o.clone();
        }
        if (array instanceof int[] i) {
            return i.clone();
        }
        if (array instanceof char[] c) {
            return c.clone();
        }
        if (array instanceof long[] l) {
            return l.clone();
        }
        throw new IllegalStateException("unsupported array type " + array.getClass().getName());
    }

    private static boolean sameArray(Object live, Object copy) {
        if (live instanceof byte[] b) {
            return Arrays.equals(b, (byte[]) copy);
        }
        if (live instanceof short[] s) {
            return Arrays.equals(s, (short[]) copy);
        }
        if (live instanceof boolean[] z) {
            return Arrays.equals(z, (boolean[]) copy);
        }
        if (live instanceof Object[] o) {
            Object[] c = (Object[]) copy;
            for (int i = 0; i < o.length; i++) {
                if (o[i] != c[i]) {
                    return false;
                }
            }
            return true;
        }
        if (live instanceof int[] i) {
            return Arrays.equals(i, (int[]) copy);
        }
        if (live instanceof char[] c) {
            return Arrays.equals(c, (char[]) copy);
        }
        if (live instanceof long[] l) {
            return Arrays.equals(l, (long[]) copy);
        }
        return false;
    }

    /** Changed bytes between two arrays of the same type and length, skipping marked elements. */
    static long arrayChanges(Object live, Object copy, BitSet marked) {
        if (sameArray(live, copy)) {
            return 0;
        }
        int size = ClassLayout.elementSize(live);
        int length = java.lang.reflect.Array.getLength(live);
        long bytes = 0;
        if (live instanceof byte[] a) {
            byte[] b = (byte[]) copy;
            for (int i = 0; i < length; i++) {
                if (a[i] != b[i] && (marked == null || !marked.get(i))) {
                    bytes += size;
                }
            }
        } else if (live instanceof short[] a) {
            short[] b = (short[]) copy;
            for (int i = 0; i < length; i++) {
                if (a[i] != b[i] && (marked == null || !marked.get(i))) {
                    bytes += size;
                }
            }
        } else if (live instanceof boolean[] a) {
            boolean[] b = (boolean[]) copy;
            for (int i = 0; i < length; i++) {
                if (a[i] != b[i] && (marked == null || !marked.get(i))) {
                    bytes += size;
                }
            }
        } else if (live instanceof Object[] a) {
            Object[] b = (Object[]) copy;
            for (int i = 0; i < length; i++) {
                if (a[i] != b[i] && (marked == null || !marked.get(i))) {
                    bytes += size;
                }
            }
        } else {
            for (int i = 0; i < length; i++) {
                if (!java.lang.reflect.Array.get(live, i).equals(java.lang.reflect.Array.get(copy, i))
                        && (marked == null || !marked.get(i))) {
                    bytes += size;
                }
            }
        }
        return bytes;
    }
}
