// The protocol constants generator on a fixture protocol (test/codegen/fixtures), not the real protocol file.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAll, loadSpec, run } from '../../scripts/gen-constants.ts';
import { ProtocolSpecError, validateProtocolSpec } from '../../scripts/codegen/protocol-spec.ts';
import { MarkdownRegionError, renderMarkdown } from '../../scripts/codegen/render.ts';
import { ACC, parseClassFile } from '../../scripts/jclint/classfile.ts';
import { lintClasses } from '../../scripts/jclint/lint.ts';
import { buildApiModel } from '../../scripts/jclint/api.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE_DIR = join(HERE, 'fixtures');
const REPO_ROOT = resolve(HERE, '..', '..');
const SPEC_TEXT = readFileSync(join(FIXTURE_DIR, 'constants.json'), 'utf8');
const MARKDOWN = readFileSync(join(FIXTURE_DIR, 'WIRE.md'), 'utf8');
const SOURCE = 'protocol/constants.json';

const JAVA_PATH = 'applet/src/fx/protocol/Wire.java';
const TS_PATH = 'host/src/codec/wire-constants.ts';
const MD_PATH = 'docs/WIRE.md';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A throw-away repository root holding the fixture spec and its markdown document. */
function fixtureRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'gen-constants-'));
  roots.push(root);
  mkdirSync(join(root, 'protocol'));
  mkdirSync(join(root, 'docs'));
  cpSync(join(FIXTURE_DIR, 'constants.json'), join(root, 'protocol', 'constants.json'));
  cpSync(join(FIXTURE_DIR, 'WIRE.md'), join(root, MD_PATH));
  return root;
}

function generated(): Map<string, string> {
  const files = generateAll(loadSpec(SPEC_TEXT, SOURCE), SOURCE, MARKDOWN);
  return new Map(files.map((f) => [f.path, f.content]));
}

function specWith(mutate: (spec: any) => void): unknown {
  const spec = JSON.parse(SPEC_TEXT);
  mutate(spec);
  return spec;
}

function problemsOf(spec: unknown): readonly string[] {
  try {
    validateProtocolSpec(spec, SOURCE);
  } catch (error) {
    if (error instanceof ProtocolSpecError) return error.problems;
    throw error;
  }
  return [];
}

describe('generated Java', () => {
  it('compiles with javac and holds the values with the signed Java meaning', () => {
    const root = fixtureRoot();
    expect(run(['--root', root]).exitCode).toBe(0);
    const out = join(root, 'classes');
    execFileSync('javac', ['--release', '8', '-g', '-d', out, join(root, JAVA_PATH)], { stdio: 'pipe' });
    const cls = parseClassFile(readFileSync(join(out, 'fx', 'protocol', 'Wire.class')));
    const constant = (name: string): number | undefined => {
      const field = cls.fields.find((f) => f.name === name)!;
      expect(field.accessFlags & (ACC.PUBLIC | ACC.STATIC | ACC.FINAL)).toBe(ACC.PUBLIC | ACC.STATIC | ACC.FINAL);
      const entry = cls.constantPool[field.constantValueIndex!];
      return entry?.tag === 'Integer' ? entry.value : undefined;
    };
    expect(constant('INS_GET_STATUS')).toBe(0x10);
    expect(constant('INS_SELECT')).toBe(-92); // (byte) 0xA4
    expect(constant('SW_OK')).toBe(-28672); // (short) 0x9000
    expect(constant('SW_PIN_TRIES_BASE')).toBe(0x63c0);
    expect(constant('P1_LAST')).toBe(-128); // (byte) 128
    expect(constant('P1_ALL')).toBe(-1);
    expect(constant('LIMIT_MAX_BALANCE_SEK')).toBe(3000);
    expect(constant('LIMIT_UNSIGNED_TOP')).toBe(-1); // (short) 65535
    expect(cls.fields.map((f) => f.descriptor)).toEqual(['B', 'B', 'B', 'S', 'S', 'S', 'B', 'B', 'B', 'B', 'B', 'S', 'S']);
    // Java Card-legal: the lint finds nothing but the class version javac 17 writes.
    const findings = lintClasses([cls], buildApiModel([], undefined, 'none'));
    expect(findings.map((f) => `${f.severity} ${f.rule}`)).toEqual(['warning class-version']);
  });

  it('says it is generated, from where, and writes every doc as a comment', () => {
    const java = generated().get(JAVA_PATH)!;
    expect(java.split('\n').slice(0, 3)).toEqual([
      '// GENERATED from protocol/constants.json by scripts/gen-constants.ts: do not edit. Change the JSON and run',
      '// `npx tsx scripts/gen-constants.ts`; CI runs it with --check and fails when this file is out of date.',
      'package fx.protocol;',
    ]);
    expect(java).toContain('public final class Wire {\n    private Wire() {}\n');
    expect(java).toContain('    /** ISO SELECT | by AID. */\n    public static final byte INS_SELECT = (byte) 0xA4;\n');
    expect(java).toContain('    public static final short SW_PIN_TRIES_BASE = (short) 0x63C0;\n');
    expect(java).toContain('    public static final short LIMIT_MAX_BALANCE_SEK = (short) 3000;\n');
    expect(java).toContain('    public static final byte P1_ALL = (byte) -1;\n');
  });
});

