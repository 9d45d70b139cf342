// Each rule against a Java fixture that breaks exactly that rule, and the clean fixtures that break none, compiled
// with javac --release 8 and with ecj -1.6 (the class version the 3.0.4 converter needs; different bytecode idioms).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiDirectory, listClassFiles, loadClassFiles } from '../../scripts/jclint/io.ts';
import { lintClasses } from '../../scripts/jclint/lint.ts';
import { packageOf } from '../../scripts/jclint/classfile.ts';
import type { ApiModel } from '../../scripts/jclint/api.ts';
import type { Finding, RuleId } from '../../scripts/jclint/findings.ts';
import { formatFinding } from '../../scripts/jclint/findings.ts';
import {
  compileFakeApi,
  compileJava,
  ECJ,
  FAKE_REMOVED_LIST,
  FIXTURES,
  freshDir,
  hasEcj,
  JAVAC_8,
  javaSourcesUnder,
  removeFreshDirs,
  type Compiler,
} from './java-compile.ts';

afterAll(removeFreshDirs);

let apiDir: string;
let api: ApiModel;

beforeAll(() => {
  apiDir = compileFakeApi();
  api = loadApiDirectory(apiDir, FAKE_REMOVED_LIST);
});

function lintSources(sources: readonly string[], compiler: Compiler, debug = true): Finding[] {
  const out = compileJava({ sources, outDir: freshDir('fixture'), compiler, classpath: apiDir, debug });
  return lintDirectory(out);
}

function lintDirectory(dir: string, onlyPackage?: string): Finding[] {
  const { classes, errors } = loadClassFiles(listClassFiles(dir));
  expect(errors).toEqual([]);
  const selected = classes.map((c) => c.cls).filter((cls) => onlyPackage === undefined || packageOf(cls.thisClass) === onlyPackage);
  expect(selected.length).toBeGreaterThan(0);
  return lintClasses(selected, api);
}

/** The rule fixtures compiled together, once per compiler (compiling each alone costs a JVM start each). */
const compiledRuleFixtures = new Map<string, string>();

function ruleFixturesBuiltWith(label: string, compiler: Compiler): string {
  let dir = compiledRuleFixtures.get(label);
  if (dir === undefined) {
    dir = compileJava({ sources: RULE_FIXTURES.map((f) => bad(f.fixture)), outDir: freshDir('rules'), compiler, classpath: apiDir });
    compiledRuleFixtures.set(label, dir);
  }
  return dir;
}

/** javac --release 8 writes version 52, which always earns the class-version warning; set it aside. */
function withoutVersionWarning(findings: Finding[]): Finding[] {
  return findings.filter((f) => !(f.rule === 'class-version' && f.severity === 'warning'));
}

const bad = (name: string): string => join(FIXTURES, 'bad', `${name}.java`);

interface RuleFixture {
  readonly fixture: string;
  /** The fixture's Java package, internal form. */
  readonly pkg: string;
  readonly rule: RuleId;
  /** One entry per expected finding: the member it is in and a piece of its message. */
  readonly expected: ReadonlyArray<readonly [member: string | undefined, messagePart: string]>;
}

const RULE_FIXTURES: readonly RuleFixture[] = [
  {
    fixture: 'IntType',
    pkg: 'fx/inttype',
    rule: 'int-type',
    expected: [
      ['counter', 'field counter has type int'],
      ['total', 'field total has type long'],
      ['count', 'parameter 1 of count has type char'],
      ['local', 'local variable x has type int'],
    ],
  },
  {
    fixture: 'StringUse',
    pkg: 'fx/string',
    rule: 'string',
    expected: [
      ['name', 'field name is a String'],
      ['show', 'show takes or returns a String'],
      ['label', 'String constant "hello"'],
    ],
  },
  {
    fixture: 'WideOp',
    pkg: 'fx/wideop',
    rule: 'wide-op',
    expected: [
      ['big', 'i2l converts int to long'],
      ['big', 'long constant 3'],
      ['big', 'lmul is a long operation'],
      ['big', 'long constant 10'],
      ['big', 'lcmp is a long operation'],
      ['mask', 'int constant 131071 (0x1FFFF) does not fit in a short'],
      ['lock', 'monitorenter (synchronized)'],
      ['lock', 'monitorexit (synchronized)'],
    ],
  },
  {
    fixture: 'IntIntermediate',
    pkg: 'fx/intermediate',
    rule: 'int-intermediate',
    expected: [
      ['sumAbove', 'the int result of iadd (+) at line 6'],
      ['at', 'is used as an array index'],
      ['half', 'is used as the left operand of idiv'],
      ['pick', 'is used as a switch key'],
      ['high', 'the int result of imul (*) at line 27'],
      ['carry', 'the int result of iand (&) at line 31'],
      ['carry', 'is used as a comparison (ifeq)'],
      ['unsigned', 'the int result of iushr (>>>) at line 35'],
      ['lengthMatches', 'the int result of iadd (+) at line 39'],
      ['store', 'the int result of iadd (+) at line 44'],
    ],
  },
  {
    fixture: 'ApiUse',
    pkg: 'fx/api',
    rule: 'api',
    expected: [
      ['internal', 'ekrona.sim.Memory is an internal class of the simulator runtime'],
      ['random', 'javacard.security.RandomData.nextBytes(byte[], short, short) is Java Card 3.0.5 only'],
      ['pin', 'javacard.framework.OwnerPINx is Java Card 3.0.5 only'],
      ['same', 'java.lang.Object.hashCode() is not available on Java Card'],
      ['clear', 'java.util.Arrays is not in Java Card 3.0.4'],
    ],
  },
  {
    fixture: 'Allocation',
    pkg: 'fx/allocation',
    rule: 'allocation',
    expected: [
      ['<clinit>', 'new java.lang.Object in the static initialiser'],
      ['process', 'new byte[...] in process'],
      ['process', 'throw with ISOException.throwIt(reason)'],
      ['grow', 'anewarray in grow'],
    ],
  },
  {
    fixture: 'StaticInit',
    pkg: 'fx/staticinit',
    rule: 'static-init',
    expected: [['<clinit>', 'invokestatic in the static initialiser']],
  },
];

