// The lint against the real runtime: our simulator's compiled API and the runtime test applet. Both come from
// `node scripts/build-java.mjs`; without that build these tests are skipped (and say so).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listClassFiles, loadApiDirectory, loadClassFiles } from '../../scripts/jclint/io.ts';
import { lintClasses } from '../../scripts/jclint/lint.ts';
import { formatFinding } from '../../scripts/jclint/findings.ts';
import { compileJava, FIXTURES, freshDir, JAVAC_8, javaSourcesUnder, REPO_ROOT, removeFreshDirs } from './java-compile.ts';

afterAll(removeFreshDirs);

const API_DIR = join(REPO_ROOT, 'build', 'java', 'simulator');
const TEST_APPLET_DIR = join(REPO_ROOT, 'build', 'java', 'testapplet');
const REMOVED_LIST = join(REPO_ROOT, 'simulator', 'api-3.0.5-only.txt');
const built = existsSync(API_DIR) && existsSync(TEST_APPLET_DIR);

describe.skipIf(!built)('jclint on the runtime build (needs node scripts/build-java.mjs)', () => {
  it('reads the runtime API, and every line of api-3.0.5-only.txt names a member of it', () => {
    const api = loadApiDirectory(API_DIR, REMOVED_LIST);
    expect(api.classes.has('javacard/framework/Applet')).toBe(true);
    expect(api.diagnostics).toEqual([]);
  });

  it('finds no error in the runtime test applet', () => {
    const api = loadApiDirectory(API_DIR, REMOVED_LIST);
    const { classes, errors } = loadClassFiles(listClassFiles(TEST_APPLET_DIR));
    expect(errors).toEqual([]);
    const findings = lintClasses(
      classes.map((c) => c.cls),
      api,
    );
    expect(findings.filter((f) => f.severity === 'error').map(formatFinding)).toEqual([]);
  });

  it('finds no error in the clean fixtures compiled against the runtime API', () => {
    const api = loadApiDirectory(API_DIR, REMOVED_LIST);
    const out = compileJava({ sources: javaSourcesUnder(join(FIXTURES, 'clean')), outDir: freshDir('clean-rt'), compiler: JAVAC_8, classpath: API_DIR });
    const { classes } = loadClassFiles(listClassFiles(out));
    const findings = lintClasses(
      classes.map((c) => c.cls),
      api,
    );
    expect(findings.filter((f) => f.severity === 'error').map(formatFinding)).toEqual([]);
  });
});
