package ekrona.sim.runner;

/** A {@code HOST:PORT} argument. */
public record HostPort(String host, int port) {
    public static HostPort parse(String text, String what) throws RunnerException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new RunnerException(what + " takes HOST:PORT, not '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new RunnerException(what + " takes a numeric port, not '" + text.substring(colon + 1) + "'");
        }
        if (port < 0 || port > 65535) {
            throw new RunnerException(what + " takes a port from 0 to 65535, not " + port);
        }
        return new HostPort(text.substring(0, colon), port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
