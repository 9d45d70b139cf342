// Personalisation (docs/PROTOCOL.md section 6, "Personalisation"): each PERSO step, the steps it needs (6985), its
// own checks, what repeating a step drops, and PERSO LOCK's completeness check (9C24).

import { describe, expect, it } from 'vitest';
import { encodeCardCertificateBody, encodeIntermediaryCertificate, signCardCertificate, signIntermediaryCertificate } from '../../host/src/codec/certificates.ts';
import { getCertificateCommand, getStatusCommand, persoGenerateKeyCommand, persoLockCommand, persoSetPinCommand, persoSetPolicyCommand, persoStoreCardCertCommand, persoStoreIntermediaryCertCommand, persoStoreRootCommand, verifyPinCommand } from '../../host/src/codec/commands.ts';
import { isValidPublicKey } from '../../host/src/codec/ecdsa.ts';
import { swHex } from '../../host/src/codec/errors.ts';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { cardIdOf } from '../../host/src/codec/ids.ts';
import { DEFAULT_POLICIES, encodePolicy } from '../../host/src/codec/policy.ts';
import { ROLE, STATE, SW } from '../../host/src/codec/protocol-constants.ts';
import { parsePublicKeyAnswer, parseStatus } from '../../host/src/codec/responses.ts';
import { signWith } from '../../host/src/codec/signed.ts';
import { describeWith, itWith } from '../support/backend.ts';
import { FakeNetwork, testKeyPair } from '../support/pki.ts';
import { type BlankCard, CONFORMANCE_NEEDS, expectBlankRefusal, expectSw, type PersoCard, useConformance } from './harness.ts';

const suite = useConformance();
const A = () => suite.intermediary('A');
const ok = async (card: BlankCard, command: Parameters<BlankCard['send']>[0], what: string) => {
  const answer = await card.send(command);
  expectSw(answer, SW.OK, what);
  return answer.data;
};
const status = async (card: BlankCard) => parseStatus((await card.send(getStatusCommand())).data);

/** An uncompressed point with valid coordinates (below p) that is not on P-256. */
const OFF_CURVE = fromHex(`04${'00'.repeat(31)}01${'00'.repeat(31)}01`);

describeWith([...CONFORMANCE_NEEDS], 'PERSO GENERATE KEY', () => {
  it('answers a public key on P-256, a new one each time', async () => {
    const card = await suite.blank();
    const first = parsePublicKeyAnswer(await ok(card, persoGenerateKeyCommand(), 'PERSO GENERATE KEY'));
    const second = parsePublicKeyAnswer(await ok(card, persoGenerateKeyCommand(), 'PERSO GENERATE KEY'));
    expect(isValidPublicKey(first)).toBe(true);
    expect(toHex(first)).not.toBe(toHex(second));
  });

  it('drops a stored card certificate (a certificate of the old key): the card is no longer ready to lock', async () => {
    const card = await suite.personalising('pin');
    expectSw(await card.send(getCertificateCommand('card')), SW.OK, 'GET CERTIFICATE');
    await ok(card, persoGenerateKeyCommand(), 'PERSO GENERATE KEY');
    expect(swHex((await card.send(getCertificateCommand('card'))).sw)).toBe('6985');
    expect(await status(card)).toMatchObject({ role: 0, state: STATE.PERSONALISING });
    expect(swHex((await card.send(persoLockCommand())).sw)).toBe('9C24');
    // The old certificate no longer matches the card's key.
    expect(swHex((await card.send(persoStoreCardCertCommand(card.certificate!))).sw)).toBe('9C11');
  });
});

describeWith([...CONFORMANCE_NEEDS], 'PERSO STORE ROOT', () => {
  it('stores a valid point; the intermediary certificate can then be stored', async () => {
    const card = await suite.blank();
    await ok(card, persoStoreRootCommand(A().rootPublicKey), 'PERSO STORE ROOT');
    await ok(card, persoStoreIntermediaryCertCommand(A().intermediaryCertificate), 'PERSO STORE INTERMEDIARY CERT');
  });

  const invalid: [string, Uint8Array][] = [
    ['a compressed-point prefix (02)', (() => { const k = A().rootPublicKey.slice(); k[0] = 0x02; return k; })()],
    ['the point at infinity written as zeros', new Uint8Array(65)],
    ['an X coordinate equal to p', fromHex(`04ffffffff00000001000000000000000000000000ffffffffffffffffffffffff${'00'.repeat(31)}01`)],
    ['a point off the curve', OFF_CURVE],
  ];
  for (const [what, key] of invalid) {
    // Only a card whose setW checks the curve equation refuses a point off it (jCardSim does not).
    itWith(what === 'a point off the curve' ? ['rejectsPointsOffCurve'] : [], `answers 6A80 for ${what}`, async () => {
      const card = await suite.blank();
      await expectBlankRefusal(card, () => card.send(persoStoreRootCommand(key)), SW.WRONG_DATA);
      // Still no root: the intermediary certificate needs one.
      expect(swHex((await card.send(persoStoreIntermediaryCertCommand(A().intermediaryCertificate))).sw)).toBe('6985');
    });
  }

  it('may be repeated, and drops the stored certificates', async () => {
    const card = await suite.personalising('card-cert');
    await ok(card, persoStoreRootCommand(A().rootPublicKey), 'PERSO STORE ROOT again');
    expect(swHex((await card.send(getCertificateCommand('intermediary'))).sw)).toBe('6985');
    expect(swHex((await card.send(getCertificateCommand('card'))).sw)).toBe('6985');
    expect((await status(card)).role).toBe(0);
  });
});

