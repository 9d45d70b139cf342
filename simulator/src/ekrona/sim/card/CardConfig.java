package ekrona.sim.card;

/**
 * Settings shared by every card of one runner.
 *
 * @param chunk most bytes one setIncomingAndReceive/receiveBytes call delivers
 * @param commitCapacity bytes one transaction may write (JCOP4 J3R180: about 5 KB)
 * @param persistentMemory total persistent memory for getAvailableMemory
 * @param transientMemory transient memory per clear event (CLEAR_ON_RESET, CLEAR_ON_DESELECT)
 * @param seed when not null, random data, key generation and ECDSA nonces are derived from it
 */
public record CardConfig(int chunk, int commitCapacity, int persistentMemory, int transientMemory, byte[] seed) {
    public static final int DEFAULT_CHUNK = 128;
    public static final int DEFAULT_COMMIT_CAPACITY = 5120;
    public static final int DEFAULT_PERSISTENT_MEMORY = 150_000;
    public static final int DEFAULT_TRANSIENT_MEMORY = 4096;

    public static CardConfig defaults() {
        return new CardConfig(DEFAULT_CHUNK, DEFAULT_COMMIT_CAPACITY, DEFAULT_PERSISTENT_MEMORY,
                DEFAULT_TRANSIENT_MEMORY, null);
    }
}
