import { describe, expect, it } from 'vitest';
import { decodeInstructions } from '../../scripts/jclint/bytecode.ts';
import type { ConstantPool, ExceptionHandler } from '../../scripts/jclint/classfile.ts';
import { basicBlocks, findIntermediateUses, type IntFlowResult } from '../../scripts/jclint/intflow.ts';
import { assemble, type Line } from './assembler.ts';

/** Analyses a static method with the given descriptor and body. */
function analyse(descriptor: string, lines: readonly Line[], handlers: readonly ExceptionHandler[] = [], pool: ConstantPool = []): IntFlowResult {
  const code = assemble(lines);
  return findIntermediateUses({
    instructions: decodeInstructions(code),
    code: { maxStack: 8, maxLocals: 8, code, exceptionTable: handlers, lineNumbers: [], localVariables: [], attributes: [] },
    descriptor,
    isStatic: true,
    pool,
  });
}

function uses(result: IntFlowResult): Array<[number, string, string, number]> {
  if (!result.ok) throw new Error(`not analysed: ${result.reason}`);
  return result.uses.map((u) => [u.pc, u.use, u.origin.op, u.origin.pc]);
}

describe('findIntermediateUses: truncation', () => {
  it('accepts (short)(a + b) returned', () => {
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_1', 'iadd', 'i2s', 'ireturn']))).toEqual([]);
  });

  it('reports a + b returned without a cast', () => {
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_1', 'iadd', 'ireturn']))).toEqual([[3, 'a return value', 'iadd', 2]]);
  });

  it('lets a chain of arithmetic through when it ends in i2b', () => {
    const body: Line[] = ['iload_0', 'iload_1', 'imul', ['bipush', 3], 'iadd', 'iload_1', 'ixor', ['bipush', 8], 'ishl', 'ineg', 'i2b', 'ireturn'];
    expect(uses(analyse('(SS)B', body))).toEqual([]);
  });

  it('accepts the value of a bastore (it truncates) but not its index', () => {
    const valueOnly: Line[] = ['aload_0', 'iload_1', 'iload_1', 'iload_2', 'iadd', 'bastore', 'return'];
    expect(uses(analyse('([BSS)V', valueOnly))).toEqual([]);
    const index: Line[] = ['aload_0', 'iload_1', 'iload_2', 'iadd', 'iconst_0', 'bastore', 'return'];
    expect(uses(analyse('([BSS)V', index))).toEqual([[5, 'an array index', 'iadd', 3]]);
  });

  it('accepts division of plain shorts, reports division of a sum', () => {
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_1', 'idiv', 'i2s', 'ireturn']))).toEqual([]);
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_1', 'iadd', 'iconst_2', 'idiv', 'i2s', 'ireturn']))).toEqual([
      [4, 'the left operand of idiv (32-bit and 16-bit results differ)', 'iadd', 2],
    ]);
  });

  it('reports a sum used as a shift count of ishr too', () => {
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_0', 'iload_1', 'iadd', 'ishr', 'i2s', 'ireturn']))).toEqual([
      [4, 'the right operand of ishr (32-bit and 16-bit results differ)', 'iadd', 3],
    ]);
  });
});

describe('findIntermediateUses: operations that keep the short range', () => {
  it.each([
    ['&', 'iand'],
    ['|', 'ior'],
    ['^', 'ixor'],
    ['%', 'irem'],
  ])('a %s b of two shorts is compared without a cast', (_, op) => {
    expect(uses(analyse('(SS)Z', ['iload_0', 'iload_1', op, ['ifeq', 'end'], 'end:', 'iconst_0', 'ireturn']))).toEqual([]);
  });

  it('x >> 8 of a short is compared without a cast', () => {
    expect(uses(analyse('(S)Z', ['iload_0', ['bipush', 8], 'ishr', ['ifeq', 'end'], 'end:', 'iconst_0', 'ireturn']))).toEqual([]);
  });

  it('x >>> 8 is not: a negative short shifts in ones on 32 bits', () => {
    expect(uses(analyse('(S)Z', ['iload_0', ['bipush', 8], 'iushr', ['ifeq', 'end'], 'end:', 'iconst_0', 'ireturn']))).toEqual([
      [4, 'a comparison (ifeq)', 'iushr', 3],
    ]);
  });

  it('(a + b) & 0x80 is not: the sum may already have left the short range', () => {
    const body: Line[] = ['iload_0', 'iload_1', 'iadd', ['sipush', 0x80], 'iand', ['ifeq', 'end'], 'end:', 'iconst_0', 'ireturn'];
    expect(uses(analyse('(SS)Z', body))).toEqual([[7, 'a comparison (ifeq)', 'iand', 6]]);
  });

  it('a / b of two shorts is not (-32768 / -1 overflows), though its operands are fine', () => {
    expect(uses(analyse('(SS)S', ['iload_0', 'iload_1', 'idiv', 'ireturn']))).toEqual([[3, 'a return value', 'idiv', 2]]);
  });

  it('a byte plus a byte is still intermediate: the converter reasons by type, not by range', () => {
    const body: Line[] = ['aload_0', 'iconst_0', 'baload', 'iconst_5', 'iadd', 'iload_1', ['if_icmpne', 'end'], 'end:', 'return'];
    expect(uses(analyse('([BS)V', body))).toEqual([[6, 'a comparison (if_icmpne)', 'iadd', 4]]);
  });
});

