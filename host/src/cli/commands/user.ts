// `ekrona user create|deposit|show`: users of an intermediary of the local network, with their online wallets. A
// created user is saved in <dir>/users/<name>.json (0600, it holds the user's token), which every command that acts
// for a user reads with --user <name>.

import { randomUUID } from 'node:crypto';
import type { UserView } from '../../server/api.ts';
import type { Command, Group } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatOre, parseSekAmount } from '../money.ts';
import { isServiceRefusal, neverReached, serviceFailure } from '../network-context.ts';
import { adminClient, claimUserName, DIR_OPTION, loadUser, parseName, userClient, workspaceDir } from '../workspace.ts';

export const userGroup: Group = { path: ['user'], summary: 'users of an intermediary and their online wallets' };

const USER_OPTION = { name: 'user', type: 'string', placeholder: 'name', description: 'a user saved by ekrona user create', required: true, example: 'alice' } as const;

function parseIntermediaryId(text: string, label: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw new UsageError(`${label} must be an intermediary number (1, 2, ...), got '${text}'`);
  return Number(text);
}

export function printUser(ctx: { out: { line(text?: string): void } }, name: string, view: UserView): void {
  ctx.out.line(`${name}: online wallet ${formatOre(view.online)}, ${view.cards.length} card${view.cards.length === 1 ? '' : 's'}`);
  for (const card of view.cards) {
    const extra = [card.pendingIn ? `pending in ${formatOre(card.pendingIn)}` : '', card.pendingOut ? `pending out ${formatOre(card.pendingOut)}` : '', card.withheld ? `withheld ${formatOre(card.withheld)}` : '']
      .filter(Boolean)
      .join(', ');
    ctx.out.line(`  card ${card.cardId} ${card.role.padEnd(8)} ${card.status.padEnd(7)} shadow wallet ${formatOre(card.shadow)}${extra ? ` (${extra})` : ''}`);
  }
}

export const userCreate: Command = {
  path: ['user', 'create'],
  summary: 'create a user at an intermediary and save its token',
  options: [
    { name: 'name', type: 'string', placeholder: 'name', description: 'the user name (also the saved file name)', required: true, example: 'alice' },
    { name: 'intermediary', type: 'string', placeholder: 'n', description: 'the intermediary number in network.json', default: '1' },
    DIR_OPTION,
  ],
  examples: [{ command: 'ekrona user create --name alice --intermediary 1' }],
  async run(ctx) {
    const name = ctx.parsed('name', parseName)!;
    const intermediary = ctx.parsed('intermediary', parseIntermediaryId)!;
    const dir = workspaceDir(ctx);
    const admin = await adminClient(dir, intermediary);
    // Claimed before the intermediary creates anything, so that a refused name leaves no user behind; the claim
    // holds the creation's key, so that a creation interrupted after the intermediary made the user is finished by
    // running the command again.
    const claim = claimUserName(dir, name, intermediary);
    let created;
    try {
      created = await admin.createUser(name, claim.creationKey);
    } catch (error) {
      if ((isServiceRefusal(error) && error.status < 500) || neverReached(error)) {
        claim.release();
        throw serviceFailure(error, `intermediary ${intermediary} did not create the user`);
      }
      // Unanswered: the user may exist there. The claim stays, with its key, for the repeat to finish.
      claim.keep();
      throw new CliError(`intermediary ${intermediary} did not answer the creation of ${name} (${(error as Error).message}): run the same command again to finish it`, { cause: error });
    }
    const path = claim.save({ userId: created.userId, token: created.token, intermediaryUrl: admin.url, intermediary });
    ctx.out.line(`${claim.resumed ? 'finished creating' : 'created'} user ${name} (${created.userId}) at intermediary ${intermediary}; token saved in ${path}`);
  },
};

export const userDeposit: Command = {
  path: ['user', 'deposit'],
  summary: "buy e-krona into a user's online wallet (the intermediary's treasury pays)",
  options: [USER_OPTION, { name: 'amount', type: 'string', placeholder: 'amount', description: 'SEK:VALUE, at most 2 decimals', required: true, example: 'SEK:500' }, DIR_OPTION],
  examples: [{ command: 'ekrona user deposit --user alice --amount SEK:500' }],
  async run(ctx) {
    const { ore } = ctx.parsed('amount', parseSekAmount)!;
    const name = ctx.parsed('user', parseName)!;
    const dir = workspaceDir(ctx);
    const user = loadUser(dir, name);
    const admin = await adminClient(dir, user.intermediary);
    let view: UserView;
    try {
      view = await admin.deposit(user.userId, ore, randomUUID());
    } catch (error) {
      throw serviceFailure(error, `the deposit of ${formatOre(ore)} was refused`);
    }
    ctx.out.line(`deposited ${formatOre(ore)}: ${name}'s online wallet holds ${formatOre(view.online)}`);
  },
};

export const userShow: Command = {
  path: ['user', 'show'],
  summary: "a user's online wallet and cards (shadow wallets, pending payments)",
  options: [USER_OPTION, DIR_OPTION, { name: 'json', type: 'boolean', description: 'print the view as JSON' }],
  async run(ctx) {
    const name = ctx.parsed('user', parseName)!;
    const dir = workspaceDir(ctx);
    const { user, client } = await userClient(dir, name);
    let view: UserView;
    try {
      view = await client.me();
    } catch (error) {
      throw serviceFailure(error, `intermediary ${user.intermediary} did not answer for ${name}`);
    }
    if (ctx.flag('json')) ctx.out.json(view);
    else printUser(ctx, name, view);
  },
};
