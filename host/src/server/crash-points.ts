// Crash points for the tests that kill a service in the middle of its work (test/network/crash.test.ts).
//
// A service process started with EKRONA_CRASH_AT=<name> kills itself with SIGKILL the first time it reaches the
// point of that name: no cleanup, no flush, exactly as a power cut or `kill -9` would. Without the variable every
// point is a no-op. The names say where: after which commit, before which answer.

export const CRASH_POINTS = [
  /** Intermediary: the sync's orders and records are committed; their messages are not sent yet. */
  'sync-after-settle-commit',
  /** Intermediary: the sync's messages were delivered; the result is not signed yet. */
  'sync-after-delivery',
  /** Intermediary: inside the transaction that books a register answer, before its commit. */
  'answer-applied',
  /** Intermediary: a claim is committed, not answered. */
  'claims-committed',
  /** Intermediary: the central bank's movements are booked, not acknowledged. */
  'movements-committed',
  /** Central bank: a register change is committed, not answered. */
  'register-committed',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

export function crashPoint(name: CrashPoint): void {
  if (process.env.EKRONA_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
