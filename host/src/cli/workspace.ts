// The network folder the CLI works in (`--dir`, default `.ekrona`, env EKRONA_DIR), and what it keeps there:
//
//   network.json            written by `ekrona network up` (0600: it holds the admin tokens)
//   users/<name>.json       a user of an intermediary: { userId, token, intermediaryUrl, intermediary } (0600)
//   cards/<name>.json       a card: { name, user, role, cardId, intermediary, reader? }
//   cards/<name>.state      a simulated card's persistent memory (the runner's state file: its EEPROM)
//
// A simulated card is loaded from its state file by a runner started for the command and saved after every APDU;
// a card named with a reader (`--reader`) is the physical card in that PC/SC reader.

import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WALLET_AID, WALLET_APPLET_CLASS } from '../codec/commands.ts';
import { selectWallet } from '../flows/card.ts';
import type { IntermediaryClient } from '../server/client.ts';
import { readSecretFile, writeSecretFile } from '../server/keys.ts';
import { hasNetworkData, type NetworkFile } from '../server/network-file.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import type { CommandContext, OptionSpec } from './command.ts';
import { CliError, UsageError } from './errors.ts';
import { DEFAULT_DIR, DIR_ENV, NAME, networkFileIn, readUserFile, userFilePath } from './network-context.ts';

export const DIR_OPTION: OptionSpec = {
  name: 'dir',
  type: 'string',
  placeholder: 'folder',
  description: 'the network folder (network.json, users/, cards/)',
  env: DIR_ENV,
  default: DEFAULT_DIR,
};

/** A name option's value checked (users and cards are files: letters, digits, '.', '_', '-'). */
export function parseName(text: string, label: string): string {
  if (!NAME.test(text)) throw new UsageError(`${label} must be 1 to 64 letters, digits, '.', '_' or '-' (not starting with a symbol), got '${text}'`);
  return text;
}

export function workspaceDir(ctx: CommandContext): string {
  return resolve(ctx.string('dir') ?? DEFAULT_DIR);
}

/** network.json of the local network that `ekrona network up` started in `dir`, checked. */
export function readNetwork(dir: string): NetworkFile {
  const network = networkFileIn(dir);
  if (network === undefined) throw noNetworkIn(dir);
  return network;
}

/** The refusal of a command that needs a running network where network.json is missing: stopped, or never started. */
export function noNetworkIn(dir: string): CliError {
  if (hasNetworkData(dir)) return new CliError(`the network in ${dir} is stopped (its data is kept): start it again with 'ekrona network up --dir ${dir}'`);
  return new CliError(`there is no network in ${dir}: start one with 'ekrona network up --dir ${dir}'`);
}

export function intermediaryOf(network: NetworkFile, id: number): NetworkFile['intermediaries'][number] {
  const entry = network.intermediaries.find((im) => im.id === id);
  if (!entry) throw new CliError(`the network in ${network.dir} has no intermediary ${id} (it has ${network.intermediaries.map((im) => im.id).join(', ')})`);
  return entry;
}

export interface UserFile {
  userId: string;
  token: string;
  intermediaryUrl: string;
  intermediary: number;
}

/** What a user file holds while its user is being created: the key that makes the creation repeatable. */
interface PendingUserFile {
  pending: { creationKey: string; intermediary: number; pid: number };
}

/** User files this process claimed and has not saved or released (its creations under way, for commands run in-process). */
const claimsOfThisProcess = new Set<string>();

export interface UserClaim {
  /** The idempotency key of the creation: the same after an interruption, so that finishing it creates no second user. */
  creationKey: string;
  /** True when this finishes a creation that was interrupted (its user may exist at the intermediary already). */
  resumed: boolean;
  release(): void;
  /** Leaves the claim in place for a later run to finish (the intermediary may have made the user). */
  keep(): void;
  save(user: UserFile): string;
}

/**
 * Claims a user name before the intermediary creates the user: its file, owner-only, made exclusively and holding
 * the creation's idempotency key before any request goes out. Of two `user create` of one name at once the second
 * is refused before it creates anyone; a creation killed before it saved the token is finished by repeating the
 * command (same key: the intermediary answers the same user with a fresh token, so no user is left without one).
 * `release` gives the name back when the intermediary refused; `save` writes the created user over the claim.
 */
