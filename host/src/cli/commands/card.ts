// `ekrona card ...`: the pilot's card flows (docs/PROTOCOL.md section 7) on simulated cards kept in the network
// folder (cards/<name>.state, the card's EEPROM between commands) or on a physical card in a PC/SC reader
// (`--reader` at personalisation; the card file remembers it). Every flow can be repeated after a failure: the card
// and the intermediary change state only together (signed for the card's challenge and counter), never twice.

import type { Policy } from '../../codec/policy.ts';
import { POLICY_FLAG, ROLE, STATE } from '../../codec/protocol-constants.ts';
import { readStatus } from '../../flows/card.ts';
import type { IntermediaryClient, OrderSigner } from '../../server/client.ts';
import type { Command, CommandContext, Group } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatOre, parseSekAmount } from '../money.ts';
import { countOf } from '../output.ts';
import { serviceFailure } from '../network-context.ts';
import { claimCardName, DIR_OPTION, loadCard, openCard, parseName, readNetwork, userClient, withCard, workspaceDir } from '../workspace.ts';

export const cardGroup: Group = { path: ['card'], summary: 'personalise, top up, pay, decline, sync and de-fund wallet cards; their PIN, policy and lifecycle' };

export const CARD_OPTION = { name: 'card', type: 'string', placeholder: 'name', description: 'a card made by ekrona card personalise', required: true, example: 'alice-card' } as const;
const AMOUNT_OPTION = { name: 'amount', type: 'string', placeholder: 'amount', description: 'SEK:VALUE, at most 2 decimals', required: true, example: 'SEK:200' } as const;
const PIN_OPTION = { name: 'pin', type: 'string', placeholder: 'digits', description: "the card's PIN (4 to 8 digits)", env: 'EKRONA_PIN', example: '1234' } as const;

export function parsePin(text: string, label: string): string {
  if (!/^[0-9]{4,8}$/.test(text)) throw new UsageError(`${label} must be 4 to 8 digits`);
  return text;
}

/** One line describing a policy, in the CLI's units. */
export function describePolicy(policy: Policy): string {
  return (
    `version ${policy.version}: ${countOf(policy.maxPayments, 'payment')} of at most ${formatOre(policy.maxPaymentAmount)}, balance at most ${formatOre(policy.maxBalance)}, ` +
    `${countOf(policy.maxReceivedCount, 'receipt')} worth at most ${formatOre(policy.maxReceivedAmount)}, ` +
    `received money ${policy.flags & POLICY_FLAG.SPEND_RECEIVED ? 'may' : 'may not'} be spent offline`
  );
}

function requiredPin(ctx: CommandContext): string {
  const pin = ctx.parsed('pin', parsePin);
  if (pin === undefined) throw new UsageError('this flow needs the PIN: --pin <digits> or EKRONA_PIN', ctx.command.path);
  return pin;
}

function parseRole(text: string, label: string): 'USER' | 'MERCHANT' {
  const role = text.toUpperCase();
  if (role !== 'USER' && role !== 'MERCHANT') throw new UsageError(`${label} must be USER or MERCHANT, got '${text}'`);
  return role;
}

/** A payment reference: up to 8 printable ASCII characters, padded with spaces (the card signs 8 bytes). */
export function parseReference(text: string, label: string): Uint8Array {
  if (!/^[\x20-\x7e]{0,8}$/.test(text)) throw new UsageError(`${label} must be at most 8 printable ASCII characters, got '${text}'`);
  return new TextEncoder().encode(text.padEnd(8, ' '));
}

/**
 * Resumes the card's open order of the signer's kind, when there is one, so that running a command again after a
 * failure applies the same order. An open order of another amount: cancelled when it was never signed (an
 * interrupted run; nothing can apply it), else named in the refusal. A signed order the card did not apply stays
 * open, its money reserved, until the card applies it or its order counter moves past it: the second sync from
 * then closes it, and a top-up's money reaches the card with that sync's result.
 */
