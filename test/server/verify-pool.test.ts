// The verification pool (host/src/server/verify-pool.ts) answers exactly what verifySignature answers inline, in
// order, whether its threads run, are closed mid-batch, or are not used at all.

import { afterAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../host/src/server/keys.ts';
import { signBytes, verifySignature } from '../../host/src/server/signatures.ts';
import { packChecks, type SignatureCheck, unpackChecks, VerifyPool } from '../../host/src/server/verify-pool.ts';

const key = generateSigningKey();
const other = generateSigningKey();
const body = new TextEncoder().encode('a sync report');
const signature = signBytes(body, key);

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] ^= 0x01;
  return copy;
}

/** Valid and refused checks of every kind, mixed. */
const checks: SignatureCheck[] = [
  { signature, body, publicKey: key.publicKey },
  { signature: flipped(signature, 10), body, publicKey: key.publicKey },
  { signature, body: flipped(body, 3), publicKey: key.publicKey },
  { signature, body, publicKey: other.publicKey },
  { signature, body, publicKey: flipped(key.publicKey, 40) }, // off the curve
  { signature: signature.subarray(0, 63), body, publicKey: key.publicKey },
  { signature: new Uint8Array(64), body, publicKey: key.publicKey }, // r = s = 0
  { signature, body, publicKey: key.publicKey },
];
const expected = checks.map((c) => verifySignature(c.signature, c.body, c.publicKey));

describe('the verification pool', () => {
  const threaded = new VerifyPool(2);
  afterAll(() => threaded.close());

  it('answers what verifySignature answers, in order, from its threads', async () => {
    expect(expected).toEqual([true, false, false, false, false, false, false, true]);
    expect(await threaded.verifyAll(checks)).toEqual(expected);
    expect(threaded.threads).toBe(2);
  });

  it('answers many batches in flight at once, each with its own results', async () => {
    const batches = Array.from({ length: 40 }, (_, i) => checks.slice(i % checks.length).concat(checks.slice(0, i % checks.length)));
    const results = await Promise.all(batches.map((b) => threaded.verifyAll(b)));
    results.forEach((r, i) => expect(r).toEqual(expected.slice(i % checks.length).concat(expected.slice(0, i % checks.length))));
  });

  it('sends a batch to its thread as one buffer that unpacks to the same checks, whatever their lengths', () => {
    const odd: SignatureCheck[] = [...checks, { signature: new Uint8Array(0), body: new Uint8Array(70_000).fill(7), publicKey: new Uint8Array(1) }];
    const unpacked = unpackChecks(packChecks(odd));
    expect(unpacked.map((c) => [c.signature, c.body, c.publicKey].map((part) => Array.from(part)))).toEqual(odd.map((c) => [c.signature, c.body, c.publicKey].map((part) => Array.from(part))));
    expect(unpackChecks(packChecks([]))).toEqual([]);
  });

  it('answers an empty batch with no results', async () => {
    expect(await threaded.verifyAll([])).toEqual([]);
  });

  it('still answers the batches in flight when it is closed, and verifies later batches after', async () => {
    const pool = new VerifyPool(1);
    const inFlight = pool.verifyAll(checks);
    await pool.close();
    expect(await inFlight).toEqual(expected);
    expect(await pool.verifyAll(checks)).toEqual(expected);
    await pool.close();
  });

  it('verifies inline when it has no threads', async () => {
    const inline = new VerifyPool(0);
    expect(await inline.verifyAll(checks)).toEqual(expected);
    expect(inline.threads).toBe(0);
  });
});
