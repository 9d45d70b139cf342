// The checkpointer thread of a service database (sqlite.ts, "Checkpoints"): its own connection to the same file,
// copying committed WAL frames into the database every few milliseconds, so the service's connection never does it
// inside a COMMIT. Plain JavaScript: it needs nothing of the project but better-sqlite3.
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';

const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('synchronous = FULL'); // the checkpoint fsyncs the database file before the WAL may be reused
setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, never waits for the writer and never blocks it.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy: the next tick tries again; the service's own auto-checkpoint is the fallback
  }
}, workerData.intervalMs);
