// The abstract interpreter behind the `int-intermediate` rule.
//
// javac computes every byte/short expression in 32-bit int; the Java Card converter turns int arithmetic into 16-bit
// arithmetic (sadd, smul...) and can only do so where the 16-bit result is provably the same. It is when the result
// is truncated right away (i2s, i2b, or a store into a byte/short array). Where the untruncated 32-bit value is
// observed (compared, used as an array index, divided, shifted right, passed on, returned) the converter stops with
// "unsupported int type of intermediate value, must cast intermediate value to type short or byte".
//
// So every int-category value on the operand stack and in the locals is either `short` (known to fit 16 bits) or
// `intermediate` (the raw result of int arithmetic, remembering which instruction produced it). The converter is
// type-based, not range-based: a sum of two bytes is intermediate although it cannot overflow (Satochip had to cast
// `5 + byteValue` and `4 * byteValue` before comparing them). But &, |, ^, >> and % of two shorts cannot leave the
// 16-bit range, and the converter accepts them uncast: status-keycard, built with the 3.0.4 kit, compares
// `(buf[i] & (byte) 0x80)` and `(x >> 8)` directly, and SmartPGP (3.0.4 kit) compares `(bits % 8) == 0`. So those
// stay `short`; +, -, *, unary -, <<, >>> and / are intermediate (/ because -32768 / -1 overflows, and for lack of
// evidence that the converter lets it through).
//
// A worklist over basic blocks runs the method to a fixpoint; a second pass over the final block entry states
// reports every place where an intermediate reaches such a use.
import type { CodeAttribute, ConstantPool } from './classfile.ts';
import { ClassFormatError, cpEntryOrUndefined, cpMemberRef, cpNameAndType } from './classfile.ts';
import { endsFlow, type Instruction } from './bytecode.ts';
import { parseFieldDescriptor, parseMethodDescriptor, type FieldType } from './descriptor.ts';

export type Value =
  | { readonly kind: 'short' }
  | { readonly kind: 'intermediate'; readonly op: string; readonly pc: number }
  | { readonly kind: 'ref' | 'long' | 'float' | 'double' | 'retaddr' }
  /** The second slot of a long or double, on the stack or in the locals. */
  | { readonly kind: 'half' }
  /** Unknown: slots whose value differs in kind between paths, or never written. */
  | { readonly kind: 'top' };

const SHORT: Value = { kind: 'short' };
const REF: Value = { kind: 'ref' };
const HALF: Value = { kind: 'half' };
const TOP: Value = { kind: 'top' };
const LONG: Value = { kind: 'long' };
const FLOAT: Value = { kind: 'float' };
const DOUBLE: Value = { kind: 'double' };

interface Frame {
  stack: Value[];
  locals: Value[];
}

/** A place where an untruncated int result is observed. */
export interface IntermediateUse {
  readonly pc: number;
  /** The instruction that observes it, e.g. `if_icmpge`. */
  readonly instruction: string;
  /** What the value is used as, e.g. `an array index`. */
  readonly use: string;
  /** The arithmetic instruction whose result lacks the cast. */
  readonly origin: { readonly op: string; readonly pc: number };
}

export interface MethodInput {
  readonly instructions: readonly Instruction[];
  readonly code: CodeAttribute;
  readonly descriptor: string;
  readonly isStatic: boolean;
  readonly pool: ConstantPool;
}

export type IntFlowResult =
  | { readonly ok: true; readonly uses: readonly IntermediateUse[] }
  /** The method uses something the analysis does not model (jsr/ret subroutines, inconsistent stack heights). */
  | { readonly ok: false; readonly reason: string };

/** Operations whose result the converter treats as int even on short operands: always intermediate. */
const OVERFLOWING = new Set(['iadd', 'isub', 'imul', 'ineg', 'ishl', 'idiv', 'iushr']);
/** Operations whose result stays in the 16-bit range when every operand does. */
const RANGE_PRESERVING = new Set(['iand', 'ior', 'ixor', 'ishr', 'irem']);
/** Operations where an intermediate operand already changes the result (division, right shifts). */
const OPERAND_SENSITIVE = new Set(['idiv', 'irem', 'ishr', 'iushr']);

