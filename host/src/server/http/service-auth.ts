// Signed requests between services (docs/NETWORK.md section 4).
//
// The sender signs, with its service key (the root key for the central bank, its certified key for an
// intermediary), the bytes
//
//   "ekrona-http-v1\n" + METHOD + "\n" + path (with query) + "\n" + idempotency-key + "\n" + sha256hex(body)
//
// and sends headers `x-ekrona-sender` (`central-bank` or `im:<id>`), `idempotency-key` (a UUID) and
// `x-ekrona-signature` (base64 of the raw 64-byte signature). The text starts with "e" (0x65), a byte no signed
// protocol structure starts with (their tags are 0x11..0x46), so a request signature can never be taken for a
// certificate or an instruction signed by the same key.
//
// The receiver checks the signature with the sender's registered key; a repeated idempotency key answers the stored
// answer (and another body under the same key is refused): a replayed request changes nothing.

import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { type SigningKey, signBytes, verifySignature } from '../signatures.ts';

export const SENDER_HEADER = 'x-ekrona-sender';
export const SIGNATURE_HEADER = 'x-ekrona-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const CENTRAL_BANK_SENDER = 'central-bank';
export const intermediarySender = (id: number) => `im:${id}`;

/** The intermediary id of a sender name `im:<id>`, or undefined. */
export function intermediaryIdOfSender(sender: string): number | undefined {
  const match = /^im:([1-9][0-9]{0,9})$/.exec(sender);
  if (!match) return undefined;
  const id = Number(match[1]);
  return id <= 0xffffffff ? id : undefined;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The exact bytes a service request signature covers. */
export function requestSigningInput(method: string, path: string, idempotencyKey: string, body: string): Uint8Array {
  return new TextEncoder().encode(`ekrona-http-v1\n${method.toUpperCase()}\n${path}\n${idempotencyKey}\n${sha256Hex(body)}`);
}

/** The three headers of a signed request. */
export function signServiceRequest(key: SigningKey, sender: string, method: string, path: string, body: string, idempotencyKey: string = randomUUID()): Record<string, string> {
  const signature = signBytes(requestSigningInput(method, path, idempotencyKey, body), key);
  return {
    [SENDER_HEADER]: sender,
    [IDEMPOTENCY_HEADER]: idempotencyKey,
    [SIGNATURE_HEADER]: Buffer.from(signature).toString('base64'),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

export interface SignedRequestHeaders {
  sender: string;
  idempotencyKey: string;
  signature: Uint8Array;
}

/** The signed-request headers, checked for form; a one-sentence problem when they are missing or malformed. */
export function readServiceHeaders(headers: Record<string, string | string[] | undefined>): SignedRequestHeaders | string {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? undefined : v;
  };
  const sender = one(SENDER_HEADER);
  const idempotencyKey = one(IDEMPOTENCY_HEADER);
  const signature = one(SIGNATURE_HEADER);
  if (sender === undefined || idempotencyKey === undefined || signature === undefined) {
    return `A service request needs the headers ${SENDER_HEADER}, ${IDEMPOTENCY_HEADER} and ${SIGNATURE_HEADER}, once each.`;
  }
  if (sender !== CENTRAL_BANK_SENDER && intermediaryIdOfSender(sender) === undefined) return `The ${SENDER_HEADER} header must be central-bank or im:<id>.`;
  if (!UUID.test(idempotencyKey)) return `The ${IDEMPOTENCY_HEADER} header must be a UUID.`;
  if (!BASE64_SIGNATURE.test(signature)) return `The ${SIGNATURE_HEADER} header must be the base64 of a 64-byte signature.`;
  return { sender, idempotencyKey, signature: new Uint8Array(Buffer.from(signature, 'base64')) };
}

/** True when the signature of a request verifies with the sender's public key. */
export function verifyServiceRequest(publicKey: Uint8Array, method: string, path: string, body: string, headers: SignedRequestHeaders): boolean {
  return verifySignature(headers.signature, requestSigningInput(method, path, headers.idempotencyKey, body), publicKey);
}
