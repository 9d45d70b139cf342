// One thread of the verification pool (verify-pool.ts): answers each packed batch with `verifySignature` of every
// check, as one byte each (1 valid, 0 not), in a transferred buffer.

import { parentPort } from 'node:worker_threads';
import { verifySignature } from './signatures.ts';
import { unpackChecks } from './verify-pool.ts';

parentPort?.on('message', (message: { id: number; packed: ArrayBuffer }) => {
  const checks = unpackChecks(message.packed);
  const results = new Uint8Array(checks.length);
  checks.forEach((c, i) => {
    results[i] = verifySignature(c.signature, c.body, c.publicKey) ? 1 : 0;
  });
  parentPort?.postMessage({ id: message.id, results }, [results.buffer]);
});
