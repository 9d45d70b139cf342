import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClassFormatError,
  cpMemberRef,
  decodeModifiedUtf8,
  lineAt,
  parseClassFile,
  type ClassFile,
} from '../../scripts/jclint/classfile.ts';
import {
  classNamesInDescriptor,
  javaMethodSignature,
  parseMethodDescriptor,
  unsupportedPrimitiveIn,
  parseFieldDescriptor,
} from '../../scripts/jclint/descriptor.ts';
import { compileJava, FIXTURES, freshDir, JAVAC_8, removeFreshDirs } from './java-compile.ts';

afterAll(removeFreshDirs);

let bytes: Uint8Array;
let sample: ClassFile;

beforeAll(() => {
  const out = compileJava({ sources: [join(FIXTURES, 'unit', 'Sample.java')], outDir: freshDir('unit'), compiler: JAVAC_8 });
  bytes = new Uint8Array(readFileSync(join(out, 'fx', 'unit', 'Sample.class')));
  sample = parseClassFile(bytes);
});

describe('parseClassFile on a javac-compiled class', () => {
  it('reads the version, the class, its superclass and interfaces', () => {
    expect(sample.majorVersion).toBe(52);
    expect(sample.thisClass).toBe('fx/unit/Sample');
    expect(sample.superClass).toBe('java/lang/Object');
    expect(sample.interfaces).toEqual(['java/lang/Runnable']);
    expect(sample.sourceFile).toBe('Sample.java');
  });

  it('reads fields with their ConstantValue', () => {
    expect(sample.fields.map((f) => [f.name, f.descriptor])).toEqual([
      ['LIMIT', 'S'],
      ['BIG', 'J'],
      ['data', '[B'],
    ]);
    const limit = sample.constantPool[sample.fields[0]!.constantValueIndex!];
    expect(limit).toEqual({ tag: 'Integer', value: 300 });
    const big = sample.constantPool[sample.fields[1]!.constantValueIndex!];
    expect(big).toEqual({ tag: 'Long', value: 1n << 40n });
    // A Long takes two constant pool slots: the second is unusable.
    expect(sample.constantPool[sample.fields[1]!.constantValueIndex! + 1]).toBeUndefined();
    expect(sample.fields[2]!.constantValueIndex).toBeUndefined();
  });

  it('reads the Code attribute: exception table, line numbers, local variables', () => {
    const run = sample.methods.find((m) => m.name === 'run')!;
    const code = run.code!;
    expect(code.maxLocals).toBe(2);
    expect(code.exceptionTable).toHaveLength(1);
    expect(code.exceptionTable[0]!.catchType).toBe('java/lang/NullPointerException');
    expect(code.exceptionTable[0]!.startPc).toBe(0);
    expect(code.lineNumbers.map((l) => l.line)).toContain(11);
    expect(lineAt(code.lineNumbers, 0)).toBe(11);
    expect(code.localVariables!.map((v) => [v.name, v.descriptor, v.index])).toEqual([
      ['e', 'Ljava/lang/NullPointerException;', 1],
      ['this', 'Lfx/unit/Sample;', 0],
    ]);
  });

  it('resolves member references of the constant pool', () => {
    const init = sample.methods.find((m) => m.name === '<init>')!;
    const code = init.code!.code;
    expect(code[1]).toBe(0xb7); // invokespecial
    const index = (code[2]! << 8) | code[3]!;
    expect(cpMemberRef(sample.constantPool, index)).toEqual({
      kind: 'Methodref',
      owner: 'java/lang/Object',
      name: '<init>',
      descriptor: '()V',
    });
  });

  it('decodes modified UTF-8 strings (NUL as C0 80, supplementary characters as surrogate pairs)', () => {
    const strings = sample.constantPool.flatMap((e) => (e?.tag === 'Utf8' ? [e.value] : []));
    expect(strings).toContain('s\u00e9\u0000\ud83d\ude00');
  });
});

describe('parseClassFile on damaged input', () => {
  it('refuses a file that is not a class file, naming the magic', () => {
    expect(() => parseClassFile(new Uint8Array([0xca, 0xfe, 0xd0, 0x0d, 0, 0, 0, 50]))).toThrow(/magic is 0xcafed00d/);
  });

  it('reports truncation with the offset and what was being read', () => {
    expect(() => parseClassFile(bytes.subarray(0, 9))).toThrow(/truncated class file: constant_pool_count|truncated class file/);
  });

  it('throws only ClassFormatError for every truncation of a valid class', () => {
    for (let length = 0; length < bytes.length; length++) {
      expect(() => parseClassFile(bytes.subarray(0, length))).toThrow(ClassFormatError);
    }
  });

  it('throws nothing but ClassFormatError when bytes are corrupted', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const copy = bytes.slice();
        for (const [at, value] of edits) copy[at % copy.length] = value;
        try {
          parseClassFile(copy);
        } catch (error) {
          expect(error).toBeInstanceOf(ClassFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeModifiedUtf8', () => {
  it('decodes one-, two- and three-byte forms', () => {
    expect(decodeModifiedUtf8(new Uint8Array([0x41, 0xc0, 0x80, 0xc3, 0xa9, 0xe2, 0x82, 0xac]))).toBe('A\u0000\u00e9\u20ac');
  });

  it('refuses a raw NUL byte and a dangling lead byte', () => {
    expect(() => decodeModifiedUtf8(new Uint8Array([0x00]))).toThrow(ClassFormatError);
    expect(() => decodeModifiedUtf8(new Uint8Array([0xe2, 0x82]))).toThrow(/malformed modified UTF-8 byte 0xe2 at index 0/);
  });
});

describe('descriptors', () => {
  it('parses method descriptors into parameter and return types', () => {
    const method = parseMethodDescriptor('([BSLjavacard/framework/APDU;[[I)V');
    expect(method.params.map((p) => p.kind)).toEqual(['array', 'primitive', 'class', 'array']);
    expect(method.returns).toBeUndefined();
    expect(javaMethodSignature('f', '([BSLjavacard/framework/APDU;[[I)V')).toBe('f(byte[], short, javacard.framework.APDU, int[][])');
  });

  it('lists the classes a descriptor mentions, array elements included', () => {
    expect(classNamesInDescriptor('([Ljava/lang/String;Ljava/util/Vector;S)Ljavacard/framework/AID;')).toEqual([
      'java/lang/String',
      'java/util/Vector',
      'javacard/framework/AID',
    ]);
  });

  it('finds the unsupported primitive of a type', () => {
    expect(unsupportedPrimitiveIn(parseFieldDescriptor('[I'))).toBe('int');
    expect(unsupportedPrimitiveIn(parseFieldDescriptor('C'))).toBe('char');
    expect(unsupportedPrimitiveIn(parseFieldDescriptor('[S'))).toBeUndefined();
    expect(unsupportedPrimitiveIn(parseFieldDescriptor('Z'))).toBeUndefined();
  });

  it('refuses malformed descriptors', () => {
    expect(() => parseMethodDescriptor('(S')).toThrow(ClassFormatError);
    expect(() => parseFieldDescriptor('Ljava/lang/Object')).toThrow(/has no ';'/);
    expect(() => parseFieldDescriptor('SS')).toThrow(/trailing/);
    expect(() => parseFieldDescriptor('Q')).toThrow(/unexpected 'Q'/);
  });
});
