// The lint's rules: each one a function from a parsed class (and what it may reference) to findings.
import { checkClassReference, checkMemberReference, JAVA_LANG, type Universe } from './api.ts';
import { decodeInstructions, isWideOperation, NEWARRAY_TYPES, type Instruction } from './bytecode.ts';
import {
  ACC,
  cpClassName,
  cpEntryOrUndefined,
  cpMemberRef,
  cpUtf8,
  dottedName,
  lineAt,
  packageOf,
  type ClassFile,
  type LocalVariable,
  type MethodInfo,
} from './classfile.ts';
import {
  classNamesInDescriptor,
  javaTypeName,
  parseFieldDescriptor,
  parseMethodDescriptor,
  slotSize,
  typesInDescriptor,
  unsupportedPrimitiveIn,
  type FieldType,
} from './descriptor.ts';
import type { Finding, RuleId, Severity } from './findings.ts';
import { findIntermediateUses } from './intflow.ts';

export interface MethodUnderLint {
  readonly method: MethodInfo;
  readonly instructions: readonly Instruction[];
}

export interface ClassUnderLint {
  readonly cls: ClassFile;
  readonly pkg: string;
  readonly methods: readonly MethodUnderLint[];
  readonly universe: Universe;
}

export function prepareClass(cls: ClassFile, universe: Universe): ClassUnderLint {
  return {
    cls,
    pkg: packageOf(cls.thisClass),
    universe,
    methods: cls.methods.map((method) => ({
      method,
      instructions: method.code === undefined ? [] : decodeInstructions(method.code.code),
    })),
  };
}

type FindingSink = (finding: Finding) => void;

function classFinding(ctx: ClassUnderLint, severity: Severity, rule: RuleId, message: string, member?: string): Finding {
  return { severity, rule, className: ctx.cls.thisClass, member, message };
}

/** A finding at an instruction (pc given) or at the method's first line (pc undefined). */
function methodFinding(ctx: ClassUnderLint, m: MethodUnderLint, rule: RuleId, message: string, pc?: number): Finding {
  const lines = m.method.code?.lineNumbers ?? [];
  const line = pc === undefined ? firstLine(lines) : lineAt(lines, pc);
  return { severity: 'error', rule, className: ctx.cls.thisClass, member: m.method.name, line, pc, message };
}

/** LocalVariableTable entries that are not `this` or a parameter (those are checked through the descriptor). */
function declaredLocals(method: MethodInfo): LocalVariable[] {
  const params = parseMethodDescriptor(method.descriptor).params;
  const parameterSlots = params.reduce((slots, type) => slots + slotSize(type), (method.accessFlags & ACC.STATIC) !== 0 ? 0 : 1);
  return (method.code?.localVariables ?? []).filter((local) => !(local.startPc === 0 && local.index < parameterSlots));
}

function firstLine(lines: readonly { startPc: number; line: number }[]): number | undefined {
  return lines.length === 0 ? undefined : Math.min(...lines.map((l) => l.line));
}

// ---------------------------------------------------------------------------------------------------- class-version

/** Class file major version 50 is Java 6, 52 Java 8, 55 Java 11 (JVMS 4.1). */
function javaReleaseOf(major: number): number {
  return major >= 49 ? major - 44 : 1;
}

export function classVersionRule(ctx: ClassUnderLint, emit: FindingSink): void {
  const major = ctx.cls.majorVersion;
  const release = `class file version ${major} (Java ${javaReleaseOf(major)})`;
  if (major > 52) {
    emit(
      classFinding(
        ctx,
        'error',
        'class-version',
        `${release} is newer than any Java Card converter reads (the 3.2 kit stops at 52): compile with ecj -1.6 (50) for the 3.0.4 kit, javac --release 8 (52) at most`,
      ),
    );
  } else if (major > 50) {
    emit(
      classFinding(
        ctx,
        'warning',
        'class-version',
        `${release}: the 3.0.4 kit's converter needs version 50 (compile with ecj -1.6); the 3.0.5u3 kit accepts 51 and the 3.2 kit 52`,
      ),
    );
  }
}

// ---------------------------------------------------------------------------------------------------- int-type

function typeProblem(type: FieldType): string | undefined {
  const primitive = unsupportedPrimitiveIn(type);
  if (primitive !== undefined) return primitive;
  if (type.kind === 'array' && type.element.kind === 'array') return 'array of arrays';
  return undefined;
}

const INT_TYPE_ADVICE = 'Java Card 3.0.4 (without the optional int support) has only byte, short and boolean';