function valueOfType(type: FieldType | undefined): Value {
  if (type === undefined) return TOP;
  if (type.kind !== 'primitive') return REF;
  switch (type.letter) {
    case 'J':
      return LONG;
    case 'D':
      return DOUBLE;
    case 'F':
      return FLOAT;
    default:
      return SHORT; // byte, short, boolean, char and (already reported) int: loaded values are not intermediate
  }
}

function isCategory2(value: Value): boolean {
  return value.kind === 'long' || value.kind === 'double';
}

function sameValue(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'intermediate' && b.kind === 'intermediate') return a.pc === b.pc && a.op === b.op;
  return true;
}

/** Least upper bound: an intermediate on any path makes the merged value intermediate (the earliest origin wins). */
function mergeValue(a: Value, b: Value): Value {
  if (sameValue(a, b)) return a;
  if (a.kind === 'intermediate' && b.kind === 'intermediate') return a.pc <= b.pc ? a : b;
  if (a.kind === 'intermediate' && b.kind === 'short') return a;
  if (a.kind === 'short' && b.kind === 'intermediate') return b;
  return TOP;
}

class UnsupportedBytecode extends Error {}

function mergeFrames(into: Frame | undefined, incoming: Frame, where: number): { frame: Frame; changed: boolean } {
  if (into === undefined) return { frame: { stack: [...incoming.stack], locals: [...incoming.locals] }, changed: true };
  if (into.stack.length !== incoming.stack.length) {
    throw new UnsupportedBytecode(`stack heights ${into.stack.length} and ${incoming.stack.length} meet at pc ${where}`);
  }
  let changed = false;
  const stack = into.stack.map((value, i) => {
    const merged = mergeValue(value, incoming.stack[i]!);
    if (!sameValue(merged, value)) changed = true;
    return merged;
  });
  const length = Math.max(into.locals.length, incoming.locals.length);
  const locals: Value[] = [];
  for (let i = 0; i < length; i++) {
    const current = into.locals[i] ?? TOP;
    const merged = mergeValue(current, incoming.locals[i] ?? TOP);
    if (!sameValue(merged, current) || into.locals[i] === undefined) changed = true;
    locals.push(merged);
  }
  return { frame: { stack, locals }, changed };
}

function initialFrame(input: MethodInput): Frame {
  const locals: Value[] = [];
  if (!input.isStatic) locals.push(REF);
  for (const param of parseMethodDescriptor(input.descriptor).params) {
    const value = valueOfType(param);
    locals.push(value);
    if (isCategory2(value)) locals.push(HALF);
  }
  return { stack: [], locals };
}

type Report = (use: IntermediateUse) => void;