describe('findIntermediateUses: data flow', () => {
  it('follows an intermediate through a local variable', () => {
    const body: Line[] = ['iload_0', 'iload_1', 'iadd', 'istore_2', 'iload_2', 'iload_0', ['if_icmpge', 'end'], 'iconst_1', 'ireturn', 'end:', 'iconst_0', 'ireturn'];
    expect(uses(analyse('(SS)Z', body))).toEqual([[6, 'a comparison (if_icmpge)', 'iadd', 2]]);
  });

  it('forgets it once the local is overwritten with a short', () => {
    const body: Line[] = ['iload_0', 'iload_1', 'iadd', 'istore_2', 'iload_0', 'istore_2', 'iload_2', ['ifeq', 'end'], 'end:', 'return'];
    expect(uses(analyse('(SS)V', body))).toEqual([]);
  });

  it('merges branches: an intermediate on one path reaches the join', () => {
    const body: Line[] = [
      'iload_0',
      ['ifeq', 'other'],
      'iload_0',
      'iload_1',
      'iadd',
      ['goto', 'join'],
      'other:',
      'iload_1',
      'join:',
      'ireturn',
    ];
    expect(uses(analyse('(SS)S', body))).toEqual([[11, 'a return value', 'iadd', 6]]);
  });

  it('reaches a fixpoint: a loop back edge carries an uncast increment to the loop test', () => {
    // short i = 0; while (i < n) { i = i + 1 /* no i2s */; }
    const body: Line[] = [
      'iconst_0',
      'istore_1',
      'test:',
      'iload_1',
      'iload_0',
      ['if_icmpge', 'done'],
      'iload_1',
      'iconst_1',
      'iadd',
      'istore_1',
      ['goto', 'test'],
      'done:',
      'return',
    ];
    expect(uses(analyse('(S)V', body))).toEqual([[4, 'a comparison (if_icmpge)', 'iadd', 9]]);
  });

  it('accepts the same loop with the cast javac emits for short i++', () => {
    const body: Line[] = [
      'iconst_0',
      'istore_1',
      'test:',
      'iload_1',
      'iload_0',
      ['if_icmpge', 'done'],
      'iload_1',
      'iconst_1',
      'iadd',
      'i2s',
      'istore_1',
      ['goto', 'test'],
      'done:',
      'return',
    ];
    expect(uses(analyse('(S)V', body))).toEqual([]);
  });

  it('carries locals into exception handlers', () => {
    const body: Line[] = [
      'iload_0',
      'iload_0',
      'iadd',
      'istore_1',
      'aload_2',
      'arraylength',
      'pop',
      'iconst_0',
      'ireturn',
      'handler:',
      'pop',
      'iload_1',
      'ireturn',
    ];
    const handler: ExceptionHandler = { startPc: 4, endPc: 7, handlerPc: 9, catchType: undefined };
    expect(uses(analyse('(SS[B)S', body, [handler]))).toEqual([[11, 'a return value', 'iadd', 2]]);
  });

  it('keeps the stack right through long values and the dup2 forms', () => {
    // long arithmetic is the wide-op rule's business; here it must only not derail the int analysis
    const body: Line[] = ['lconst_1', 'dup2', 'ladd', 'iload_0', 'dup_x2', 'pop', 'pop2', 'iload_0', 'iadd', 'ireturn'];
    expect(uses(analyse('(S)S', body))).toEqual([[9, 'a return value', 'iadd', 8]]);
  });

  it('dup_x1 as javac emits it for buf[this.count++] keeps the old value as the index', () => {
    // two shorts on the stack standing in for (ref, count): dup_x1 copies the count under the ref
    const body: Line[] = ['aload_1', 'iload_0', 'dup_x1', 'iconst_1', 'iadd', 'i2s', 'pop', 'pop', 'aload_1', 'swap', 'iconst_0', 'bastore', 'return'];
    expect(uses(analyse('(S[B)V', body))).toEqual([]);
  });

  it('checks switch keys', () => {
    const body: Line[] = ['iload_0', 'iconst_1', 'isub', ['lookupswitch', 'out', 1, 'one'], 'one:', 'return', 'out:', 'return'];
    expect(uses(analyse('(S)V', body))).toEqual([[3, 'a switch key (lookupswitch)', 'isub', 2]]);
  });

  it('ignores unreachable code', () => {
    const body: Line[] = ['return', 'iload_0', 'iload_0', 'iadd', 'ireturn'];
    expect(uses(analyse('(S)S', body))).toEqual([]);
  });

  it('declines methods with jsr/ret subroutines, saying why', () => {
    const result = analyse('()V', [['jsr', 'sub'], 'return', 'sub:', ['astore_1'], ['ret', 1]]);
    expect(result).toEqual({ ok: false, reason: 'the method uses jsr/ret subroutines' });
  });

  it('declines inconsistent stack heights instead of guessing', () => {
    const result = analyse('(S)V', ['iload_0', ['ifeq', 'join'], 'iconst_1', 'join:', 'return']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/stack heights/);
  });
});

describe('basicBlocks', () => {
  it('starts blocks at the entry, at targets, after jumps and at handlers', () => {
    const code = assemble(['iload_0', ['ifeq', 'b'], 'iconst_1', 'pop', 'b:', 'return', 'h:', 'pop', 'return']);
    const blocks = basicBlocks(decodeInstructions(code), [{ startPc: 0, endPc: 5, handlerPc: 7, catchType: undefined }]);
    expect(blocks.map((b) => [b.start, b.successors])).toEqual([
      [0, [6, 4]],
      [4, [6]],
      [6, []],
      [7, []],
    ]);
  });
});