export function claimUserName(dir: string, name: string, intermediary: number): UserClaim {
  const path = userFilePath(dir, name);
  mkdirSync(join(dir, 'users'), { recursive: true, mode: 0o700 });
  const handle = (creationKey: string, resumed: boolean): UserClaim => {
    claimsOfThisProcess.add(path);
    return {
      creationKey,
      resumed,
      release: () => {
        rmSync(path, { force: true });
        claimsOfThisProcess.delete(path);
      },
      keep: () => {
        claimsOfThisProcess.delete(path);
      },
      save: (user) => {
        writeSecretFile(path, `${JSON.stringify(user, null, 2)}\n`);
        claimsOfThisProcess.delete(path);
        return path;
      },
    };
  };
  const claim = (creationKey: string): string => `${JSON.stringify({ pending: { creationKey, intermediary, pid: process.pid } } satisfies PendingUserFile)}\n`;
  // Written whole to a file of this process, then linked into place: link() fails if the name exists, so the claim
  // is exclusive and never seen empty by another `user create`.
  const creationKey = randomUUID();
  const temporary = `${path}.${process.pid}.claim`;
  writeSecretFile(temporary, claim(creationKey));
  try {
    linkSync(temporary, path);
    return handle(creationKey, false);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new CliError(`cannot create ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    rmSync(temporary, { force: true });
  }
  const pending = unfinishedCreation(path, name);
  if (pending === 'complete') throw new CliError(`the user '${name}' already exists in ${dir} (${path})`);
  if (pending.pid === process.pid ? claimsOfThisProcess.has(path) : processIsAlive(pending.pid)) {
    throw new CliError(`'ekrona user create --name ${name}' is running already (pid ${pending.pid}); wait for it to end`);
  }
  if (pending.intermediary !== intermediary) {
    throw new CliError(`the creation of '${name}' at intermediary ${pending.intermediary} was interrupted: finish it with 'ekrona user create --name ${name} --intermediary ${pending.intermediary}'`);
  }
  writeSecretFile(path, claim(pending.creationKey));
  return handle(pending.creationKey, true);
}

/** A user file's state: 'complete' (a saved user) or its unfinished creation. */
function unfinishedCreation(path: string, name: string): PendingUserFile['pending'] | 'complete' {
  let text: string;
  try {
    text = readSecretFile(path);
  } catch (error) {
    throw new CliError(`cannot read the user file ${path}: ${(error as Error).message}`, { cause: error });
  }
  // Only an older ekrona left a claim empty, while its request was out: whether it created the user is unknown.
  if (text.trim() === '') throw new CliError(`the user file ${path} is empty: an older 'ekrona user create' did not finish; delete it and run the command again`);
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a user file (not JSON): remove it to create the user '${name}' again`);
  }
  const pending = (file as Partial<PendingUserFile>).pending;
  if (pending && typeof pending.creationKey === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(pending.creationKey) && Number.isInteger(pending.intermediary) && Number.isInteger(pending.pid)) return pending;
  if (typeof (file as { token?: unknown }).token === 'string') return 'complete';
  throw new CliError(`${path} is neither a saved user nor an unfinished creation: remove it to create the user '${name}' again`);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` empty and owner-only, exclusively (a name claimed by a command that is about to create it); `exists` is the refusal when it is there already. */
function claimFile(path: string, exists: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(exists, { cause: error });
    throw new CliError(`cannot create ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** A saved user: its file as `ekrona user create` wrote it. */
export function loadUser(dir: string, name: string): UserFile {
  readUserFile(dir, name); // checks the name, the file's mode and its fields, with the messages of network-context
  return JSON.parse(readSecretFile(userFilePath(dir, name))) as UserFile;
}

/** A saved user and a client of its intermediary with its token (the client is loaded only by commands that call a service). */
export async function userClient(dir: string, name: string): Promise<{ user: UserFile; client: IntermediaryClient }> {
  const user = loadUser(dir, name);
  const { IntermediaryClient: Client } = await import('../server/client.ts');
  return { user, client: new Client(user.intermediaryUrl, { token: user.token }) };
}

/** A client of intermediary `id` with its admin token, as `ekrona network up` wrote it to network.json. */
export async function adminClient(dir: string, id: number): Promise<IntermediaryClient> {
  const entry = intermediaryOf(readNetwork(dir), id);
  const { IntermediaryClient: Client } = await import('../server/client.ts');
  return new Client(entry.url, { token: entry.adminToken });
}

// ------------------------------------------------------------------------------------------------- cards

export interface CardFile {
  name: string;
  user: string;
  role: 'USER' | 'MERCHANT';
  /** Hex, 8 bytes. */
  cardId: string;
  intermediary: number;
  /** The PC/SC reader of a physical card; absent for a simulated card. */
  reader?: string;
}

const cardsDir = (dir: string) => join(dir, 'cards');
const cardFilePath = (dir: string, name: string) => join(cardsDir(dir), `${name}.json`);
const stateFilePath = (dir: string, name: string) => join(cardsDir(dir), `${name}.state`);

/**
 * Claims a card name before a card is made under it: its card file, made empty, exclusively, so that of two
 * `card personalise` of one name at once the second is refused before it touches the card (else its failure would
 * throw away the state file of the card the first one made). `release` gives the name back and throws the unfinished
 * simulated card away; `save` writes the card file over the claim.
 */
export function claimCardName(dir: string, name: string): { release(): void; save(card: CardFile): void } {
  const path = cardFilePath(dir, name);
  mkdirSync(cardsDir(dir), { recursive: true, mode: 0o700 });
  claimFile(path, `the card '${name}' already exists in ${dir}`);
  return {
    release: () => {
      rmSync(stateFilePath(dir, name), { force: true });
      rmSync(path, { force: true });
    },
    save: (card) => saveCard(dir, card),
  };
}

export function loadCard(dir: string, name: string): CardFile {
  const path = cardFilePath(dir, name);
  if (!existsSync(path)) {
    const known = existsSync(cardsDir(dir)) ? readdirSync(cardsDir(dir)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    throw new CliError(`there is no card '${name}' in ${dir}${known.length ? ` (cards: ${known.join(', ')})` : ''}: personalise one with 'ekrona card personalise'`);
  }
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') throw new CliError(`the card file ${path} is empty: a 'card personalise' of it has not finished, or did not finish; if none is running, delete it and personalise the card again`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the card file ${path} is damaged: ${(error as Error).message}`, { cause: error });
  }
  const problem = cardFileProblem(json, name);
  if (problem !== undefined) throw new CliError(`the card file ${path} is damaged: ${problem} ('ekrona card personalise' writes it)`);
  return json as CardFile;
}

/** The first defect of a card file's JSON, or undefined. */
function cardFileProblem(json: unknown, name: string): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const file = json as Record<string, unknown>;
  if (file.name !== name) return `its name is ${JSON.stringify(file.name)}, not '${name}'`;
  if (typeof file.user !== 'string' || !NAME.test(file.user)) return 'user is not a user name';
  if (file.role !== 'USER' && file.role !== 'MERCHANT') return 'role is neither USER nor MERCHANT';
  if (typeof file.cardId !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(file.cardId)) return 'cardId is not 8 bytes of hex';
  if (!Number.isSafeInteger(file.intermediary) || (file.intermediary as number) < 1 || (file.intermediary as number) > 0xffffffff) return 'intermediary is not an intermediary id';
  if (file.reader !== undefined && (typeof file.reader !== 'string' || file.reader.length === 0)) return 'reader is not a reader name';
  return undefined;
}

