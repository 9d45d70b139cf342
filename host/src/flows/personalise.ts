// Personalisation at the issuer (docs/PROTOCOL.md section 7): SELECT, PERSO GENERATE KEY, [I] certificate,
// PERSO STORE ROOT, PERSO STORE INTERMEDIARY CERT, PERSO STORE CARD CERT, PERSO SET PIN, [PERSO SET POLICY],
// PERSO LOCK.

import { type CardCertificate, verifyCertificateChain } from '../codec/certificates.ts';
import {
  persoGenerateKeyCommand,
  persoLockCommand,
  persoSetPinCommand,
  persoSetPolicyCommand,
  persoStoreCardCertCommand,
  persoStoreIntermediaryCertCommand,
  persoStoreRootCommand,
  pinBytes,
  WALLET_AID,
} from '../codec/commands.ts';
import { equalBytes } from '../codec/hex.ts';
import type { Policy } from '../codec/policy.ts';
import { ROLE } from '../codec/protocol-constants.ts';
import { type CardStatus, parsePublicKeyAnswer } from '../codec/responses.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { parseAnswer, runCommand } from './apdu.ts';
import { readStatus, selectWallet } from './card.ts';
import { FlowError } from './errors.ts';
import type { CardIssuer } from './intermediary.ts';

export interface PersonaliseOptions {
  role: 'USER' | 'MERCHANT';
  /** 4 to 8 ASCII digits. */
  pin: string;
  /** A first policy instead of the role's default. */
  policy?: Policy;
  aid?: Uint8Array;
}

export interface Personalised {
  certificate: CardCertificate;
  /** The card's public key, generated on card. */
  publicKey: Uint8Array;
  /** The status after PERSO LOCK: ACTIVE, state counter 0. */
  status: CardStatus;
}

/**
 * Personalises a card in state PERSONALISING and locks it. The certificate the issuer returns is checked before
 * it is stored (it must carry the card's key and role and chain to the root), so a faulty issuer is reported as
 * such instead of as a card refusal.
 */
export async function personalise(card: CardTransport, issuer: CardIssuer, options: PersonaliseOptions): Promise<Personalised> {
  const role = ROLE[options.role];
  if (role === undefined) throw new FlowError(`The role must be USER or MERCHANT, got ${String(options.role)}.`);
  pinBytes(options.pin);
  await selectWallet(card, options.aid ?? WALLET_AID);
  const publicKey = parseAnswer('PERSO GENERATE KEY', await runCommand(card, persoGenerateKeyCommand()), parsePublicKeyAnswer);
  const certificate = await issuer.certifyCard({ publicKey, role });
  if (!equalBytes(certificate.value.publicKey, publicKey) || certificate.value.role !== role) {
    throw new FlowError("The issuer's card certificate does not carry the card's public key and role.");
  }
  try {
    verifyCertificateChain(certificate, issuer.intermediaryCertificate, issuer.rootPublicKey);
  } catch (cause) {
    throw new FlowError(`The issuer's certificates do not chain to its root key: ${(cause as Error).message}`, { cause });
  }
  await runCommand(card, persoStoreRootCommand(issuer.rootPublicKey));
  await runCommand(card, persoStoreIntermediaryCertCommand(issuer.intermediaryCertificate));
  await runCommand(card, persoStoreCardCertCommand(certificate));
  await runCommand(card, persoSetPinCommand(options.pin));
  if (options.policy) await runCommand(card, persoSetPolicyCommand(options.policy));
  await runCommand(card, persoLockCommand());
  return { certificate, publicKey, status: await readStatus(card) };
}
