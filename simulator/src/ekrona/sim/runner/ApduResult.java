package ekrona.sim.runner;

/**
 * The outcome of one command APDU: the response (data then SW1 SW2), or {@code null} when the armed power loss
 * happened and the card answered nothing.
 */
public record ApduResult(byte[] response, Stats stats) {
    public boolean torn() {
        return response == null;
    }
}