export function saveCard(dir: string, card: CardFile): void {
  mkdirSync(cardsDir(dir), { recursive: true, mode: 0o700 });
  writeFileSync(cardFilePath(dir, card.name), `${JSON.stringify(card, null, 2)}\n`);
}

/**
 * Opens a card and selects the wallet: a simulated card from its state file (`blank`: a new card with the wallet
 * applet installed, refused when the state file exists), or the card in `reader`.
 */
export async function openCard(dir: string, name: string, options: { reader?: string; blank?: boolean } = {}): Promise<CardTransport> {
  const { openTransport } = await import('../transport/backend.ts');
  let transport: CardTransport;
  if (options.reader !== undefined) {
    transport = await openTransport({ kind: 'pcsc', reader: options.reader });
  } else {
    const stateFile = stateFilePath(dir, name);
    if (options.blank && existsSync(stateFile)) throw new CliError(`the card '${name}' already exists in ${dir} (${stateFile})`);
    if (!options.blank && !existsSync(stateFile)) throw new CliError(`the simulated card '${name}' has no memory file ${stateFile}`);
    mkdirSync(cardsDir(dir), { recursive: true, mode: 0o700 });
    transport = await openTransport({ kind: 'sim', card: name, stateFile, install: [{ className: WALLET_APPLET_CLASS, aid: WALLET_AID }] });
  }
  try {
    await selectWallet(transport);
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

/** Runs `body` with the saved card open; closes it (and its runner) whatever happens. */
export async function withCard<T>(dir: string, name: string, body: (card: CardTransport, file: CardFile) => Promise<T>): Promise<T> {
  const file = loadCard(dir, name);
  const transport = await openCard(dir, name, file.reader !== undefined ? { reader: file.reader } : {});
  try {
    return await body(transport, file);
  } finally {
    await transport.close();
  }
}
