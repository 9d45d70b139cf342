// `npm run bench:compare -- <git-ref> [pairs] [in-flight]`: the settlement scenario of another commit and of this
// work tree, run in turn (old, new, old, new...), each run in a fresh process with a fresh network.
//
// Why: on this machine the same code moves by a fifth or more from run to run (docs/NETWORK.md section 8), so one run
// of each side says nothing about a change of a few per cent. Alternating pairs share the machine's slow and fast
// moments; the medians and the per-pair ratios are what to read. The other commit is checked out in a temporary git
// worktree (removed at the end) that borrows this tree's node_modules; it must have bench/settlement.bench.ts with
// `scenario(totalCards, concurrency)`. In flight defaults to 384, about where the network reaches its capacity here
// (the bench's sweep, docs/NETWORK.md section 8). Each side runs its own bench: compare commits from 478c365 on,
// whose measure ends before the load drains (before it, the figures at high in flight came out up to 13 % higher).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Run {
  txPerSecond: number;
  p50: number;
  p99: number;
  statementsPerSync: number;
  cpuMsPerSync: { intermediary: number; centralBank: number; load: number };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [ref, pairsArg = '6', inFlightArg = '384'] = process.argv.slice(2);

function fail(message: string): never {
  process.stderr.write(`bench:compare: ${message}\n`);
  process.exit(2);
}

if (!ref) fail('name the commit to compare with, e.g. npm run bench:compare -- HEAD~1 [pairs] [in-flight]');
const pairs = Number(pairsArg);
const inFlight = Number(inFlightArg);
if (!Number.isInteger(pairs) || pairs < 1 || pairs > 50) fail(`pairs must be an integer from 1 to 50, got ${pairsArg}`);
if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > 1024) fail(`in-flight must be an integer from 1 to 1024, got ${inFlightArg}`);

let commit: string;
try {
  commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  fail(`${ref} is not a commit of this repository`);
}

/** Cards of the base scenario (syncs, their warm-up, recipients), as older benches need them named. */
const BASE_CARDS = Number(process.env.BENCH_SETTLEMENT_SYNCS ?? 3000) + 200 + 500;

/** One scenario run of the tree at `tree`, in a process of its own; its figures. */
function runOnce(tree: string): Run {
  // tsx evaluates --eval as CommonJS: no top-level await.
  const script = `import(${JSON.stringify(join(tree, 'bench', 'settlement.bench.ts'))}).then((m) => m.scenario(${BASE_CARDS}, ${inFlight})).then((f) => console.log(JSON.stringify(f)));`;
  const result = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['--eval', script], { cwd: tree, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`the run in ${tree} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  return JSON.parse(line) as Run;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const cpu = (r: Run) => r.cpuMsPerSync.intermediary + r.cpuMsPerSync.centralBank + r.cpuMsPerSync.load;
const describe = (r: Run) => `${r.txPerSecond} tx/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.statementsPerSync} statements, ${cpu(r).toFixed(2)} ms CPU a sync`;

const worktree = mkdtempSync(join(tmpdir(), 'ekrona-compare-'));
try {
  execFileSync('git', ['worktree', 'add', '--detach', worktree, commit], { cwd: root, stdio: 'ignore' });
  symlinkSync(join(root, 'node_modules'), join(worktree, 'node_modules'));
  process.stdout.write(`comparing ${ref} (${commit.slice(0, 10)}) with this work tree: ${pairs} pairs, ${inFlight} syncs in flight\n`);
  const old: Run[] = [];
  const now: Run[] = [];
  for (let i = 1; i <= pairs; i++) {
    old.push(runOnce(worktree));
    now.push(runOnce(root));
    process.stdout.write(`pair ${i}: ${ref}: ${describe(old[i - 1])}\n        this tree: ${describe(now[i - 1])}\n`);
  }
  const ratios = now.map((r, i) => r.txPerSecond / old[i].txPerSecond);
  process.stdout.write(
    `median tx/s: ${ref} ${median(old.map((r) => r.txPerSecond))}, this tree ${median(now.map((r) => r.txPerSecond))}; ` +
      `median ratio this/${ref} ${median(ratios).toFixed(3)} (pairs from ${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)}); ` +
      `median CPU a sync ${median(old.map(cpu)).toFixed(2)} -> ${median(now.map(cpu)).toFixed(2)} ms; ` +
      `statements a sync ${median(old.map((r) => r.statementsPerSync))} -> ${median(now.map((r) => r.statementsPerSync))}\n`,
  );
} catch (error) {
  process.stderr.write(`bench:compare: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  try {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: root, stdio: 'ignore' });
  } catch {
    rmSync(worktree, { recursive: true, force: true });
    execFileSync('git', ['worktree', 'prune'], { cwd: root, stdio: 'ignore' });
  }
}
