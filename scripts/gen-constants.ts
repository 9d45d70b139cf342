// Generates the protocol's constants from protocol/constants.json, the single source of truth:
//   - the applet's Java constants (java.path),
//   - the host's TypeScript constants (typescript.path),
//   - the tables between <!-- generated:GROUP --> markers of the protocol document (markdown.path).
//
//   tsx scripts/gen-constants.ts [--check] [--root DIR] [--config FILE]
//
// --check writes nothing and exits 1 naming every file that is out of date (CI). Exit 2 on a usage problem.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseProtocolSpec, ProtocolSpecError, type ProtocolSpec } from './codegen/protocol-spec.ts';
import { MarkdownRegionError, renderJava, renderMarkdown, renderTypeScript, typeScriptExports } from './codegen/render.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_CONFIG = 'protocol/constants.json';

export interface GeneratedFile {
  /** Relative to the root, as written in the spec. */
  readonly path: string;
  readonly content: string;
}

class GenerationError extends Error {}

function checkTypeScriptExports(spec: ProtocolSpec, source: string): void {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const group of spec.groups) {
    for (const name of typeScriptExports(group)) {
      const owner = owners.get(name);
      if (owner !== undefined) problems.push(`groups ${owner} and ${group.name} both generate the TypeScript export ${name}`);
      owners.set(name, group.name);
    }
  }
  if (problems.length > 0) throw new ProtocolSpecError(source, problems);
}

/** Reads and validates the spec, including the TypeScript exports the groups will produce. */
export function loadSpec(specText: string, source: string): ProtocolSpec {
  const spec = parseProtocolSpec(specText, source);
  checkTypeScriptExports(spec, source);
  return spec;
}

/**
 * Every file the spec generates, given the current text of its markdown document (whose regions are replaced).
 * Pure: reading and writing files is the caller's business.
 */
export function generateAll(spec: ProtocolSpec, source: string, currentMarkdown: string | undefined): GeneratedFile[] {
  if (currentMarkdown === undefined) {
    throw new GenerationError(
      `${spec.markdown.path} does not exist: create it; the tables go between <!-- generated:GROUP --> and <!-- /generated:GROUP --> markers`,
    );
  }
  return [
    { path: spec.java.path, content: renderJava(spec, source) },
    { path: spec.typescript.path, content: renderTypeScript(spec, source) },
    { path: spec.markdown.path, content: renderMarkdown(currentMarkdown, spec, spec.markdown.path, source) },
  ];
}

export interface RunResult {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export function run(argv: readonly string[]): RunResult {
  let options;
  try {
    options = parseArgs({
      args: [...argv],
      options: { check: { type: 'boolean' }, root: { type: 'string' }, config: { type: 'string' } },
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `gen-constants: ${(error as Error).message}\nusage: tsx scripts/gen-constants.ts [--check] [--root DIR] [--config FILE]\n` };
  }
  const root = resolve(options.root ?? REPO_ROOT);
  const configPath = resolve(root, options.config ?? DEFAULT_CONFIG);
  const source = relative(root, configPath).split('\\').join('/');
  const specText = readIfExists(configPath);
  if (specText === undefined) return { exitCode: 2, stdout: '', stderr: `gen-constants: ${configPath} does not exist\n` };
  let files: GeneratedFile[];
  try {
    const spec = loadSpec(specText, source);
    files = generateAll(spec, source, readIfExists(resolve(root, spec.markdown.path)));
  } catch (error) {
    if (error instanceof ProtocolSpecError || error instanceof MarkdownRegionError || error instanceof GenerationError) {
      return { exitCode: 1, stdout: '', stderr: `gen-constants: ${error.message}\n` };
    }
    throw error;
  }
  const stale = files
    .map((file) => ({ file, current: readIfExists(resolve(root, file.path)) }))
    .filter(({ file, current }) => current !== file.content);
  if (options.check) {
    if (stale.length === 0) return { exitCode: 0, stdout: `gen-constants: ${files.length} generated files are up to date with ${source}\n`, stderr: '' };
    const list = stale.map(({ file, current }) => `  ${file.path} (${current === undefined ? 'missing' : 'differs'})`).join('\n');
    return {
      exitCode: 1,
      stdout: '',
      stderr: `gen-constants: ${stale.length} of ${files.length} generated files are out of date with ${source}:\n${list}\nRun \`npx tsx scripts/gen-constants.ts\` and commit the result.\n`,
    };
  }
  for (const { file } of stale) {
    const target = resolve(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  const written = stale.map(({ file }) => `gen-constants: wrote ${file.path}`).join('\n');
  return {
    exitCode: 0,
    stdout: stale.length === 0 ? `gen-constants: ${files.length} generated files are up to date with ${source}\n` : `${written}\n`,
    stderr: '',
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = run(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
