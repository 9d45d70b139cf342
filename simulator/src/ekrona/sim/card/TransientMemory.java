package ekrona.sim.card;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Arrays made by JCSystem.makeTransient*Array (and the runtime's own RAM buffers): their identity, clear event and
 * owning context (the applet package that made them). Their content is never journaled, never saved, and cleared
 * at the events of its kind.
 */
public final class TransientMemory {
    public static final byte CLEAR_ON_RESET = 1;
    public static final byte CLEAR_ON_DESELECT = 2;

    /** What the runtime knows of one transient array; {@code context} is null for the runtime's own buffers. */
    record Info(byte event, String context, boolean system) {
    }

    private final Map<Object, Info> arrays = new IdentityHashMap<>();
    private final java.util.List<Object> order = new java.util.ArrayList<>();
    private final long[] appletBytes = new long[3];

    Info info(Object array) {
        return arrays.get(array);
    }

    boolean contains(Object array) {
        return arrays.containsKey(array);
    }

    byte eventOf(Object array) {
        Info info = arrays.get(array);
        return info == null ? 0 : info.event();
    }

    void register(Object array, byte event, String context, boolean system) {
        arrays.put(array, new Info(event, context, system));
        order.add(array);
        if (!system) {
            appletBytes[event] += contentBytes(array);
        }
    }

    /** How many arrays are registered: a mark to {@link #forgetAfter} when an install fails. */
    int count() {
        return order.size();
    }

    /** Forgets the arrays registered after {@code mark} (an install that failed made them). */
    void forgetAfter(int mark) {
        while (order.size() > mark) {
            Object array = order.remove(order.size() - 1);
            Info info = arrays.remove(array);
            if (!info.system()) {
                appletBytes[info.event()] -= contentBytes(array);
            }
        }
    }

    /** Content bytes of applet-made transient arrays of one clear event. */
    long appletBytes(byte event) {
        return appletBytes[event];
    }

    Map<Object, Info> all() {
        return arrays;
    }

    /** Clears every array of {@code event}; with a context, only those owned by that applet package. */
    void clear(byte event, String context) {
        for (Map.Entry<Object, Info> e : arrays.entrySet()) {
            Info info = e.getValue();
            if (info.event() == event && (context == null || context.equals(info.context()))) {
                zero(e.getKey());
            }
        }
    }

    void clearAll() {
        for (Object array : arrays.keySet()) {
            zero(array);
        }
    }

    static long contentBytes(Object array) {
        return (long) java.lang.reflect.Array.getLength(array) * ClassLayout.elementSize(array);
    }

    static void zero(Object array) {
        if (array instanceof byte[] b) {
            Arrays.fill(b, (byte) 0);
        } else if (array instanceof short[] s) {
            Arrays.fill(s, (short) 0);
        } else if (array instanceof boolean[] z) {
            Arrays.fill(z, false);
        } else if (array instanceof Object[] o) {
            Arrays.fill(o, null);
        } else if (array instanceof int[] i) {
            Arrays.fill(i, 0);
        }
    }
}
