// Where the commands that talk to an intermediary find it, and whose token they use:
//
//   --intermediary <url> (env EKRONA_INTERMEDIARY) and --token <token> (env EKRONA_TOKEN), or
//   --user <name> [--dir <folder>]: the user file <dir>/users/<name>.json, as `ekrona user create` saves it, with
//     { "userId", "token", and the intermediary as "intermediaryUrl" (or "url"), or "intermediary": a URL, or an
//     intermediary id looked up in <dir>/network.json (written by `ekrona network up`) }.
//
// The user file holds a bearer token: it is refused when group or others may read it (chmod 600), like every secret
// file of the project (host/src/server/keys.ts). Prefer it, or EKRONA_TOKEN, to --token: a token on the command line
// is visible in the process list and the shell history.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntermediaryClient, ServiceRequestError } from '../server/client.ts';
import { KeyFileError, readSecretFile } from '../server/keys.ts';
import { type NetworkFile, NetworkError, networkFilePath, readNetworkFile } from '../server/network-file.ts';
import type { CommandContext, ExclusiveOptions, OptionSpec } from './command.ts';
import { CliError, UsageError } from './errors.ts';

export const INTERMEDIARY_ENV = 'EKRONA_INTERMEDIARY';
export const TOKEN_ENV = 'EKRONA_TOKEN';
export const DIR_ENV = 'EKRONA_DIR';
export const DEFAULT_DIR = '.ekrona';

/** The options of every command that calls an intermediary as a user. */
export const NETWORK_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'intermediary',
    type: 'string',
    placeholder: 'url',
    description: "the intermediary's URL (not with --user, whose file names it)",
    env: INTERMEDIARY_ENV,
    example: 'http://127.0.0.1:8041',
  },
  {
    name: 'token',
    type: 'string',
    placeholder: 'token',
    description: "the user's bearer token; prefer EKRONA_TOKEN or --user, as a --token is visible in the process list",
    env: TOKEN_ENV,
  },
  {
    name: 'user',
    type: 'string',
    placeholder: 'name',
    description: 'a user saved by `ekrona user create`: <dir>/users/<name>.json gives the intermediary, the token and the user id',
    example: 'kaffe',
  },
  {
    name: 'dir',
    type: 'string',
    placeholder: 'folder',
    description: 'the network folder of `ekrona network up`, where --user looks for users/<name>.json',
    env: DIR_ENV,
    default: DEFAULT_DIR,
  },
];

/** --user or --token (--user with --intermediary on the command line is refused by `userContext`). */
export const NETWORK_EXCLUSIVE: readonly ExclusiveOptions[] = [{ options: ['user', 'token'] }];

export interface UserContext {
  readonly client: IntermediaryClient;
  readonly url: string;
  /** The user id, when known without asking (from a user file). */
  readonly userId: string | undefined;
  /** How the user was named, for messages: `--user kaffe`, `EKRONA_TOKEN`. */
  readonly source: string;
}

