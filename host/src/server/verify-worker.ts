// One thread of the verification pool (verify-pool.ts): answers each batch with `verifySignature` of every item.

import { parentPort } from 'node:worker_threads';
import { verifySignature } from './signatures.ts';

parentPort?.on('message', (message: { id: number; checks: Array<[Uint8Array, Uint8Array, Uint8Array]> }) => {
  const results = message.checks.map(([signature, body, publicKey]) => verifySignature(signature, body, publicKey));
  parentPort?.postMessage({ id: message.id, results });
});
