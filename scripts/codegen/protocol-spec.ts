// The schema of protocol/constants.json (documented in protocol/README.md) and its strict validation.
//
// validateProtocolSpec collects every problem it finds, each naming the entry (`groups[3] SW, entries[5]
// INSUFFICIENT_FUNDS: ...`), and throws them together, so one run shows everything to fix.

export type JavaType = 'byte' | 'short';

export interface ProtocolEntry {
  readonly name: string;
  /** The value as written: hex (`0x6A84`) or decimal (`3000`, `-1`). */
  readonly text: string;
  readonly radix: 'hex' | 'decimal';
  /** The number as written (may be negative for decimals). */
  readonly value: number;
  /** The value on the wire: `value` reduced to 8 or 16 bits, unsigned. */
  readonly unsigned: number;
  readonly doc: string;
}

export interface ProtocolGroup {
  readonly name: string;
  readonly title: string;
  readonly javaType: JavaType;
  readonly prefix: string;
  readonly unique: boolean;
  readonly entries: readonly ProtocolEntry[];
}

export interface ProtocolSpec {
  readonly java: { readonly package: string; readonly class: string; readonly path: string };
  readonly typescript: { readonly path: string };
  readonly markdown: { readonly path: string };
  readonly groups: readonly ProtocolGroup[];
}

export class ProtocolSpecError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid protocol constants file:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ProtocolSpecError';
  }
}

export const RANGES: Readonly<Record<JavaType, { min: number; max: number; bits: number }>> = {
  byte: { min: -128, max: 0xff, bits: 8 },
  short: { min: -32768, max: 0xffff, bits: 16 },
};

const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;
const PREFIX = /^([A-Z][A-Z0-9_]*)?$/;
const JAVA_PACKAGE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const JAVA_CLASS = /^[A-Z][A-Za-z0-9_]*$/;
const HEX = /^0x[0-9A-Fa-f]+$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

