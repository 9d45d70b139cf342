// Secrets on disk: a service's private key (`<dir>/key.pem`) and its admin token (`<dir>/admin-token`).
//
// Both are created with mode 0600 (owner read/write only) and refused when anyone else may read them: a key or
// token that others can read must be assumed known, and a service that starts with it anyway hides the problem.
// Files are written to a temporary name and renamed, so a crash never leaves half a key.

import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type SigningKey, signingKeyFromPem, signingKeyToPem } from './signatures.ts';

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/** Writes `content` to `path` with mode 0600, durably (fsync, then rename over any old file). */
export function writeSecretFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, 0o600); // the umask may have removed bits, never added: make it exact
  renameSync(temporary, path);
}

/** Reads a secret file, refusing one that group or others may read or write (mode & 0o077). */
export function readSecretFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (cause) {
    throw new KeyFileError(`The secret file ${path} cannot be read: ${(cause as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError(
      `The secret file ${path} has mode ${(mode & 0o777).toString(8).padStart(3, '0')}: others may read it; run chmod 600 on it (and consider the secret leaked).`,
    );
  }
  return readFileSync(path, 'utf8');
}

/** A fresh P-256 signing key. */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signingKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}

/** The service's key in `<dir>/key.pem`: created on first start, checked (0600, a P-256 key) on every start. */
export function loadOrCreateServiceKey(dir: string): SigningKey {
  const path = join(dir, 'key.pem');
  if (!existsSync(path)) {
    const key = generateSigningKey();
    writeSecretFile(path, signingKeyToPem(key));
    return key;
  }
  const pem = readSecretFile(path);
  try {
    return signingKeyFromPem(pem);
  } catch (cause) {
    throw new KeyFileError(`The key file ${path} does not hold an ECDSA P-256 private key (PKCS#8 PEM): ${(cause as Error).message}`);
  }
}

/** A new bearer token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex of a token: what the databases keep instead of the token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two tokens in time independent of where they differ. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(tokenHash(a), 'hex');
  const y = Buffer.from(tokenHash(b), 'hex');
  return timingSafeEqual(x, y);
}

/** The admin token in `<dir>/admin-token`: created on first start (0600), checked on every start. */
export function loadOrCreateAdminToken(dir: string): string {
  const path = join(dir, 'admin-token');
  if (!existsSync(path)) {
    const token = newToken();
    writeSecretFile(path, `${token}\n`);
    return token;
  }
  const token = readSecretFile(path).trim();
  if (token.length < 16) throw new KeyFileError(`The admin token in ${path} is shorter than 16 characters.`);
  return token;
}
