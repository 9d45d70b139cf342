package ekrona.sim.runner;

/** Diagnostics go to stderr, one line each: in stdio mode stdout carries protocol answers only. */
public final class Diagnostics {
    private static volatile boolean quiet;

    private Diagnostics() {
    }

    public static void setQuiet(boolean value) {
        quiet = value;
    }

    public static boolean quiet() {
        return quiet;
    }

    /** A line a person may want to see; suppressed by {@code --quiet}. */
    public static void note(String line) {
        if (!quiet) {
            System.err.println("ekrona-runner: " + line);
        }
    }

    /** A line that is always printed (startup failures, the TCP address). */
    public static void always(String line) {
        System.err.println("ekrona-runner: " + line);
    }
}
