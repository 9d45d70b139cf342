package ekrona.sim.card;

import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Where the API itself wrote (array elements, or field indexes of an object), so that comparing memory before and
 * after does not count those bytes a second time as the applet's own stores.
 */
final class WriteMarks {
    private final Map<Object, BitSet> marks = new IdentityHashMap<>();

    void mark(Object target, int from, int count) {
        marks.computeIfAbsent(target, t -> new BitSet()).set(from, from + count);
    }

    BitSet of(Object target) {
        return marks.get(target);
    }

    void clear() {
        if (!marks.isEmpty()) {
            marks.clear();
        }
    }
}
