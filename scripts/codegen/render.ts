// The generated files: Java constants, TypeScript constants, and the tables of the protocol document. Pure
// functions of the validated spec, byte-for-byte deterministic (declaration order, LF line ends, final newline).
import type { ProtocolEntry, ProtocolGroup, ProtocolSpec } from './protocol-spec.ts';

export const GENERATOR = 'scripts/gen-constants.ts';

function hexDigits(group: ProtocolGroup): number {
  return group.javaType === 'byte' ? 2 : 4;
}

/** `0x6A84`, `0x0BB8`: the wire value, upper case, padded to the width of the type. */
export function hexOf(entry: ProtocolEntry, group: ProtocolGroup): string {
  return `0x${entry.unsigned.toString(16).toUpperCase().padStart(hexDigits(group), '0')}`;
}

function headerLines(source: string, commentPrefix: string): string[] {
  return [
    `${commentPrefix}GENERATED from ${source} by ${GENERATOR}: do not edit. Change the JSON and run`,
    `${commentPrefix}\`npx tsx ${GENERATOR}\`; CI runs it with --check and fails when this file is out of date.`,
  ];
}

// ------------------------------------------------------------------------------------------------------------ Java

/** The Java literal: always cast, so 0x80..0xFF and 0x8000..0xFFFF need no special case; decimals stay decimal. */
function javaLiteral(entry: ProtocolEntry, group: ProtocolGroup): string {
  const number = entry.radix === 'hex' ? hexOf(entry, group) : String(entry.value);
  return `(${group.javaType}) ${number}`;
}

