// The allowed API: what a class may reference outside its own package, and the checks against it.
//
// The Java Card 3.0.4 API is taken from compiled classes (our runtime's `javacard.*` and `javacardx.*`), minus the
// members a 3.0.4 card lacks (listed by the runtime in `api-3.0.5-only.txt`), plus the little of `java.lang` a Java
// Card VM has. Pure: the model is built from parsed class files and the list's text.
import { ACC, dottedName, packageOf, type ClassFile } from './classfile.ts';
import { javaMethodSignature, parseFieldDescriptor } from './descriptor.ts';

export interface ApiMember {
  readonly kind: 'field' | 'method';
  readonly name: string;
  readonly descriptor: string;
  readonly accessFlags: number;
}

/** A class as far as reference resolution needs it; built from the API, from linted classes, or synthesised. */
export interface ClassShape {
  readonly name: string;
  readonly accessFlags: number;
  readonly superClass: string | undefined;
  readonly interfaces: readonly string[];
  readonly members: readonly ApiMember[];
}

export interface RemovedMember {
  readonly name: string;
  /** Undefined: every member of that name (all overloads). */
  readonly descriptor: string | undefined;
}

export interface ApiModel {
  /** Every class under javacard/ and javacardx/ in the API directory, public or not. */
  readonly classes: ReadonlyMap<string, ClassShape>;
  readonly removedClasses: ReadonlySet<string>;
  readonly removedMembers: ReadonlyMap<string, readonly RemovedMember[]>;
  /** Problems with the 3.0.5-only list (lines that name nothing in the API), for the user to fix. */
  readonly diagnostics: readonly string[];
}

export function shapeOfClassFile(cls: ClassFile): ClassShape {
  return {
    name: cls.thisClass,
    accessFlags: cls.accessFlags,
    superClass: cls.superClass,
    interfaces: cls.interfaces,
    members: [
      ...cls.fields.map((f) => ({ kind: 'field' as const, name: f.name, descriptor: f.descriptor, accessFlags: f.accessFlags })),
      ...cls.methods.map((m) => ({ kind: 'method' as const, name: m.name, descriptor: m.descriptor, accessFlags: m.accessFlags })),
    ],
  };
}

export function isApiPackageClass(internalName: string): boolean {
  return internalName.startsWith('javacard/') || internalName.startsWith('javacardx/');
}

const PUBLIC_INIT: ApiMember = { kind: 'method', name: '<init>', descriptor: '()V', accessFlags: ACC.PUBLIC };

/** java.lang as a Java Card VM has it: Object (constructor, equals) and the exceptions the VM throws. */
const JAVA_LANG_EXCEPTION_PARENTS: ReadonlyArray<readonly [string, string]> = [
  ['Throwable', 'Object'],
  ['Exception', 'Throwable'],
  ['RuntimeException', 'Exception'],
  ['ArithmeticException', 'RuntimeException'],
  ['ArrayStoreException', 'RuntimeException'],
  ['ClassCastException', 'RuntimeException'],
  ['IndexOutOfBoundsException', 'RuntimeException'],
  ['ArrayIndexOutOfBoundsException', 'IndexOutOfBoundsException'],
  ['NegativeArraySizeException', 'RuntimeException'],
  ['NullPointerException', 'RuntimeException'],
  ['SecurityException', 'RuntimeException'],
];

export const JAVA_LANG: ReadonlyMap<string, ClassShape> = new Map<string, ClassShape>([
  [
    'java/lang/Object',
    {
      name: 'java/lang/Object',
      accessFlags: ACC.PUBLIC,
      superClass: undefined,
      interfaces: [],
      members: [PUBLIC_INIT, { kind: 'method', name: 'equals', descriptor: '(Ljava/lang/Object;)Z', accessFlags: ACC.PUBLIC }],
    },
  ],
  ...JAVA_LANG_EXCEPTION_PARENTS.map(([name, parent]): [string, ClassShape] => [
    `java/lang/${name}`,
    { name: `java/lang/${name}`, accessFlags: ACC.PUBLIC, superClass: `java/lang/${parent}`, interfaces: [], members: [PUBLIC_INIT] },
  ]),
]);

/**
 * Methods of java.lang.Object that a Java Card VM does not have. They are refused even when the runtime's API class
 * happens to declare one (a JDK-hosted runtime may override hashCode or toString for its own use).
 */
