// The card's PIN and lifecycle from the command line: change the PIN (the card alone), unblock it after three
// wrong tries (an instruction its intermediary signs for the owner), block and unblock the card (the intermediary
// decides, with its admin token from network.json; the card takes the signed state at its next sync, as the design
// delivers every instruction: at the card's next contact).

import type { Command } from '../command.ts';
import { CliError } from '../errors.ts';
import { serviceFailure } from '../network-context.ts';
import { DIR_OPTION, intermediaryOf, loadCard, loadUser, parseName, readNetwork, withCard, workspaceDir } from '../workspace.ts';
import { CARD_OPTION, parsePin } from './card.ts';

const NEW_PIN = { name: 'new-pin', type: 'string', placeholder: 'digits', description: 'the new PIN (4 to 8 digits)', required: true, example: '5678' } as const;

export const cardChangePin: Command = {
  path: ['card', 'change-pin'],
  summary: "change the card's PIN (the current one is checked first)",
  options: [CARD_OPTION, { name: 'pin', type: 'string', placeholder: 'digits', description: 'the current PIN', env: 'EKRONA_PIN', required: true }, NEW_PIN, DIR_OPTION],
  examples: [{ command: 'ekrona card change-pin --card alice-card --pin 1234 --new-pin 5678' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const pin = ctx.parsed('pin', parsePin)!;
    const newPin = ctx.parsed('new-pin', parsePin)!;
    const { changePin, verifyPin } = await import('../../flows/card.ts');
    await withCard(workspaceDir(ctx), name, async (card) => {
      await verifyPin(card, pin);
      await changePin(card, newPin);
    });
    ctx.out.line(`${name}: PIN changed`);
  },
};

export const cardUnblockPin: Command = {
  path: ['card', 'unblock-pin'],
  summary: 'set a new PIN on a card whose PIN is blocked, with an instruction its intermediary signs for the owner',
  options: [CARD_OPTION, NEW_PIN, DIR_OPTION],
  examples: [{ command: 'ekrona card unblock-pin --card alice-card --new-pin 5678' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const newPin = ctx.parsed('new-pin', parsePin)!;
    const dir = workspaceDir(ctx);
    const user = loadUser(dir, loadCard(dir, name).user);
    const { IntermediaryClient, instructionSigner } = await import('../../server/client.ts');
    const { unblockPin } = await import('../../flows/instructions.ts');
    const client = new IntermediaryClient(user.intermediaryUrl, { token: user.token });
    await withCard(dir, name, async (card) => {
      try {
        if (!(await unblockPin(card, instructionSigner(client, 'unblock-pin'), newPin))) throw new CliError('the intermediary signed no PIN unblock for the card');
      } catch (error) {
        throw serviceFailure(error, `the PIN unblock of ${name} failed`);
      }
    });
    ctx.out.line(`${name}: PIN unblocked and set`);
  },
};

function lifecycleCommand(action: 'block' | 'unblock'): Command {
  return {
    path: ['card', action],
    summary:
      action === 'block'
        ? "block the card at its intermediary; the card takes the signed state at its next sync and then refuses to pay"
        : 'unblock a blocked card at its intermediary; the card takes the signed state at its next sync',
    options: [CARD_OPTION, DIR_OPTION],
    examples: [{ command: `ekrona card ${action} --card alice-card && ekrona card sync --card alice-card --pin 1234` }],
    async run(ctx) {
      const name = ctx.parsed('card', parseName)!;
      const dir = workspaceDir(ctx);
      const file = loadCard(dir, name);
      const entry = intermediaryOf(readNetwork(dir), file.intermediary);
      const { IntermediaryClient } = await import('../../server/client.ts');
      const admin = new IntermediaryClient(entry.url, { token: entry.adminToken });
      let view;
      try {
        view = await (action === 'block' ? admin.block(file.cardId) : admin.unblock(file.cardId));
      } catch (error) {
        throw serviceFailure(error, `intermediary ${file.intermediary} did not ${action} the card`);
      }
      ctx.out.line(
        view.pendingLifecycle === null
          ? `${name}: ${view.lifecycle} at intermediary ${file.intermediary}, as the card last reported; nothing to deliver`
          : `${name}: ${view.pendingLifecycle} at intermediary ${file.intermediary}; the card takes it at its next sync ('ekrona card sync --card ${name}')`,
      );
    },
  };
}

export const cardBlock = lifecycleCommand('block');
export const cardUnblock = lifecycleCommand('unblock');
