// The Java Card lint's command line: tsx scripts/jclint/main.ts [--api DIR] [--api-305-only FILE] CLASSDIR...
//
// Reads compiled applet classes and reports, per class, everything Oracle's Java Card converter (3.0.4 classic)
// would reject. Exit status: 0 clean (warnings allowed), 1 when any error is found, 2 on a usage problem.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { collapseClassVersion, formatFinding, summarise, type Finding } from './findings.ts';
import { JclintUsageError, listClassFiles, loadApiDirectory, loadClassFiles } from './io.ts';
import { lintClasses } from './lint.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_API_DIR = resolve(REPO_ROOT, 'build/java/simulator');
const DEFAULT_REMOVED_LIST = resolve(REPO_ROOT, 'simulator/api-3.0.5-only.txt');

const USAGE = `usage: tsx scripts/jclint/main.ts [--api DIR] [--api-305-only FILE] CLASSDIR|CLASSFILE...

  --api DIR             compiled Java Card API (its javacard/ and javacardx/ classes); default build/java/simulator
  --api-305-only FILE   API members a 3.0.4 card lacks, one a line; default simulator/api-3.0.5-only.txt (optional)
`;

export interface CliResult {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(argv: readonly string[]): CliResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        api: { type: 'string' },
        'api-305-only': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\n${USAGE}` };
  }
  if (parsed.values.help) return { exitCode: 0, stdout: USAGE, stderr: '' };
  if (parsed.positionals.length === 0) return { exitCode: 2, stdout: '', stderr: `no class directory given\n${USAGE}` };
  try {
    const api = loadApiDirectory(
      parsed.values.api === undefined ? DEFAULT_API_DIR : resolve(parsed.values.api),
      parsed.values['api-305-only'] === undefined ? DEFAULT_REMOVED_LIST : resolve(parsed.values['api-305-only']),
    );
    const files = parsed.positionals.flatMap((path) => listClassFiles(path));
    if (files.length === 0) return { exitCode: 2, stdout: '', stderr: `no .class files under ${parsed.positionals.join(', ')}\n` };
    const { classes, errors } = loadClassFiles(files);
    const findings: Finding[] = collapseClassVersion(lintClasses(classes.map((c) => c.cls), api));
    const lines = [
      ...errors.map((message) => `error class-format ${message}`),
      ...findings.map(formatFinding),
      summarise(findings, classes.length, errors.length),
    ];
    const failed = errors.length > 0 || findings.some((f) => f.severity === 'error');
    const notes = api.diagnostics.map((d) => `note: ${d}\n`).join('');
    return { exitCode: failed ? 1 : 0, stdout: `${lines.join('\n')}\n`, stderr: notes };
  } catch (error) {
    if (error instanceof JclintUsageError) return { exitCode: 2, stdout: '', stderr: `jclint: ${error.message}\n` };
    throw error;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = runCli(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