/** Keys an object may carry besides its own: a free-form comment, since JSON has none. */
const COMMENT_KEY = '$comment';

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${String(value)}`;
}

/** A relative path with forward slashes that stays inside the repository. */
function pathProblem(path: string, extension: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'must be relative to the repository root';
  if (path.includes('\\')) return 'must use forward slashes';
  if (path.split('/').some((part) => part === '..' || part === '.' || part === '')) return 'must not contain empty, "." or ".." segments';
  if (!path.endsWith(extension)) return `must end with ${extension}`;
  return undefined;
}

/** Parses a value string for a type; returns a problem description instead when it is not acceptable. */
export function parseValue(text: string, type: JavaType): { value: number; radix: 'hex' | 'decimal' } | string {
  const radix = HEX.test(text) ? 'hex' : DECIMAL.test(text) ? 'decimal' : undefined;
  if (radix === undefined) return `value ${JSON.stringify(text)} is neither hex (0x6A84) nor decimal (3000, -1)`;
  const value = radix === 'hex' ? Number.parseInt(text.slice(2), 16) : Number(text);
  const { min, max } = RANGES[type];
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const allowed = type === 'byte' ? '-128..255 (0x00..0xFF)' : '-32768..65535 (0x0000..0xFFFF)';
    return `value ${text} does not fit a ${type}: allowed ${allowed}`;
  }
  return { value, radix };
}

export function unsignedOf(value: number, type: JavaType): number {
  const bits = RANGES[type].bits;
  return ((value % 2 ** bits) + 2 ** bits) % 2 ** bits;
}

/** A one-line text that can go into a Java comment, a TS comment and a Markdown table cell. */
function textProblem(text: Json, what: string): string | undefined {
  if (typeof text !== 'string') return `${what} must be a string, not ${describe(text)}`;
  if (text.trim() === '') return `${what} must not be empty`;
  if (/[\r\n]/.test(text)) return `${what} must be a single line`;
  if (text.includes('*/')) return `${what} must not contain "*/" (it would end the generated comment)`;
  if (/\\u/.test(text)) return `${what} must not contain "\\u" (javac decodes unicode escapes even inside comments)`;
  return undefined;
}

class Collector {
  readonly problems: string[] = [];

  add(where: string, problem: string): void {
    this.problems.push(`${where}: ${problem}`);
  }

  /** Reports keys that are not in the schema. */
  onlyKeys(where: string, object: Record<string, Json>, allowed: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (!allowed.includes(key) && key !== COMMENT_KEY) {
        this.add(where, `unknown key ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  requireString(where: string, object: Record<string, Json>, key: string): string | undefined {
    const value = object[key];
    if (value === undefined) {
      this.add(where, `missing "${key}"`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(where, `"${key}" must be a string, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  requireObject(where: string, object: Record<string, Json>, key: string): Record<string, Json> | undefined {
    const value = object[key];
    if (!isObject(value)) {
      this.add(where, value === undefined ? `missing "${key}"` : `"${key}" must be an object, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }
}

type Outputs = Pick<ProtocolSpec, 'java' | 'typescript' | 'markdown'>;

function validateOutputs(c: Collector, root: Record<string, Json>): Outputs | undefined {
  const java = c.requireObject('top level', root, 'java');
  const typescript = c.requireObject('top level', root, 'typescript');
  const markdown = c.requireObject('top level', root, 'markdown');
  let javaOut: ProtocolSpec['java'] | undefined;
  if (java !== undefined) {
    c.onlyKeys('java', java, ['package', 'class', 'path']);
    const pkg = c.requireString('java', java, 'package');
    const cls = c.requireString('java', java, 'class');
    const path = c.requireString('java', java, 'path');
    if (pkg !== undefined && !JAVA_PACKAGE.test(pkg)) c.add('java', `package ${JSON.stringify(pkg)} is not a lower-case Java package name`);
    if (cls !== undefined && !JAVA_CLASS.test(cls)) c.add('java', `class ${JSON.stringify(cls)} is not a Java class name (e.g. Protocol)`);
    if (path !== undefined) {
      const problem = pathProblem(path, '.java');
      if (problem !== undefined) c.add('java', `path ${JSON.stringify(path)} ${problem}`);
      else if (
        pkg !== undefined &&
        cls !== undefined &&
        JAVA_PACKAGE.test(pkg) &&
        JAVA_CLASS.test(cls) &&
        !path.endsWith(`${pkg.replace(/\./g, '/')}/${cls}.java`)
      ) {
        c.add('java', `path ${JSON.stringify(path)} must end with ${pkg.replace(/\./g, '/')}/${cls}.java to match package ${pkg} and class ${cls}`);
      }
    }
    if (pkg !== undefined && cls !== undefined && path !== undefined) javaOut = { package: pkg, class: cls, path };
  }
  const single = (where: 'typescript' | 'markdown', object: Record<string, Json> | undefined, extension: string) => {
    if (object === undefined) return undefined;
    c.onlyKeys(where, object, ['path']);
    const path = c.requireString(where, object, 'path');
    if (path === undefined) return undefined;
    const problem = pathProblem(path, extension);
    if (problem !== undefined) c.add(where, `path ${JSON.stringify(path)} ${problem}`);
    return { path };
  };
  const tsOut = single('typescript', typescript, '.ts');
  const mdOut = single('markdown', markdown, '.md');
  if (javaOut === undefined || tsOut === undefined || mdOut === undefined) return undefined;
  return { java: javaOut, typescript: tsOut, markdown: mdOut };
}

function validateEntry(c: Collector, raw: Json, where: string, javaType: JavaType | undefined): ProtocolEntry | undefined {
  if (!isObject(raw)) {
    c.add(where, `must be an object with name, value and doc, not ${describe(raw)}`);
    return undefined;
  }
  const name = raw['name'];
  const label = typeof name === 'string' ? `${where} ${name}` : where;
  c.onlyKeys(label, raw, ['name', 'value', 'doc']);
  let ok = true;
  if (typeof name !== 'string' || !CONSTANT_NAME.test(name)) {
    c.add(label, name === undefined ? 'missing "name"' : `name ${JSON.stringify(name)} must be UPPER_SNAKE_CASE starting with a letter`);
    ok = false;
  }
  const text = raw['value'];
  let parsed: ReturnType<typeof parseValue> | undefined;
  if (typeof text !== 'string') {
    c.add(label, text === undefined ? 'missing "value"' : `value must be a string such as "0x6A84" or "3000", not ${describe(text)}`);
    ok = false;
  } else if (javaType !== undefined) {
    parsed = parseValue(text, javaType);
    if (typeof parsed === 'string') {
      c.add(label, parsed);
      ok = false;
    }
  }
  const docProblem = textProblem(raw['doc'], 'doc');
  if (docProblem !== undefined) {
    c.add(label, raw['doc'] === undefined ? 'missing "doc" (every constant says what it means)' : docProblem);
    ok = false;
  }
  if (!ok || parsed === undefined || typeof parsed === 'string' || javaType === undefined) return undefined;
  return {
    name: name as string,
    text: text as string,
    radix: parsed.radix,
    value: parsed.value,
    unsigned: unsignedOf(parsed.value, javaType),
    doc: raw['doc'] as string,
  };
}

function validateGroup(c: Collector, raw: Json, index: number): ProtocolGroup | undefined {
  const base = `groups[${index}]`;
  if (!isObject(raw)) {
    c.add(base, `must be an object, not ${describe(raw)}`);
    return undefined;
  }
  const where = typeof raw['name'] === 'string' ? `${base} ${raw['name']}` : base;
  c.onlyKeys(where, raw, ['name', 'title', 'javaType', 'prefix', 'unique', 'entries']);
  const name = c.requireString(where, raw, 'name');
  if (name !== undefined && !CONSTANT_NAME.test(name)) c.add(where, `name ${JSON.stringify(name)} must be UPPER_SNAKE_CASE starting with a letter`);
  const titleProblem = textProblem(raw['title'], 'title');
  if (titleProblem !== undefined) c.add(where, raw['title'] === undefined ? 'missing "title"' : titleProblem);
  const javaType = raw['javaType'];
  if (javaType !== 'byte' && javaType !== 'short') {
    c.add(where, javaType === undefined ? 'missing "javaType" ("byte" or "short")' : `javaType must be "byte" or "short", not ${describe(javaType)}`);
  }
  const prefix = c.requireString(where, raw, 'prefix');
  if (prefix !== undefined && !PREFIX.test(prefix)) c.add(where, `prefix ${JSON.stringify(prefix)} must be empty or UPPER_SNAKE_CASE (e.g. "SW_")`);
  const unique = raw['unique'];
  if (unique !== undefined && typeof unique !== 'boolean') c.add(where, `unique must be true or false, not ${describe(unique)}`);
  const rawEntries = raw['entries'];
  if (!Array.isArray(rawEntries) || rawEntries.length === 0) {
    c.add(where, rawEntries === undefined ? 'missing "entries"' : '"entries" must be a non-empty array');
    return undefined;
  }
  const type = javaType === 'byte' || javaType === 'short' ? javaType : undefined;
  const entries = rawEntries.map((entry, i) => validateEntry(c, entry, `${where}, entries[${i}]`, type));
  const seenNames = new Map<string, number>();
  const seenValues = new Map<number, ProtocolEntry>();
  entries.forEach((entry, i) => {
    if (entry === undefined) return;
    const label = `${where}, entries[${i}] ${entry.name}`;
    const earlier = seenNames.get(entry.name);
    if (earlier !== undefined) c.add(label, `duplicate name: entries[${earlier}] is also ${entry.name}`);
    else seenNames.set(entry.name, i);
    if (unique === true) {
      const same = seenValues.get(entry.unsigned);
      if (same !== undefined) c.add(label, `duplicate value ${entry.text} in a group marked unique: ${same.name} is ${same.text}`);
      else seenValues.set(entry.unsigned, entry);
    }
  });
  if (name === undefined || titleProblem !== undefined || type === undefined || prefix === undefined || entries.some((e) => e === undefined)) {
    return undefined;
  }
  return { name, title: raw['title'] as string, javaType: type, prefix, unique: unique === true, entries: entries as ProtocolEntry[] };
}

/** Names that must be unique across groups: group names (TS exports) and prefix + name (Java constants). */
function checkAcrossGroups(c: Collector, groups: readonly ProtocolGroup[]): void {
  const groupNames = new Map<string, number>();
  const javaNames = new Map<string, string>();
  groups.forEach((group, i) => {
    const earlier = groupNames.get(group.name);
    if (earlier !== undefined) c.add(`groups[${i}] ${group.name}`, `duplicate group name: groups[${earlier}] is also ${group.name}`);
    groupNames.set(group.name, i);
    for (const entry of group.entries) {
      const javaName = `${group.prefix}${entry.name}`;
      const owner = javaNames.get(javaName);
      if (owner !== undefined && owner !== group.name) {
        c.add(`groups[${i}] ${group.name}, ${entry.name}`, `Java constant ${javaName} is also generated by group ${owner}`);
      }
      javaNames.set(javaName, group.name);
    }
  });
}

export function validateProtocolSpec(json: Json, source: string): ProtocolSpec {
  const c = new Collector();
  if (!isObject(json)) throw new ProtocolSpecError(source, [`top level: must be an object, not ${describe(json)}`]);
  c.onlyKeys('top level', json, ['java', 'typescript', 'markdown', 'groups']);
  const outputs = validateOutputs(c, json);
  const rawGroups = json['groups'];
  let groups: (ProtocolGroup | undefined)[] = [];
  if (!Array.isArray(rawGroups) || rawGroups.length === 0) {
    c.add('top level', rawGroups === undefined ? 'missing "groups"' : '"groups" must be a non-empty array');
  } else {
    groups = rawGroups.map((group, i) => validateGroup(c, group, i));
    checkAcrossGroups(c, groups.filter((g): g is ProtocolGroup => g !== undefined));
  }
  if (c.problems.length > 0 || outputs === undefined) throw new ProtocolSpecError(source, c.problems);
  return { ...outputs, groups: groups as ProtocolGroup[] };
}

/** Parses and validates the file's text; JSON syntax errors name the file too. */
export function parseProtocolSpec(text: string, source: string): ProtocolSpec {
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProtocolSpecError(source, [`not valid JSON: ${(error as Error).message}`]);
  }
  return validateProtocolSpec(json, source);
}
