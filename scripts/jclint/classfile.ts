// A small parser for JVM class files (JVMS chapter 4): the constant pool, fields, methods, and the attributes the
// Java Card lint needs (Code with its exception table, LocalVariableTable, LineNumberTable, SourceFile,
// ConstantValue). Pure: bytes in, plain objects out. Attributes it does not interpret are kept raw.

export class ClassFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassFormatError';
  }
}

export type CpEntry =
  | { tag: 'Utf8'; value: string }
  | { tag: 'Integer'; value: number }
  | { tag: 'Float'; value: number }
  | { tag: 'Long'; value: bigint }
  | { tag: 'Double'; value: number }
  | { tag: 'Class'; nameIndex: number }
  | { tag: 'String'; stringIndex: number }
  | { tag: 'Fieldref' | 'Methodref' | 'InterfaceMethodref'; classIndex: number; nameAndTypeIndex: number }
  | { tag: 'NameAndType'; nameIndex: number; descriptorIndex: number }
  | { tag: 'MethodHandle'; referenceKind: number; referenceIndex: number }
  | { tag: 'MethodType'; descriptorIndex: number }
  | { tag: 'Dynamic' | 'InvokeDynamic'; bootstrapMethodAttrIndex: number; nameAndTypeIndex: number }
  | { tag: 'Module' | 'Package'; nameIndex: number };

/** Index 0 and the slot after a Long or Double are unusable, hence `undefined`. */
export type ConstantPool = readonly (CpEntry | undefined)[];

export interface RawAttribute {
  readonly name: string;
  readonly data: Uint8Array;
}

export interface ExceptionHandler {
  readonly startPc: number;
  readonly endPc: number;
  readonly handlerPc: number;
  /** Internal class name, or undefined for `finally` (catch any). */
  readonly catchType: string | undefined;
}

export interface LineNumber {
  readonly startPc: number;
  readonly line: number;
}

export interface LocalVariable {
  readonly startPc: number;
  readonly length: number;
  readonly name: string;
  readonly descriptor: string;
  readonly index: number;
}

export interface CodeAttribute {
  readonly maxStack: number;
  readonly maxLocals: number;
  readonly code: Uint8Array;
  readonly exceptionTable: readonly ExceptionHandler[];
  readonly lineNumbers: readonly LineNumber[];
  /** Undefined when the method has no LocalVariableTable (class compiled without -g). */
  readonly localVariables: readonly LocalVariable[] | undefined;
  readonly attributes: readonly RawAttribute[];
}

export interface FieldInfo {
  readonly accessFlags: number;
  readonly name: string;
  readonly descriptor: string;
  /** Constant pool index of the ConstantValue attribute, if any. */
  readonly constantValueIndex: number | undefined;
  readonly attributes: readonly RawAttribute[];
}

export interface MethodInfo {
  readonly accessFlags: number;
  readonly name: string;
  readonly descriptor: string;
  readonly code: CodeAttribute | undefined;
  readonly attributes: readonly RawAttribute[];
}

export interface ClassFile {
  readonly minorVersion: number;
  readonly majorVersion: number;
  readonly constantPool: ConstantPool;
  readonly accessFlags: number;
  /** Internal name, e.g. `ekrona/wallet/Wallet`. */
  readonly thisClass: string;
  /** Undefined only for java/lang/Object. */
  readonly superClass: string | undefined;
  readonly interfaces: readonly string[];
  readonly fields: readonly FieldInfo[];
  readonly methods: readonly MethodInfo[];
  readonly sourceFile: string | undefined;
  readonly attributes: readonly RawAttribute[];
}

export const ACC = {
  PUBLIC: 0x0001,
  PRIVATE: 0x0002,
  PROTECTED: 0x0004,
  STATIC: 0x0008,
  FINAL: 0x0010,
  INTERFACE: 0x0200,
  ABSTRACT: 0x0400,
} as const;

