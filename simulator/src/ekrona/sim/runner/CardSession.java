package ekrona.sim.runner;

/**
 * One simulated card as the runner drives it. The runner serialises every call on one session; implementations
 * need no locking of their own for that (they may need it across sessions when they share global state).
 */
public interface CardSession {
    String name();

    /** True when the card's persistent memory was read from its state file when the card was created. */
    boolean loadedFromStateFile();

    /**
     * Installs an applet instance, calling {@code install(byte[], short, byte)} of {@code className} with
     * {@code installData} laid out as GlobalPlatform does.
     */
    void install(String className, byte[] instanceAid, byte[] installData) throws RunnerException;

    boolean hasApplet(byte[] instanceAid) throws RunnerException;

    /** Cold reset; returns the ATR. */
    byte[] powerOn() throws RunnerException;

    void powerOff() throws RunnerException;

    /** Warm reset; returns the ATR. */
    byte[] reset() throws RunnerException;

    boolean isPowered();

    byte[] atr();

    ApduResult transmit(byte[] command) throws RunnerException;

    /** Arms a power loss at the {@code n}th tear point of the next command; 0 disarms. */
    void armTear(int n) throws RunnerException;

    void setProtocol(TransmissionProtocol protocol) throws RunnerException;

    /** Counters of the last command. */
    Stats lastStats() throws RunnerException;

    /** Counters summed over every command since power on. */
    Stats totals() throws RunnerException;

    MemoryReport memory() throws RunnerException;

    /** Writes the state file now. */
    void save() throws RunnerException;
}