const ECJ_AVAILABLE = hasEcj();
/** Why the ecj tests are skipped, printed and in their names (.ci/run installs Debian's ecj, so CI runs them). */
const ECJ_SKIPPED = ECJ_AVAILABLE ? '' : ' [skipped: ecj is not installed; apt-get install ecj]';
if (!ECJ_AVAILABLE) console.warn('[skipped] the jclint tests compiled with ecj -1.6: ecj is not installed (apt-get install ecj)');

const COMPILERS: ReadonlyArray<readonly [string, Compiler, boolean]> = [
  ['javac --release 8', JAVAC_8, true],
  ['ecj -1.6', ECJ, ECJ_AVAILABLE],
];

/**
 * Every finding has the fixture's rule and matches an expected entry, and every expected entry is matched. Order and
 * repeats are left free: javac and ecj order methods differently and emit different numbers of monitorexit.
 */
function expectExactly(findings: readonly Finding[], rule: RuleId, expected: RuleFixture['expected']): void {
  const printed = findings.map(formatFinding).join('\n');
  const matches = (f: Finding, [member, part]: RuleFixture['expected'][number]): boolean =>
    f.member === member && f.message.includes(part);
  for (const finding of findings) {
    expect(finding.rule, printed).toBe(rule);
    expect(finding.severity, printed).toBe('error');
    expect(expected.some((entry) => matches(finding, entry)), `unexpected: ${formatFinding(finding)}`).toBe(true);
  }
  for (const entry of expected) {
    expect(findings.some((f) => matches(f, entry)), `missing ${entry.join(': ')} in\n${printed}`).toBe(true);
  }
}

describe.each(COMPILERS)('fixtures compiled with %s', (label, compiler, available) => {
  const skipped = available ? '' : ECJ_SKIPPED;
  it.skipIf(!available).each(RULE_FIXTURES)(`$fixture produces exactly its $rule findings${skipped}`, ({ pkg, rule, expected }) => {
    expectExactly(withoutVersionWarning(lintDirectory(ruleFixturesBuiltWith(label, compiler), pkg)), rule, expected);
  });

  it.skipIf(!available)(`the clean fixtures (the usual Java Card idioms) produce nothing (${label})${skipped}`, () => {
    const findings = withoutVersionWarning(lintSources(javaSourcesUnder(join(FIXTURES, 'clean')), compiler));
    expect(findings.map(formatFinding)).toEqual([]);
  });
});

describe('the int-type rule without debug information', () => {
  it('reports once per class that it must be compiled with -g', () => {
    const findings = withoutVersionWarning(lintSources([bad('NoDebugInfo')], JAVAC_8, false));
    expect(findings.map((f) => [f.rule, f.member])).toEqual([['int-type', '<init>']]);
    expect(findings[0]!.message).toContain('must be compiled with -g');
  });
});

describe('the class-version rule', () => {
  it('fails a class file newer than version 52', () => {
    const findings = lintSources([bad('Tiny')], { kind: 'javac', release: 11 });
    expect(findings.map((f) => [f.severity, f.rule])).toEqual([['error', 'class-version']]);
    expect(findings[0]!.message).toContain('class file version 55 (Java 11)');
  });

  it('warns about version 52 and names the kits', () => {
    const findings = lintSources([bad('Tiny')], JAVAC_8);
    expect(findings.map((f) => [f.severity, f.rule])).toEqual([['warning', 'class-version']]);
    expect(findings[0]!.message).toContain('ecj -1.6');
    expect(findings[0]!.message).toContain('3.0.5u3 kit accepts 51 and the 3.2 kit 52');
  });

  it.skipIf(!ECJ_AVAILABLE)(`says nothing about version 50 (ecj -1.6)${ECJ_SKIPPED}`, () => {
    expect(lintSources([bad('Tiny')], ECJ)).toEqual([]);
  });
});

describe('the api rule on the fake API', () => {
  it('reads the fake API and the 3.0.5-only list without complaint', () => {
    expect(api.diagnostics).toEqual([]);
    expect([...api.classes.keys()].sort()).toContain('javacard/framework/Applet');
    expect([...api.classes.keys()].some((name) => name.startsWith('ekrona/'))).toBe(false);
  });
});
