// The offline payment one card at a time, for cards that are not on one machine (one PC/SC reader, two phones):
// each step runs on one card and hands the next step a small JSON file (docs/CLI.md "One card at a time").
//
//   recipient: ekrona card request      --card shop --amount SEK:12.50 --out request.json
//   payer:     ekrona card pay-request  --card alice-card --request request.json --pin 1234 --out payment.json
//   recipient: ekrona card receive      --card shop --payment payment.json
//   or, refusing the payment instead of receiving it:
//   recipient: ekrona card decline      --card shop --request request.json --out decline.json
//   payer:     ekrona card apply-decline --card alice-card --decline decline.json
//
// The files carry the signed messages exactly as the cards answer them (hex of body || signature) and the signer's
// card certificate; the receiving card checks every signature and the certificate chain to the root itself.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { encodeCardCertificate, decodeCardCertificate, type CardCertificate } from '../../codec/certificates.ts';
import { fromHex, toHex } from '../../codec/hex.ts';
import { decodeSignedDecline, decodeSignedRequest, decodeSignedTransaction } from '../../codec/messages.ts';
import type { Signed } from '../../codec/signed.ts';
import { readStatus, selectWallet } from '../../flows/card.ts';
import type { Command, CommandContext } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatOre, parseSekAmount } from '../money.ts';
import { DIR_OPTION, parseName, readNetwork, withCard, workspaceDir } from '../workspace.ts';
import { CARD_OPTION, parsePin, parseReference } from './card.ts';

type StepKind = 'payment-request' | 'payment' | 'decline';

const FILE_FORMAT = 'ekrona-offline/1';

function signedHex(signed: Signed<unknown>): string {
  return toHex(signed.body) + toHex(signed.signature);
}

function writeStepFile(path: string, kind: StepKind, signed: Signed<unknown>, certificate: CardCertificate): void {
  if (existsSync(path)) throw new CliError(`${path} exists; name another file with --out (a step file is never replaced)`);
  writeFileSync(path, `${JSON.stringify({ format: FILE_FORMAT, kind, signed: signedHex(signed), certificate: toHex(encodeCardCertificate(certificate)) }, null, 2)}\n`);
}

