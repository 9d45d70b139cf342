// network.json, the file `ekrona network up` writes (owner-only: it holds the admin tokens), read and checked field by
// field. Kept apart from network.ts so that the CLI reads it without loading the services.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Liquidity } from './api.ts';
import { readSecretFile } from './keys.ts';

export class NetworkError extends Error {
  override name = 'NetworkError';
}

export interface NetworkService {
  url: string;
  dir: string;
  adminToken: string;
  /** The process, when started by networkUp. */
  pid?: number;
}

export interface NetworkFile {
  dir: string;
  liquidity: Liquidity;
  centralBank: NetworkService & { rootPublicKey: string };
  intermediaries: Array<NetworkService & { id: number; name: string }>;
  startedAt: string;
}

export const centralBankDir = (dir: string) => join(dir, 'central-bank');
export const networkFilePath = (dir: string) => join(dir, 'network.json');

/** True when `dir` holds a network's data (a central bank folder made by networkUp), running or not. */
export function hasNetworkData(dir: string): boolean {
  return existsSync(join(centralBankDir(dir), 'config.json'));
}

/** Why there is no network.json in `dir`: never started there, or stopped (its data kept). */
export function noNetworkReason(dir: string): string {
  return hasNetworkData(dir) ? `The network in ${dir} is stopped (its data is kept).` : `No network was started in ${dir} (no network.json).`;
}

/**
 * The network.json of `dir` (undefined when there is none), checked field by field: a damaged file (cut short,
 * edited by hand) is refused with a NetworkError naming the file and its first defect, never half used.
 */
export function readNetworkFile(dir: string): NetworkFile | undefined {
  const path = networkFilePath(dir);
  if (!existsSync(path)) return undefined;
  return parseNetworkFile(readSecretFile(path), path);
}

/** network.json's text checked and typed; `path` names it in the refusal. */
export function parseNetworkFile(text: string, path: string): NetworkFile {
  const problem = networkFileProblem(text);
  if (problem !== undefined) {
    throw new NetworkError(
      `${path} is damaged (${problem}). 'ekrona network up' writes it: 'ekrona network down' still stops the services the folder's service.json files name, and the next 'network up' writes it again (the data is kept).`,
    );
  }
  return JSON.parse(text) as NetworkFile;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function serviceProblem(v: unknown, label: string): string | undefined {
  if (!isObject(v)) return `${label} is not an object`;
  for (const field of ['url', 'dir', 'adminToken']) if (!isText(v[field])) return `${label}.${field} is not a text`;
  if (!/^https?:\/\//.test(v.url as string)) return `${label}.url is not an http:// URL`;
  if (v.pid !== undefined && !(Number.isSafeInteger(v.pid) && (v.pid as number) > 0)) return `${label}.pid is not a process id`;
  return undefined;
}

/** The first defect of a network.json text, or undefined. */
function networkFileProblem(text: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (!isObject(json)) return 'not a JSON object';
  if (!isText(json.dir)) return 'dir is not a text';
  if (json.liquidity !== 'pending' && json.liquidity !== 'pool') return 'liquidity is neither pending nor pool';
  const cb = serviceProblem(json.centralBank, 'centralBank');
  if (cb !== undefined) return cb;
  if (!isText((json.centralBank as Record<string, unknown>).rootPublicKey)) return 'centralBank.rootPublicKey is not a text';
  if (!Array.isArray(json.intermediaries) || json.intermediaries.length === 0) return 'intermediaries is not a list of services';
  for (const [i, im] of json.intermediaries.entries()) {
    const problem = serviceProblem(im, `intermediaries[${i}]`);
    if (problem !== undefined) return problem;
    const { id, name } = im as Record<string, unknown>;
    if (!(Number.isSafeInteger(id) && (id as number) > 0)) return `intermediaries[${i}].id is not an intermediary id`;
    if (typeof name !== 'string') return `intermediaries[${i}].name is not a text`;
  }
  if (typeof json.startedAt !== 'string') return 'startedAt is not a text';
  return undefined;
}
