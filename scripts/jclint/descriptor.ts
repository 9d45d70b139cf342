// Field and method descriptors (JVMS 4.3): parsing and the questions the lint asks of them.
import { ClassFormatError } from './classfile.ts';

/** One parsed field type: a primitive letter, a class, or an array of either. */
export type FieldType =
  | { readonly kind: 'primitive'; readonly letter: 'B' | 'C' | 'D' | 'F' | 'I' | 'J' | 'S' | 'Z' }
  | { readonly kind: 'class'; readonly name: string }
  | { readonly kind: 'array'; readonly element: FieldType };

export interface MethodType {
  readonly params: readonly FieldType[];
  /** Undefined for void. */
  readonly returns: FieldType | undefined;
}

function parseFieldTypeAt(descriptor: string, start: number): { type: FieldType; next: number } {
  const letter = descriptor[start];
  switch (letter) {
    case 'B':
    case 'C':
    case 'D':
    case 'F':
    case 'I':
    case 'J':
    case 'S':
    case 'Z':
      return { type: { kind: 'primitive', letter }, next: start + 1 };
    case 'L': {
      const end = descriptor.indexOf(';', start);
      if (end < 0) throw new ClassFormatError(`descriptor ${descriptor}: class name at ${start} has no ';'`);
      return { type: { kind: 'class', name: descriptor.slice(start + 1, end) }, next: end + 1 };
    }
    case '[': {
      const inner = parseFieldTypeAt(descriptor, start + 1);
      return { type: { kind: 'array', element: inner.type }, next: inner.next };
    }
    default:
      throw new ClassFormatError(`descriptor ${descriptor}: unexpected '${letter ?? 'end'}' at ${start}`);
  }
}

export function parseFieldDescriptor(descriptor: string): FieldType {
  const { type, next } = parseFieldTypeAt(descriptor, 0);
  if (next !== descriptor.length) throw new ClassFormatError(`descriptor ${descriptor}: trailing characters`);
  return type;
}

export function parseMethodDescriptor(descriptor: string): MethodType {
  if (descriptor[0] !== '(') throw new ClassFormatError(`method descriptor ${descriptor} does not start with '('`);
  const params: FieldType[] = [];
  let at = 1;
  while (descriptor[at] !== ')') {
    if (at >= descriptor.length) throw new ClassFormatError(`method descriptor ${descriptor} has no ')'`);
    const { type, next } = parseFieldTypeAt(descriptor, at);
    params.push(type);
    at = next;
  }
  at++;
  if (descriptor[at] === 'V' && at + 1 === descriptor.length) return { params, returns: undefined };
  const { type, next } = parseFieldTypeAt(descriptor, at);
  if (next !== descriptor.length) throw new ClassFormatError(`method descriptor ${descriptor}: trailing characters`);
  return { params, returns: type };
}

/** Either kind of descriptor, as the list of field types it mentions (parameters and return). */
export function typesInDescriptor(descriptor: string): FieldType[] {
  if (descriptor.startsWith('(')) {
    const method = parseMethodDescriptor(descriptor);
    return method.returns === undefined ? [...method.params] : [...method.params, method.returns];
  }
  return [parseFieldDescriptor(descriptor)];
}

export function innermostElement(type: FieldType): FieldType {
  return type.kind === 'array' ? innermostElement(type.element) : type;
}

/** Internal names of every class a descriptor mentions, array element classes included. */
export function classNamesInDescriptor(descriptor: string): string[] {
  const names: string[] = [];
  for (const type of typesInDescriptor(descriptor)) {
    const element = innermostElement(type);
    if (element.kind === 'class') names.push(element.name);
  }
  return names;
}

/** The Java spelling of a type, for messages: `int`, `short[]`, `java.lang.String`. */
export function javaTypeName(type: FieldType): string {
  switch (type.kind) {
    case 'primitive':
      return PRIMITIVE_NAMES[type.letter];
    case 'class':
      return type.name.replace(/\//g, '.');
    case 'array':
      return `${javaTypeName(type.element)}[]`;
  }
}

const PRIMITIVE_NAMES = {
  B: 'byte',
  C: 'char',
  D: 'double',
  F: 'float',
  I: 'int',
  J: 'long',
  S: 'short',
  Z: 'boolean',
} as const;

/** Primitive letters a Java Card 3.0.4 VM without the optional int support does not have. */
export const UNSUPPORTED_PRIMITIVES: ReadonlySet<string> = new Set(['C', 'D', 'F', 'I', 'J']);

/** The unsupported primitive a type is built from (`I` for `int[]`), or undefined when the type is fine. */
export function unsupportedPrimitiveIn(type: FieldType): string | undefined {
  const element = innermostElement(type);
  return element.kind === 'primitive' && UNSUPPORTED_PRIMITIVES.has(element.letter)
    ? PRIMITIVE_NAMES[element.letter]
    : undefined;
}

/** A method signature for messages: `setShort(byte[], short, short)`. */
export function javaMethodSignature(name: string, descriptor: string): string {
  const method = parseMethodDescriptor(descriptor);
  return `${name}(${method.params.map(javaTypeName).join(', ')})`;
}

/** JVM category: long and double take two stack and local slots. */
export function slotSize(type: FieldType): 1 | 2 {
  return type.kind === 'primitive' && (type.letter === 'J' || type.letter === 'D') ? 2 : 1;
}