const OBJECT_ONLY_METHODS = new Set(['hashCode', 'toString', 'getClass', 'clone', 'finalize', 'notify', 'notifyAll', 'wait']);

/**
 * Parses `api-3.0.5-only.txt`: one entry a line, `#` at the start of a line for comments, anything after the first
 * blank ignored. An entry is a class (`javacard/framework/OwnerPINx`, `javacard.framework.OwnerPINx`) or a member
 * (`javacard/security/RandomData#ALG_TRNG`, `javacard.security.RandomData#ALG_TRNG`,
 * `javacard.security.RandomData.ALG_TRNG`), optionally with a method descriptor (`RandomData#nextBytes([BSS)V`).
 */
export function parseRemovedList(
  text: string,
  knownClasses: ReadonlySet<string>,
  source: string,
): { classes: Set<string>; members: Map<string, RemovedMember[]>; diagnostics: string[] } {
  const classes = new Set<string>();
  const members = new Map<string, RemovedMember[]>();
  const diagnostics: string[] = [];
  text.split(/\r?\n/).forEach((rawLine, lineIndex) => {
    const entry = rawLine.trim().split(/\s+/)[0] ?? '';
    if (entry === '' || entry.startsWith('#') || entry.startsWith('//')) return;
    const where = `${source} line ${lineIndex + 1}`;
    const parenthesis = entry.indexOf('(');
    const path = parenthesis < 0 ? entry : entry.slice(0, parenthesis);
    const descriptor = parenthesis < 0 ? undefined : entry.slice(parenthesis);
    const { className, memberName } = splitEntry(path, descriptor !== undefined, knownClasses);
    if (!knownClasses.has(className)) {
      diagnostics.push(`${where}: ${dottedName(className)} is not a class of the API, so "${entry}" removes nothing`);
    }
    if (memberName === undefined || memberName === '') {
      classes.add(className);
    } else {
      const list = members.get(className) ?? [];
      list.push({ name: memberName, descriptor });
      members.set(className, list);
    }
  });
  return { classes, members, diagnostics };
}

/**
 * Splits an entry into class and member. `C#m` is explicit. Otherwise a known class or a slashed name is a class, a
 * method descriptor means the last segment is a method, and for an unknown dotted name Java naming decides: when the
 * second-to-last segment is capitalised (`...RandomData.ALG_TRNG`) the last one is a member.
 */
function splitEntry(
  path: string,
  hasDescriptor: boolean,
  knownClasses: ReadonlySet<string>,
): { className: string; memberName: string | undefined } {
  if (path.includes('#')) {
    const [owner, member] = path.split('#', 2) as [string, string];
    return { className: owner.replace(/\./g, '/'), memberName: member === '' ? undefined : member };
  }
  const slashed = path.replace(/\./g, '/');
  const cut = slashed.lastIndexOf('/');
  const asMember = { className: slashed.slice(0, cut), memberName: slashed.slice(cut + 1) };
  if (hasDescriptor) return asMember;
  if (knownClasses.has(slashed) || !path.includes('.')) return { className: slashed, memberName: undefined };
  const parentSegment = slashed.slice(0, cut).split('/').pop() ?? '';
  return /^[A-Z]/.test(parentSegment) ? asMember : { className: slashed, memberName: undefined };
}

export function buildApiModel(apiClasses: readonly ClassFile[], removedListText: string | undefined, removedListSource: string): ApiModel {
  const classes = new Map<string, ClassShape>();
  for (const cls of apiClasses) {
    if (isApiPackageClass(cls.thisClass)) classes.set(cls.thisClass, shapeOfClassFile(cls));
  }
  const removed =
    removedListText === undefined
      ? { classes: new Set<string>(), members: new Map<string, RemovedMember[]>(), diagnostics: [] }
      : parseRemovedList(removedListText, new Set(classes.keys()), removedListSource);
  for (const [owner, list] of removed.members) {
    const shape = classes.get(owner);
    if (shape === undefined) continue;
    for (const item of list) {
      if (!shape.members.some((m) => m.name === item.name && (item.descriptor === undefined || m.descriptor === item.descriptor))) {
        removed.diagnostics.push(
          `${removedListSource}: ${dottedName(owner)} has no member ${item.name}${item.descriptor ?? ''}, so that line removes nothing`,
        );
      }
    }
  }
  return { classes, removedClasses: removed.classes, removedMembers: removed.members, diagnostics: removed.diagnostics };
}

