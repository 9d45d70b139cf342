// Intermediary certificates (signed by the root) and card certificates (signed by the card's intermediary),
// docs/PROTOCOL.md section 2.
//
// The key inside a certificate is checked as the protocol divides the work: the issuer checks it is a point of the
// curve before signing (`signIntermediaryCertificate`, `signCardCertificate` refuse any other), and whoever reads
// a certificate checks its form only (04, both coordinates below p), as the card does. A key that is not on the
// curve can only come from a faulty issuer, and no signature ever verifies with it (`verify` refuses it).

import { CodecError } from './errors.ts';
import { assertPublicKey, assertPublicKeyForm } from './ecdsa.ts';
import { bytesAt, bytesField, exactLength, expectTag, oneOfAt, readU32, u8, writeBytes, writeU32 } from './fields.ts';
import { LEN, MSG, OFF_CCERT, OFF_ICERT, ROLE } from './protocol-constants.ts';
import { decodeSigned, encodeSigned, type Signed, signWith, verifySigned } from './signed.ts';

export interface IntermediaryCertificateBody {
  intermediaryId: number;
  /** 65-byte uncompressed P-256 point. */
  publicKey: Uint8Array;
}

export interface CardCertificateBody {
  cardId: Uint8Array;
  /** ROLE.USER or ROLE.MERCHANT. */
  role: number;
  intermediaryId: number;
  publicKey: Uint8Array;
}

/** 135 bytes on the wire. */
export type IntermediaryCertificate = Signed<IntermediaryCertificateBody>;
/** 144 bytes on the wire. */
export type CardCertificate = Signed<CardCertificateBody>;

// ---------------------------------------------------------------------------------------- intermediary certificate

/** The 71-byte body. Writes any u32 id and any 65 bytes as key (validity is the decoder's and the card's job). */
export function encodeIntermediaryCertificateBody(body: IntermediaryCertificateBody): Uint8Array {
  const out = new Uint8Array(LEN.INTERMEDIARY_CERT_BODY);
  out[OFF_ICERT.TAG] = MSG.INTERMEDIARY_CERT;
  out[OFF_ICERT.VERSION] = MSG.FORMAT_VERSION;
  writeU32(out, OFF_ICERT.INTERMEDIARY_ID, body.intermediaryId, 'intermediaryCertificate.intermediaryId');
  writeBytes(out, OFF_ICERT.PUBLIC_KEY, body.publicKey, 'intermediaryCertificate.publicKey', LEN.PUBLIC_KEY);
  return out;
}

/** Decodes a 71-byte body: tag, version, and a public key of the form of an uncompressed point. */
export function decodeIntermediaryCertificateBody(bytes: Uint8Array): IntermediaryCertificateBody {
  exactLength(bytes, 'intermediaryCertificate body', LEN.INTERMEDIARY_CERT_BODY);
  expectTag(bytes, OFF_ICERT.TAG, MSG.INTERMEDIARY_CERT, 'intermediaryCertificate.tag', 'MSG_INTERMEDIARY_CERT');
  expectTag(bytes, OFF_ICERT.VERSION, MSG.FORMAT_VERSION, 'intermediaryCertificate.version', 'MSG_FORMAT_VERSION');
  const publicKey = bytesAt(bytes, OFF_ICERT.PUBLIC_KEY, LEN.PUBLIC_KEY);
  assertPublicKeyForm(publicKey, 'intermediaryCertificate.publicKey');
  return { intermediaryId: readU32(bytes, OFF_ICERT.INTERMEDIARY_ID), publicKey };
}

/** The root signs: the key must be a point of the curve (the issuer's check). For a forged certificate use `signWith`. */
export function signIntermediaryCertificate(body: IntermediaryCertificateBody, rootPrivateKey: Uint8Array): IntermediaryCertificate {
  assertPublicKey(body.publicKey, 'intermediaryCertificate.publicKey');
  return signWith(body, encodeIntermediaryCertificateBody, rootPrivateKey);
}

/** True when the root's signature verifies. */
export function verifyIntermediaryCertificate(certificate: IntermediaryCertificate, rootPublicKey: Uint8Array): boolean {
  return verifySigned(certificate, rootPublicKey);
}

/** The 135 bytes of the certificate. */
export function encodeIntermediaryCertificate(certificate: IntermediaryCertificate): Uint8Array {
  return encodeSigned(certificate, 'intermediaryCertificate');
}

export function decodeIntermediaryCertificate(bytes: Uint8Array): IntermediaryCertificate {
  return decodeSigned(bytes, LEN.INTERMEDIARY_CERT_BODY, decodeIntermediaryCertificateBody, 'intermediaryCertificate');
}

// ------------------------------------------------------------------------------------------------ card certificate

