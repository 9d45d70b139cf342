package ekrona.sim.jcardsim;

import java.io.PrintStream;
import java.util.Optional;

/**
 * jCardSim prints progress lines with {@code System.out.println} ("Trying to load an instance of
 * com.licel.globalplatform...", "getInstance of assymetric algo: 33" at every asymmetric Signature.getInstance).
 * The runner sends System.out to stderr, where they would fill the host's window of the runner's last stderr lines
 * (shown when the runner fails) with noise. This drops the lines printed by jCardSim's own classes, including the
 * javacard.* API classes its build merged its proxies into; an applet's lines still go through.
 */
final class JCardSimChatter extends PrintStream {
    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private JCardSimChatter(PrintStream target) {
        super(target, true);
    }

    /** Installs the filter in front of the current System.out (the runner's stderr). */
    static synchronized void silence() {
        if (!(System.out instanceof JCardSimChatter)) {
            System.setOut(new JCardSimChatter(System.out));
        }
    }

    @Override
    public void println(String line) {
        if (!fromJCardSim()) {
            super.println(line);
        }
    }

    private static boolean fromJCardSim() {
        Optional<StackWalker.StackFrame> caller = WALKER.walk(frames -> frames
                .filter(f -> f.getDeclaringClass() != JCardSimChatter.class)
                .findFirst());
        if (caller.isEmpty()) {
            return false;
        }
        String name = caller.get().getClassName();
        return name.startsWith("com.licel.jcardsim.") || name.startsWith("javacard.") || name.startsWith("javacardx.");
    }
}
