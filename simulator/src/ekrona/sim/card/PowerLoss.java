package ekrona.sim.card;

/**
 * Thrown at an armed tear point, and at every API call after it in the same command: the card has lost power.
 * An Error, so that applet code catching Exception (or any Java Card exception) cannot swallow it; an applet that
 * catches Throwable is caught out by the next API call, and by the runtime when process() returns.
 */
public final class PowerLoss extends Error {
    private static final long serialVersionUID = 1L;

    PowerLoss() {
        super("power loss", null, false, false);
    }
}
