// What the flows need from the intermediary's side, as small interfaces. The tests implement them in-process
// (test/support/network.ts); the intermediary service implements them over its API. Each method is one `[I]`
// step of a flow in docs/PROTOCOL.md section 7.

import type { CardCertificate, IntermediaryCertificate } from '../codec/certificates.ts';
import type { InstructionKind, SignedInstruction } from '../codec/instructions.ts';
import type { DefundConfirmation, Report } from '../codec/messages.ts';
import type { ChallengeAnswer, ReadRecord } from '../codec/responses.ts';
import type { Signed } from '../codec/signed.ts';

/** Personalisation `[I]` step: the issuing intermediary, with the central bank's root key. */
export interface CardIssuer {
  /** The central bank's root public key (65 bytes). */
  readonly rootPublicKey: Uint8Array;
  /** The issuing intermediary's certificate, signed by the root. */
  readonly intermediaryCertificate: IntermediaryCertificate;
  /** Assigns a card id and signs the card certificate for the key the card generated. */
  certifyCard(request: { publicKey: Uint8Array; role: number }): Promise<CardCertificate>;
}

/**
 * Signs an instruction of kind K for the card's fresh challenge (the answer to GET CHALLENGE names the card, its
 * state counter, its next order number and its balance). Answers undefined when it has nothing to apply, e.g. a
 * top-up order the card has already applied (its order counter moved past the order): this is what makes a
 * retried top-up credit the card at most once.
 */
export interface InstructionSigner<K extends InstructionKind> {
  sign(challenge: ChallengeAnswer): Promise<SignedInstruction<K> | undefined>;
}

/** De-fund `[I]` steps: sign the DEFUND instruction, then take the card's confirmation (shadow -> online). */
export interface DefundAuthority extends InstructionSigner<'DEFUND'> {
  confirmDefund(confirmation: Signed<DefundConfirmation>, certificate: CardCertificate): Promise<void>;
}

/** What a card reported at synchronisation, as read by the flow. */
export interface SyncSubmission {
  report: Signed<Report>;
  /** The log records, in order, already checked against the report's count and digest. */
  records: ReadRecord[];
  /** The card's certificate (from SELECT), to verify the report's signature. */
  certificate: CardCertificate;
}

/** Sync `[I]` step: verify, settle each transaction at most once, sign the result for the report's challenge. */
export interface SyncAuthority {
  settle(submission: SyncSubmission): Promise<SignedInstruction<'SYNC_RESULT'>>;
}

/** Certificates of intermediaries, for a card that does not know the counterparty's intermediary (9C12). */
export interface IntermediaryDirectory {
  intermediaryCertificate(intermediaryId: number): Promise<IntermediaryCertificate>;
}

/** An intermediary certificate, or where to get one. */
export type IntermediaryCertificateSource = IntermediaryCertificate | IntermediaryDirectory;
