// The card's PIN and lifecycle from the command line: change the PIN (the card alone), unblock it after three
// wrong tries (an instruction its intermediary signs for the owner), block and unblock the card (the intermediary
// decides, with its admin token from network.json; the card takes the signed state at its next sync, as the design
// delivers every instruction: at the card's next contact).

import { type Policy, policyProblems } from '../../codec/policy.ts';
import { POLICY_FLAG } from '../../codec/protocol-constants.ts';
import type { Command } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatOre, parseSekAmount } from '../money.ts';
import { serviceFailure } from '../network-context.ts';
import { adminClient, DIR_OPTION, loadCard, parseName, userClient, withCard, workspaceDir } from '../workspace.ts';
import { CARD_OPTION, describePolicy, parsePin } from './card.ts';

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
    const { client } = await userClient(dir, loadCard(dir, name).user);
    const { instructionSigner } = await import('../../server/client.ts');
    const { unblockPin } = await import('../../flows/instructions.ts');
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
      const admin = await adminClient(dir, file.intermediary);
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

function parseCount(text: string, label: string): number {
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) > 255) throw new UsageError(`${label} must be a whole number from 0 to 255`);
  return Number(text);
}

function parseYesNo(text: string, label: string): boolean {
  if (text !== 'yes' && text !== 'no') throw new UsageError(`${label} must be yes or no`);
  return text === 'yes';
}

const parseOre = (text: string, label: string) => parseSekAmount(text, label).ore;

/** The policy options, each replacing one field of the policy the new one starts from. */
const POLICY_FIELDS = [
  { option: { name: 'max-payments', type: 'string', placeholder: 'count', description: 'offline payments between syncs (0 to 255)' }, parse: parseCount, apply: (p: Policy, v: number) => ({ ...p, maxPayments: v }) },
  { option: { name: 'max-payment-amount', type: 'string', placeholder: 'amount', description: 'largest offline payment, SEK:VALUE' }, parse: parseOre, apply: (p: Policy, v: number) => ({ ...p, maxPaymentAmount: v }) },
  { option: { name: 'max-balance', type: 'string', placeholder: 'amount', description: 'largest balance the card may hold, SEK:VALUE' }, parse: parseOre, apply: (p: Policy, v: number) => ({ ...p, maxBalance: v }) },
  { option: { name: 'max-received-count', type: 'string', placeholder: 'count', description: 'offline receipts between syncs (0 to 255)' }, parse: parseCount, apply: (p: Policy, v: number) => ({ ...p, maxReceivedCount: v }) },
  { option: { name: 'max-received-amount', type: 'string', placeholder: 'amount', description: 'most received offline between syncs, SEK:VALUE' }, parse: parseOre, apply: (p: Policy, v: number) => ({ ...p, maxReceivedAmount: v }) },
  {
    option: { name: 'spend-received', type: 'string', placeholder: 'yes|no', description: 'whether money received offline may be spent offline before a sync' },
    parse: parseYesNo,
    apply: (p: Policy, v: boolean) => ({ ...p, flags: v ? p.flags | POLICY_FLAG.SPEND_RECEIVED : p.flags & ~POLICY_FLAG.SPEND_RECEIVED }),
  },
] as const;

export const cardPolicy: Command = {
  path: ['card', 'policy'],
  summary: "give the card a new policy at its intermediary; the card takes it, signed, at its next sync",
  description:
    'The new policy starts from the one already due for the card (else the one it last reported), changes the fields named, and takes the next version. ' +
    'Refused before anything is stored when the card would refuse it (more payments and receipts than its log keeps).',
  options: [CARD_OPTION, ...POLICY_FIELDS.map((field) => field.option), DIR_OPTION],
  examples: [{ command: 'ekrona card policy --card alice-card --max-payments 3 --max-balance SEK:1000 && ekrona card sync --card alice-card --pin 1234' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const changes = POLICY_FIELDS.map((field) => ({ field, value: ctx.parsed(field.option.name, field.parse as (t: string, l: string) => number | boolean) })).filter((c) => c.value !== undefined);
    if (changes.length === 0) throw new UsageError(`name at least one field to change: ${POLICY_FIELDS.map((f) => `--${f.option.name}`).join(', ')}`, ctx.command.path);
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const admin = await adminClient(dir, file.intermediary);
    try {
      const view = await admin.card(file.cardId);
      const base = view.pendingPolicy ?? view.policy;
      let policy: Policy = { ...base, version: base.version + 1 };
      for (const { field, value } of changes) policy = (field.apply as (p: Policy, v: number | boolean) => Policy)(policy, value!);
      const problems = policyProblems(policy);
      if (problems.length > 0) throw new CliError(`the card would refuse this policy: ${problems.join(' ')} Nothing was stored.`);
      const updated = await admin.setPolicy(file.cardId, policy);
      ctx.out.line(`${name}: policy ${describePolicy(updated.pendingPolicy ?? policy)}`);
      ctx.out.line(`the card takes it at its next sync ('ekrona card sync --card ${name}')`);
    } catch (error) {
      throw serviceFailure(error, `intermediary ${file.intermediary} did not store the policy`);
    }
  },
};

export const cardTerminate: Command = {
  path: ['card', 'terminate'],
  summary: 'terminate the card for good: at its next sync its payments settle, its money goes to the online wallet, and it refuses everything after',
  options: [CARD_OPTION, { name: 'yes', type: 'boolean', description: 'confirm: a terminated card never works again' }, DIR_OPTION],
  examples: [{ command: 'ekrona card terminate --card alice-card --yes && ekrona card sync --card alice-card --pin 1234' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    if (ctx.flag('yes') !== true) throw new UsageError('a terminated card never works again: add --yes to confirm', ctx.command.path);
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const admin = await adminClient(dir, file.intermediary);
    try {
      await admin.terminate(file.cardId);
    } catch (error) {
      throw serviceFailure(error, `intermediary ${file.intermediary} did not terminate the card`);
    }
    ctx.out.line(`${name}: TERMINATED at intermediary ${file.intermediary}; its next sync ('ekrona card sync --card ${name}') settles its payments, moves its money to the online wallet and ends it`);
  },
};

export const cardLost: Command = {
  path: ['card', 'lost'],
  summary: "report the card lost: its intermediary blocks it at its next contact and refunds its money to the owner's online wallet after the grace period",
  description:
    "The grace period (the intermediary's lostCardGraceMs, 14 days unless its config.json says otherwise) lets the payments the card made before it was lost surface and settle; " +
    'the refund is then the whole shadow wallet, and any later payment of the card is paid from the online wallet. Reporting twice changes nothing.',
  options: [CARD_OPTION, DIR_OPTION],
  examples: [{ command: 'ekrona card lost --card alice-card' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const { client } = await userClient(dir, file.user);
    let view;
    try {
      view = await client.reportLost(file.cardId);
    } catch (error) {
      throw serviceFailure(error, `intermediary ${file.intermediary} did not take the report`);
    }
    ctx.out.line(
      view.refunded
        ? `${name}: reported lost; its money is already in ${file.user}'s online wallet`
        : `${name}: reported lost; blocked at its next contact; its shadow wallet (${formatOre(view.shadow)}) goes to ${file.user}'s online wallet when the grace period ends`,
    );
  },
};
