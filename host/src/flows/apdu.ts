// Sending one wallet command to a card: chaining (codec), APDU bytes and 61xx/6Cxx handling (transport's
// iso7816 helpers), all blocks in one transport session so that no other caller's APDU comes between them.

import { CardError } from '../codec/errors.ts';
import { chainBlocks, type Command, commandName } from '../codec/commands.ts';
import { SW } from '../codec/protocol-constants.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { type CommandApdu, transmitWith } from '../transport/iso7816.ts';
import { FlowError } from './errors.ts';

export interface CardAnswer {
  data: Uint8Array;
  sw: number;
}

function toApdu(command: Command): CommandApdu {
  const apdu: CommandApdu = { cla: command.cla, ins: command.ins, p1: command.p1, p2: command.p2 };
  if (command.data !== undefined && command.data.length > 0) apdu.data = command.data;
  if (command.ne !== undefined) apdu.le = command.ne;
  return apdu;
}

/**
 * Sends `command` (in chained blocks when its data is longer than 255 bytes) and returns the final answer,
 * whatever its status word. A block of a chain answered with anything but 9000 ends the chain: that answer is
 * returned.
 */
export async function exchangeCommand(card: CardTransport, command: Command): Promise<CardAnswer> {
  const blocks = chainBlocks(command);
  return card.session(async (exchange) => {
    for (let i = 0; i < blocks.length; i++) {
      const response = await transmitWith(exchange, toApdu(blocks[i]));
      if (i === blocks.length - 1 || response.sw !== SW.OK) return { data: response.data, sw: response.sw };
    }
    throw new Error('unreachable: a command has at least one block');
  });
}

/** Sends `command` and returns its answer data; throws a CardError for any status word but 9000. */
export async function runCommand(card: CardTransport, command: Command): Promise<Uint8Array> {
  const answer = await exchangeCommand(card, command);
  if (answer.sw !== SW.OK) throw new CardError(answer.sw, commandName(command.ins));
  return answer.data;
}

/** Parses a card's answer; a malformed answer becomes a FlowError naming the command. */
export function parseAnswer<T>(command: string, data: Uint8Array, parse: (data: Uint8Array) => T): T {
  try {
    return parse(data);
  } catch (cause) {
    throw new FlowError(`The card's answer to ${command} is not valid: ${(cause as Error).message}`, { cause });
  }
}