/** A bounds-checked big-endian reader; every error names what was being read. */
class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) {
      throw new ClassFormatError(
        `truncated class file: ${what} needs ${count} bytes at offset ${this.offset}, only ${this.bytes.length - this.offset} left`,
      );
    }
  }

  u1(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u2(what: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u4(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  s4(what: string): number {
    this.need(4, what);
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  f4(what: string): number {
    this.need(4, what);
    const value = this.view.getFloat32(this.offset);
    this.offset += 4;
    return value;
  }

  s8(what: string): bigint {
    this.need(8, what);
    const value = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  f8(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  bytesOf(count: number, what: string): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }
}

/**
 * Decodes the JVM's "modified UTF-8" (JVMS 4.4.7): NUL is two bytes (C0 80) and characters outside the BMP are two
 * separately encoded surrogates, so the result is built from UTF-16 code units rather than with TextDecoder.
 */
export function decodeModifiedUtf8(bytes: Uint8Array): string {
  const units: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    const a = bytes[i]!;
    if (a < 0x80 && a !== 0) {
      units.push(a);
      i += 1;
    } else if ((a & 0xe0) === 0xc0 && i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80) {
      units.push(((a & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if (
      (a & 0xf0) === 0xe0 &&
      i + 2 < bytes.length &&
      (bytes[i + 1]! & 0xc0) === 0x80 &&
      (bytes[i + 2]! & 0xc0) === 0x80
    ) {
      units.push(((a & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new ClassFormatError(`malformed modified UTF-8 byte 0x${a.toString(16).padStart(2, '0')} at index ${i}`);
    }
  }
  let out = '';
  for (let start = 0; start < units.length; start += 8192) {
    out += String.fromCharCode(...units.slice(start, start + 8192));
  }
  return out;
}

function readConstantPool(reader: ByteReader): (CpEntry | undefined)[] {
  const count = reader.u2('constant_pool_count');
  const pool: (CpEntry | undefined)[] = [undefined];
  for (let index = 1; index < count; index++) {
    const where = `constant pool entry #${index}`;
    const tag = reader.u1(`${where} tag`);
    switch (tag) {
      case 1: {
        const length = reader.u2(`${where} length`);
        pool.push({ tag: 'Utf8', value: decodeModifiedUtf8(reader.bytesOf(length, `${where} bytes`)) });
        break;
      }
      case 3:
        pool.push({ tag: 'Integer', value: reader.s4(where) });
        break;
      case 4:
        pool.push({ tag: 'Float', value: reader.f4(where) });
        break;
      case 5:
      case 6:
        // Long and Double take two slots (JVMS 4.4.5): the next index is unusable.
        pool.push(tag === 5 ? { tag: 'Long', value: reader.s8(where) } : { tag: 'Double', value: reader.f8(where) });
        pool.push(undefined);
        index++;
        break;
      case 7:
        pool.push({ tag: 'Class', nameIndex: reader.u2(where) });
        break;
      case 8:
        pool.push({ tag: 'String', stringIndex: reader.u2(where) });
        break;
      case 9:
      case 10:
      case 11: {
        const kind = tag === 9 ? 'Fieldref' : tag === 10 ? 'Methodref' : 'InterfaceMethodref';
        pool.push({ tag: kind, classIndex: reader.u2(where), nameAndTypeIndex: reader.u2(where) });
        break;
      }
      case 12:
        pool.push({ tag: 'NameAndType', nameIndex: reader.u2(where), descriptorIndex: reader.u2(where) });
        break;
      case 15:
        pool.push({ tag: 'MethodHandle', referenceKind: reader.u1(where), referenceIndex: reader.u2(where) });
        break;
      case 16:
        pool.push({ tag: 'MethodType', descriptorIndex: reader.u2(where) });
        break;
      case 17:
      case 18:
        pool.push({
          tag: tag === 17 ? 'Dynamic' : 'InvokeDynamic',
          bootstrapMethodAttrIndex: reader.u2(where),
          nameAndTypeIndex: reader.u2(where),
        });
        break;
      case 19:
      case 20:
        pool.push({ tag: tag === 19 ? 'Module' : 'Package', nameIndex: reader.u2(where) });
        break;
      default:
        throw new ClassFormatError(`unknown constant pool tag ${tag} in ${where}`);
    }
  }
  return pool;
}

function entryAt(pool: ConstantPool, index: number, expected: string): CpEntry {
  const entry = pool[index];
  if (entry === undefined) {
    throw new ClassFormatError(`constant pool index #${index} is not a valid entry (expected ${expected})`);
  }
  return entry;
}

/** The entry at `index`, or undefined when the index is out of range or unusable. */
export function cpEntryOrUndefined(pool: ConstantPool, index: number): CpEntry | undefined {
  return pool[index];
}

export function cpUtf8(pool: ConstantPool, index: number): string {
  const entry = entryAt(pool, index, 'Utf8');
  if (entry.tag !== 'Utf8') throw new ClassFormatError(`constant pool #${index} is ${entry.tag}, expected Utf8`);
  return entry.value;
}

export function cpClassName(pool: ConstantPool, index: number): string {
  const entry = entryAt(pool, index, 'Class');
  if (entry.tag !== 'Class') throw new ClassFormatError(`constant pool #${index} is ${entry.tag}, expected Class`);
  return cpUtf8(pool, entry.nameIndex);
}

export interface MemberRef {
  readonly kind: 'Fieldref' | 'Methodref' | 'InterfaceMethodref';
  /** Internal name of the class named in the reference (may be an array descriptor such as `[B`). */
  readonly owner: string;
  readonly name: string;
  readonly descriptor: string;
}

export function cpNameAndType(pool: ConstantPool, index: number): { name: string; descriptor: string } {
  const entry = entryAt(pool, index, 'NameAndType');
  if (entry.tag !== 'NameAndType') {
    throw new ClassFormatError(`constant pool #${index} is ${entry.tag}, expected NameAndType`);
  }
  return { name: cpUtf8(pool, entry.nameIndex), descriptor: cpUtf8(pool, entry.descriptorIndex) };
}

export function cpMemberRef(pool: ConstantPool, index: number): MemberRef {
  const entry = entryAt(pool, index, 'a field or method reference');
  if (entry.tag !== 'Fieldref' && entry.tag !== 'Methodref' && entry.tag !== 'InterfaceMethodref') {
    throw new ClassFormatError(`constant pool #${index} is ${entry.tag}, expected a field or method reference`);
  }
  return { kind: entry.tag, owner: cpClassName(pool, entry.classIndex), ...cpNameAndType(pool, entry.nameAndTypeIndex) };
}

function readAttributes(reader: ByteReader, pool: ConstantPool, owner: string): RawAttribute[] {
  const count = reader.u2(`${owner} attributes_count`);
  const attributes: RawAttribute[] = [];
  for (let i = 0; i < count; i++) {
    const name = cpUtf8(pool, reader.u2(`${owner} attribute name`));
    const length = reader.u4(`${owner} attribute ${name} length`);
    attributes.push({ name, data: reader.bytesOf(length, `${owner} attribute ${name}`) });
  }
  return attributes;
}

function expectFullyRead(reader: ByteReader, what: string): void {
  if (!reader.atEnd) throw new ClassFormatError(`${what} has trailing bytes after offset ${reader.position}`);
}

function parseLineNumberTable(data: Uint8Array): LineNumber[] {
  const reader = new ByteReader(data);
  const count = reader.u2('line_number_table_length');
  const lines: LineNumber[] = [];
  for (let i = 0; i < count; i++) {
    lines.push({ startPc: reader.u2('line start_pc'), line: reader.u2('line_number') });
  }
  expectFullyRead(reader, 'LineNumberTable');
  return lines;
}

function parseLocalVariableTable(data: Uint8Array, pool: ConstantPool): LocalVariable[] {
  const reader = new ByteReader(data);
  const count = reader.u2('local_variable_table_length');
  const locals: LocalVariable[] = [];
  for (let i = 0; i < count; i++) {
    locals.push({
      startPc: reader.u2('local start_pc'),
      length: reader.u2('local length'),
      name: cpUtf8(pool, reader.u2('local name_index')),
      descriptor: cpUtf8(pool, reader.u2('local descriptor_index')),
      index: reader.u2('local index'),
    });
  }
  expectFullyRead(reader, 'LocalVariableTable');
  return locals;
}

function parseCode(data: Uint8Array, pool: ConstantPool, methodName: string): CodeAttribute {
  const reader = new ByteReader(data);
  const where = `Code of ${methodName}`;
  const maxStack = reader.u2(`${where} max_stack`);
  const maxLocals = reader.u2(`${where} max_locals`);
  const codeLength = reader.u4(`${where} code_length`);
  const code = reader.bytesOf(codeLength, `${where} bytecode`);
  const handlerCount = reader.u2(`${where} exception_table_length`);
  const exceptionTable: ExceptionHandler[] = [];
  for (let i = 0; i < handlerCount; i++) {
    const startPc = reader.u2('handler start_pc');
    const endPc = reader.u2('handler end_pc');
    const handlerPc = reader.u2('handler handler_pc');
    const catchIndex = reader.u2('handler catch_type');
    exceptionTable.push({
      startPc,
      endPc,
      handlerPc,
      catchType: catchIndex === 0 ? undefined : cpClassName(pool, catchIndex),
    });
  }
  const attributes = readAttributes(reader, pool, where);
  expectFullyRead(reader, where);
  // A method may carry several LineNumberTable / LocalVariableTable attributes (JVMS 4.7.12): concatenate them.
  const lineNumbers = attributes.filter((a) => a.name === 'LineNumberTable').flatMap((a) => parseLineNumberTable(a.data));
  const lvtAttributes = attributes.filter((a) => a.name === 'LocalVariableTable');
  const localVariables = lvtAttributes.length === 0 ? undefined : lvtAttributes.flatMap((a) => parseLocalVariableTable(a.data, pool));
  return { maxStack, maxLocals, code, exceptionTable, lineNumbers, localVariables, attributes };
}

function readMember(reader: ByteReader, pool: ConstantPool, kind: 'field' | 'method') {
  const accessFlags = reader.u2(`${kind} access_flags`);
  const name = cpUtf8(pool, reader.u2(`${kind} name_index`));
  const descriptor = cpUtf8(pool, reader.u2(`${kind} descriptor_index`));
  const attributes = readAttributes(reader, pool, `${kind} ${name}`);
  return { accessFlags, name, descriptor, attributes };
}

function parseField(reader: ByteReader, pool: ConstantPool): FieldInfo {
  const member = readMember(reader, pool, 'field');
  const constantValue = member.attributes.find((a) => a.name === 'ConstantValue');
  let constantValueIndex: number | undefined;
  if (constantValue !== undefined) {
    const attributeReader = new ByteReader(constantValue.data);
    constantValueIndex = attributeReader.u2(`ConstantValue of field ${member.name}`);
  }
  return { ...member, constantValueIndex };
}

function parseMethod(reader: ByteReader, pool: ConstantPool): MethodInfo {
  const member = readMember(reader, pool, 'method');
  const codeAttribute = member.attributes.find((a) => a.name === 'Code');
  const code = codeAttribute === undefined ? undefined : parseCode(codeAttribute.data, pool, member.name);
  return { ...member, code };
}

export function parseClassFile(bytes: Uint8Array): ClassFile {
  const reader = new ByteReader(bytes);
  const magic = reader.u4('magic');
  if (magic !== 0xcafebabe) {
    throw new ClassFormatError(`not a class file: magic is 0x${magic.toString(16).padStart(8, '0')}, expected 0xcafebabe`);
  }
  const minorVersion = reader.u2('minor_version');
  const majorVersion = reader.u2('major_version');
  const constantPool = readConstantPool(reader);
  const accessFlags = reader.u2('access_flags');
  const thisClass = cpClassName(constantPool, reader.u2('this_class'));
  const superIndex = reader.u2('super_class');
  const superClass = superIndex === 0 ? undefined : cpClassName(constantPool, superIndex);
  const interfaceCount = reader.u2('interfaces_count');
  const interfaces: string[] = [];
  for (let i = 0; i < interfaceCount; i++) interfaces.push(cpClassName(constantPool, reader.u2('interface')));
  const fieldCount = reader.u2('fields_count');
  const fields: FieldInfo[] = [];
  for (let i = 0; i < fieldCount; i++) fields.push(parseField(reader, constantPool));
  const methodCount = reader.u2('methods_count');
  const methods: MethodInfo[] = [];
  for (let i = 0; i < methodCount; i++) methods.push(parseMethod(reader, constantPool));
  const attributes = readAttributes(reader, constantPool, 'class');
  expectFullyRead(reader, 'class file');
  const sourceFileAttribute = attributes.find((a) => a.name === 'SourceFile');
  const sourceFile =
    sourceFileAttribute === undefined
      ? undefined
      : cpUtf8(constantPool, new ByteReader(sourceFileAttribute.data).u2('SourceFile sourcefile_index'));
  return {
    minorVersion,
    majorVersion,
    constantPool,
    accessFlags,
    thisClass,
    superClass,
    interfaces,
    fields,
    methods,
    sourceFile,
    attributes,
  };
}

/** The line of the instruction at `pc`: the entry with the greatest start_pc not after it. */
export function lineAt(lines: readonly LineNumber[], pc: number): number | undefined {
  let best: LineNumber | undefined;
  for (const entry of lines) {
    if (entry.startPc <= pc && (best === undefined || entry.startPc >= best.startPc)) best = entry;
  }
  return best?.line;
}

export function packageOf(internalName: string): string {
  const slash = internalName.lastIndexOf('/');
  return slash < 0 ? '' : internalName.slice(0, slash);
}

export function dottedName(internalName: string): string {
  return internalName.replace(/\//g, '.');
}