async function resumeOpenOrder<S extends Pick<OrderSigner<'TOP_UP' | 'DEFUND'>, 'kind' | 'amount' | 'orderId'>>(
  ctx: CommandContext,
  client: IntermediaryClient,
  cardId: string,
  cardOrderSeq: number,
  signer: S,
): Promise<S> {
  // Orders numbered below the card's order counter were applied or can never apply: the intermediary closes them.
  const open = (await client.orders(cardId)).find((o) => o.kind === signer.kind && o.state === 'open' && (o.orderSeq === null || o.orderSeq >= cardOrderSeq));
  if (open === undefined) return signer;
  const what = signer.kind === 'TOP_UP' ? 'top-up' : 'de-fund';
  if (open.amount === signer.amount) {
    signer.orderId = open.orderId;
    return signer;
  }
  if (open.orderSeq === null) {
    await client.cancelOrder(cardId, open.orderId);
    ctx.out.note(`cancelled the card's unsigned ${what} order of ${formatOre(open.amount)} (order ${open.orderId}), left by an interrupted run`);
    return signer;
  }
  throw new CliError(
    `the card has an open ${what} order of ${formatOre(open.amount)} (order ${open.orderId}) that it has not applied: apply it with --amount SEK:${(open.amount / 100).toFixed(2)}, or sync the card twice to close it`,
  );
}

const stateName = (state: number) => (state === STATE.ACTIVE ? 'ACTIVE' : state === STATE.BLOCKED ? 'BLOCKED' : state === STATE.TERMINATED ? 'TERMINATED' : `state ${state}`);

export const cardPersonalise: Command = {
  path: ['card', 'personalise'],
  summary: "make a new wallet card for a user: key pair on card, certificates, PIN, policy, locked",
  description:
    'A simulated card is created in <dir>/cards/<card>.state (with --reader: the card in that PC/SC reader, which ' +
    'must hold the wallet applet, not yet personalised). The card generates its key pair; the intermediary of the ' +
    "user certifies the public key; the card stores its certificate, the intermediary's and the root key, sets the " +
    'PIN and the default policy of its role, and locks. Should it fail, nothing is kept and the command can be run again.',
  options: [
    { name: 'card', type: 'string', placeholder: 'name', description: 'a name for the new card', required: true, example: 'alice-card' },
    { name: 'user', type: 'string', placeholder: 'name', description: 'the owner, a user saved by ekrona user create', required: true, example: 'alice' },
    { name: 'role', type: 'string', placeholder: 'role', description: 'USER (a person) or MERCHANT (the secure element of a point of sale)', default: 'USER' },
    { ...PIN_OPTION, required: true },
    { name: 'reader', type: 'string', placeholder: 'reader', description: 'personalise the physical card in this PC/SC reader instead of a simulated one' },
    DIR_OPTION,
  ],
  examples: [
    { command: 'ekrona card personalise --card alice-card --user alice --pin 1234' },
    { command: 'ekrona card personalise --card shop --user kaffe --role MERCHANT --pin 4321' },
  ],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const role = ctx.parsed('role', parseRole)!;
    const pin = ctx.parsed('pin', parsePin)!;
    const reader = ctx.string('reader');
    const dir = workspaceDir(ctx);
    const userName = ctx.parsed('user', parseName)!;
    const { user, client } = await userClient(dir, userName);
    const { cardIssuer } = await import('../../server/client.ts');
    const { personalise } = await import('../../flows/personalise.ts');
    const claim = claimCardName(dir, name);
    let transport;
    try {
      transport = await openCard(dir, name, reader !== undefined ? { reader } : { blank: true });
    } catch (error) {
      claim.release();
      throw error;
    }
    try {
      const issuer = await cardIssuer(client).catch((error: unknown) => {
        throw serviceFailure(error, `intermediary ${user.intermediary} is not ready to certify cards`);
      });
      const { certificate } = await personalise(transport, issuer, { role, pin });
      const cardId = Buffer.from(certificate.value.cardId).toString('hex').toUpperCase();
      claim.save({ name, user: userName, role, cardId, intermediary: certificate.value.intermediaryId, ...(reader !== undefined ? { reader } : {}) });
      ctx.out.line(`personalised ${role} card ${name}: card id ${cardId}, intermediary ${certificate.value.intermediaryId}, owner ${userName}`);
    } catch (error) {
      await transport.close();
      transport = undefined;
      // A simulated card that did not finish personalisation is thrown away: the next attempt starts from a new card.
      claim.release();
      throw serviceFailure(error, `the personalisation of ${name} failed (nothing was kept; run the command again)`);
    } finally {
      await transport?.close();
    }
  },
};

