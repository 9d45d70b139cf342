// Compiles the lint's Java fixtures into temporary directories, with javac or (when installed) Debian's ecj.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const REPO_ROOT = resolve(FIXTURES, '..', '..', '..');

/** How a fixture is compiled: javac for a given --release, or ecj -1.6 (class version 50, what the 3.0.4 kit needs). */
export type Compiler = { kind: 'javac'; release: 8 | 11 } | { kind: 'ecj' };

export const JAVAC_8: Compiler = { kind: 'javac', release: 8 };
export const ECJ: Compiler = { kind: 'ecj' };

export function hasEcj(): boolean {
  return spawnSync('ecj', ['-version'], { stdio: 'ignore' }).status === 0;
}

const createdDirs: string[] = [];

/** A new temporary directory, removed by removeFreshDirs (call it in afterAll). */
export function freshDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `jclint-${label}-`));
  createdDirs.push(dir);
  return dir;
}

export function removeFreshDirs(): void {
  for (const dir of createdDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function javaSourcesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.java'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export function compileJava(options: {
  sources: readonly string[];
  outDir: string;
  compiler: Compiler;
  classpath?: string;
  debug?: boolean;
}): string {
  mkdirSync(options.outDir, { recursive: true });
  const common = [
    ...(options.debug === false ? [] : ['-g']),
    ...(options.classpath === undefined ? [] : ['-cp', options.classpath]),
    '-d',
    options.outDir,
  ];
  const args =
    options.compiler.kind === 'javac'
      ? ['--release', String(options.compiler.release), '-nowarn', ...common, ...options.sources]
      : ['-1.6', '-proc:none', '-nowarn', ...common, ...options.sources];
  execFileSync(options.compiler.kind === 'javac' ? 'javac' : 'ecj', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return options.outDir;
}

/** The fake Java Card API of the fixtures, compiled once per test file. */
export function compileFakeApi(): string {
  return compileJava({ sources: javaSourcesUnder(join(FIXTURES, 'api')), outDir: freshDir('api'), compiler: JAVAC_8 });
}

export const FAKE_REMOVED_LIST = join(FIXTURES, 'api-3.0.5-only.txt');
