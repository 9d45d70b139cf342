package ekrona.sim.card;

import ekrona.sim.runner.RunnerException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * One runner at a time per state file. Two runners that load the same card, change it and save it would each save
 * their own copy: the last save wins and the other's payment vanishes from the card although its recipient got it
 * (one balance spent twice). So a runner takes an exclusive operating-system lock (fcntl) on
 * {@code .<state file>.lock} before it loads the card, and keeps it while it runs; the operating system releases it
 * when the process ends, however it ends. A second runner waits up to {@link #DEFAULT_WAIT_MS} (or
 * {@code EKRONA_STATE_LOCK_WAIT_MS}) for the first to finish (a CLI command holds a card for well under a second),
 * then refuses with one sentence naming the holder's pid.
 */
final class StateFileLock {
    static final long DEFAULT_WAIT_MS = 10_000;
    static final String WAIT_ENV = "EKRONA_STATE_LOCK_WAIT_MS";
    private static final long POLL_MS = 20;
    /** The channels of the locks this runner holds, by state file: closing a channel would release its lock. */
    private static final Map<Path, FileChannel> HELD = new HashMap<>();

    private StateFileLock() {
    }

    static Path lockFileOf(Path stateFile) {
        Path absolute = stateFile.toAbsolutePath().normalize();
        return absolute.resolveSibling("." + absolute.getFileName() + ".lock");
    }

    /** Takes the lock of {@code stateFile} for the rest of this runner's life (at once if it holds it already). */
    static synchronized void acquire(Path stateFile) throws RunnerException {
        Path key = stateFile.toAbsolutePath().normalize();
        if (HELD.containsKey(key)) {
            return;
        }
        Path lockFile = lockFileOf(stateFile);
        FileChannel channel;
        try {
            Files.createDirectories(lockFile.getParent());
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new RunnerException("cannot open the lock file " + lockFile + ": " + e.getMessage(), e);
        }
        long waitMs = waitMs();
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        try {
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    channel.truncate(0);
                    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                    HELD.put(key, channel);
                    return;
                }
                if (System.nanoTime() > deadline) {
                    String holder = holderOf(lockFile);
                    channel.close();
                    throw new RunnerException("state file " + stateFile + " is in use by another runner"
                            + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                            + ": another command on this card has not finished within " + waitMs
                            + " ms; try again when it has");
                }
                Thread.sleep(POLL_MS);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            throw new RunnerException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(channel);
            Thread.currentThread().interrupt();
            throw new RunnerException("interrupted while waiting for the lock of state file " + stateFile, e);
        }
    }

    private static long waitMs() throws RunnerException {
        String text = System.getenv(WAIT_ENV);
        if (text == null || text.isEmpty()) {
            return DEFAULT_WAIT_MS;
        }
        try {
            long ms = Long.parseLong(text);
            if (ms < 0 || ms > 3_600_000) {
                throw new NumberFormatException();
            }
            return ms;
        } catch (NumberFormatException e) {
            throw new RunnerException(WAIT_ENV + " must be a whole number of milliseconds from 0 to 3600000, not '" + text + "'");
        }
    }

    private static String holderOf(Path lockFile) {
        try {
            return Files.readString(lockFile, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
