// Where the OTP commands get the device key: --key, --key-file, or the environment variable EKRONA_OTP_KEY.
//
// A key file is the device's record as the backend's device registry keeps it (docs/TOTP.md):
//   { "otp_device_id": "kassa-1", "otp_key": "<base32>", "otp_algorithm": "TOTP_WITH_PRICE" }
// optionally with "otp_device_description" and "otp_ctr"; other fields are ignored.

import { readFileSync } from 'node:fs';
import { decodeOtpKey, type OtpAlgorithm, type OtpDeviceRecord, parseOtpDeviceRecord } from '../../codec/totp.ts';
import type { CommandContext, OptionSpec } from '../command.ts';
import { CliError } from '../errors.ts';

export const OTP_KEY_ENV = 'EKRONA_OTP_KEY';

/** The options that name the device key; shared by every command that computes codes. */
export const KEY_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'key',
    type: 'string',
    placeholder: 'base32',
    description: "the device key, RFC 4648 base32 (A-Z, 2-7; case ignored; at most two trailing '=')",
    env: OTP_KEY_ENV,
    example: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  },
  {
    name: 'key-file',
    type: 'string',
    placeholder: 'path',
    description:
      'a JSON file { "otp_device_id", "otp_key", "otp_algorithm" } holding the device key and its algorithm (see docs/TOTP.md)',
    example: 'kassa-1.json',
  },
];

export const KEY_EXCLUSIVE = { options: ['key', 'key-file'], required: true } as const;

export interface DeviceKey {
  /** The decoded key. */
  readonly key: Uint8Array;
  /** The algorithm the key file names, when the key came from a file. */
  readonly algorithm: OtpAlgorithm | undefined;
  /** The device id, when the key came from a file. */
  readonly deviceId: string | undefined;
  /** Where the key came from, for messages: `--key`, `EKRONA_OTP_KEY`, `key file 'kassa-1.json'`. */
  readonly source: string;
}

/** Reads and checks a key file. Unreadable or malformed files are failed operations (exit 1), named in the message. */
export function readKeyFile(path: string): OtpDeviceRecord {
  const name = `key file '${path}'`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new CliError(`cannot read ${name}: ${why}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${name} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseOtpDeviceRecord(json, name);
  } catch (err) {
    throw new CliError((err as Error).message, { cause: err });
  }
}

/** The device key named by the command line or the environment (the parser has checked that there is exactly one). */
export function deviceKey(ctx: CommandContext): DeviceKey {
  const path = ctx.string('key-file');
  if (path !== undefined) {
    const record = readKeyFile(path);
    return {
      key: decodeOtpKey(record.otp_key, `key file '${path}' otp_key`),
      algorithm: record.otp_algorithm,
      deviceId: record.otp_device_id,
      source: `key file '${path}'`,
    };
  }
  const option = ctx.option('key');
  const key = ctx.parsed('key', (text, label) => decodeOtpKey(text, label));
  if (key === undefined || option === undefined) throw new Error('the parser let a command run without a key');
  return { key, algorithm: undefined, deviceId: undefined, source: option.label };
}