describeWith([...CONFORMANCE_NEEDS], 'PERSO STORE INTERMEDIARY CERT', () => {
  it('answers 6985 before the root is stored', async () => {
    const card = await suite.blank();
    await expectBlankRefusal(card, () => card.send(persoStoreIntermediaryCertCommand(A().intermediaryCertificate)), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('checks for the root before the length: one byte short without a root answers 6985', async () => {
    const card = await suite.blank();
    const data = persoStoreIntermediaryCertCommand(A().intermediaryCertificate).data!;
    await expectBlankRefusal(card, () => card.send({ cla: 0x80, ins: 0x74, p1: 0, p2: 0, data: data.slice(1) }), SW.CONDITIONS_NOT_SATISFIED);
  });

  it("answers 9C11 for a certificate signed by another root", async () => {
    const card = await suite.personalising('root');
    const rogue = new FakeNetwork({ rootLabel: 'rogue root' }).intermediary('A');
    await expectBlankRefusal(card, () => card.send(persoStoreIntermediaryCertCommand(rogue.intermediaryCertificate)), SW.BAD_CERTIFICATE);
  });

  it('answers 9C11 for a certificate with another tag, even signed by the root', async () => {
    const card = await suite.personalising('root');
    const body = { intermediaryId: 1, publicKey: A().publicKey };
    const bad = signWith(body, () => { const b = signIntermediaryCertificate(body, suite.bank.keyPair.privateKey).body.slice(); b[0] = 0x12; return b; }, suite.bank.keyPair.privateKey);
    await expectBlankRefusal(card, () => card.send(persoStoreIntermediaryCertCommand(bad)), SW.BAD_CERTIFICATE);
  });

  it('may be repeated (another intermediary), and drops a stored card certificate', async () => {
    const card = await suite.personalising('card-cert');
    await ok(card, persoStoreIntermediaryCertCommand(suite.intermediary('B').intermediaryCertificate), 'PERSO STORE INTERMEDIARY CERT B');
    expect(swHex((await card.send(getCertificateCommand('card'))).sw)).toBe('6985');
    expect(toHex(await ok(card, getCertificateCommand('intermediary'), 'GET CERTIFICATE 02'))).toBe(toHex(encodeIntermediaryCertificate(suite.intermediary('B').intermediaryCertificate)));
  });
});

describeWith([...CONFORMANCE_NEEDS], 'PERSO STORE CARD CERT', () => {
  it('sets role, card id, intermediary id and the default policy of the role', async () => {
    for (const role of ['USER', 'MERCHANT'] as const) {
      const card = await suite.personalising('key-root-icert');
      const cert = await A().certifyCard({ publicKey: card.publicKey!, role: ROLE[role] });
      await ok(card, persoStoreCardCertCommand(cert), 'PERSO STORE CARD CERT');
      expect(await status(card)).toMatchObject({ role: ROLE[role], cardId: cert.value.cardId, intermediaryId: A().id, policy: DEFAULT_POLICIES[role], state: STATE.PERSONALISING, stateCounter: 0 });
    }
  });

  it('answers 6985 without a key', async () => {
    const card = await suite.personalising('root');
    await ok(card, persoStoreIntermediaryCertCommand(A().intermediaryCertificate), 'PERSO STORE INTERMEDIARY CERT');
    const cert = await A().certifyCard({ publicKey: testKeyPair('x').publicKey, role: ROLE.USER });
    await expectBlankRefusal(card, () => card.send(persoStoreCardCertCommand(cert)), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('answers 6985 without the intermediary certificate', async () => {
    const card = await suite.personalising('root');
    const key = parsePublicKeyAnswer(await ok(card, persoGenerateKeyCommand(), 'PERSO GENERATE KEY'));
    const cert = await A().certifyCard({ publicKey: key, role: ROLE.USER });
    await expectBlankRefusal(card, () => card.send(persoStoreCardCertCommand(cert)), SW.CONDITIONS_NOT_SATISFIED);
  });

  const bad: [string, (card: PersoCard) => Promise<Parameters<typeof persoStoreCardCertCommand>[0]>][] = [
    ['signed by another intermediary (B)', async (card) => suite.intermediary('B').certifyCard({ publicKey: card.publicKey!, role: ROLE.USER }).then((c) => signCardCertificate({ ...c.value, intermediaryId: 1 }, suite.intermediary('B').keyPair.privateKey))],
    ['naming another intermediary than the stored one', async (card) => signCardCertificate({ cardId: cardIdOf(2, 77), role: ROLE.USER, intermediaryId: 2, publicKey: card.publicKey! }, A().keyPair.privateKey)],
    ['carrying another public key', async () => A().certifyCard({ publicKey: testKeyPair('not the card').publicKey, role: ROLE.USER })],
    ['of role 03', async (card) => signWith({ cardId: cardIdOf(1, 78), role: 3, intermediaryId: 1, publicKey: card.publicKey! }, encodeCardCertificateBody, A().keyPair.privateKey)],
    ['with a broken signature', async (card) => A().certifyCard({ publicKey: card.publicKey!, role: ROLE.USER }).then((c) => ({ ...c, signature: c.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) }))],
  ];
  for (const [what, make] of bad) {
    it(`answers 9C11 for a certificate ${what}`, async () => {
      const card = await suite.personalising('key-root-icert');
      const cert = await make(card);
      await expectBlankRefusal(card, () => card.send(persoStoreCardCertCommand(cert)), SW.BAD_CERTIFICATE);
    });
  }
});

describeWith([...CONFORMANCE_NEEDS], 'PERSO SET PIN and PERSO SET POLICY', () => {
  it('PERSO SET PIN answers 6A80 for a PIN with a letter', async () => {
    const card = await suite.blank();
    await expectBlankRefusal(card, () => card.send(persoSetPinCommand(new TextEncoder().encode('12b4'))), SW.WRONG_DATA);
  });

  it('PERSO SET POLICY answers 6985 before the card certificate is stored', async () => {
    const card = await suite.personalising('key-root-icert');
    await expectBlankRefusal(card, () => card.send(persoSetPolicyCommand({ ...DEFAULT_POLICIES.USER })), SW.CONDITIONS_NOT_SATISFIED);
  });

  it('PERSO SET POLICY answers 9C1A for an invalid policy', async () => {
    const card = await suite.personalising('card-cert');
    await expectBlankRefusal(card, () => card.send(persoSetPolicyCommand({ ...DEFAULT_POLICIES.USER, maxPayments: 30 })), SW.POLICY_INVALID);
  });

  it('PERSO SET POLICY takes any version, and the card keeps it after the lock', async () => {
    const card = await suite.personalising('pin');
    await ok(card, persoSetPolicyCommand({ ...DEFAULT_POLICIES.USER, version: 9 }), 'PERSO SET POLICY 9');
    const policy = { ...DEFAULT_POLICIES.USER, version: 3, maxPayments: 2 };
    await ok(card, persoSetPolicyCommand(policy), 'PERSO SET POLICY 3');
    await ok(card, persoLockCommand(), 'PERSO LOCK');
    expect(toHex((await card.send(getStatusCommand())).data.slice(49))).toBe(toHex(encodePolicy(policy)));
  });
});

describeWith([...CONFORMANCE_NEEDS], 'PERSO LOCK', () => {
  it('moves a complete card to ACTIVE with state counter 0; the PIN works; personalisation is then refused 9C23', async () => {
    const card = await suite.personalising('pin');
    await ok(card, persoLockCommand(), 'PERSO LOCK');
    expect(await status(card)).toMatchObject({ state: STATE.ACTIVE, stateCounter: 0, balance: 0, role: ROLE.USER });
    expectSw(await card.send(verifyPinCommand('1234')), SW.OK, 'VERIFY');
    expect(swHex((await card.send(persoGenerateKeyCommand())).sw)).toBe('9C23');
  });

  const missing: [string, () => Promise<BlankCard>][] = [
    ['nothing', () => suite.blank()],
    ['everything but the card certificate and the PIN', () => suite.personalising('key-root-icert')],
    ['everything but the PIN', () => suite.personalising('card-cert')],
    ['the key, root and certificates after the root was stored again (certificates dropped)', async () => {
      const card = await suite.personalising('pin');
      await ok(card, persoStoreRootCommand(A().rootPublicKey), 'PERSO STORE ROOT');
      return card;
    }],
  ];
  for (const [what, make] of missing) {
    it(`answers 9C24 with ${what}`, async () => {
      const card = await make();
      await expectBlankRefusal(card, () => card.send(persoLockCommand()), SW.PERSONALISATION_INCOMPLETE);
    });
  }

  it('answers 9C24 with a PIN, key, root and intermediary but no card certificate', async () => {
    const card = await suite.personalising('key-root-icert');
    await ok(card, persoSetPinCommand('1234'), 'PERSO SET PIN');
    await expectBlankRefusal(card, () => card.send(persoLockCommand()), SW.PERSONALISATION_INCOMPLETE);
  });

  it('checks the length before completeness: a data byte on an incomplete card answers 6700', async () => {
    const card = await suite.blank();
    await expectBlankRefusal(card, () => card.raw(Uint8Array.of(0x80, 0x7e, 0, 0, 1, 0)), SW.WRONG_LENGTH);
  });
});

describe('fixtures of this file', () => {
  it('the off-curve point used above is not on P-256 (04, X = 1, Y = 1)', () => {
    expect(isValidPublicKey(OFF_CURVE)).toBe(false);
  });
});