/** A step file read and decoded; any defect is named with the file. */
function readStepFile<T>(path: string, kind: StepKind, decode: (bytes: Uint8Array) => Signed<T>): { signed: Signed<T>; certificate: CardCertificate } {
  let json: { format?: unknown; kind?: unknown; signed?: unknown; certificate?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  if (json === null || typeof json !== 'object' || json.format !== FILE_FORMAT) throw new CliError(`${path} is not an ekrona offline step file (format ${FILE_FORMAT})`);
  if (json.kind !== kind) throw new CliError(`${path} holds a ${String(json.kind)}, not a ${kind}`);
  try {
    return { signed: decode(fromHex(String(json.signed))), certificate: decodeCardCertificate(fromHex(String(json.certificate))) };
  } catch (error) {
    throw new CliError(`${path} is damaged: ${(error as Error).message}`, { cause: error });
  }
}

function outPath(ctx: CommandContext): string {
  return ctx.string('out')!;
}

const OUT = (what: string, example: string) => ({ name: 'out', type: 'string', placeholder: 'file', description: `where to write the ${what} (never replaced)`, required: true, example }) as const;

async function directory(dir: string) {
  const { CentralBankClient, directoryOf } = await import('../../server/client.ts');
  return directoryOf(new CentralBankClient(readNetwork(dir).centralBank.url));
}

export const cardRequest: Command = {
  path: ['card', 'request'],
  summary: 'recipient, step 1: the card signs a payment request, written to a file for the payer',
  options: [CARD_OPTION, { name: 'amount', type: 'string', placeholder: 'amount', description: 'SEK:VALUE, at most 2 decimals', required: true, example: 'SEK:12.50' }, { name: 'reference', type: 'string', placeholder: 'text', description: 'up to 8 ASCII characters', default: '' }, OUT('request', 'request.json'), DIR_OPTION],
  examples: [{ command: 'ekrona card request --card shop --amount SEK:12.50 --out request.json' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const { ore } = ctx.parsed('amount', parseSekAmount)!;
    const reference = ctx.parsed('reference', parseReference)!;
    const out = outPath(ctx);
    if (existsSync(out)) throw new UsageError(`--out ${out} exists; name another file (a step file is never replaced)`, ctx.command.path);
    const { createRequest } = await import('../../flows/payment.ts');
    const answer = await withCard(workspaceDir(ctx), name, (card) => createRequest(card, ore, reference));
    writeStepFile(out, 'payment-request', answer.request, answer.certificate);
    ctx.out.line(`${name} asks for ${formatOre(ore)} (request ${answer.request.value.requestNo}): give ${out} to the payer`);
  },
};

export const cardPayRequest: Command = {
  path: ['card', 'pay-request'],
  summary: "payer, step 2: the card checks the request and pays it (PIN); the payment is written for the recipient",
  options: [CARD_OPTION, { name: 'request', type: 'string', placeholder: 'file', description: 'the request file of ekrona card request', required: true, example: 'request.json' }, { name: 'pin', type: 'string', placeholder: 'digits', description: "the card's PIN", env: 'EKRONA_PIN', required: true }, OUT('payment', 'payment.json'), DIR_OPTION],
  examples: [{ command: 'ekrona card pay-request --card alice-card --request request.json --pin 1234 --out payment.json' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const pin = ctx.parsed('pin', parsePin)!;
    const out = outPath(ctx);
    if (existsSync(out)) throw new UsageError(`--out ${out} exists; name another file (a step file is never replaced)`, ctx.command.path);
    const { signed, certificate } = readStepFile(ctx.string('request')!, 'payment-request', decodeSignedRequest);
    const dir = workspaceDir(ctx);
    const intermediaryCertificate = await directory(dir);
    const { pay } = await import('../../flows/payment.ts');
    const { tx, payer, balance } = await withCard(dir, name, async (card) => {
      const tx = await pay(card, { request: signed, certificate }, { pin, intermediaryCertificate });
      const payer = (await selectWallet(card)).certificate;
      if (!payer) throw new CliError(`the card ${name} is not personalised`);
      return { tx, payer, balance: (await readStatus(card)).balance };
    });
    writeStepFile(out, 'payment', tx, payer);
    ctx.out.line(`${name} paid ${formatOre(tx.value.amount)} (holds ${formatOre(balance)}): give ${out} to the recipient`);
  },
};

export const cardReceive: Command = {
  path: ['card', 'receive'],
  summary: 'recipient, step 3: the card checks the payment against its open request and takes it',
  options: [CARD_OPTION, { name: 'payment', type: 'string', placeholder: 'file', description: 'the payment file of ekrona card pay-request', required: true, example: 'payment.json' }, DIR_OPTION],
  examples: [{ command: 'ekrona card receive --card shop --payment payment.json' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const { signed, certificate } = readStepFile(ctx.string('payment')!, 'payment', decodeSignedTransaction);
    const dir = workspaceDir(ctx);
    const intermediaryCertificate = await directory(dir);
    const { receive } = await import('../../flows/payment.ts');
    const balance = await withCard(dir, name, async (card) => {
      await receive(card, signed, certificate, { intermediaryCertificate });
      return (await readStatus(card)).balance;
    });
    ctx.out.line(`${name} received ${formatOre(signed.value.amount)}: it holds ${formatOre(balance)}`);
  },
};

export const cardDecline: Command = {
  path: ['card', 'decline'],
  summary: 'recipient: refuse a request instead of receiving its payment; the signed decline is written for the payer',
  options: [CARD_OPTION, { name: 'request', type: 'string', placeholder: 'file', description: 'the request file of ekrona card request', required: true, example: 'request.json' }, OUT('decline', 'decline.json'), DIR_OPTION],
  examples: [{ command: 'ekrona card decline --card shop --request request.json --out decline.json' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const out = outPath(ctx);
    if (existsSync(out)) throw new UsageError(`--out ${out} exists; name another file (a step file is never replaced)`, ctx.command.path);
    const { signed } = readStepFile(ctx.string('request')!, 'payment-request', decodeSignedRequest);
    const { decline } = await import('../../flows/payment.ts');
    const answer = await withCard(workspaceDir(ctx), name, (card) => decline(card, signed.value.requestNo));
    writeStepFile(out, 'decline', answer.decline, answer.certificate);
    ctx.out.line(`${name} declined request ${signed.value.requestNo}: give ${out} to the payer, whose card then voids its payment`);
  },
};

export const cardApplyDecline: Command = {
  path: ['card', 'apply-decline'],
  summary: "payer: show the card the recipient's decline; it voids its payment and gets the amount back",
  options: [CARD_OPTION, { name: 'decline', type: 'string', placeholder: 'file', description: 'the decline file of ekrona card decline', required: true, example: 'decline.json' }, DIR_OPTION],
  examples: [{ command: 'ekrona card apply-decline --card alice-card --decline decline.json' }],
  async run(ctx) {
    const name = ctx.parsed('card', parseName)!;
    const { signed, certificate } = readStepFile(ctx.string('decline')!, 'decline', decodeSignedDecline);
    const dir = workspaceDir(ctx);
    const intermediaryCertificate = await directory(dir);
    const { applyDecline } = await import('../../flows/payment.ts');
    const balance = await withCard(dir, name, async (card) => {
      await applyDecline(card, { decline: signed, certificate }, { intermediaryCertificate });
      return (await readStatus(card)).balance;
    });
    ctx.out.line(`${name} voided its payment for request ${signed.value.requestNo}: it holds ${formatOre(balance)}`);
  },
};