export function renderJava(spec: ProtocolSpec, source: string): string {
  const lines = [
    ...headerLines(source, '// '),
    `package ${spec.java.package};`,
    '',
    '/**',
    ` * The protocol's numbers, one group per section of ${spec.markdown.path}. Only static final byte and short`,
    ' * constants, which the Java Card converter inlines.',
    ' */',
    `public final class ${spec.java.class} {`,
    `    private ${spec.java.class}() {}`,
  ];
  for (const group of spec.groups) {
    lines.push('', `    // ${group.name}: ${group.title}`);
    for (const entry of group.entries) {
      lines.push(
        `    /** ${entry.doc} */`,
        `    public static final ${group.javaType} ${group.prefix}${entry.name} = ${javaLiteral(entry, group)};`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------------------------------------------ TypeScript

/** `OFF_ICERT` -> `offIcert` (helper functions) and `OffIcert` (types). */
export function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function pascalCase(name: string): string {
  const camel = camelCase(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

function tsLiteral(entry: ProtocolEntry, group: ProtocolGroup): string {
  return entry.radix === 'hex' ? hexOf(entry, group) : String(entry.unsigned);
}

export function renderTypeScript(spec: ProtocolSpec, source: string): string {
  const lines = [
    ...headerLines(source, '// '),
    '//',
    '// Per group: an `as const` object of its values as they travel on the wire (unsigned: SW 0x9000, not -28672),',
    '// the types of its names (`SwName`) and values (`SwValue`), and a value-to-name lookup for messages (`swName`).',
    '',
    '/** A lookup from value to name; when names share a value, the first one declared wins. */',
    'function nameLookup<T extends { readonly [name: string]: number }>(group: T): (value: number) => keyof T | undefined {',
    '  const names = new Map<number, keyof T>();',
    '  for (const [name, value] of Object.entries(group)) {',
    '    if (!names.has(value)) names.set(value, name as keyof T);',
    '  }',
    '  return (value) => names.get(value);',
    '}',
  ];
  for (const group of spec.groups) {
    const typeName = pascalCase(group.name);
    lines.push('', `/** ${group.title} (Java: ${group.prefix}*, ${group.javaType}). */`, `export const ${group.name} = {`);
    for (const entry of group.entries) {
      lines.push(`  /** ${entry.doc} */`, `  ${entry.name}: ${tsLiteral(entry, group)},`);
    }
    lines.push(
      '} as const;',
      `export type ${typeName}Name = keyof typeof ${group.name};`,
      `export type ${typeName}Value = (typeof ${group.name})[${typeName}Name];`,
      `/** The name of a ${group.name} value (e.g. \`${group.entries[0]!.name}\`), or undefined when no constant has it. */`,
      `export const ${camelCase(group.name)}Name: (value: number) => ${typeName}Name | undefined = nameLookup(${group.name});`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What the TypeScript file exports for a group, as `value NAME` and `type NAME` (values and types live in separate
 * namespaces); they must not collide across groups. Types end in Name/Value so that no group (RECORD, MAP, SET...)
 * shadows a global type such as Record.
 */
export function typeScriptExports(group: ProtocolGroup): string[] {
  const typeName = pascalCase(group.name);
  return [`value ${group.name}`, `value ${camelCase(group.name)}Name`, `type ${typeName}Name`, `type ${typeName}Value`];
}

// -------------------------------------------------------------------------------------------------------- Markdown

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The table of one group: Java name, hex value (and the decimal when it was written in decimal), meaning. */
export function renderTable(group: ProtocolGroup, source: string): string {
  const rows = group.entries.map((entry) => {
    const value = entry.radix === 'hex' ? `\`${hexOf(entry, group)}\`` : `\`${hexOf(entry, group)}\` (${entry.value})`;
    return `| \`${group.prefix}${entry.name}\` | ${value} | ${escapeCell(entry.doc)} |`;
  });
  return [
    `<!-- ${group.name} (${group.javaType}): generated from ${source} by ${GENERATOR}; edit the JSON, not this table. -->`,
    '| name | value | meaning |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export class MarkdownRegionError extends Error {
  constructor(
    readonly path: string,
    readonly problems: readonly string[],
  ) {
    super(`${path}: generated regions are malformed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'MarkdownRegionError';
  }
}

/** A marker is a line of its own, so prose that mentions `<!-- generated:... -->` is left alone. */
const MARKER = /^[ \t]*<!--[ \t]*(\/?)generated:(\S*?)[ \t]*-->[ \t]*$/gm;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * Replaces the content of every `<!-- generated:NAME -->` ... `<!-- /generated:NAME -->` region (each marker on a
 * line of its own) by the table of group NAME, leaving the markers and everything outside them untouched. A group
 * without markers is not rendered.
 */
export function renderMarkdown(markdown: string, spec: ProtocolSpec, path: string, source: string): string {
  const groups = new Map(spec.groups.map((g) => [g.name, g]));
  const problems: string[] = [];
  const pieces: string[] = [];
  let cursor = 0;
  let open: { name: string; end: number; line: number } | undefined;
  for (const match of markdown.matchAll(MARKER)) {
    const [text, slash, name] = match as unknown as [string, string, string];
    const at = match.index!;
    const line = lineOf(markdown, at);
    if (slash === '') {
      if (open !== undefined) {
        problems.push(`line ${line}: generated:${name} opens inside generated:${open.name} (opened on line ${open.line})`);
        continue;
      }
      if (!groups.has(name)) {
        problems.push(`line ${line}: generated:${name} names no group of ${source} (groups: ${[...groups.keys()].join(', ')})`);
      }
      open = { name, end: at + text.length, line };
    } else {
      if (open === undefined) {
        problems.push(`line ${line}: /generated:${name} closes a region that was never opened`);
        continue;
      }
      if (open.name !== name) {
        problems.push(`line ${line}: /generated:${name} closes generated:${open.name} (opened on line ${open.line})`);
      }
      const group = groups.get(open.name);
      pieces.push(markdown.slice(cursor, open.end), group === undefined ? '' : `\n${renderTable(group, source)}\n`);
      cursor = at;
      open = undefined;
    }
  }
  if (open !== undefined) problems.push(`line ${open.line}: generated:${open.name} is never closed`);
  if (problems.length > 0) throw new MarkdownRegionError(path, problems);
  pieces.push(markdown.slice(cursor));
  return pieces.join('');
}
