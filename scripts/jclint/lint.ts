// The lint as a pure function: parsed classes and the API model in, sorted findings out.
import { shapeOfClassFile, type ApiModel, type Universe } from './api.ts';
import { ClassFormatError, type ClassFile } from './classfile.ts';
import { RULES, type Finding, type RuleId } from './findings.ts';
import { ALL_RULES, prepareClass } from './rules.ts';

const RULE_ORDER = Object.keys(RULES) as RuleId[];

/** Rules whose findings repeat for every use of the same thing: one report per method is enough. */
const ONCE_PER_MEMBER: ReadonlySet<RuleId> = new Set(['api', 'string']);

function dedupeKey(finding: Finding): string {
  const where = ONCE_PER_MEMBER.has(finding.rule) ? '' : `${finding.pc ?? ''}`;
  return [finding.rule, finding.member ?? '', where, finding.message].join('\u0000');
}

/** Findings of one class in reading order: class level, then fields and methods as declared, then by pc. */
function sortWithinClass(cls: ClassFile, findings: Finding[]): Finding[] {
  const memberRank = new Map<string, number>();
  [...cls.fields.map((f) => f.name), ...cls.methods.map((m) => m.name)].forEach((name, i) => {
    if (!memberRank.has(name)) memberRank.set(name, i + 1);
  });
  const rank = (f: Finding): number => (f.member === undefined ? 0 : (memberRank.get(f.member) ?? Number.MAX_SAFE_INTEGER));
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        rank(a.finding) - rank(b.finding) ||
        (a.finding.pc ?? -1) - (b.finding.pc ?? -1) ||
        RULE_ORDER.indexOf(a.finding.rule) - RULE_ORDER.indexOf(b.finding.rule) ||
        a.index - b.index,
    )
    .map((entry) => entry.finding);
}

export function lintClass(cls: ClassFile, universe: Universe): Finding[] {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  const emit = (finding: Finding): void => {
    const key = dedupeKey(finding);
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(finding);
  };
  try {
    const context = prepareClass(cls, universe);
    for (const rule of ALL_RULES) rule(context, emit);
  } catch (error) {
    if (!(error instanceof ClassFormatError)) throw error;
    emit({ severity: 'error', rule: 'class-format', className: cls.thisClass, message: `cannot decode the class: ${error.message}` });
  }
  return sortWithinClass(cls, findings);
}

/** Lints every class against the API; classes may reference each other within their own package. */
export function lintClasses(classes: readonly ClassFile[], api: ApiModel): Finding[] {
  const universe: Universe = { api, linted: new Map(classes.map((cls) => [cls.thisClass, shapeOfClassFile(cls)])) };
  return [...classes]
    .sort((a, b) => (a.thisClass < b.thisClass ? -1 : a.thisClass > b.thisClass ? 1 : 0))
    .flatMap((cls) => lintClass(cls, universe));
}