/** Executes one instruction on the abstract frame; `report` is called for every intermediate that reaches a use. */
function step(frame: Frame, ins: Instruction, pool: ConstantPool, report: Report | undefined): void {
  const { stack, locals } = frame;
  const pop = (): Value => {
    const value = stack.pop();
    if (value === undefined) throw new UnsupportedBytecode(`stack underflow at pc ${ins.pc} (${ins.name})`);
    return value;
  };
  /** Pops a value of the given kind: long and double take two slots. */
  const popTyped = (value: Value): Value => {
    if (isCategory2(value)) pop();
    return pop();
  };
  const popOfLetter = (letter: string): Value => popTyped(valueOfLetter(letter));
  const push = (value: Value): void => {
    stack.push(value);
    if (isCategory2(value)) stack.push(HALF);
  };
  const popN = (count: number): Value[] => {
    const values: Value[] = [];
    for (let i = 0; i < count; i++) values.unshift(pop());
    return values;
  };
  const check = (value: Value, use: string): void => {
    if (report !== undefined && value.kind === 'intermediate') {
      report({ pc: ins.pc, instruction: ins.name, use, origin: { op: value.op, pc: value.pc } });
    }
  };
  const setLocal = (index: number, value: Value): void => {
    while (locals.length < index) locals.push(TOP);
    // Overwriting the second half of a long/double invalidates the whole of it.
    if (index > 0 && isCategory2(locals[index - 1] ?? TOP)) locals[index - 1] = TOP;
    locals[index] = value;
    if (isCategory2(value)) locals[index + 1] = HALF;
  };
  const name = ins.name;
  const kindLetter = name[0];

  if (/^iconst_|^bipush$|^sipush$/.test(name)) return push(SHORT);
  if (/^lconst_/.test(name)) return push(LONG);
  if (/^fconst_/.test(name)) return push(FLOAT);
  if (/^dconst_/.test(name)) return push(DOUBLE);
  if (/^[ilfda]load(_\d)?$/.test(name)) {
    const value = locals[ins.local!] ?? TOP;
    if (kindLetter === 'a') return push(value.kind === 'ref' ? value : REF);
    if (kindLetter === 'i') return push(value.kind === 'short' || value.kind === 'intermediate' ? value : TOP);
    return push(kindLetter === 'l' ? LONG : kindLetter === 'd' ? DOUBLE : FLOAT);
  }
  if (/^[ilfda]store(_\d)?$/.test(name)) {
    // An intermediate stored in a local stays intermediate: it is reported where it is used.
    const value = popOfLetter(kindLetter!);
    return setLocal(ins.local!, kindLetter === 'i' || kindLetter === 'a' ? value : valueOfLetter(kindLetter!));
  }
  if (/^[iladfbcs]aload$/.test(name)) {
    check(pop(), 'an array index');
    pop();
    return push(valueOfLetter(kindLetter!));
  }
  if (/^[iladfbcs]astore$/.test(name)) {
    // The value of a bastore/sastore is truncated by the store itself, so it is not checked.
    popOfLetter(kindLetter!);
    check(pop(), 'an array index');
    pop();
    return;
  }
  if (OVERFLOWING.has(name) || RANGE_PRESERVING.has(name)) {
    const operands = popN(name === 'ineg' ? 1 : 2);
    if (OPERAND_SENSITIVE.has(name)) {
      check(operands[0]!, `the left operand of ${name} (32-bit and 16-bit results differ)`);
      check(operands[1]!, `the right operand of ${name} (32-bit and 16-bit results differ)`);
    }
    const exact = RANGE_PRESERVING.has(name) && operands.every((value) => value.kind === 'short');
    return push(exact ? SHORT : { kind: 'intermediate', op: name, pc: ins.pc });
  }
  if (/^[lfd](add|sub|mul|div|rem|and|or|xor)$/.test(name)) {
    popOfLetter(kindLetter!);
    popOfLetter(kindLetter!);
    return push(valueOfLetter(kindLetter!));
  }
  if (/^l(shl|shr|ushr)$/.test(name)) {
    pop(); // the shift count is an int
    popOfLetter('l');
    return push(LONG);
  }
  if (/^[lfd]neg$/.test(name)) {
    popOfLetter(kindLetter!);
    return push(valueOfLetter(kindLetter!));
  }
  if (/^[ilfd]2[ilfdbcs]$/.test(name)) {
    popOfLetter(name[0]!);
    return push(valueOfLetter(name[2]!));
  }
  if (/^[lfd]cmp/.test(name)) {
    popOfLetter(kindLetter!);
    popOfLetter(kindLetter!);
    return push(SHORT);
  }
  if (/^if(eq|ne|lt|ge|gt|le)$/.test(name)) return check(pop(), `a comparison (${name})`);
  if (/^if_icmp/.test(name)) {
    const [left, right] = popN(2);
    check(left!, `a comparison (${name})`);
    return check(right!, `a comparison (${name})`);
  }
  if (/^if_acmp/.test(name)) return void popN(2);
  if (name === 'ifnull' || name === 'ifnonnull') return void pop();
  if (name === 'tableswitch' || name === 'lookupswitch') return check(pop(), `a switch key (${name})`);
  if (name === 'ireturn') return check(pop(), 'a return value');
  if (/^[lfda]return$/.test(name)) return void popOfLetter(kindLetter!);
  switch (name) {
    case 'nop':
    case 'goto':
    case 'goto_w':
    case 'return':
      return;
    case 'aconst_null':
      return push(REF);
    case 'ldc':
    case 'ldc_w':
    case 'ldc2_w':
      return push(valueOfConstant(pool, ins.cpIndex!));
    case 'iinc':
      // The local keeps its kind: javac emits iinc only for int locals, which the int-type rule reports.
      return;
    case 'pop':
      return void pop();
    case 'pop2':
      return void popN(2);
    case 'dup':
      return void stack.push(peek(stack, 0, ins));
    case 'dup_x1': {
      const [a, b] = popN(2);
      stack.push(b!, a!, b!);
      return;
    }
    case 'dup_x2': {
      const [a, b, c] = popN(3);
      stack.push(c!, a!, b!, c!);
      return;
    }
    case 'dup2': {
      const [a, b] = popN(2);
      stack.push(a!, b!, a!, b!);
      return;
    }
    case 'dup2_x1': {
      const [a, b, c] = popN(3);
      stack.push(b!, c!, a!, b!, c!);
      return;
    }
    case 'dup2_x2': {
      const [a, b, c, d] = popN(4);
      stack.push(c!, d!, a!, b!, c!, d!);
      return;
    }
    case 'swap': {
      const [a, b] = popN(2);
      stack.push(b!, a!);
      return;
    }
    case 'getstatic':
    case 'getfield': {
      const ref = cpMemberRef(pool, ins.cpIndex!);
      if (name === 'getfield') pop();
      return push(valueOfType(parseFieldDescriptor(ref.descriptor)));
    }
    case 'putstatic':
    case 'putfield': {
      const ref = cpMemberRef(pool, ins.cpIndex!);
      const value = popTyped(valueOfType(parseFieldDescriptor(ref.descriptor)));
      check(value, `the value stored into field ${ref.name}`);
      if (name === 'putfield') pop();
      return;
    }
    case 'invokevirtual':
    case 'invokespecial':
    case 'invokestatic':
    case 'invokeinterface':
    case 'invokedynamic': {
      const { name: methodName, descriptor } =
        name === 'invokedynamic' ? invokeDynamicNameAndType(pool, ins.cpIndex!) : cpMemberRef(pool, ins.cpIndex!);
      const method = parseMethodDescriptor(descriptor);
      for (let i = method.params.length - 1; i >= 0; i--) {
        const value = popTyped(valueOfType(method.params[i]));
        check(value, `argument ${i + 1} of ${methodName}`);
      }
      if (name !== 'invokestatic' && name !== 'invokedynamic') pop();
      if (method.returns !== undefined) push(valueOfType(method.returns));
      return;
    }
    case 'new':
      return push(REF);
    case 'newarray':
    case 'anewarray':
      check(pop(), `an array length (${name})`);
      return push(REF);
    case 'multianewarray': {
      for (const dimension of popN(ins.operand!)) check(dimension, 'an array length (multianewarray)');
      return push(REF);
    }
    case 'arraylength':
      pop();
      return push(SHORT);
    case 'athrow':
      pop();
      return;
    case 'checkcast':
      pop();
      return push(REF);
    case 'instanceof':
      pop();
      return push(SHORT);
    case 'monitorenter':
    case 'monitorexit':
      return void pop();
    default:
      throw new UnsupportedBytecode(`${name} at pc ${ins.pc} (subroutines are not analysed)`);
  }
}

