// JVM bytecode decoding (JVMS chapter 6): one Instruction per opcode, with `wide` folded into the instruction it
// widens, and every branch target resolved to an absolute pc.
import { ClassFormatError } from './classfile.ts';

/** Mnemonics by opcode, 0x00..0xc9 (JVMS 7: opcode mnemonics by opcode). */
const MNEMONICS = `nop aconst_null iconst_m1 iconst_0 iconst_1 iconst_2 iconst_3 iconst_4 iconst_5 lconst_0 lconst_1
fconst_0 fconst_1 fconst_2 dconst_0 dconst_1 bipush sipush ldc ldc_w ldc2_w iload lload fload dload aload
iload_0 iload_1 iload_2 iload_3 lload_0 lload_1 lload_2 lload_3 fload_0 fload_1 fload_2 fload_3
dload_0 dload_1 dload_2 dload_3 aload_0 aload_1 aload_2 aload_3
iaload laload faload daload aaload baload caload saload istore lstore fstore dstore astore
istore_0 istore_1 istore_2 istore_3 lstore_0 lstore_1 lstore_2 lstore_3 fstore_0 fstore_1 fstore_2 fstore_3
dstore_0 dstore_1 dstore_2 dstore_3 astore_0 astore_1 astore_2 astore_3
iastore lastore fastore dastore aastore bastore castore sastore pop pop2 dup dup_x1 dup_x2 dup2 dup2_x1 dup2_x2 swap
iadd ladd fadd dadd isub lsub fsub dsub imul lmul fmul dmul idiv ldiv fdiv ddiv irem lrem frem drem
ineg lneg fneg dneg ishl lshl ishr lshr iushr lushr iand land ior lor ixor lxor iinc
i2l i2f i2d l2i l2f l2d f2i f2l f2d d2i d2l d2f i2b i2c i2s lcmp fcmpl fcmpg dcmpl dcmpg
ifeq ifne iflt ifge ifgt ifle if_icmpeq if_icmpne if_icmplt if_icmpge if_icmpgt if_icmple if_acmpeq if_acmpne
goto jsr ret tableswitch lookupswitch ireturn lreturn freturn dreturn areturn return
getstatic putstatic getfield putfield invokevirtual invokespecial invokestatic invokeinterface invokedynamic
new newarray anewarray arraylength athrow checkcast instanceof monitorenter monitorexit wide multianewarray
ifnull ifnonnull goto_w jsr_w`.split(/\s+/);

if (MNEMONICS.length !== 0xca) throw new Error(`opcode table has ${MNEMONICS.length} entries, expected 202`);

export function mnemonic(opcode: number): string {
  const name = MNEMONICS[opcode];
  if (name === undefined) throw new ClassFormatError(`unknown opcode 0x${opcode.toString(16)}`);
  return name;
}

export interface Instruction {
  readonly pc: number;
  readonly opcode: number;
  /** For a `wide` instruction, the widened one (`iload`, `iinc`...); `wide` is then true. */
  readonly name: string;
  readonly wide: boolean;
  readonly length: number;
  /** Local variable index: the xload/xstore family (also the _0.._3 forms), iinc, ret. */
  readonly local?: number;
  /** bipush/sipush value, iinc increment, newarray atype, multianewarray dimensions. */
  readonly operand?: number;
  /** Constant pool index: ldc*, field and method instructions, new, anewarray, checkcast, instanceof, multianewarray. */
  readonly cpIndex?: number;
  /** Absolute branch targets (if*, goto*, jsr*; for switches the default first, then the cases). */
  readonly targets?: readonly number[];
  /** Switch keys, in the order of `targets` after the default. */
  readonly keys?: readonly number[];
}

/** Array element types of `newarray` (JVMS 6.5 newarray). */
export const NEWARRAY_TYPES: Readonly<Record<number, string>> = {
  4: 'boolean',
  5: 'char',
  6: 'float',
  7: 'double',
  8: 'byte',
  9: 'short',
  10: 'int',
  11: 'long',
};

const IMPLICIT_LOCAL = /^[ilfda](load|store)_([0-3])$/;

const CP_U2_OPS = new Set([
  'ldc_w',
  'ldc2_w',
  'getstatic',
  'putstatic',
  'getfield',
  'putfield',
  'invokevirtual',
  'invokespecial',
  'invokestatic',
  'new',
  'anewarray',
  'checkcast',
  'instanceof',
]);

const LOCAL_U1_OPS = new Set(['iload', 'lload', 'fload', 'dload', 'aload', 'istore', 'lstore', 'fstore', 'dstore', 'astore', 'ret']);

const BRANCH_S2_OPS = new Set([
  'ifeq',
  'ifne',
  'iflt',
  'ifge',
  'ifgt',
  'ifle',
  'if_icmpeq',
  'if_icmpne',
  'if_icmplt',
  'if_icmpge',
  'if_icmpgt',
  'if_icmple',
  'if_acmpeq',
  'if_acmpne',
  'goto',
  'jsr',
  'ifnull',
  'ifnonnull',
]);

function u1(code: Uint8Array, at: number): number {
  if (at >= code.length) throw new ClassFormatError(`bytecode truncated at ${at}`);
  return code[at]!;
}

function u2(code: Uint8Array, at: number): number {
  return (u1(code, at) << 8) | u1(code, at + 1);
}

function s1(code: Uint8Array, at: number): number {
  return (u1(code, at) << 24) >> 24;
}

