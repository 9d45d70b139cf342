package ekrona.sim.jcardsim;

import ekrona.sim.runner.CardBackend;
import ekrona.sim.runner.CardSession;
import ekrona.sim.runner.RunnerException;
import java.nio.file.Path;
import java.util.Map;

/** Cards made of jCardSim simulators, one {@code com.licel.jcardsim.base.Simulator} with its own runtime each. */
final class JCardSimBackend implements CardBackend {
    @Override
    public void configure(Map<String, String> settings) throws RunnerException {
        if (!settings.isEmpty()) {
            throw new RunnerException("jCardSim cannot take --" + settings.keySet().iterator().next()
                    + " (a flag of the ekrona simulator)");
        }
    }

    @Override
    public CardSession createCard(String name, Path stateFile) throws RunnerException {
        if (stateFile != null) {
            throw new RunnerException("jCardSim cannot keep a card's persistent memory in a state file");
        }
        return new JCardSimSession(name);
    }
}