function peek(stack: Value[], depth: number, ins: Instruction): Value {
  const value = stack[stack.length - 1 - depth];
  if (value === undefined) throw new UnsupportedBytecode(`stack underflow at pc ${ins.pc} (${ins.name})`);
  return value;
}

/** The value an opcode's type letter stands for: i, b, c, s are int-category, a is a reference. */
function valueOfLetter(letter: string): Value {
  switch (letter) {
    case 'l':
      return LONG;
    case 'f':
      return FLOAT;
    case 'd':
      return DOUBLE;
    case 'a':
      return REF;
    default:
      return SHORT;
  }
}

function valueOfConstant(pool: ConstantPool, index: number): Value {
  const entry = cpEntryOrUndefined(pool, index);
  switch (entry?.tag) {
    case 'Integer':
      return SHORT; // out-of-range values are the wide-op rule's business
    case 'Float':
      return FLOAT;
    case 'Long':
      return LONG;
    case 'Double':
      return DOUBLE;
    case 'Dynamic': {
      return valueOfType(parseFieldDescriptor(cpNameAndType(pool, entry.nameAndTypeIndex).descriptor));
    }
    default:
      return REF; // String, Class, MethodType, MethodHandle
  }
}

function invokeDynamicNameAndType(pool: ConstantPool, index: number): { name: string; descriptor: string } {
  const entry = cpEntryOrUndefined(pool, index);
  if (entry?.tag !== 'InvokeDynamic') throw new ClassFormatError(`invokedynamic operand #${index} is not InvokeDynamic`);
  return cpNameAndType(pool, entry.nameAndTypeIndex);
}