function s2(code: Uint8Array, at: number): number {
  return (u2(code, at) << 16) >> 16;
}

function s4(code: Uint8Array, at: number): number {
  return (u2(code, at) << 16) | u2(code, at + 2);
}

function decodeWide(code: Uint8Array, pc: number): Instruction {
  const opcode = u1(code, pc + 1);
  const name = mnemonic(opcode);
  if (name === 'iinc') {
    return { pc, opcode, name, wide: true, length: 6, local: u2(code, pc + 2), operand: s2(code, pc + 4) };
  }
  if (!LOCAL_U1_OPS.has(name)) throw new ClassFormatError(`wide at pc ${pc} modifies ${name}, which it cannot`);
  return { pc, opcode, name, wide: true, length: 4, local: u2(code, pc + 2) };
}

function decodeSwitch(code: Uint8Array, pc: number, opcode: number, name: string): Instruction {
  // Operands start at the next multiple of four from the start of the method (JVMS 6.5 tableswitch).
  let at = pc + 1 + ((4 - ((pc + 1) % 4)) % 4);
  const defaultTarget = pc + s4(code, at);
  at += 4;
  const keys: number[] = [];
  const targets: number[] = [defaultTarget];
  if (name === 'tableswitch') {
    const low = s4(code, at);
    const high = s4(code, at + 4);
    at += 8;
    if (high < low) throw new ClassFormatError(`tableswitch at pc ${pc} has high ${high} below low ${low}`);
    for (let key = low; key <= high; key++) {
      keys.push(key);
      targets.push(pc + s4(code, at));
      at += 4;
    }
  } else {
    const pairs = s4(code, at);
    at += 4;
    if (pairs < 0) throw new ClassFormatError(`lookupswitch at pc ${pc} has ${pairs} pairs`);
    for (let i = 0; i < pairs; i++) {
      keys.push(s4(code, at));
      targets.push(pc + s4(code, at + 4));
      at += 8;
    }
  }
  return { pc, opcode, name, wide: false, length: at - pc, targets, keys };
}

function decodeOne(code: Uint8Array, pc: number): Instruction {
  const opcode = u1(code, pc);
  const name = mnemonic(opcode);
  const base = { pc, opcode, name, wide: false };
  const implicit = IMPLICIT_LOCAL.exec(name);
  if (implicit) return { ...base, length: 1, local: Number(implicit[2]) };
  if (name === 'wide') return decodeWide(code, pc);
  if (name === 'tableswitch' || name === 'lookupswitch') return decodeSwitch(code, pc, opcode, name);
  if (LOCAL_U1_OPS.has(name)) return { ...base, length: 2, local: u1(code, pc + 1) };
  if (CP_U2_OPS.has(name)) return { ...base, length: 3, cpIndex: u2(code, pc + 1) };
  if (BRANCH_S2_OPS.has(name)) return { ...base, length: 3, targets: [pc + s2(code, pc + 1)] };
  switch (name) {
    case 'bipush':
      return { ...base, length: 2, operand: s1(code, pc + 1) };
    case 'sipush':
      return { ...base, length: 3, operand: s2(code, pc + 1) };
    case 'ldc':
      return { ...base, length: 2, cpIndex: u1(code, pc + 1) };
    case 'iinc':
      return { ...base, length: 3, local: u1(code, pc + 1), operand: s1(code, pc + 2) };
    case 'newarray':
      return { ...base, length: 2, operand: u1(code, pc + 1) };
    case 'invokeinterface':
    case 'invokedynamic':
      return { ...base, length: 5, cpIndex: u2(code, pc + 1) };
    case 'multianewarray':
      return { ...base, length: 4, cpIndex: u2(code, pc + 1), operand: u1(code, pc + 3) };
    case 'goto_w':
    case 'jsr_w':
      return { ...base, length: 5, targets: [pc + s4(code, pc + 1)] };
    default:
      return { ...base, length: 1 };
  }
}

export function decodeInstructions(code: Uint8Array): Instruction[] {
  const instructions: Instruction[] = [];
  let pc = 0;
  while (pc < code.length) {
    const instruction = decodeOne(code, pc);
    if (pc + instruction.length > code.length) {
      throw new ClassFormatError(`${instruction.name} at pc ${pc} runs past the end of the code (${code.length} bytes)`);
    }
    instructions.push(instruction);
    pc += instruction.length;
  }
  const starts = new Set(instructions.map((i) => i.pc));
  for (const instruction of instructions) {
    for (const target of instruction.targets ?? []) {
      if (!starts.has(target)) {
        throw new ClassFormatError(`${instruction.name} at pc ${instruction.pc} jumps to ${target}, not an instruction start`);
      }
    }
  }
  return instructions;
}

/** Instructions after which control never falls through to the next one. */
export function endsFlow(name: string): boolean {
  return (
    name === 'goto' ||
    name === 'goto_w' ||
    name === 'tableswitch' ||
    name === 'lookupswitch' ||
    name === 'athrow' ||
    name === 'ret' ||
    /^[ilfda]?return$/.test(name)
  );
}

/** Opcodes on long, float or double values, and conversions between int and those types. */
export function isWideOperation(name: string): boolean {
  return (
    /^[lfd](const_|load|store|aload|astore|add|sub|mul|div|rem|neg|shl|shr|ushr|and|or|xor|return|cmp)/.test(name) ||
    /^[ilfd]2[ilfd]$/.test(name)
  );
}
