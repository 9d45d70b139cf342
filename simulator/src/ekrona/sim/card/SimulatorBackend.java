package ekrona.sim.card;

import ekrona.sim.runner.CardBackend;
import ekrona.sim.runner.CardSession;
import ekrona.sim.runner.Hex;
import ekrona.sim.runner.RunnerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The runner backend made of our own Java Card runtime. */
public final class SimulatorBackend implements CardBackend {
    private CardConfig config = CardConfig.defaults();

    @Override
    public void configure(Map<String, String> settings) throws RunnerException {
        int chunk = config.chunk();
        int commit = config.commitCapacity();
        int persistent = config.persistentMemory();
        int transientMemory = config.transientMemory();
        byte[] seed = config.seed();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String value = e.getValue();
            switch (e.getKey()) {
                case "seed" -> {
                    seed = Hex.decode(value, "--seed");
                    if (seed.length == 0) {
                        throw new RunnerException("--seed needs at least one byte of hex");
                    }
                }
                case "chunk" -> chunk = number(e.getKey(), value, 1, 255);
                case "commit-capacity" -> commit = number(e.getKey(), value, 1, Integer.MAX_VALUE);
                case "persistent-memory" -> persistent = number(e.getKey(), value, 0, Integer.MAX_VALUE);
                case "transient-memory" -> transientMemory = number(e.getKey(), value, 0, Integer.MAX_VALUE);
                default -> throw new RunnerException("unknown flag --" + e.getKey() + "; see --help");
            }
        }
        config = new CardConfig(chunk, commit, persistent, transientMemory, seed);
    }

    private static int number(String flag, String value, int min, int max) throws RunnerException {
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new RunnerException("--" + flag + " takes a whole number from " + min + " to " + max
                    + ", not '" + value + "'");
        }
    }

    @Override
    public CardSession createCard(String name, Path stateFile) throws RunnerException {
        if (stateFile != null) {
            StateFileLock.acquire(stateFile);
        }
        Card card = new Card(name, stateFile, config);
        boolean loaded = stateFile != null && Files.exists(stateFile);
        CardRuntime.run(card, () -> {
            if (loaded) {
                StateFile.read(card);
            }
            card.startImage();
            return null;
        });
        return new SimulatorSession(card, loaded);
    }
}
