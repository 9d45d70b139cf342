// A tiny JVM assembler for the lint's unit tests: mnemonics, labels (`'loop:'`) and operands, in two passes.
import { mnemonic } from '../../scripts/jclint/bytecode.ts';

const OPCODES = new Map<string, number>(Array.from({ length: 0xca }, (_, opcode) => [mnemonic(opcode), opcode]));

/** A label definition (`'loop:'`), a bare mnemonic, or a mnemonic with operands (numbers, or labels for jumps). */
export type Line = string | readonly [string, ...(number | string)[]];

function opcodeOf(name: string): number {
  const opcode = OPCODES.get(name);
  if (opcode === undefined) throw new Error(`unknown mnemonic ${name}`);
  return opcode;
}

const BRANCHES = /^(if|goto$|jsr$)/;

function encode(name: string, operands: readonly (number | string)[], pc: number, labels: Map<string, number>): number[] {
  const target = (operand: number | string | undefined): number => {
    if (typeof operand === 'number') return operand;
    const at = labels.get(operand ?? '');
    if (at === undefined && labels.size > 0) throw new Error(`unknown label ${operand}`);
    return (at ?? pc) - pc;
  };
  const s2 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
  const s4 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const op = opcodeOf(name);
  if (name === 'tableswitch' || name === 'lookupswitch') {
    const padding = new Array<number>((4 - ((pc + 1) % 4)) % 4).fill(0);
    const [defaultLabel, ...rest] = operands;
    if (name === 'tableswitch') {
      const [low, ...cases] = rest as [number, ...string[]];
      return [op, ...padding, ...s4(target(defaultLabel)), ...s4(low), ...s4(low + cases.length - 1), ...cases.flatMap((c) => s4(target(c)))];
    }
    const pairs: number[] = [];
    for (let i = 0; i < rest.length; i += 2) pairs.push(...s4(rest[i] as number), ...s4(target(rest[i + 1])));
    return [op, ...padding, ...s4(target(defaultLabel)), ...s4(rest.length / 2), ...pairs];
  }
  if (BRANCHES.test(name)) return [op, ...s2(target(operands[0]))];
  if (name === 'sipush' || name === 'ldc_w' || name === 'ldc2_w' || /^(get|put|invoke|new$|anewarray|checkcast|instanceof)/.test(name)) {
    return [op, ...s2(operands[0] as number)];
  }
  return [op, ...operands.map((v) => (v as number) & 0xff)];
}

export function assemble(lines: readonly Line[]): Uint8Array {
  const run = (labels: Map<string, number>): { bytes: number[]; labels: Map<string, number> } => {
    const found = new Map<string, number>();
    const bytes: number[] = [];
    for (const line of lines) {
      if (typeof line === 'string' && line.endsWith(':')) {
        found.set(line.slice(0, -1), bytes.length);
        continue;
      }
      const [name, ...operands] = typeof line === 'string' ? [line] : line;
      bytes.push(...encode(name, operands, bytes.length, labels));
    }
    return { bytes, labels: found };
  };
  const first = run(new Map());
  return new Uint8Array(run(first.labels).bytes);
}
