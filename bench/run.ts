// `npm run bench`: runs every bench/*.bench.ts module, merges their figures and writes bench/results.json.
//
// A bench module exports an async function (default export, or a named export `bench`) that returns a flat
// object of numbers with dotted keys ("runner.startup_ms"). Benchmarks measure; they never pass or fail.
//
//   tsx bench/run.ts               every module; results.json is rewritten
//   tsx bench/run.ts runner        only modules whose file name contains "runner"; their keys are merged into
//                                  the existing results.json
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type BenchFunction = () => Promise<Record<string, number>>;

const here = dirname(fileURLToPath(import.meta.url));
const resultsFile = join(here, 'results.json');
const filters = process.argv.slice(2);

function isFlatNumbers(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

async function main(): Promise<void> {
  const modules = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((pattern) => f.includes(pattern)))
    .sort();
  if (modules.length === 0) throw new Error(`no bench/*.bench.ts module matches ${filters.join(', ') || 'anything'}`);

  const results: Record<string, number> =
    filters.length > 0 && existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, number>) : {};
  let failures = 0;
  for (const file of modules) {
    const started = performance.now();
    process.stdout.write(`${file}\n`);
    try {
      const module = (await import(pathToFileURL(join(here, file)).href)) as { default?: BenchFunction; bench?: BenchFunction };
      const run = module.default ?? module.bench;
      if (typeof run !== 'function') throw new Error('it exports no bench function (default export or `bench`)');
      const figures = await run();
      if (!isFlatNumbers(figures)) throw new Error('its bench function must return a flat object of finite numbers');
      for (const [key, value] of Object.entries(figures)) {
        if (key in results && filters.length === 0) throw new Error(`the key ${key} is produced twice`);
        results[key] = value;
        process.stdout.write(`  ${key.padEnd(40)} ${value}\n`);
      }
      process.stdout.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    } catch (error) {
      failures++;
      process.stderr.write(`  ${file} failed: ${(error as Error).message}\n`);
    }
  }
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(resultsFile, `${JSON.stringify(sorted, null, 2)}\n`);
  process.stdout.write(`wrote ${Object.keys(sorted).length} figures to bench/results.json\n`);
  if (failures > 0) process.exitCode = 1;
}

await main();