function describeTypeProblem(what: string, type: FieldType, problem: string): string {
  if (problem === 'array of arrays') {
    return `${what} has type ${javaTypeName(type)}: Java Card has only one-dimensional arrays`;
  }
  return `${what} has type ${javaTypeName(type)}: ${INT_TYPE_ADVICE}; use short or byte (the converter rejects ${problem})`;
}

export function intTypeRule(ctx: ClassUnderLint, emit: FindingSink): void {
  for (const field of ctx.cls.fields) {
    const type = parseFieldDescriptor(field.descriptor);
    const problem = typeProblem(type);
    if (problem !== undefined) {
      emit(classFinding(ctx, 'error', 'int-type', describeTypeProblem(`field ${field.name}`, type, problem), field.name));
    }
  }
  let missingDebugInfoReported = false;
  for (const m of ctx.methods) {
    const types = typesInDescriptor(m.method.descriptor);
    const paramCount = types.length - (m.method.descriptor.endsWith(')V') ? 0 : 1);
    types.forEach((type, i) => {
      const problem = typeProblem(type);
      if (problem === undefined) return;
      const what = i < paramCount ? `parameter ${i + 1} of ${m.method.name}` : `the return value of ${m.method.name}`;
      emit(methodFinding(ctx, m, 'int-type', describeTypeProblem(what, type, problem)));
    });
    const code = m.method.code;
    if (code === undefined) continue;
    if (code.localVariables === undefined) {
      if (code.maxLocals > 0 && !missingDebugInfoReported) {
        missingDebugInfoReported = true;
        emit(
          methodFinding(
            ctx,
            m,
            'int-type',
            `${m.method.name} has no LocalVariableTable, so local variable types cannot be checked: the class must be compiled with -g`,
          ),
        );
      }
    } else {
      for (const local of declaredLocals(m.method)) {
        const type = parseFieldDescriptor(local.descriptor);
        const problem = typeProblem(type);
        if (problem !== undefined) {
          emit(methodFinding(ctx, m, 'int-type', describeTypeProblem(`local variable ${local.name}`, type, problem), local.startPc));
        }
      }
    }
    for (const ins of m.instructions) {
      if (ins.name === 'newarray') {
        const element = NEWARRAY_TYPES[ins.operand!] ?? `type ${ins.operand}`;
        if (element !== 'byte' && element !== 'short' && element !== 'boolean') {
          emit(methodFinding(ctx, m, 'int-type', `new ${element}[...]: ${INT_TYPE_ADVICE}; use a byte[] or short[]`, ins.pc));
        }
      } else if (ins.name === 'iaload' || ins.name === 'iastore' || ins.name === 'caload' || ins.name === 'castore') {
        const element = ins.name[0] === 'i' ? 'int' : 'char';
        emit(methodFinding(ctx, m, 'int-type', `${ins.name} reads or writes an ${element}[] element: ${INT_TYPE_ADVICE}`, ins.pc));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------- string

const STRING = 'java/lang/String';
const STRING_ADVICE = 'Java Card has no java.lang.String; use byte arrays (e.g. a static final byte[] of ASCII codes)';

function mentionsString(descriptor: string): boolean {
  return classNamesInDescriptor(descriptor).includes(STRING);
}

export function stringRule(ctx: ClassUnderLint, emit: FindingSink): void {
  for (const field of ctx.cls.fields) {
    if (mentionsString(field.descriptor)) {
      emit(classFinding(ctx, 'error', 'string', `field ${field.name} is a String: ${STRING_ADVICE}`, field.name));
    }
  }
  const pool = ctx.cls.constantPool;
  for (const m of ctx.methods) {
    if (mentionsString(m.method.descriptor)) {
      emit(methodFinding(ctx, m, 'string', `${m.method.name} takes or returns a String: ${STRING_ADVICE}`));
    }
    for (const local of declaredLocals(m.method)) {
      if (mentionsString(local.descriptor)) {
        emit(methodFinding(ctx, m, 'string', `local variable ${local.name} is a String: ${STRING_ADVICE}`, local.startPc));
      }
    }
    for (const ins of m.instructions) {
      if (ins.cpIndex === undefined) continue;
      const entry = cpEntryOrUndefined(pool, ins.cpIndex);
      if (entry?.tag === 'String' && ins.name.startsWith('ldc')) {
        const text = cpUtf8(pool, entry.stringIndex);
        const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
        emit(methodFinding(ctx, m, 'string', `String constant ${JSON.stringify(shown)}: ${STRING_ADVICE}`, ins.pc));
      } else if (entry?.tag === 'Class' && cpClassName(pool, ins.cpIndex) === STRING) {
        emit(methodFinding(ctx, m, 'string', `${ins.name} java.lang.String: ${STRING_ADVICE}`, ins.pc));
      } else if ((entry?.tag === 'Methodref' || entry?.tag === 'Fieldref' || entry?.tag === 'InterfaceMethodref') && cpMemberRef(pool, ins.cpIndex).owner === STRING) {
        emit(methodFinding(ctx, m, 'string', `${ins.name} String.${cpMemberRef(pool, ins.cpIndex).name}: ${STRING_ADVICE}`, ins.pc));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------- wide-op

const TYPE_WORD: Record<string, string> = { l: 'long', f: 'float', d: 'double', i: 'int' };

function wideOperationMessage(name: string): string {
  const conversion = /^([ilfd])2([ilfd])$/.exec(name);
  if (conversion) {
    return `${name} converts ${TYPE_WORD[conversion[1]!]} to ${TYPE_WORD[conversion[2]!]}: Java Card has no long, float or double`;
  }
  return `${name} is a ${TYPE_WORD[name[0]!]} operation: Java Card has no long, float or double`;
}

export function wideOpRule(ctx: ClassUnderLint, emit: FindingSink): void {
  const pool = ctx.cls.constantPool;
  for (const m of ctx.methods) {
    for (const ins of m.instructions) {
      const report = (message: string): void => emit(methodFinding(ctx, m, 'wide-op', message, ins.pc));
      if (isWideOperation(ins.name)) {
        report(wideOperationMessage(ins.name));
        continue;
      }
      switch (ins.name) {
        case 'ldc':
        case 'ldc_w':
        case 'ldc2_w': {
          const entry = cpEntryOrUndefined(pool, ins.cpIndex!);
          if (entry?.tag === 'Integer' && (entry.value < -32768 || entry.value > 32767)) {
            const hex = `0x${(entry.value >>> 0).toString(16).toUpperCase()}`;
            const fitsSixteenBits = entry.value > 0 && entry.value <= 0xffff;
            report(
              `int constant ${entry.value} (${hex}) does not fit in a short: the converter rejects int constants; ` +
                (fitsSixteenBits ? `if the low 16 bits are meant, write (short) ${hex}` : 'use short or byte values'),
            );
          } else if (entry?.tag === 'Float' || entry?.tag === 'Long' || entry?.tag === 'Double') {
            report(`${entry.tag.toLowerCase()} constant ${String(entry.value)}: Java Card has no long, float or double`);
          } else if (entry?.tag === 'MethodType' || entry?.tag === 'MethodHandle' || entry?.tag === 'Dynamic') {
            report(`${ins.name} of a ${entry.tag} constant: dynamic constants are not supported by Java Card`);
          }
          break;
        }
        case 'i2c':
          report('i2c (a cast to char): Java Card has no char type');
          break;
        case 'multianewarray':
          report('multianewarray (a multi-dimensional array): Java Card has only one-dimensional arrays');
          break;
        case 'anewarray': {
          const element = cpClassName(pool, ins.cpIndex!);
          if (element.startsWith('[')) {
            report(`anewarray of ${javaTypeName(parseFieldDescriptor(element))} (an array of arrays): Java Card has only one-dimensional arrays`);
          }
          break;
        }
        case 'monitorenter':
        case 'monitorexit':
          report(`${ins.name} (synchronized): Java Card has no threads and no monitors; remove synchronized`);
          break;
        case 'invokedynamic':
          report('invokedynamic (a lambda, method reference or javac 9+ string concatenation) is not supported by Java Card');
          break;
        case 'jsr':
        case 'jsr_w':
        case 'ret':
          report(`${ins.name} (a subroutine, from an old -target): the converter does not support it; compile with ecj -1.6 or javac --release 8`);
          break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------- int-intermediate

const OPERATOR_OF: Record<string, string> = {
  iadd: '+',
  isub: '-',
  imul: '*',
  idiv: '/',
  irem: '%',
  ineg: 'unary -',
  ishl: '<<',
  ishr: '>>',
  iushr: '>>>',
  iand: '&',
  ior: '|',
  ixor: '^',
};

export function intIntermediateRule(ctx: ClassUnderLint, emit: FindingSink): void {
  for (const m of ctx.methods) {
    const code = m.method.code;
    if (code === undefined) continue;
    const result = findIntermediateUses({
      instructions: m.instructions,
      code,
      descriptor: m.method.descriptor,
      isStatic: (m.method.accessFlags & ACC.STATIC) !== 0,
      pool: ctx.cls.constantPool,
    });
    if (!result.ok) {
      emit({
        ...methodFinding(ctx, m, 'int-intermediate', `method not analysed for uncast int arithmetic: ${result.reason}`),
        severity: 'warning',
      });
      continue;
    }
    for (const use of result.uses) {
      const originLine = lineAt(code.lineNumbers, use.origin.pc);
      const origin = `${use.origin.op} (${OPERATOR_OF[use.origin.op] ?? use.origin.op}) at ${originLine === undefined ? '' : `line ${originLine}, `}pc ${use.origin.pc}`;
      emit(
        methodFinding(
          ctx,
          m,
          'int-intermediate',
          `the int result of ${origin} is used as ${use.use} without a cast: write (short)(...) or (byte)(...) around it; the converter computes in 16 bits ("unsupported int type of intermediate value")`,
          use.pc,
        ),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------- api

export function apiRule(ctx: ClassUnderLint, emit: FindingSink): void {
  const { cls, universe, pkg } = ctx;
  const pool = cls.constantPool;
  const classLevel = (name: string, what: string, member?: string): void => {
    const verdict = checkClassReference(universe, pkg, name);
    if (!verdict.ok) emit(classFinding(ctx, 'error', 'api', `${what}: ${verdict.message}`, member));
  };
  if (cls.superClass !== undefined) classLevel(cls.superClass, `extends ${dottedName(cls.superClass)}`);
  for (const iface of cls.interfaces) classLevel(iface, `implements ${dottedName(iface)}`);
  for (const field of cls.fields) {
    for (const name of classNamesInDescriptor(field.descriptor)) classLevel(name, `field ${field.name}`, field.name);
  }
  for (const m of ctx.methods) {
    const methodLevel = (name: string, what: string, pc?: number): void => {
      const verdict = checkClassReference(universe, pkg, name);
      if (!verdict.ok) emit(methodFinding(ctx, m, 'api', `${what}: ${verdict.message}`, pc));
    };
    for (const name of classNamesInDescriptor(m.method.descriptor)) methodLevel(name, `the signature of ${m.method.name}`);
    const code = m.method.code;
    if (code === undefined) continue;
    for (const handler of code.exceptionTable) {
      if (handler.catchType !== undefined) methodLevel(handler.catchType, `catch (${dottedName(handler.catchType)})`, handler.handlerPc);
    }
    for (const local of declaredLocals(m.method)) {
      for (const name of classNamesInDescriptor(local.descriptor)) methodLevel(name, `local variable ${local.name}`, local.startPc);
    }
    for (const ins of m.instructions) {
      if (ins.cpIndex === undefined) continue;
      const entry = cpEntryOrUndefined(pool, ins.cpIndex);
      if (entry?.tag === 'Class') {
        const name = cpClassName(pool, ins.cpIndex);
        if (ins.name.startsWith('ldc')) {
          emit(
            methodFinding(ctx, m, 'api', `class literal ${dottedName(name)}.class needs java.lang.Class, which Java Card does not have`, ins.pc),
          );
        } else {
          methodLevel(name, `${ins.name} ${dottedName(name)}`, ins.pc);
        }
      } else if (entry?.tag === 'Fieldref' || entry?.tag === 'Methodref' || entry?.tag === 'InterfaceMethodref') {
        const ref = cpMemberRef(pool, ins.cpIndex);
        const verdict = checkMemberReference(universe, pkg, {
          kind: ref.kind === 'Fieldref' ? 'field' : 'method',
          owner: ref.owner,
          name: ref.name,
          descriptor: ref.descriptor,
        });
        if (!verdict.ok) emit(methodFinding(ctx, m, 'api', `${ins.name}: ${verdict.message}`, ins.pc));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------- allocation

const ALLOCATING = new Set(['new', 'newarray', 'anewarray', 'multianewarray']);

function isInstallMethod(method: MethodInfo): boolean {
  return method.name === 'install' && (method.accessFlags & ACC.STATIC) !== 0;
}

/** Exception classes by name: the java.lang family, and by convention anything named ...Exception. */
function isThrowable(className: string): boolean {
  return (JAVA_LANG.has(className) && className !== 'java/lang/Object') || /(Exception|Error)$/.test(className);
}

function allocationMessage(ctx: ClassUnderLint, ins: Instruction, where: string): string {
  const pool = ctx.cls.constantPool;
  const persistent = 'on a card every allocation is persistent and never freed: allocate once in the constructor (or install)';
  if (ins.name === 'new') {
    const name = cpClassName(pool, ins.cpIndex!);
    if (isThrowable(name)) {
      const simple = dottedName(name).split('.').pop();
      return `new ${dottedName(name)} in ${where}: throw with ${simple}.throwIt(reason) (the API's preallocated instance) instead of allocating`;
    }
    return `new ${dottedName(name)} in ${where}: ${persistent}`;
  }
  if (ins.name === 'newarray') return `new ${NEWARRAY_TYPES[ins.operand!] ?? 'primitive'}[...] in ${where}: ${persistent}`;
  return `${ins.name} in ${where}: ${persistent}`;
}

export function allocationRule(ctx: ClassUnderLint, emit: FindingSink): void {
  for (const m of ctx.methods) {
    if (m.method.name === '<init>' || isInstallMethod(m.method)) continue;
    if (m.method.name === '<clinit>') {
      checkStaticInitialiser(ctx, m, emit);
      continue;
    }
    for (const ins of m.instructions) {
      if (ALLOCATING.has(ins.name)) emit(methodFinding(ctx, m, 'allocation', allocationMessage(ctx, ins, m.method.name), ins.pc));
    }
  }
}

function constantOf(ctx: ClassUnderLint, ins: Instruction | undefined): number | 'other' | undefined {
  if (ins === undefined) return undefined;
  const iconst = /^iconst_(m1|\d)$/.exec(ins.name);
  if (iconst) return iconst[1] === 'm1' ? -1 : Number(iconst[1]);
  if (ins.name === 'bipush' || ins.name === 'sipush') return ins.operand!;
  if (ins.name.startsWith('ldc')) {
    const entry = cpEntryOrUndefined(ctx.cls.constantPool, ins.cpIndex!);
    return entry?.tag === 'Integer' ? entry.value : 'other';
  }
  if (/^[lfd]const_|^aconst_null$/.test(ins.name)) return 'other';
  return undefined;
}

const STATIC_ARRAY_TYPES = new Set(['byte', 'short', 'boolean']);

/**
 * The converter pre-computes static fields, so a static initialiser may only store constants and arrays of
 * primitive constants (array initialisers such as `{1, 2, 3}`): a sequence of `const; putstatic` and
 * `const n; newarray T; (dup; const i; const v; T-astore)*; putstatic`, then `return`.
 */
function checkStaticInitialiser(ctx: ClassUnderLint, m: MethodUnderLint, emit: FindingSink): void {
  const code = m.instructions;
  const reportFrom = (index: number, why: string): void => {
    const ins = code[index]!;
    if (ALLOCATING.has(ins.name)) {
      emit(methodFinding(ctx, m, 'allocation', `${allocationMessage(ctx, ins, 'the static initialiser')}; ${why}`, ins.pc));
    } else {
      emit(
        methodFinding(
          ctx,
          m,
          'static-init',
          `${ins.name} in the static initialiser: ${why}; only constants and arrays of primitive constants can be pre-computed by the converter`,
          ins.pc,
        ),
      );
    }
    for (const later of code.slice(index + 1)) {
      if (ALLOCATING.has(later.name)) {
        emit(methodFinding(ctx, m, 'allocation', allocationMessage(ctx, later, 'the static initialiser'), later.pc));
      }
    }
  };
  let i = 0;
  while (i < code.length) {
    const ins = code[i]!;
    if (ins.name === 'return' && i === code.length - 1) return;
    const value = constantOf(ctx, ins);
    const next = code[i + 1];
    if (value === undefined || next === undefined) return reportFrom(i, 'it is not a constant initialisation');
    if (next.name === 'putstatic') {
      i += 2;
      continue;
    }
    if (next.name !== 'newarray' || typeof value !== 'number') return reportFrom(i + 1, 'it is not a constant initialisation');
    const element = NEWARRAY_TYPES[next.operand!] ?? '?';
    if (!STATIC_ARRAY_TYPES.has(element)) return reportFrom(i + 1, `static arrays can only hold byte, short or boolean, not ${element}`);
    // ecj leaves out the stores of zero elements, so `new byte[4]` and `{0, 0, 0, 0}` are the same bytecode.
    let j = i + 2;
    while (
      code[j]?.name === 'dup' &&
      typeof constantOf(ctx, code[j + 1]) === 'number' &&
      typeof constantOf(ctx, code[j + 2]) === 'number' &&
      (code[j + 3]?.name === 'bastore' || code[j + 3]?.name === 'sastore')
    ) {
      j += 4;
    }
    if (code[j]?.name !== 'putstatic') return reportFrom(j, 'it is not part of a constant array initialiser');
    i = j + 1;
  }
}

export const ALL_RULES: ReadonlyArray<(ctx: ClassUnderLint, emit: FindingSink) => void> = [
  classVersionRule,
  intTypeRule,
  stringRule,
  wideOpRule,
  intIntermediateRule,
  apiRule,
  allocationRule,
];
