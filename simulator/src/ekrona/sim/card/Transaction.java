package ekrona.sim.card;

import java.util.ArrayList;
import java.util.List;

/**
 * One open transaction: the journal (a snapshot of persistent memory at beginTransaction), the bytes the API wrote
 * through it, and what a rollback must redo or undo besides restoring the journal.
 */
final class Transaction {
    /** A non-atomic write made during the transaction: a real card does not journal it, so it survives an abort. */
    private record NonAtomicWrite(byte[] target, int offset, byte[] bytes) {
    }

    final Snapshot journal;
    final WriteMarks marks = new WriteMarks();
    long apiBytes;
    private final List<NonAtomicWrite> nonAtomicWrites = new ArrayList<>();
    private final List<Runnable> undoActions = new ArrayList<>();

    Transaction(Snapshot journal) {
        this.journal = journal;
    }

    void recordNonAtomicWrite(byte[] target, int offset, int length) {
        byte[] bytes = new byte[length];
        System.arraycopy(target, offset, bytes, 0, length);
        nonAtomicWrites.add(new NonAtomicWrite(target, offset, bytes));
        marks.mark(target, offset, length);
    }

    /** For a value outside the journal (a non-transactional field) that an API call updates conditionally. */
    void undoOnAbort(Runnable action) {
        undoActions.add(action);
    }

    /** Bytes this transaction wrote: through the API, plus the applet's direct stores found by comparison. */
    long bytesWritten() {
        return apiBytes + journal.changedBytes(marks);
    }

    void rollback() {
        journal.restore();
        for (int i = undoActions.size() - 1; i >= 0; i--) {
            undoActions.get(i).run();
        }
        for (NonAtomicWrite w : nonAtomicWrites) {
            System.arraycopy(w.bytes(), 0, w.target(), w.offset(), w.bytes().length);
        }
    }
}
