import { describe, expect, it } from 'vitest';
import { decodeInstructions, isWideOperation } from '../../scripts/jclint/bytecode.ts';
import { ClassFormatError } from '../../scripts/jclint/classfile.ts';
import { assemble } from './assembler.ts';

describe('decodeInstructions', () => {
  it('decodes implicit and explicit local indexes, constants and increments', () => {
    const code = assemble(['iload_3', ['bipush', -5], ['sipush', 1000], ['istore', 7], ['iinc', 7, -1], 'return']);
    expect(decodeInstructions(code).map((i) => [i.pc, i.name, i.local, i.operand])).toEqual([
      [0, 'iload_3', 3, undefined],
      [1, 'bipush', undefined, -5],
      [3, 'sipush', undefined, 1000],
      [6, 'istore', 7, undefined],
      [8, 'iinc', 7, -1],
      [11, 'return', undefined, undefined],
    ]);
  });

  it('resolves branch targets to absolute pcs, backwards too', () => {
    const code = assemble(['top:', 'iload_0', ['ifeq', 'end'], ['goto', 'top'], 'end:', 'return']);
    expect(decodeInstructions(code).map((i) => [i.name, i.targets])).toEqual([
      ['iload_0', undefined],
      ['ifeq', [7]],
      ['goto', [0]],
      ['return', undefined],
    ]);
  });

  it('aligns tableswitch operands to four bytes from the method start', () => {
    const code = assemble(['iload_0', ['tableswitch', 'other', 5, 'five', 'six'], 'five:', 'return', 'six:', 'return', 'other:', 'return']);
    const [, table, five, six, other] = decodeInstructions(code);
    expect(table!.pc).toBe(1);
    expect(table!.length).toBe(1 + 2 + 12 + 8); // opcode, 2 bytes padding, default/low/high, two offsets
    expect(table!.keys).toEqual([5, 6]);
    expect(table!.targets).toEqual([other!.pc, five!.pc, six!.pc]);
  });

  it('decodes lookupswitch pairs', () => {
    const code = assemble([['lookupswitch', 'other', -1, 'minus', 1000, 'big'], 'minus:', 'return', 'big:', 'return', 'other:', 'return']);
    const [lookup, minus, big, other] = decodeInstructions(code);
    expect(lookup!.length).toBe(1 + 3 + 8 + 16);
    expect(lookup!.keys).toEqual([-1, 1000]);
    expect(lookup!.targets).toEqual([other!.pc, minus!.pc, big!.pc]);
  });

  it('folds wide into the instruction it widens', () => {
    const code = new Uint8Array([0xc4, 0x15, 0x01, 0x2c, 0xc4, 0x84, 0x01, 0x2c, 0xfc, 0x18, 0xb1]);
    expect(decodeInstructions(code).map((i) => [i.pc, i.name, i.wide, i.local, i.operand, i.length])).toEqual([
      [0, 'iload', true, 300, undefined, 4],
      [4, 'iinc', true, 300, -1000, 6],
      [10, 'return', false, undefined, undefined, 1],
    ]);
  });

  it('refuses a jump into the middle of an instruction, an unknown opcode and truncated operands', () => {
    expect(() => decodeInstructions(new Uint8Array([0x11, 0x00, 0x01, 0xa7, 0xff, 0xfe]))).toThrow(/jumps to 1, not an instruction start/);
    expect(() => decodeInstructions(new Uint8Array([0xcb]))).toThrow(ClassFormatError);
    expect(() => decodeInstructions(new Uint8Array([0x11, 0x00]))).toThrow(ClassFormatError);
  });
});

describe('isWideOperation', () => {
  it('knows the long, float and double opcodes and conversions', () => {
    for (const name of ['lconst_0', 'fload_2', 'dstore', 'laload', 'ladd', 'lshl', 'lxor', 'fneg', 'dreturn', 'lcmp', 'fcmpg', 'i2l', 'd2i', 'f2d']) {
      expect(isWideOperation(name), name).toBe(true);
    }
  });

  it('leaves int, reference and stack opcodes alone', () => {
    for (const name of ['ldc', 'ldc_w', 'lookupswitch', 'dup', 'dup2_x1', 'iadd', 'iand', 'i2s', 'i2b', 'i2c', 'aload']) {
      expect(isWideOperation(name), name).toBe(false);
    }
  });
});