/** A user or card name: they name files (letters, digits, '.', '_', '-'; 1 to 64, not starting with a symbol). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function readJson(path: string, what: string, secret: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = secret ? readSecretFile(path) : readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof KeyFileError) throw new CliError(`${what}: ${error.message}`, { cause: error });
    throw new CliError(`cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (text.trim() === '') {
    throw new CliError(`${what} ${path} is empty: the command that writes it did not finish (for a user file, 'ekrona user create'); delete it and run that command again`);
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
    return json as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${what} ${path} is not a JSON object: ${(error as Error).message}`, { cause: error });
  }
}

/** `dir`'s network.json checked (undefined when there is none); a damaged or exposed one is refused in one line. */
export function networkFileIn(dir: string): NetworkFile | undefined {
  try {
    return readNetworkFile(dir);
  } catch (error) {
    if (error instanceof KeyFileError) throw new CliError(`the network file: ${error.message}`, { cause: error });
    if (error instanceof NetworkError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}

/** The URL without trailing slashes; a CliError naming `label` when it is not http(s) (the caller makes it a usage error for an option). */
function checkUrl(text: string, label: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new CliError(`${label} must be an http:// or https:// URL, got '${text}'`);
  return text.replace(/\/+$/, '');
}

/** The path of a saved user's file, `<dir>/users/<name>.json`. */
export function userFilePath(dir: string, name: string): string {
  return join(dir, 'users', `${name}.json`);
}

/** A saved user: its file read and checked (0600, token and intermediary present). */
export function readUserFile(dir: string, name: string): { url: string; token: string; userId: string | undefined } {
  if (!NAME.test(name)) throw new UsageError(`--user must be a user name of letters, digits, '.', '_' and '-' (1 to 64), got '${name}'`);
  const path = userFilePath(dir, name);
  if (!existsSync(path)) throw new CliError(`there is no user '${name}' in ${dir}: ${path} does not exist (made by 'ekrona user create')`);
  const file = readJson(path, `the user file of '${name}'`, true);
  const pending = file.pending as { intermediary?: unknown } | undefined;
  if (pending !== undefined && typeof file.token !== 'string') {
    throw new CliError(`the creation of user '${name}' was interrupted before its token was saved: finish it with 'ekrona user create --name ${name} --intermediary ${String(pending.intermediary)}'`);
  }
  if (typeof file.token !== 'string' || file.token.length === 0) throw new CliError(`the user file ${path} has no token`);
  let url: string | undefined;
  for (const field of ['intermediaryUrl', 'url', 'intermediary']) {
    if (typeof file[field] === 'string') {
      url = checkUrl(file[field] as string, `${field} in ${path}`);
      break;
    }
  }
  if (url === undefined && typeof file.intermediary === 'number') {
    const networkPath = networkFilePath(dir);
    const network = networkFileIn(dir);
    if (!network) throw new CliError(`the user file ${path} names intermediary ${file.intermediary}, but ${networkPath} does not exist (is the network up?)`);
    const entry = network.intermediaries.find((im) => im.id === file.intermediary);
    if (!entry) throw new CliError(`${networkPath} has no intermediary ${file.intermediary}`);
    url = checkUrl(entry.url, `the url of intermediary ${file.intermediary} in ${networkPath}`);
  }
  if (url === undefined) throw new CliError(`the user file ${path} names no intermediary (intermediaryUrl, url or intermediary)`);
  return { url, token: file.token, userId: typeof file.userId === 'string' ? file.userId : undefined };
}

/** The typed client, loaded only by the commands that call a service (the offline commands start faster without it). */
async function clientFor(url: string, token: string): Promise<IntermediaryClient> {
  const { IntermediaryClient: Client } = await import('../server/client.ts');
  return new Client(url, { token });
}

/** The intermediary and the user of the command line (see the top of this file). */
export async function userContext(ctx: CommandContext): Promise<UserContext> {
  const name = ctx.string('user');
  if (name !== undefined) {
    if (ctx.option('intermediary')?.source === 'argv') throw new UsageError('give only one of --user, --intermediary (the user file names the intermediary)', ctx.command.path);
    const dir = ctx.string('dir') ?? DEFAULT_DIR;
    const user = readUserFile(dir, name);
    return { client: await clientFor(user.url, user.token), url: user.url, userId: user.userId, source: `--user ${name}` };
  }
  const intermediary = ctx.option('intermediary');
  const token = ctx.option('token');
  if (intermediary === undefined || token === undefined) {
    const missing = intermediary === undefined ? `--intermediary <url> (or ${INTERMEDIARY_ENV})` : `--token <token> (or ${TOKEN_ENV})`;
    throw new UsageError(`missing ${missing}: name the intermediary and the user's token, or a saved user with --user <name>`, ctx.command.path);
  }
  const url = ctx.parsed('intermediary', (text, label) => checkUrl(text, label))!;
  const value = token.value as string;
  if (!/^[A-Za-z0-9._~+/=-]{16,200}$/.test(value)) throw new UsageError(`${token.label} is not a bearer token (16 to 200 characters of A-Z a-z 0-9 . _ ~ + / = -)`, ctx.command.path);
  return { client: await clientFor(url, value), url, userId: undefined, source: token.label };
}

/** A saved user's id, for naming a merchant by its user name (`--merchant kaffe`); undefined when no such file. */
export function savedUserId(ctx: CommandContext, name: string): string | undefined {
  if (!NAME.test(name)) return undefined;
  const dir = ctx.string('dir') ?? DEFAULT_DIR;
  if (!existsSync(userFilePath(dir, name))) return undefined;
  const path = userFilePath(dir, name);
  const file = readJson(path, `the user file of '${name}'`, false);
  if (typeof file.userId !== 'string') throw new CliError(`the user file ${path} has no userId`);
  return file.userId;
}

/** A service's refusal as one line, `<what>: <the service's reason> (<status> <code>)` (exit 1); other errors as they are. */
export function serviceFailure(error: unknown, what: string): unknown {
  if (isServiceRefusal(error)) return new CliError(`${what}: ${error.reason.replace(/\.$/, '')} (${error.status} ${error.code})`, { cause: error });
  return error;
}

/** True for a service's refusal (client.ts ServiceRequestError), with `code` if given. */
export function isServiceRefusal(error: unknown, code?: string): error is ServiceRequestError {
  return error instanceof Error && error.name === 'ServiceRequestError' && (code === undefined || (error as ServiceRequestError).code === code);
}

/** True when the request never reached the service: its connection was refused, so the service did nothing. */
export function neverReached(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  return false;
}

/** True when the service did not answer (client.ts ServiceUnreachable). */
export function isUnreachable(error: unknown): boolean {
  return error instanceof Error && error.name === 'ServiceUnreachable';
}
