package ekrona.sim.runner;

import java.util.List;

/**
 * The operation counters of one command (or totals), always all keys in the order docs/RUNNER.md gives. A backend
 * that cannot count an operation leaves it at 0.
 */
public final class Stats {
    public static final List<String> KEYS =
            List.of("tp", "sig", "ver", "dig", "ka", "ciph", "gen", "pw", "txmax", "in", "out", "us", "alloc");

    private final long[] values = new long[KEYS.size()];

    public long get(String key) {
        return values[index(key)];
    }

    public void set(String key, long value) {
        values[index(key)] = value;
    }

    public void add(String key, long delta) {
        values[index(key)] += delta;
    }

    /** Adds every counter of {@code other}, except {@code txmax}, which keeps the maximum. */
    public void accumulate(Stats other) {
        int txmax = index("txmax");
        for (int i = 0; i < values.length; i++) {
            values[i] = i == txmax ? Math.max(values[i], other.values[i]) : values[i] + other.values[i];
        }
    }

    public Stats copy() {
        Stats copy = new Stats();
        System.arraycopy(values, 0, copy.values, 0, values.length);
        return copy;
    }

    /** {@code key=value} tokens separated by one space, each key prefixed by {@code prefix}. */
    public String format(String prefix) {
        StringBuilder out = new StringBuilder(KEYS.size() * 8);
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(prefix).append(KEYS.get(i)).append('=').append(values[i]);
        }
        return out.toString();
    }

    private static int index(String key) {
        int i = KEYS.indexOf(key);
        if (i < 0) {
            throw new IllegalArgumentException("no such counter: " + key);
        }
        return i;
    }
}