export const cardStatus: Command = {
  path: ['card', 'status'],
  summary: "what the card says (balance, counters, policy) and what its intermediary holds for it",
  options: [CARD_OPTION, DIR_OPTION, { name: 'json', type: 'boolean', description: 'print both as JSON' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const dir = workspaceDir(ctx);
    const status = await withCard(dir, name, (card) => readStatus(card));
    const file = loadCard(dir, name);
    const { client } = await userClient(dir, file.user);
    const view = await client.card(file.cardId).catch(() => undefined);
    if (ctx.flag('json')) {
      ctx.out.json({ card: { ...status, cardId: file.cardId }, intermediary: view ?? null });
      return;
    }
    ctx.out.line(`${name}: ${status.role === ROLE.MERCHANT ? 'MERCHANT' : 'USER'} card ${file.cardId}, ${stateName(status.state)}, owner ${file.user}`);
    ctx.out.line(`  balance ${formatOre(status.balance)} (spendable offline ${formatOre(status.spendable)})`);
    ctx.out.line(`  since the last sync: ${countOf(status.payments, 'payment')} made, ${status.receivedCount} received (${formatOre(status.receivedAmount)}); log ${status.logCount}/${status.logCapacity}; open requests ${status.openRequests}`);
    ctx.out.line(`  policy v${status.policy.version}: at most ${countOf(status.policy.maxPayments, 'offline payment')} of up to ${formatOre(status.policy.maxPaymentAmount)}, balance at most ${formatOre(status.policy.maxBalance)}; PIN tries left ${status.pinTries}`);
    if (view) {
      const parts = [`shadow wallet ${formatOre(view.shadow)}`];
      if (view.pendingIn) parts.push(`pending in ${formatOre(view.pendingIn)}`);
      if (view.pendingOut) parts.push(`pending out ${formatOre(view.pendingOut)}`);
      if (view.withheld) parts.push(`withheld ${formatOre(view.withheld)}`);
      ctx.out.line(`  at intermediary ${file.intermediary}: ${parts.join(', ')}; ${view.status}`);
    } else ctx.out.line(`  intermediary ${file.intermediary} did not answer`);
  },
};

export const cardTopUp: Command = {
  path: ['card', 'topup'],
  summary: "load the card from its owner's online wallet",
  options: [CARD_OPTION, AMOUNT_OPTION, DIR_OPTION],
  examples: [{ command: 'ekrona card topup --card alice-card --amount SEK:200' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const { ore } = ctx.parsed('amount', parseSekAmount)!;
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const { client } = await userClient(dir, file.user);
    const { topUpOrder } = await import('../../server/client.ts');
    const { topUp } = await import('../../flows/instructions.ts');
    const balance = await withCard(dir, name, async (card) => {
      // What the card would refuse is refused here, before the intermediary reserves anything for an order.
      const status = await readStatus(card);
      if (status.balance + status.openAmount + ore > status.policy.maxBalance) {
        throw new CliError(
          `the card would hold more than its policy's maximum of ${formatOre(status.policy.maxBalance)}: it holds ${formatOre(status.balance)}${status.openAmount ? ` and its open requests reserve ${formatOre(status.openAmount)}` : ''}; nothing was ordered`,
        );
      }
      try {
        const applied = await topUp(card, await resumeOpenOrder(ctx, client, file.cardId, status.orderSeq, topUpOrder(client, ore)));
        if (!applied) throw new CliError('the intermediary signed no top-up for the card (its order was already applied); nothing changed');
      } catch (error) {
        throw serviceFailure(error, `the top-up of ${formatOre(ore)} failed`);
      }
      return (await readStatus(card)).balance;
    });
    ctx.out.line(`topped up ${formatOre(ore)}: ${name} holds ${formatOre(balance)}`);
  },
};

export const cardDefund: Command = {
  path: ['card', 'defund'],
  summary: "move money from the card back to its owner's online wallet",
  description: 'Refused by the card while it holds payments not yet synchronised: run ekrona card sync first.',
  options: [CARD_OPTION, AMOUNT_OPTION, PIN_OPTION, DIR_OPTION],
  examples: [{ command: 'ekrona card defund --card alice-card --amount SEK:50 --pin 1234' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const { ore } = ctx.parsed('amount', parseSekAmount)!;
    const pin = requiredPin(ctx);
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const { client } = await userClient(dir, file.user);
    const { defundOrder } = await import('../../server/client.ts');
    const { defund } = await import('../../flows/instructions.ts');
    const balance = await withCard(dir, name, async (card) => {
      // What the card would refuse is refused here, before the intermediary opens an order.
      const status = await readStatus(card);
      if (status.payments + status.receivedCount > 0) {
        throw new CliError(`the card holds ${status.payments + status.receivedCount} offline payments not yet synchronised: run 'ekrona card sync --card ${name}' first; nothing was ordered`);
      }
      if (ore > status.balance) throw new CliError(`the card holds only ${formatOre(status.balance)}; nothing was ordered`);
      try {
        const confirmation = await defund(card, await resumeOpenOrder(ctx, client, file.cardId, status.orderSeq, defundOrder(client, ore)), { pin });
        if (!confirmation) throw new CliError('the intermediary signed no de-fund for the card; nothing changed');
      } catch (error) {
        throw serviceFailure(error, `the de-fund of ${formatOre(ore)} failed`);
      }
      return (await readStatus(card)).balance;
    });
    ctx.out.line(`de-funded ${formatOre(ore)} to ${file.user}'s online wallet: ${name} holds ${formatOre(balance)}`);
  },
};

export const cardPay: Command = {
  path: ['card', 'pay'],
  summary: 'pay offline from one card to another (point of sale or card to card), or have the recipient decline',
  description:
    'Both cards are tapped on this machine: the recipient card signs a request (--to), the payer card checks it and ' +
    'pays with its PIN (--from), the recipient card checks and receives the payment. A MERCHANT recipient uses the ' +
    "point-of-sale flow (three APDUs on the payer's card). With --decline the recipient refuses the payment " +
    "instead of receiving it: it signs a decline, and the payer's card voids its payment and gets the amount back. " +
    'No network is used: the payment settles when the cards synchronise.',
  options: [
    { name: 'from', type: 'string', placeholder: 'card', description: 'the payer card', required: true, example: 'alice-card' },
    { name: 'to', type: 'string', placeholder: 'card', description: 'the recipient card', required: true, example: 'shop' },
    AMOUNT_OPTION,
    PIN_OPTION,
    { name: 'reference', type: 'string', placeholder: 'text', description: 'up to 8 ASCII characters the cards sign with the payment', default: '' },
    { name: 'decline', type: 'boolean', description: 'the recipient declines the payment instead of receiving it' },
    DIR_OPTION,
  ],
  examples: [
    { command: 'ekrona card pay --from alice-card --to shop --amount SEK:45.50 --pin 1234 --reference SALE-1' },
    { command: 'ekrona card pay --from alice-card --to bob-card --amount SEK:5 --pin 1234 --decline' },
  ],
  async run(ctx) {
    const from = ctx.parsed('from', parseName)!;
    const to = ctx.parsed('to', parseName)!;
    if (from === to) throw new UsageError('--from and --to must be two different cards', ctx.command.path);
    const { ore } = ctx.parsed('amount', parseSekAmount)!;
    const pin = requiredPin(ctx);
    const reference = ctx.parsed('reference', parseReference)!;
    const dir = workspaceDir(ctx);
    const network = readNetwork(dir);
    const { CentralBankClient, directoryOf } = await import('../../server/client.ts');
    const directory = directoryOf(new CentralBankClient(network.centralBank.url));
    const flows = await import('../../flows/payment.ts');
    const { selectWallet } = await import('../../flows/card.ts');
    const recipientFile = loadCard(dir, to);
    await withCard(dir, from, (payer) =>
      withCard(dir, to, async (recipient) => {
        if (ctx.flag('decline')) {
          await selectWallet(recipient);
          const request = await flows.createRequest(recipient, ore, reference);
          await selectWallet(payer);
          await flows.pay(payer, request, { pin, intermediaryCertificate: directory });
          await selectWallet(recipient);
          const declined = await flows.decline(recipient, request.request.value.requestNo);
          await selectWallet(payer);
          await flows.applyDecline(payer, declined, { intermediaryCertificate: directory });
          ctx.out.line(`${to} declined the payment of ${formatOre(ore)} from ${from}: ${from} voided it and holds ${formatOre((await readStatus(payer)).balance)} again`);
          return;
        }
        if (recipientFile.role === 'MERCHANT') {
          await flows.payAtPointOfSale({ merchant: recipient, payer, amount: ore, reference, pin, directory });
        } else {
          await selectWallet(recipient);
          const request = await flows.createRequest(recipient, ore, reference);
          await selectWallet(payer);
          const tx = await flows.pay(payer, request, { pin, intermediaryCertificate: directory });
          const payerCertificate = (await selectWallet(payer)).certificate;
          if (!payerCertificate) throw new CliError(`the payer card ${from} is not personalised`);
          await selectWallet(recipient);
          await flows.receive(recipient, tx, payerCertificate, { intermediaryCertificate: directory });
        }
        await selectWallet(payer);
        const payerBalance = (await readStatus(payer)).balance;
        await selectWallet(recipient);
        const recipientBalance = (await readStatus(recipient)).balance;
        ctx.out.line(`${from} paid ${formatOre(ore)} to ${to} offline: ${from} holds ${formatOre(payerBalance)}, ${to} holds ${formatOre(recipientBalance)}`);
      }),
    );
  },
};

export const cardSync: Command = {
  path: ['card', 'sync'],
  summary: "synchronise the card with its intermediary: report its log, settle, apply the signed result",
  options: [CARD_OPTION, PIN_OPTION, DIR_OPTION],
  examples: [{ command: 'ekrona card sync --card alice-card --pin 1234' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const pin = requiredPin(ctx);
    const dir = workspaceDir(ctx);
    const file = loadCard(dir, name);
    const { client } = await userClient(dir, file.user);
    const { instructionSigner, synchroniseWithService } = await import('../../server/client.ts');
    const { setPolicy } = await import('../../flows/instructions.ts');
    const { outcome, balance, policy } = await withCard(dir, name, async (card) => {
      try {
        const result = await synchroniseWithService(card, client, { pin });
        // A policy the intermediary has due reaches the card at this contact, like a lifecycle change. The
        // intermediary learns that the card took it from the card's next report, so the card's own version decides.
        const pending = result.outcome === 'synchronised' ? (await client.card(file.cardId)).pendingPolicy : null;
        const due = pending !== null && pending.version > (await readStatus(card)).policy.version;
        const policy = due ? await setPolicy(card, instructionSigner(client, 'policy')) : undefined;
        return { outcome: result.outcome, balance: (await readStatus(card)).balance, policy };
      } catch (error) {
        throw serviceFailure(error, `the sync of ${name} failed (nothing was lost; run it again)`);
      }
    });
    if (outcome === 'closed') {
      const user = await client.me();
      ctx.out.line(`${name} terminated: its payments are settled and its money is in ${file.user}'s online wallet (${formatOre(user.online)}); the card refuses everything from now on`);
      return;
    }
    const view = await client.card(file.cardId);
    const pending = [view.pendingIn ? `pending in ${formatOre(view.pendingIn)}` : '', view.pendingOut ? `pending out ${formatOre(view.pendingOut)}` : ''].filter(Boolean).join(', ');
    ctx.out.line(`${name} ${outcome}: card balance ${formatOre(balance)}; shadow wallet ${formatOre(view.shadow)}${pending ? ` (${pending})` : ''}`);
    if (policy) ctx.out.line(`${name} took its new policy, ${describePolicy(policy.value.policy)}`);
  },
};
