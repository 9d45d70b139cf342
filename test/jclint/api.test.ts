import { describe, expect, it } from 'vitest';
import {
  checkClassReference,
  checkMemberReference,
  parseRemovedList,
  type ApiModel,
  type ClassShape,
  type Universe,
} from '../../scripts/jclint/api.ts';
import { ACC } from '../../scripts/jclint/classfile.ts';

const PUBLIC: number = ACC.PUBLIC;

function shape(name: string, superClass: string | undefined, members: ClassShape['members'], extra: Partial<ClassShape> = {}): ClassShape {
  return { name, accessFlags: PUBLIC, superClass, interfaces: [], members, ...extra };
}

const method = (name: string, descriptor: string, accessFlags = PUBLIC) => ({ kind: 'method' as const, name, descriptor, accessFlags });
const field = (name: string, descriptor: string, accessFlags = PUBLIC) => ({ kind: 'field' as const, name, descriptor, accessFlags });

const API_CLASSES: ClassShape[] = [
  shape('javacard/framework/CardRuntimeException', 'java/lang/RuntimeException', [
    method('getReason', '()S'),
    method('<init>', '(S)V'),
    method('helper', '()V', 0),
  ]),
  shape('javacard/framework/ISOException', 'javacard/framework/CardRuntimeException', [method('throwIt', '(S)V', PUBLIC | ACC.STATIC)]),
  shape('javacard/framework/Applet', 'java/lang/Object', [method('register', '()V', ACC.PROTECTED), method('process', '(Ljavacard/framework/APDU;)V')]),
  shape('javacard/framework/Shareable', 'java/lang/Object', [], { accessFlags: PUBLIC | ACC.INTERFACE }),
  shape('javacard/security/Key', 'java/lang/Object', [method('getSize', '()S')], { accessFlags: PUBLIC | ACC.INTERFACE }),
  shape('javacard/security/ECKey', 'java/lang/Object', [field('KIND', 'B')], {
    accessFlags: PUBLIC | ACC.INTERFACE,
    interfaces: ['javacard/security/Key'],
  }),
  shape('javacard/security/RandomData', 'java/lang/Object', [method('nextBytes', '([BSS)S'), method('generateData', '([BSS)V')]),
  shape('javacard/framework/Hidden', 'java/lang/Object', [method('run', '()V')], { accessFlags: 0 }),
  shape('javacard/framework/AID', 'ekrona/sim/Base', [method('equals', '(Ljava/lang/Object;)Z'), method('hashCode', '()I')]),
];

function api(removed: Partial<Pick<ApiModel, 'removedClasses' | 'removedMembers'>> = {}): ApiModel {
  return {
    classes: new Map(API_CLASSES.map((c) => [c.name, c])),
    removedClasses: removed.removedClasses ?? new Set(),
    removedMembers: removed.removedMembers ?? new Map(),
    diagnostics: [],
  };
}

const WALLET = shape('ekrona/wallet/Wallet', 'javacard/framework/Applet', [method('pay', '()V', ACC.PRIVATE)]);
const HELPER = shape('ekrona/wallet/Helper', 'ekrona/wallet/Unknown', []);

function universe(model = api()): Universe {
  return { api: model, linted: new Map([WALLET, HELPER].map((c) => [c.name, c])) };
}

const PKG = 'ekrona/wallet';
const ref = (kind: 'field' | 'method', owner: string, name: string, descriptor: string) => ({ kind, owner, name, descriptor });

describe('checkMemberReference', () => {
  it('allows public and protected API members, inherited ones included', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/ISOException', 'throwIt', '(S)V')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/ISOException', 'getReason', '()S')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('method', 'ekrona/wallet/Wallet', 'register', '()V')).ok).toBe(true);
  });

  it('finds interface members through superinterfaces', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/security/ECKey', 'getSize', '()S')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('field', 'javacard/security/ECKey', 'KIND', 'B')).ok).toBe(true);
  });

  it('allows members of the own package', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'ekrona/wallet/Wallet', 'pay', '()V')).ok).toBe(true);
  });

  it('says nothing about own-package classes whose ancestry it does not know', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'ekrona/wallet/Helper', 'mystery', '()V')).ok).toBe(true);
  });

  it('refuses package-private API members and members of package-private API classes', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/CardRuntimeException', 'helper', '()V'))).toEqual({
      ok: false,
      message: 'javacard.framework.CardRuntimeException.helper() is not public or protected in the runtime\'s API, so it is not Java Card API',
    });
    const hidden = checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/Hidden', 'run', '()V'));
    expect(hidden.ok).toBe(false);
    if (!hidden.ok) expect(hidden.message).toContain('package-private class of the runtime');
  });

  it('refuses members the API does not have, naming the signature', () => {
    const verdict = checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/ISOException', 'throwIt', '(SS)V'));
    expect(verdict).toEqual({
      ok: false,
      message:
        'javacard.framework.ISOException.throwIt(short, short) is not in the Java Card API the runtime implements: no public or protected method throwIt with that signature',
    });
  });

  it('refuses JDK methods inherited by API classes (getMessage) and Object methods Java Card lacks', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/ISOException', 'getMessage', '()Ljava/lang/String;')).ok).toBe(false);
    expect(checkMemberReference(universe(), PKG, ref('method', 'ekrona/wallet/Wallet', 'hashCode', '()I')).ok).toBe(false);
    // even when the runtime's class declares it publicly
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/AID', 'hashCode', '()I')).ok).toBe(false);
  });

  it('allows Object.equals and the constructors of the java.lang exceptions', () => {
    expect(checkMemberReference(universe(), PKG, ref('method', 'javacard/framework/AID', 'equals', '(Ljava/lang/Object;)Z')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('method', 'java/lang/Object', '<init>', '()V')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('method', 'java/lang/ArithmeticException', '<init>', '()V')).ok).toBe(true);
    expect(checkMemberReference(universe(), PKG, ref('method', 'java/lang/ArithmeticException', '<init>', '(Ljava/lang/String;)V')).ok).toBe(false);
  });

  it('refuses 3.0.5-only members by name or by exact descriptor', () => {
    const byName = api({ removedMembers: new Map([['javacard/security/RandomData', [{ name: 'nextBytes', descriptor: undefined }]]]) });
    const verdict = checkMemberReference(universe(byName), PKG, ref('method', 'javacard/security/RandomData', 'nextBytes', '([BSS)S'));
    expect(verdict).toEqual({
      ok: false,
      message:
        'javacard.security.RandomData.nextBytes(byte[], short, short) is Java Card 3.0.5 only (listed in api-3.0.5-only.txt): a 3.0.4 card does not have it',
    });
    const byDescriptor = api({ removedMembers: new Map([['javacard/security/RandomData', [{ name: 'nextBytes', descriptor: '([BSS)V' }]]]) });
    expect(checkMemberReference(universe(byDescriptor), PKG, ref('method', 'javacard/security/RandomData', 'nextBytes', '([BSS)S')).ok).toBe(true);
  });

  it('refuses clone() on arrays, with the Java Card alternative', () => {
    const verdict = checkMemberReference(universe(), PKG, ref('method', '[B', 'clone', '()Ljava/lang/Object;'));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain('Util.arrayCopy');
  });
});

