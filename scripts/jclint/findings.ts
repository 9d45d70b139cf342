// What the lint reports, and how a finding is printed.
import { dottedName } from './classfile.ts';

export const RULES = {
  'class-version': 'class file version a Java Card converter accepts',
  'int-type': 'no int, long, float, double or char types',
  string: 'no java.lang.String',
  'wide-op': 'no long/float/double bytecodes, big int constants, monitors, invokedynamic, jsr/ret, multianewarray',
  'int-intermediate': 'int arithmetic results cast to short or byte before use',
  api: 'only the Java Card 3.0.4 API outside the own package',
  allocation: 'no allocation outside constructors and install',
  'static-init': 'static initialisers only set constants and arrays of primitive constants',
  'class-format': 'a readable class file',
} as const;

export type RuleId = keyof typeof RULES;

export type Severity = 'error' | 'warning';

export interface Finding {
  readonly severity: Severity;
  readonly rule: RuleId;
  /** Internal name of the class. */
  readonly className: string;
  /** Method or field name, when the finding is inside one. */
  readonly member?: string;
  readonly line?: number;
  readonly pc?: number;
  readonly message: string;
}

/** `ekrona.wallet.Wallet.pay(line 120, pc 45)`; the parts that are unknown are left out. */
export function formatLocation(finding: Finding): string {
  const base = finding.member === undefined ? dottedName(finding.className) : `${dottedName(finding.className)}.${finding.member}`;
  const parts: string[] = [];
  if (finding.line !== undefined) parts.push(`line ${finding.line}`);
  if (finding.pc !== undefined) parts.push(`pc ${finding.pc}`);
  return parts.length === 0 ? base : `${base}(${parts.join(', ')})`;
}

export function formatFinding(finding: Finding): string {
  return `${finding.severity} ${finding.rule} ${formatLocation(finding)}: ${finding.message}`;
}

/** The last line of the report; `unreadable` counts class files that could not be parsed (each an error). */
export function summarise(findings: readonly Finding[], classCount: number, unreadable = 0): string {
  const errors = findings.filter((f) => f.severity === 'error').length + unreadable;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  return `jclint: ${plural(classCount, 'class')} checked, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/**
 * One line instead of one per class when many classes share the same class-version finding (a whole applet built
 * with the same compiler): the first class names the location, the message says how many more.
 */
export function collapseClassVersion(findings: readonly Finding[]): Finding[] {
  const byMessage = new Map<string, Finding[]>();
  for (const finding of findings) {
    if (finding.rule !== 'class-version') continue;
    const key = `${finding.severity}\u0000${finding.message}`;
    byMessage.set(key, [...(byMessage.get(key) ?? []), finding]);
  }
  const collapsed: Finding[] = [];
  const emitted = new Set<string>();
  for (const finding of findings) {
    if (finding.rule !== 'class-version') {
      collapsed.push(finding);
      continue;
    }
    const key = `${finding.severity}\u0000${finding.message}`;
    if (emitted.has(key)) continue;
    emitted.add(key);
    const same = byMessage.get(key)!;
    const more = same.length - 1;
    collapsed.push(more === 0 ? finding : { ...finding, message: `${finding.message} (same for ${more} more class${more === 1 ? '' : 'es'})` });
  }
  return collapsed;
}
