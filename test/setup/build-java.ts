// Vitest global setup: the Java parts (simulator runtime, applet, test applet) compiled before any test file runs, so
// that `vitest run test/<file>` works on a fresh clone as `npm test` does. The build skips what is up to date (under
// a second then), quietly; a failed build stops the run with its output.

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function buildJava(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build-java.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.status !== 0) throw new Error(`scripts/build-java.mjs failed (exit ${result.status ?? result.signal}):\n${result.stderr}`);
  if (result.stderr) process.stderr.write(result.stderr);
}
