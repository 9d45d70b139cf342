// Services killed with SIGKILL in the middle of a sync. The services run as child processes (networkUp); a service
// is restarted with EKRONA_CRASH_AT=<point> and dies there (after a commit, before an answer, inside a
// transaction), or is killed at a random moment while syncs are in flight. Then it is restarted on the same
// folder and every sync whose answer was lost is sent again, unchanged: nothing is lost, nothing is settled twice,
// money is conserved, and every outbox drains.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SyncAnswer } from '../../host/src/server/api.ts';
import { fromHex } from '../../host/src/codec/hex.ts';
import { decodeSignedInstruction, type SignedInstruction } from '../../host/src/codec/instructions.ts';
import type { CrashPoint } from '../../host/src/server/crash-points.ts';
import { type NetworkFile, networkUp, spawnService, waitForExit } from '../../host/src/server/network.ts';
import { type NetworkCard, TestNetwork } from './harness.ts';

const EXHAUSTIVE = process.env.EKRONA_EXHAUSTIVE === '1';
const RANDOM_KILLS = EXHAUSTIVE ? 25 : 3;

type Target = 'cb' | 'im1' | 'im2';

let dir: string;
let file: NetworkFile;
let net: TestNetwork;
const pids: Record<Target, number> = { cb: 0, im1: 0, im2: 0 };
const dirs: Record<Target, string> = { cb: '', im1: '', im2: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-crash-'));
  file = await networkUp({ dir, liquidity: 'pending' });
  pids.cb = file.centralBank.pid!;
  pids.im1 = file.intermediaries[0].pid!;
  pids.im2 = file.intermediaries[1].pid!;
  dirs.cb = file.centralBank.dir;
  dirs.im1 = file.intermediaries[0].dir;
  dirs.im2 = file.intermediaries[1].dir;
  net = await TestNetwork.attach(file);
}, 60_000);

// A test that failed may leave a service dead, or armed with a crash point: every test starts with all of them
// running plainly.
beforeEach(async () => {
  for (const target of ['cb', 'im1', 'im2'] as Target[]) if (pids[target] && !alive(pids[target])) pids[target] = (await spawnService(dirs[target])).pid;
});

afterAll(async () => {
  for (const pid of Object.values(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the service (if it runs) and starts it again on its folder, with `env`. */
async function restart(target: Target, env: Record<string, string> = {}): Promise<void> {
  if (alive(pids[target])) {
    process.kill(pids[target], 'SIGKILL');
    expect(await waitForExit(pids[target], 5_000)).toBe(true);
  }
  pids[target] = (await spawnService(dirs[target], { env })).pid;
}

interface Pending {
  c: NetworkCard;
  report: string;
  records: string[];
  answer?: SyncAnswer;
}

function apply(p: Pending, answer: SyncAnswer): void {
  expect(answer.outcome).toBe('synchronised');
  p.c.card.applySyncResult(decodeSignedInstruction(fromHex(answer.instruction!)) as SignedInstruction<'SYNC_RESULT'>);
}

/** Three cards, three payments: within intermediary 1, from 1 to 2, from 2 back to 1. */
async function scenario(): Promise<{ cards: NetworkCard[]; payments: number }> {
  const payer = await net.card(0, { deposit: 100_00, topUp: 60_00 });
  const far = await net.card(1, { deposit: 20_00, topUp: 20_00 });
  const near = await net.card(0);
  await net.transfer(payer, far, 7_00);
  await net.transfer(payer, near, 3_00);
  await net.transfer(far, near, 4_00);
  return { cards: [payer, far, near], payments: 3 };
}

/**
 * Sends every card's report, recipients first (so that claims between intermediaries are made: the payer has not
 * settled yet), each as soon as the previous one is answered or lost; answers lost to the crash stay undefined.
 */
async function syncAll(cards: NetworkCard[]): Promise<Pending[]> {
  const pending: Pending[] = [cards[1], cards[2], cards[0]].map((c) => ({ c, ...net.report(c) }));
  for (const p of pending) {
    try {
      p.answer = await p.c.client.sync(p.c.card.cardIdHex, p.report, p.records);
    } catch {
      // lost with the service: asked again after the restart
    }
  }
  return pending;
}

/** After the restart: the lost answers are asked again with the same reports; then every card applies its result. */
async function finish(pending: Pending[], settledBefore: number, payments: number): Promise<void> {
  for (const p of pending) {
    p.answer ??= await p.c.client.sync(p.c.card.cardIdHex, p.report, p.records);
    apply(p, p.answer);
  }
  const audit = await net.expectBalanced();
  expect(audit.centralBank.register.settled - settledBefore).toBe(payments);
  expect(audit.intermediaries.every((i) => i.undeliveredOutbox === 0)).toBe(true);
  for (const p of pending) {
    await net.sync(p.c); // a second sync settles nothing twice and changes no balance
    expect(await net.coverage(p.c)).toBe(p.c.card.balance);
  }
  expect((await net.bank.audit()).register.settled - settledBefore).toBe(payments);
}

const POINTS: Array<[CrashPoint, Target]> = [
  ['sync-after-settle-commit', 'im1'],
  ['sync-after-delivery', 'im1'],
  ['answer-applied', 'im1'],
  ['claims-committed', 'im1'],
  ['movements-committed', 'im2'],
  ['sync-after-settle-commit', 'im2'],
  ['register-committed', 'cb'],
];

describe('SIGKILL at a crash point', () => {
  for (const [point, target] of POINTS) {
    it(`${target} killed at ${point}: nothing lost or doubled`, async () => {
      const { cards, payments } = await scenario();
      const before = (await net.bank.audit()).register.settled;
      await restart(target, { EKRONA_CRASH_AT: point });
      const pending = await syncAll(cards);
      // The point is reached during these syncs (or during the deliveries they cause): the service dies there.
      const died = await waitForExit(pids[target], 5_000);
      expect(died, `${target} should have died at ${point}`).toBe(true);
      await restart(target);
      await finish(pending, before, payments);
    }, 60_000);
  }
});

describe('SIGKILL at a random moment', () => {
  it(`${RANDOM_KILLS} random kills while syncs are in flight: nothing lost or doubled`, async () => {
    const targets: Target[] = ['im1', 'im2', 'cb'];
    for (let round = 0; round < RANDOM_KILLS; round++) {
      const { cards, payments } = await scenario();
      const before = (await net.bank.audit()).register.settled;
      const target = targets[round % targets.length];
      const syncing = syncAll(cards);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      process.kill(pids[target], 'SIGKILL');
      await waitForExit(pids[target], 5_000);
      const pending = await syncing;
      await restart(target);
      await finish(pending, before, payments);
    }
  }, 300_000);
});
