// Signature verification off the event loop: a sync checks six or more ECDSA signatures, about a fifth of an
// intermediary's CPU per sync under load; worker threads take that work to the other cores while the main thread
// serves HTTP and the database. Each worker runs the one verification there is (`verifySignature`, signatures.ts),
// so a batch answers exactly what the inline calls would.
//
// The pool is small (the cores but one, at most four), started on first use, and never keeps a process alive
// (workers are unref'd). A batch goes whole to the least busy worker. Should a worker fail (it cannot start, it
// dies), its batches and every later one are verified inline: slower, never different.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { verifySignature } from './signatures.ts';

export interface SignatureCheck {
  readonly signature: Uint8Array;
  readonly body: Uint8Array;
  /** 65-byte uncompressed P-256 point. */
  readonly publicKey: Uint8Array;
}

/**
 * A batch as one buffer, transferred to the thread rather than copied field by field: for each check, the lengths of
 * its signature, body and key (u32, big-endian) and then their bytes. (Structured cloning an array of eighteen
 * arrays cost about as much CPU again as one of the six verifications; one transferred buffer costs a tenth of it.)
 */
export function packChecks(checks: readonly SignatureCheck[]): ArrayBuffer {
  let length = 4;
  for (const c of checks) length += 12 + c.signature.length + c.body.length + c.publicKey.length;
  const buffer = new ArrayBuffer(length);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, checks.length);
  let at = 4;
  for (const c of checks) {
    for (const part of [c.signature, c.body, c.publicKey]) {
      view.setUint32(at, part.length);
      at += 4;
    }
    for (const part of [c.signature, c.body, c.publicKey]) {
      bytes.set(part, at);
      at += part.length;
    }
  }
  return buffer;
}

/** The checks of a packed batch (views into the buffer). */
export function unpackChecks(buffer: ArrayBuffer): SignatureCheck[] {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const checks: SignatureCheck[] = [];
  let at = 4;
  for (let i = view.getUint32(0); i > 0; i--) {
    const lengths = [view.getUint32(at), view.getUint32(at + 4), view.getUint32(at + 8)];
    at += 12;
    const [signature, body, publicKey] = lengths.map((length) => {
      const part = bytes.subarray(at, at + length);
      at += length;
      return part;
    });
    checks.push({ signature, body, publicKey });
  }
  return checks;
}

interface Pending {
  resolve: (results: boolean[]) => void;
  checks: readonly SignatureCheck[];
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

const WORKER_URL = new URL('./verify-worker.mjs', import.meta.url);

function verifyInline(checks: readonly SignatureCheck[]): boolean[] {
  return checks.map((c) => verifySignature(c.signature, c.body, c.publicKey));
}

export class VerifyPool {
  private workers: PoolWorker[] | undefined;
  private nextId = 1;
  private broken = false;

  /** `size` 0 verifies inline (no threads). */
  constructor(private readonly size: number = Math.min(4, Math.max(0, availableParallelism() - 1))) {}

  /** The result of `verifySignature` for each check, in order. Never rejects. */
  verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return Promise.resolve([]);
    const workers = this.started();
    if (workers.length === 0) return Promise.resolve(verifyInline(checks));
    const target = workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<boolean[]>((resolve) => {
      target.pending.set(id, { resolve, checks });
      const packed = packChecks(checks);
      target.worker.postMessage({ id, packed }, [packed]);
    });
  }

  /** Threads answering batches now (0 before the first batch, when inline, or after a failure). */
  get threads(): number {
    return this.broken ? 0 : (this.workers?.length ?? 0);
  }

  /** Stops the workers; later batches are verified inline until the next use starts them again. */
  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = undefined;
    await Promise.all(workers.map((w) => this.retire(w)));
  }

  private started(): PoolWorker[] {
    if (this.broken || this.size === 0) return [];
    if (this.workers === undefined) {
      try {
        this.workers = Array.from({ length: this.size }, () => this.spawn());
      } catch {
        this.broken = true;
        return [];
      }
    }
    return this.workers;
  }

  private spawn(): PoolWorker {
    // The worker is TypeScript like the rest: tsx loads it in the thread, as it loads the service itself.
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.on('message', (message: { id: number; results: Uint8Array }) => {
      const pending = entry.pending.get(message.id);
      if (!pending) return;
      entry.pending.delete(message.id);
      pending.resolve(Array.from(message.results, (valid) => valid === 1));
    });
    const fail = () => {
      this.broken = true;
      void this.retire(entry);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    return entry;
  }

  /** Ends a worker; what it still owed is verified inline. */
  private async retire(entry: PoolWorker): Promise<void> {
    for (const [id, pending] of entry.pending) {
      entry.pending.delete(id);
      pending.resolve(verifyInline(pending.checks));
    }
    entry.worker.removeAllListeners();
    await entry.worker.terminate().catch(() => undefined);
  }
}

let shared: VerifyPool | undefined;

/** The process's pool, shared by every service it runs (EKRONA_VERIFY_THREADS sets its size; 0 verifies inline). */
export function sharedVerifyPool(): VerifyPool {
  if (shared === undefined) {
    const configured = process.env.EKRONA_VERIFY_THREADS;
    shared = configured === undefined ? new VerifyPool() : new VerifyPool(Math.max(0, Math.min(16, Number.parseInt(configured, 10) || 0)));
  }
  return shared;
}
