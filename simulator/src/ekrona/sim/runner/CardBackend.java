package ekrona.sim.runner;

import java.nio.file.Path;
import java.util.Map;

/**
 * What the runner needs from a card implementation: our own Java Card runtime, or a bridge to another simulator.
 * This package must not depend on javacard.*, so that a backend built against another Java Card API can reuse it.
 */
public interface CardBackend {
    /**
     * Applies the start flags the runner itself does not know (e.g. {@code seed}, {@code chunk}); a backend
     * rejects a flag it does not support with one sentence.
     */
    void configure(Map<String, String> settings) throws RunnerException;

    /**
     * Creates a card; when {@code stateFile} is not null and exists, its persistent memory is loaded from it, and
     * every later change is saved to it.
     */
    CardSession createCard(String name, Path stateFile) throws RunnerException;
}
