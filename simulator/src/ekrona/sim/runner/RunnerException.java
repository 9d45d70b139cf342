package ekrona.sim.runner;

/**
 * A request the runner cannot carry out. The message is one sentence that the protocol sends back after
 * {@code err}, so it must say what is wrong in words a test author understands.
 */
public class RunnerException extends Exception {
    private static final long serialVersionUID = 1L;

    public RunnerException(String sentence) {
        super(sentence);
    }

    public RunnerException(String sentence, Throwable cause) {
        super(sentence, cause);
    }
}
