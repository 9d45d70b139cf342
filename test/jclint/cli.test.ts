import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../scripts/jclint/main.ts';
import {
  compileFakeApi,
  compileJava,
  FAKE_REMOVED_LIST,
  FIXTURES,
  freshDir,
  JAVAC_8,
  javaSourcesUnder,
  removeFreshDirs,
  REPO_ROOT,
} from './java-compile.ts';

afterAll(removeFreshDirs);

let apiDir: string;
let cleanDir: string;
let badDir: string;

beforeAll(() => {
  apiDir = compileFakeApi();
  cleanDir = compileJava({ sources: javaSourcesUnder(join(FIXTURES, 'clean')), outDir: freshDir('clean'), compiler: JAVAC_8, classpath: apiDir });
  badDir = compileJava({
    sources: [join(FIXTURES, 'bad', 'IntIntermediate.java'), join(FIXTURES, 'bad', 'StringUse.java')],
    outDir: freshDir('bad'),
    compiler: JAVAC_8,
    classpath: apiDir,
  });
});

const FINDING_LINE = /^(error|warning) [a-z-]+ [\w.$<>]+(\((line \d+, )?pc \d+\)|\(line \d+\))?: .+$/;

describe('jclint command line', () => {
  it('exits 0 on clean classes, printing warnings and a summary', () => {
    const result = runCli(['--api', apiDir, '--api-305-only', FAKE_REMOVED_LIST, cleanDir]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('jclint: 2 classes checked, 0 errors, 1 warning');
    expect(lines[0]).toMatch(/^warning class-version fx\.clean\.CleanApplet: class file version 52 .* \(same for 1 more class\)$/);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(FINDING_LINE);
  });

  it('exits 1 when a class has errors, one line per finding in the documented format', () => {
    const result = runCli(['--api', apiDir, '--api-305-only', FAKE_REMOVED_LIST, badDir]);
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('jclint: 2 classes checked, 12 errors, 1 warning');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(FINDING_LINE);
    expect(lines).toContain(
      'error int-intermediate fx.intermediate.IntIntermediate.sumAbove(line 6, pc 4): the int result of iadd (+) at line 6, pc 2 is used as a comparison (if_icmple) without a cast: write (short)(...) or (byte)(...) around it; the converter computes in 16 bits ("unsupported int type of intermediate value")',
    );
  });

  it('accepts single class files as well as directories', () => {
    const result = runCli(['--api', apiDir, join(badDir, 'fx', 'string', 'StringUse.class')]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('jclint: 1 class checked, 3 errors, 1 warning');
  });

  it('exits 2 with a clear message when the API directory is missing', () => {
    const result = runCli(['--api', join(apiDir, 'nope'), cleanDir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/API directory .*nope does not exist: build the runtime first \(node scripts\/build-java.mjs\) or pass --api DIR/);
  });

  it('exits 2 without class directories, on unknown options and on directories without classes', () => {
    expect(runCli([]).exitCode).toBe(2);
    expect(runCli(['--bogus', cleanDir]).exitCode).toBe(2);
    const empty = freshDir('empty');
    const result = runCli(['--api', apiDir, empty]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no .class files');
  });

  it('reports unreadable class files as errors and goes on', () => {
    const dir = freshDir('broken');
    compileJava({ sources: [join(FIXTURES, 'bad', 'Tiny.java')], outDir: dir, compiler: JAVAC_8 });
    writeFileSync(join(dir, 'Broken.class'), new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0, 0]));
    const result = runCli(['--api', apiDir, dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^error class-format .*Broken\.class: truncated class file/m);
    expect(result.stdout).toContain('jclint: 1 class checked, 1 error, 1 warning');
  });

  it('reports a class whose bytecode cannot be decoded, and still lints the others', () => {
    const dir = freshDir('badcode');
    compileJava({ sources: [join(FIXTURES, 'bad', 'Tiny.java')], outDir: dir, compiler: JAVAC_8 });
    const file = join(dir, 'fx', 'version', 'Tiny.class');
    const bytes = new Uint8Array(readFileSync(file));
    // Replace the first opcode of the constructor (aload_0, 0x2a followed by invokespecial 0xb7) with an unknown one.
    const at = bytes.findIndex((b, i) => b === 0x2a && bytes[i + 1] === 0xb7);
    bytes[at] = 0xcb;
    writeFileSync(join(dir, 'Broken.class'), bytes);
    const result = runCli(['--api', apiDir, dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^error class-format fx\.version\.Tiny: cannot decode the class: unknown opcode 0xcb$/m);
    expect(result.stdout).toContain('jclint: 2 classes checked, 1 error, 1 warning');
  });

  it('runs as a process with tsx and sets the exit status', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts/jclint/main.ts'), '--api', apiDir, '--api-305-only', FAKE_REMOVED_LIST, badDir],
      { encoding: 'utf8', cwd: REPO_ROOT },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(1);
    expect(child.stdout).toContain('jclint: 2 classes checked, 12 errors, 1 warning');
  });
});