interface Block {
  readonly start: number;
  /** Index range into the instruction list, end exclusive. */
  readonly from: number;
  readonly to: number;
  readonly successors: readonly number[];
}

/** Splits a method into basic blocks: leaders are the entry, branch targets, handlers and instructions after jumps. */
export function basicBlocks(instructions: readonly Instruction[], handlers: CodeAttribute['exceptionTable']): Block[] {
  const leaders = new Set<number>([0]);
  instructions.forEach((ins, i) => {
    for (const target of ins.targets ?? []) leaders.add(target);
    const next = instructions[i + 1];
    if (next !== undefined && (ins.targets !== undefined || endsFlow(ins.name))) leaders.add(next.pc);
  });
  for (const handler of handlers) leaders.add(handler.handlerPc);
  const blocks: Block[] = [];
  let from = 0;
  for (let i = 0; i < instructions.length; i++) {
    const next = instructions[i + 1];
    if (next !== undefined && !leaders.has(next.pc)) continue;
    const last = instructions[i]!;
    const successors = [...(last.targets ?? [])];
    if (next !== undefined && !endsFlow(last.name)) successors.push(next.pc);
    blocks.push({ start: instructions[from]!.pc, from, to: i + 1, successors });
    from = i + 1;
  }
  return blocks;
}

/** Runs the method to a fixpoint, then reports every intermediate that reaches a use. */
export function findIntermediateUses(input: MethodInput): IntFlowResult {
  try {
    const { instructions, code, pool } = input;
    if (instructions.some((ins) => ins.name === 'jsr' || ins.name === 'jsr_w' || ins.name === 'ret')) {
      return { ok: false, reason: 'the method uses jsr/ret subroutines' };
    }
    const blocks = basicBlocks(instructions, code.exceptionTable);
    const blockAt = new Map(blocks.map((block) => [block.start, block]));
    const entry = new Map<number, Frame>([[0, initialFrame(input)]]);
    const runBlock = (block: Block, report: Report | undefined): void => {
      const frame: Frame = { stack: [...entry.get(block.start)!.stack], locals: [...entry.get(block.start)!.locals] };
      const propagate = (target: number, state: Frame): void => {
        if (report !== undefined) return;
        const merged = mergeFrames(entry.get(target), state, target);
        if (merged.changed) {
          entry.set(target, merged.frame);
          pending.add(target);
        }
      };
      for (let i = block.from; i < block.to; i++) {
        const ins = instructions[i]!;
        for (const handler of code.exceptionTable) {
          if (ins.pc >= handler.startPc && ins.pc < handler.endPc) {
            propagate(handler.handlerPc, { stack: [REF], locals: frame.locals });
          }
        }
        step(frame, ins, pool, report);
      }
      for (const successor of block.successors) propagate(successor, frame);
    };
    const pending = new Set<number>([0]);
    while (pending.size > 0) {
      const start = Math.min(...pending);
      pending.delete(start);
      runBlock(blockAt.get(start)!, undefined);
    }
    const uses: IntermediateUse[] = [];
    const seen = new Set<string>();
    for (const block of blocks) {
      if (!entry.has(block.start)) continue; // unreachable code
      runBlock(block, (use) => {
        const key = `${use.pc}:${use.use}`;
        if (!seen.has(key)) {
          seen.add(key);
          uses.push(use);
        }
      });
    }
    uses.sort((a, b) => a.pc - b.pc);
    return { ok: true, uses };
  } catch (error) {
    if (error instanceof UnsupportedBytecode) return { ok: false, reason: error.message };
    throw error;
  }
}