/** Everything a reference may resolve against: the classes being linted, the API, and java.lang. */
export interface Universe {
  readonly api: ApiModel;
  readonly linted: ReadonlyMap<string, ClassShape>;
}

type Origin = 'linted' | 'api' | 'java.lang';

function lookupClass(universe: Universe, name: string): { shape: ClassShape; origin: Origin } | undefined {
  const linted = universe.linted.get(name);
  if (linted !== undefined) return { shape: linted, origin: 'linted' };
  const api = universe.api.classes.get(name);
  if (api !== undefined) return { shape: api, origin: 'api' };
  const lang = JAVA_LANG.get(name);
  if (lang !== undefined) return { shape: lang, origin: 'java.lang' };
  return undefined;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

const OK: Verdict = { ok: true };

function refuse(message: string): Verdict {
  return { ok: false, message };
}

const JAVA_LANG_SUMMARY =
  'a Java Card VM has only java.lang.Object (constructor and equals), Throwable, Exception, RuntimeException and the VM exceptions';

/** Why a class outside the referring package, not found in the allowed API, cannot be used. */
function unknownClassMessage(name: string, universe: Universe): string {
  const dotted = dottedName(name);
  if (name.startsWith('ekrona/sim/')) {
    return `${dotted} is an internal class of the simulator runtime (ekrona.sim), not Java Card API: a card has no such class`;
  }
  if (name.startsWith('java/') || name.startsWith('javax/')) {
    return `${dotted} is not in Java Card 3.0.4: ${JAVA_LANG_SUMMARY}`;
  }
  if (isApiPackageClass(name)) {
    return `${dotted} is not in the Java Card API the runtime implements (a 3.0.4 subset): use what the runtime offers, or add it there first`;
  }
  if (universe.linted.has(name)) {
    return `${dotted} is in package ${dottedName(packageOf(name))}, outside this class's package: the converter converts one package per CAP and only links to the Java Card API`;
  }
  return `${dotted} is outside this class's package and not in the Java Card 3.0.4 API`;
}

function elementClassOf(name: string): string | undefined {
  if (!name.startsWith('[')) return name;
  const type = parseFieldDescriptor(name);
  let element = type;
  while (element.kind === 'array') element = element.element;
  return element.kind === 'class' ? element.name : undefined;
}

/** May a class in `fromPackage` name class `name` (in a descriptor, a cast, a catch clause, `extends`)? */
export function checkClassReference(universe: Universe, fromPackage: string, name: string): Verdict {
  const element = elementClassOf(name);
  if (element === undefined) return OK; // array of primitives; element types are the int-type rule's business
  if (packageOf(element) === fromPackage) return OK;
  if (element === 'java/lang/String') return OK; // reported by the string rule
  if (universe.api.removedClasses.has(element)) {
    return refuse(`${dottedName(element)} is Java Card 3.0.5 only (listed in api-3.0.5-only.txt): a 3.0.4 card does not have it`);
  }
  const found = lookupClass(universe, element);
  if (found === undefined || found.origin === 'linted') return refuse(unknownClassMessage(element, universe));
  if (found.origin === 'api' && (found.shape.accessFlags & ACC.PUBLIC) === 0) {
    return refuse(`${dottedName(element)} is a package-private class of the runtime, not public Java Card API`);
  }
  return OK;
}

interface Resolution {
  readonly owner: ClassShape;
  readonly origin: Origin;
  readonly member: ApiMember;
}

/**
 * Resolves a member the way the JVM does (JVMS 5.4.3.2, 5.4.3.3): fields in the class, its superinterfaces, then its
 * superclass; methods in the class and its superclasses, then the superinterfaces. `incomplete` is set when the
 * search met a class it knows nothing about, so a miss proves nothing.
 */
function resolveMember(
  universe: Universe,
  start: string,
  kind: 'field' | 'method',
  name: string,
  descriptor: string,
): { found: Resolution | undefined; incomplete: boolean } {
  let incomplete = false;
  const visited = new Set<string>();
  const declared = (className: string): Resolution | undefined => {
    const found = lookupClass(universe, className);
    if (found === undefined) {
      incomplete = true;
      return undefined;
    }
    const member = found.shape.members.find((m) => m.kind === kind && m.name === name && m.descriptor === descriptor);
    return member === undefined ? undefined : { owner: found.shape, origin: found.origin, member };
  };
  const search = (className: string | undefined, interfacesFirst: boolean): Resolution | undefined => {
    if (className === undefined || visited.has(className)) return undefined;
    visited.add(className);
    const here = declared(className);
    if (here !== undefined) return here;
    const shape = lookupClass(universe, className)?.shape;
    if (shape === undefined) return undefined;
    const viaInterfaces = (): Resolution | undefined => {
      for (const iface of shape.interfaces) {
        const found = search(iface, interfacesFirst);
        if (found !== undefined) return found;
      }
      return undefined;
    };
    if (interfacesFirst) return viaInterfaces() ?? search(shape.superClass, interfacesFirst);
    return search(shape.superClass, interfacesFirst) ?? viaInterfaces();
  };
  const found = search(start, kind === 'field');
  return { found, incomplete };
}

function memberLabel(owner: string, kind: 'field' | 'method', name: string, descriptor: string): string {
  if (kind === 'field') return `${dottedName(owner)}.${name}`;
  if (name === '<init>') return `the constructor ${dottedName(owner)}${javaMethodSignature('', descriptor)}`;
  return `${dottedName(owner)}.${javaMethodSignature(name, descriptor)}`;
}

function isRemoved(api: ApiModel, owner: string, member: ApiMember): boolean {
  return (api.removedMembers.get(owner) ?? []).some(
    (r) => r.name === member.name && (r.descriptor === undefined || r.descriptor === member.descriptor),
  );
}

/** May a class in `fromPackage` use this field or method (as named in a Fieldref/Methodref)? */
export function checkMemberReference(
  universe: Universe,
  fromPackage: string,
  ref: { kind: 'field' | 'method'; owner: string; name: string; descriptor: string },
): Verdict {
  const label = memberLabel(ref.owner, ref.kind, ref.name, ref.descriptor);
  if (ref.owner.startsWith('[')) {
    // Methods called on arrays: javac names the array type as the owner (e.g. `[B.clone()`).
    if (ref.kind === 'method' && ref.name === 'equals' && ref.descriptor === '(Ljava/lang/Object;)Z') return OK;
    return refuse(`${ref.name}() on an array is not available on Java Card: copy arrays with Util.arrayCopy or arrayCopyNonAtomic`);
  }
  const ownerInPackage = packageOf(ref.owner) === fromPackage;
  if (!ownerInPackage) {
    const classVerdict = checkClassReference(universe, fromPackage, ref.owner);
    if (!classVerdict.ok) return ref.owner === 'java/lang/String' ? OK : classVerdict;
    if (ref.owner === 'java/lang/String') return OK; // the string rule reports it
  }
  if (ref.kind === 'method' && OBJECT_ONLY_METHODS.has(ref.name)) {
    return refuse(`${label} is not available on Java Card: java.lang.Object there only has equals(Object)`);
  }
  const { found, incomplete } = resolveMember(universe, ref.owner, ref.kind, ref.name, ref.descriptor);
  if (found === undefined) {
    if (ownerInPackage && incomplete) return OK; // inherited from a class we were not given: nothing to say
    if (ownerInPackage && universe.linted.get(ref.owner) === undefined) return OK;
    return refuse(
      ownerInPackage
        ? `${label} is inherited from outside the Java Card 3.0.4 API (${JAVA_LANG_SUMMARY})`
        : `${label} is not in the Java Card API the runtime implements: no public or protected ${ref.kind} ${ref.name} with that signature`,
    );
  }
  const declaring = found.owner.name;
  if (found.origin === 'linted') {
    return packageOf(declaring) === fromPackage ? OK : refuse(unknownClassMessage(declaring, universe));
  }
  if (found.origin === 'java.lang') return OK;
  if ((found.member.accessFlags & (ACC.PUBLIC | ACC.PROTECTED)) === 0) {
    return refuse(`${label} is not public or protected in the runtime's API, so it is not Java Card API`);
  }
  if ((found.owner.accessFlags & ACC.PUBLIC) === 0) {
    return refuse(`${label} is declared in ${dottedName(declaring)}, a package-private class of the runtime, not Java Card API`);
  }
  if (universe.api.removedClasses.has(declaring) || isRemoved(universe.api, declaring, found.member)) {
    return refuse(
      `${memberLabel(declaring, ref.kind, ref.name, ref.descriptor)} is Java Card 3.0.5 only (listed in api-3.0.5-only.txt): a 3.0.4 card does not have it`,
    );
  }
  return OK;
}