describe('generated TypeScript', () => {
  it('imports and has the wire values, name types and lookups', async () => {
    const root = fixtureRoot();
    run(['--root', root]);
    const module = await import(pathToFileURL(join(root, TS_PATH)).href);
    expect(module.INS).toEqual({ GET_STATUS: 0x10, SELECT: 0xa4, PAY: 0x32 });
    expect(module.SW.OK).toBe(0x9000);
    expect(module.P1).toEqual({ NONE: 0, FIRST: 0, LAST: 128, ALL: 255 });
    expect(module.LIMIT.UNSIGNED_TOP).toBe(0xffff);
    expect(module.swName(0x6a84)).toBe('INSUFFICIENT_FUNDS');
    expect(module.swName(0x1234)).toBeUndefined();
    expect(module.insName(0xa4)).toBe('SELECT');
    expect(module.p1Name(0)).toBe('NONE'); // shared value: the first declared wins
    expect(module.recordName(1)).toBe('PAYMENT');
  });

  it('type-checks under strict settings (and a group named RECORD does not shadow Record)', () => {
    const root = fixtureRoot();
    run(['--root', root]);
    writeFileSync(
      join(root, 'use.ts'),
      [
        `import { SW, swName, recordName, type SwName, type SwValue, type RecordName } from './${TS_PATH}';`,
        'const ok: SwValue = SW.OK;',
        "const name: SwName | undefined = swName(ok);",
        "const kind: RecordName | undefined = recordName(1);",
        'const table: Record<string, number> = { ok };',
        '// @ts-expect-error a name that does not exist',
        'const wrong: SwName = "NOPE";',
        'export { name, kind, table, wrong };',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: true,
          isolatedModules: true,
          allowImportingTsExtensions: true,
          noEmit: true,
        },
        files: ['use.ts', TS_PATH],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});

describe('generated markdown', () => {
  const markdown = (): string => generated().get(MD_PATH)!;

  it('replaces each region by the table of its group', () => {
    expect(markdown()).toContain(
      [
        '<!-- generated:INS -->',
        '<!-- INS (byte): generated from protocol/constants.json by scripts/gen-constants.ts; edit the JSON, not this table. -->',
        '| name | value | meaning |',
        '| --- | --- | --- |',
        '| `INS_GET_STATUS` | `0x10` | Reads the card status. |',
        '| `INS_SELECT` | `0xA4` | ISO SELECT \\| by AID. |',
        '| `INS_PAY` | `0x32` | Pays a signed request. |',
        '<!-- /generated:INS -->',
      ].join('\n'),
    );
    expect(markdown()).not.toContain('stale content');
    expect(markdown()).toContain('| `P1_LAST` | `0x80` (128) | Last block. |');
    expect(markdown()).toContain('| `P1_ALL` | `0xFF` (-1) | Every bit set. |');
    expect(markdown().match(/\| `P1_NONE` \|/g)).toHaveLength(2); // both P1 regions
  });

  it('leaves everything outside the regions byte for byte, and groups without markers out', () => {
    const outside = (text: string): string => text.replace(/(<!-- generated:(\w+) -->)[\s\S]*?(<!-- \/generated:\2 -->)/g, '$1$3');
    expect(outside(markdown())).toBe(outside(MARKDOWN));
    expect(markdown()).toContain('Text between regions is kept exactly,   trailing spaces included.   \n');
    expect(markdown()).toContain('this sentence mentions a marker inline and stays.');
    expect(markdown()).toContain('  <!-- generated:SW -->\n<!-- SW (short)');
    expect(markdown()).not.toContain('LIMIT_MAX_BALANCE_SEK');
    expect(markdown()).not.toContain('RECORD_PAYMENT');
  });

  it('is idempotent: rendering its own output again changes nothing', () => {
    const spec = loadSpec(SPEC_TEXT, SOURCE);
    expect(renderMarkdown(markdown(), spec, MD_PATH, SOURCE)).toBe(markdown());
  });

  it.each([
    ['an unknown group', '<!-- generated:NOPE -->\n<!-- /generated:NOPE -->\n', 'line 1: generated:NOPE names no group of protocol/constants.json'],
    ['an unclosed region', 'x\n<!-- generated:INS -->\n', 'line 2: generated:INS is never closed'],
    ['a mismatched close', '<!-- generated:INS -->\n<!-- /generated:SW -->\n', 'line 2: /generated:SW closes generated:INS (opened on line 1)'],
    ['a nested region', '<!-- generated:INS -->\n<!-- generated:SW -->\n<!-- /generated:INS -->\n', 'line 2: generated:SW opens inside generated:INS'],
    ['a close without open', '<!-- /generated:INS -->\n', 'line 1: /generated:INS closes a region that was never opened'],
  ])('refuses %s, naming the line', (_, text, message) => {
    const spec = loadSpec(SPEC_TEXT, SOURCE);
    expect(() => renderMarkdown(text, spec, MD_PATH, SOURCE)).toThrow(MarkdownRegionError);
    expect(() => renderMarkdown(text, spec, MD_PATH, SOURCE)).toThrow(message);
  });
});

describe('determinism', () => {
  it('generates the same bytes every time, LF line ends, a final newline, no trailing blanks in generated code', () => {
    const first = generated();
    const second = generated();
    expect([...second]).toEqual([...first]);
    for (const path of [JAVA_PATH, TS_PATH]) {
      const content = first.get(path)!;
      expect(content.endsWith('\n')).toBe(true);
      expect(content).not.toMatch(/\r|[ \t]\n/);
    }
  });
});

describe('gen-constants --check', () => {
  it('names every missing or stale file, writes nothing, and passes once generated', () => {
    const root = fixtureRoot();
    const first = run(['--root', root, '--check']);
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toContain('3 of 3 generated files are out of date with protocol/constants.json:');
    expect(first.stderr).toContain(`  ${JAVA_PATH} (missing)\n  ${TS_PATH} (missing)\n  ${MD_PATH} (differs)\n`);
    expect(first.stderr).toContain('Run `npx tsx scripts/gen-constants.ts`');
    expect(readFileSync(join(root, MD_PATH), 'utf8')).toBe(MARKDOWN); // nothing written

    const write = run(['--root', root]);
    expect(write).toEqual({
      exitCode: 0,
      stdout: `gen-constants: wrote ${JAVA_PATH}\ngen-constants: wrote ${TS_PATH}\ngen-constants: wrote ${MD_PATH}\n`,
      stderr: '',
    });
    expect(run(['--root', root, '--check'])).toEqual({
      exitCode: 0,
      stdout: 'gen-constants: 3 generated files are up to date with protocol/constants.json\n',
      stderr: '',
    });
  });

  it('detects drift after the JSON changes, and a hand edit of one generated file', () => {
    const root = fixtureRoot();
    run(['--root', root]);
    const javaFile = join(root, JAVA_PATH);
    writeFileSync(javaFile, readFileSync(javaFile, 'utf8').replace('(short) 0x6A84', '(short) 0x6A85'));
    const handEdit = run(['--root', root, '--check']);
    expect(handEdit.exitCode).toBe(1);
    expect(handEdit.stderr).toContain(`1 of 3 generated files are out of date`);
    expect(handEdit.stderr).toContain(`  ${JAVA_PATH} (differs)\n`);

    run(['--root', root]);
    const specFile = join(root, 'protocol', 'constants.json');
    writeFileSync(specFile, readFileSync(specFile, 'utf8').replace('"0x6A84"', '"0x6A86"'));
    const drift = run(['--root', root, '--check']);
    expect(drift.exitCode).toBe(1);
    expect(drift.stderr).toContain(`  ${JAVA_PATH} (differs)\n  ${TS_PATH} (differs)\n  ${MD_PATH} (differs)\n`);
  });

  it('fails clearly when the markdown file does not exist', () => {
    const root = fixtureRoot();
    writeFileSync(join(root, 'protocol', 'constants.json'), SPEC_TEXT.replace('docs/WIRE.md', 'docs/MISSING.md'));
    const missing = run(['--root', root]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('docs/MISSING.md does not exist: create it');
  });

  it('exits 1 from a real process when out of date, 2 on a bad option', () => {
    const root = fixtureRoot();
    const script = join(REPO_ROOT, 'scripts', 'gen-constants.ts');
    const check = spawnSync(process.execPath, ['--import', 'tsx', script, '--root', root, '--check'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain('out of date');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', script, '--bogus'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(bad.status).toBe(2);
  });
});

describe('validation of constants.json', () => {
  it('accepts the fixture', () => {
    expect(problemsOf(JSON.parse(SPEC_TEXT))).toEqual([]);
  });

  it.each<[string, (spec: any) => void, string]>([
    ['a byte value too big', (s) => (s.groups[0].entries[1].value = '0x1A4'), 'groups[0] INS, entries[1] SELECT: value 0x1A4 does not fit a byte: allowed -128..255 (0x00..0xFF)'],
    ['a short value too small', (s) => (s.groups[1].entries[0].value = '-32769'), 'groups[1] SW, entries[0] OK: value -32769 does not fit a short'],
    ['a number instead of a string', (s) => (s.groups[0].entries[0].value = 16), 'groups[0] INS, entries[0] GET_STATUS: value must be a string such as "0x6A84" or "3000", not the number 16'],
    ['a malformed hex value', (s) => (s.groups[0].entries[0].value = '0xZZ'), 'value "0xZZ" is neither hex (0x6A84) nor decimal (3000, -1)'],
    ['a negative hex value', (s) => (s.groups[0].entries[0].value = '-0x10'), 'value "-0x10" is neither hex'],
    ['a leading zero decimal', (s) => (s.groups[0].entries[0].value = '010'), 'value "010" is neither hex'],
    ['a duplicate name', (s) => (s.groups[0].entries[2].name = 'GET_STATUS'), 'groups[0] INS, entries[2] GET_STATUS: duplicate name: entries[0] is also GET_STATUS'],
    ['a duplicate value in a unique group', (s) => (s.groups[1].entries[1].value = '0x9000'), 'groups[1] SW, entries[1] INSUFFICIENT_FUNDS: duplicate value 0x9000 in a group marked unique: OK is 0x9000'],
    ['the same wire value written two ways in a unique group', (s) => (s.groups[0].entries[2].value = '-92'), 'duplicate value -92 in a group marked unique: SELECT is 0xA4'],
    ['an unsupported javaType', (s) => (s.groups[0].javaType = 'int'), 'groups[0] INS: javaType must be "byte" or "short", not the string "int"'],
    ['a missing doc', (s) => delete s.groups[0].entries[0].doc, 'groups[0] INS, entries[0] GET_STATUS: missing "doc"'],
    ['a doc that would end the comment', (s) => (s.groups[0].entries[0].doc = 'a */ b'), 'doc must not contain "*/"'],
    ['a two-line doc', (s) => (s.groups[0].entries[0].doc = 'a\nb'), 'doc must be a single line'],
    ['an unknown key in an entry', (s) => (s.groups[0].entries[0].comment = 'x'), 'groups[0] INS, entries[0] GET_STATUS: unknown key "comment" (allowed: name, value, doc)'],
    ['an unknown top-level key', (s) => (s.extra = 1), 'top level: unknown key "extra"'],
    ['a lower-case entry name', (s) => (s.groups[0].entries[0].name = 'getStatus'), 'name "getStatus" must be UPPER_SNAKE_CASE'],
    ['a Java path that does not match the package', (s) => (s.java.path = 'applet/src/Wire.java'), 'java: path "applet/src/Wire.java" must end with fx/protocol/Wire.java'],
    ['a path leaving the repository', (s) => (s.typescript.path = '../outside.ts'), 'typescript: path "../outside.ts" must not contain empty, "." or ".." segments'],
    ['an absolute path', (s) => (s.markdown.path = '/tmp/x.md'), 'markdown: path "/tmp/x.md" must be relative to the repository root'],
    ['no groups', (s) => (s.groups = []), 'top level: "groups" must be a non-empty array'],
    ['a group without entries', (s) => (s.groups[2].entries = []), 'groups[2] P1: "entries" must be a non-empty array'],
    ['a duplicate group name', (s) => (s.groups[4].name = 'SW'), 'groups[4] SW: duplicate group name: groups[1] is also SW'],
    ['two groups generating the same Java constant', (s) => { s.groups[3].prefix = 'P1_'; s.groups[3].entries[0].name = 'LAST'; }, 'groups[3] RECORD, LAST: Java constant P1_LAST is also generated by group P1'],
    ['a non-boolean unique', (s) => (s.groups[0].unique = 'yes'), 'groups[0] INS: unique must be true or false'],
    ['a bad prefix', (s) => (s.groups[0].prefix = 'ins_'), 'groups[0] INS: prefix "ins_" must be empty or UPPER_SNAKE_CASE'],
  ])('rejects %s with a specific message', (_, mutate, message) => {
    const problems = problemsOf(specWith(mutate));
    expect(problems.join('\n')).toContain(message);
  });

  it('accepts a duplicate value in a group not marked unique', () => {
    expect(problemsOf(specWith((s) => (s.groups[2].entries[3].value = '0')))).toEqual([]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      specWith((s) => {
        s.groups[0].entries[0].value = '0x100';
        s.groups[1].entries[0].doc = '';
        s.java.class = 'wire';
      }),
    );
    expect(problems).toHaveLength(3);
  });

  it('names the file and the JSON error when the text is not JSON', () => {
    expect(() => loadSpec('{ "java": ', 'protocol/constants.json')).toThrow(/protocol\/constants.json is not a valid protocol constants file:\n {2}- not valid JSON/);
  });

  it('refuses TypeScript exports that collide across groups', () => {
    // P1 and P_1 are both P1 / p1 in Pascal and camel case
    const text = JSON.stringify(specWith((s) => (s.groups[3].name = 'P_1')));
    expect(() => loadSpec(text, SOURCE)).toThrow('groups P1 and P_1 both generate the TypeScript export value p1Name');
  });
});