/** The 80-byte body. Writes any role byte and any 65 bytes as key (for refusal tests). */
export function encodeCardCertificateBody(body: CardCertificateBody): Uint8Array {
  const out = new Uint8Array(LEN.CARD_CERT_BODY);
  out[OFF_CCERT.TAG] = MSG.CARD_CERT;
  out[OFF_CCERT.VERSION] = MSG.FORMAT_VERSION;
  writeBytes(out, OFF_CCERT.CARD_ID, body.cardId, 'cardCertificate.cardId', LEN.CARD_ID);
  out[OFF_CCERT.ROLE] = u8(body.role, 'cardCertificate.role');
  writeU32(out, OFF_CCERT.INTERMEDIARY_ID, body.intermediaryId, 'cardCertificate.intermediaryId');
  writeBytes(out, OFF_CCERT.PUBLIC_KEY, body.publicKey, 'cardCertificate.publicKey', LEN.PUBLIC_KEY);
  return out;
}

/** Decodes an 80-byte body: tag, version, role USER or MERCHANT, a public key of the form of an uncompressed point. */
export function decodeCardCertificateBody(bytes: Uint8Array): CardCertificateBody {
  exactLength(bytes, 'cardCertificate body', LEN.CARD_CERT_BODY);
  expectTag(bytes, OFF_CCERT.TAG, MSG.CARD_CERT, 'cardCertificate.tag', 'MSG_CARD_CERT');
  expectTag(bytes, OFF_CCERT.VERSION, MSG.FORMAT_VERSION, 'cardCertificate.version', 'MSG_FORMAT_VERSION');
  const role = oneOfAt(bytes, OFF_CCERT.ROLE, 'cardCertificate.role', ROLE);
  const publicKey = bytesAt(bytes, OFF_CCERT.PUBLIC_KEY, LEN.PUBLIC_KEY);
  assertPublicKeyForm(publicKey, 'cardCertificate.publicKey');
  return {
    cardId: bytesAt(bytes, OFF_CCERT.CARD_ID, LEN.CARD_ID),
    role,
    intermediaryId: readU32(bytes, OFF_CCERT.INTERMEDIARY_ID),
    publicKey,
  };
}

/** The intermediary signs: the key must be a point of the curve (the issuer's check). For a forged certificate use `signWith`. */
export function signCardCertificate(body: CardCertificateBody, intermediaryPrivateKey: Uint8Array): CardCertificate {
  assertPublicKey(body.publicKey, 'cardCertificate.publicKey');
  return signWith(body, encodeCardCertificateBody, intermediaryPrivateKey);
}

/** True when the intermediary's signature verifies. */
export function verifyCardCertificate(certificate: CardCertificate, intermediaryPublicKey: Uint8Array): boolean {
  return verifySigned(certificate, intermediaryPublicKey);
}

/** The 144 bytes of the certificate. */
export function encodeCardCertificate(certificate: CardCertificate): Uint8Array {
  return encodeSigned(certificate, 'cardCertificate');
}

export function decodeCardCertificate(bytes: Uint8Array): CardCertificate {
  return decodeSigned(bytes, LEN.CARD_CERT_BODY, decodeCardCertificateBody, 'cardCertificate');
}

/**
 * Verifies a card certificate as the card does (section 2), given the root key and the certificate of the card's
 * intermediary: the intermediary certificate verifies against the root and names the card certificate's
 * intermediary, and the card certificate verifies with that intermediary's key. Throws a CodecError naming what
 * failed; returns the card's public key.
 */
export function verifyCertificateChain(
  cardCertificate: CardCertificate,
  intermediaryCertificate: IntermediaryCertificate,
  rootPublicKey: Uint8Array,
): Uint8Array {
  bytesField(rootPublicKey, 'rootPublicKey', LEN.PUBLIC_KEY);
  if (!verifyIntermediaryCertificate(intermediaryCertificate, rootPublicKey)) {
    throw new CodecError('intermediaryCertificate.signature', 'intermediaryCertificate.signature does not verify with the root key.');
  }
  if (intermediaryCertificate.value.intermediaryId !== cardCertificate.value.intermediaryId) {
    throw new CodecError(
      'intermediaryCertificate.intermediaryId',
      `intermediaryCertificate.intermediaryId must be the card certificate's ${cardCertificate.value.intermediaryId}, got ${intermediaryCertificate.value.intermediaryId}.`,
    );
  }
  if (!verifyCardCertificate(cardCertificate, intermediaryCertificate.value.publicKey)) {
    throw new CodecError('cardCertificate.signature', "cardCertificate.signature does not verify with its intermediary's key.");
  }
  return cardCertificate.value.publicKey;
}
