// Flows that apply an intermediary-signed instruction (docs/PROTOCOL.md sections 5, 7): SELECT, [VERIFY PIN],
// GET CHALLENGE, [I] sign for that challenge and state, the instruction's command.
//
// "On any failure: repeat from GET CHALLENGE." A stale challenge (9C14), a changed card state (9C15) and a lost
// answer (a TransportError other than a power loss) start the flow again, up to `attempts` times; the
// intermediary signs the same order again for the new challenge, or answers that there is nothing left to apply
// (its order was applied, so the card's order counter moved on). Every other refusal is final and thrown as a
// CardError. A power loss (CardPowerLost) is thrown at once: the card must be powered again before anything else.

import type { CardCertificate } from '../codec/certificates.ts';
import {
  type Command,
  defundCommand,
  setLifecycleCommand,
  setPolicyCommand,
  topUpCommand,
  unblockPinCommand,
} from '../codec/commands.ts';
import { CardError } from '../codec/errors.ts';
import { equalBytes } from '../codec/hex.ts';
import type { InstructionKind, SignedInstruction } from '../codec/instructions.ts';
import { type DefundConfirmation, verifyDefundConfirmation } from '../codec/messages.ts';
import { SW } from '../codec/protocol-constants.ts';
import { type ChallengeAnswer, parseDefundAnswer } from '../codec/responses.ts';
import type { Signed } from '../codec/signed.ts';
import { CardPowerLost, type CardTransport, TransportError } from '../transport/card-transport.ts';
import { parseAnswer, runCommand } from './apdu.ts';
import { getChallenge, selectWallet, verifyPin } from './card.ts';
import { FlowError } from './errors.ts';
import type { DefundAuthority, InstructionSigner } from './intermediary.ts';

export interface InstructionFlowOptions {
  /** How many times the flow may start again from GET CHALLENGE after a retryable failure (default 3 attempts in all). */
  attempts?: number;
}

/** True for the failures after which the protocol says: start again (from GET CHALLENGE or SYNC REPORT). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CardError) return error.sw === SW.STALE_CHALLENGE || error.sw === SW.STATE_CHANGED;
  return error instanceof TransportError && !(error instanceof CardPowerLost);
}

/** Runs `attempt` until it succeeds, a non-retryable error occurs, or `attempts` are used up. */
export async function withRetries<T>(attempts: number, attempt: (n: number) => Promise<T>, retryable: (e: unknown) => boolean = isRetryable): Promise<T> {
  if (!Number.isInteger(attempts) || attempts < 1) throw new FlowError(`attempts must be a positive integer, got ${attempts}.`);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= attempts || !retryable(error)) throw error;
    }
  }
}

interface Applied<K extends InstructionKind> {
  challenge: ChallengeAnswer;
  certificate: CardCertificate | undefined;
  instruction: SignedInstruction<K> | undefined;
  data: Uint8Array;
}

async function applyInstruction<K extends InstructionKind>(
  card: CardTransport,
  kind: K,
  signer: InstructionSigner<K>,
  build: (instruction: SignedInstruction<K>) => Command,
  options: InstructionFlowOptions & { pin?: string },
): Promise<Applied<K>> {
  return withRetries(options.attempts ?? 3, async () => {
    const selected = await selectWallet(card);
    if (options.pin !== undefined) await verifyPin(card, options.pin);
    const challenge = await getChallenge(card);
    const instruction = await signer.sign(challenge);
    if (instruction === undefined) return { challenge, certificate: selected.certificate, instruction, data: new Uint8Array(0) };
    if (instruction.value.kind !== kind) throw new FlowError(`The intermediary returned a ${instruction.value.kind} instruction where ${kind} was asked for.`);
    const data = await runCommand(card, build(instruction));
    return { challenge, certificate: selected.certificate, instruction, data };
  });
}

/**
 * Top-up: SELECT, GET CHALLENGE, [I] sign TOP UP, TOP UP. Returns the applied instruction, or undefined when the
 * intermediary had nothing to apply (e.g. its order was applied by an earlier attempt whose answer was lost).
 */
export async function topUp(
  card: CardTransport,
  signer: InstructionSigner<'TOP_UP'>,
  options: InstructionFlowOptions = {},
): Promise<SignedInstruction<'TOP_UP'> | undefined> {
  return (await applyInstruction(card, 'TOP_UP', signer, topUpCommand, options)).instruction;
}

export interface DefundOptions extends InstructionFlowOptions {
  pin: string;
}

/**
 * De-fund: SELECT, VERIFY PIN, GET CHALLENGE, [I] sign DEFUND, DEFUND, [I] take the confirmation. The card's
 * confirmation is checked (its signature with the card's key, and that it confirms this instruction) before it is
 * handed to the intermediary. Undefined when the intermediary had nothing to apply.
 */
export async function defund(card: CardTransport, authority: DefundAuthority, options: DefundOptions): Promise<Signed<DefundConfirmation> | undefined> {
  const applied = await applyInstruction(card, 'DEFUND', authority, defundCommand, options);
  if (applied.instruction === undefined) return undefined;
  const confirmation = parseAnswer('DEFUND', applied.data, parseDefundAnswer);
  const certificate = applied.certificate;
  if (!certificate) throw new FlowError('The card answered SELECT without its certificate.');
  if (!verifyDefundConfirmation(confirmation, certificate.value.publicKey)) {
    throw new FlowError("The card's de-fund confirmation does not verify with the card's public key.");
  }
  const instruction = applied.instruction.value;
  const c = confirmation.value;
  if (!equalBytes(c.cardId, instruction.cardId) || !equalBytes(c.challenge, instruction.challenge) || c.orderSeq !== instruction.orderSeq || c.amount !== instruction.amount) {
    throw new FlowError("The card's de-fund confirmation does not confirm the instruction it was given.");
  }
  await authority.confirmDefund(confirmation, certificate);
  return confirmation;
}

/** SET POLICY: SELECT, GET CHALLENGE, [I] sign the policy, SET POLICY. */
export async function setPolicy(
  card: CardTransport,
  signer: InstructionSigner<'POLICY'>,
  options: InstructionFlowOptions = {},
): Promise<SignedInstruction<'POLICY'> | undefined> {
  return (await applyInstruction(card, 'POLICY', signer, setPolicyCommand, options)).instruction;
}

/** SET LIFECYCLE: SELECT, GET CHALLENGE, [I] sign the new state, SET LIFECYCLE. */
export async function setLifecycle(
  card: CardTransport,
  signer: InstructionSigner<'LIFECYCLE'>,
  options: InstructionFlowOptions = {},
): Promise<SignedInstruction<'LIFECYCLE'> | undefined> {
  return (await applyInstruction(card, 'LIFECYCLE', signer, setLifecycleCommand, options)).instruction;
}

/** UNBLOCK PIN: SELECT, GET CHALLENGE, [I] sign the unblock, UNBLOCK PIN with the new PIN (not validated after). */
export async function unblockPin(
  card: CardTransport,
  signer: InstructionSigner<'UNBLOCK_PIN'>,
  newPin: string,
  options: InstructionFlowOptions = {},
): Promise<SignedInstruction<'UNBLOCK_PIN'> | undefined> {
  return (await applyInstruction(card, 'UNBLOCK_PIN', signer, (instruction) => unblockPinCommand(instruction, newPin), options)).instruction;
}
