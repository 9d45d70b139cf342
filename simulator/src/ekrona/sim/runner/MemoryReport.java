package ekrona.sim.runner;

/** Bytes of card memory held by the installed applet instances (see simulator/README.md for the method). */
public record MemoryReport(long persistent, long transientReset, long transientDeselect) {
}
