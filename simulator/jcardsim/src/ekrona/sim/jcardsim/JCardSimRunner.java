package ekrona.sim.jcardsim;

import ekrona.sim.runner.RunnerMain;

/**
 * The card runner of docs/RUNNER.md backed by jCardSim instead of our own runtime, so that the conformance suite
 * can run unchanged against it. Built only when JCARDSIM_JAR names a jCardSim jar (scripts/build-java.mjs).
 */
public final class JCardSimRunner {
    private JCardSimRunner() {
    }

    public static void main(String[] args) {
        RunnerMain.run(args, new JCardSimBackend());
    }
}