describe('checkClassReference', () => {
  it('allows the own package, public API classes, arrays of them and the java.lang exceptions', () => {
    for (const name of ['ekrona/wallet/Anything', 'javacard/framework/Applet', '[Ljavacard/security/Key;', '[B', 'java/lang/NullPointerException']) {
      expect(checkClassReference(universe(), PKG, name).ok, name).toBe(true);
    }
  });

  it('explains why the runtime internals, the JDK and other packages are refused', () => {
    const message = (name: string): string => {
      const verdict = checkClassReference(universe(), PKG, name);
      return verdict.ok ? 'ok' : verdict.message;
    };
    expect(message('ekrona/sim/card/Card')).toContain('internal class of the simulator runtime');
    expect(message('java/util/Vector')).toContain('java.util.Vector is not in Java Card 3.0.4');
    expect(message('java/lang/Integer')).toContain('is not in Java Card 3.0.4');
    expect(message('javacard/framework/Missing')).toContain('not in the Java Card API the runtime implements');
    expect(message('javacard/framework/Hidden')).toContain('package-private class');
    expect(message('com/example/Other')).toContain('outside this class');
  });

  it('refuses a 3.0.5-only class', () => {
    const model = api({ removedClasses: new Set(['javacard/framework/Shareable']) });
    const verdict = checkClassReference(universe(model), PKG, 'javacard/framework/Shareable');
    expect(verdict.ok).toBe(false);
  });
});

describe('parseRemovedList', () => {
  const known = new Set(['javacard/security/RandomData', 'javacard/framework/OwnerPINx', 'javacard/framework/JCSystem']);

  it('accepts slashed and dotted entries, members and classes, comments and trailing notes', () => {
    const text = [
      '# 3.0.5 additions',
      'javacard/security/RandomData#ALG_TRNG',
      'javacard.security.RandomData#ALG_FAST',
      'javacard.security.RandomData.ALG_KEYGENERATION   added in 3.0.5',
      'javacard.security.RandomData.nextBytes([BSS)S',
      'javacard/framework/OwnerPINx',
      'javacard.framework.OwnerPINx',
      '',
      '  // another comment style',
    ].join('\n');
    const parsed = parseRemovedList(text, known, 'list.txt');
    expect(parsed.diagnostics).toEqual([]);
    expect([...parsed.classes]).toEqual(['javacard/framework/OwnerPINx']);
    expect(parsed.members.get('javacard/security/RandomData')).toEqual([
      { name: 'ALG_TRNG', descriptor: undefined },
      { name: 'ALG_FAST', descriptor: undefined },
      { name: 'ALG_KEYGENERATION', descriptor: undefined },
      { name: 'nextBytes', descriptor: '([BSS)S' },
    ]);
  });

  it('uses Java naming for unknown dotted names and reports lines that name no API class', () => {
    const parsed = parseRemovedList('javacard.framework.OwnerPINBuilder\njavacard.framework.Missing.FIELD\n', known, 'list.txt');
    expect([...parsed.classes]).toEqual(['javacard/framework/OwnerPINBuilder']);
    expect(parsed.members.get('javacard/framework/Missing')).toEqual([{ name: 'FIELD', descriptor: undefined }]);
    expect(parsed.diagnostics).toEqual([
      'list.txt line 1: javacard.framework.OwnerPINBuilder is not a class of the API, so "javacard.framework.OwnerPINBuilder" removes nothing',
      'list.txt line 2: javacard.framework.Missing is not a class of the API, so "javacard.framework.Missing.FIELD" removes nothing',
    ]);
  });
});
