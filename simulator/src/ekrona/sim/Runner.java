package ekrona.sim;

import ekrona.sim.card.SimulatorBackend;
import ekrona.sim.runner.RunnerMain;

/** The card runner backed by our own Java Card runtime; the protocol is in docs/RUNNER.md. */
public final class Runner {
    private Runner() {
    }

    public static void main(String[] args) {
        RunnerMain.run(args, new SimulatorBackend());
    }
}
