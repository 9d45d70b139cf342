// `ekrona otp device add|list|remove`: the merchant's offline devices at its intermediary (the device registry,
// `/private/otp-devices`, docs/TOTP.md), with the merchant's user token.
//
//   add     registers a device (the intermediary generates the key unless --key is given), saves the device's key
//           file (0600) that `ekrona otp codes|verify --key-file` read, prints the otpauth:// URI and its QR code
//   list    the merchant's devices
//   remove  deletes a device at the intermediary

import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { encodeBase32 } from '../../codec/base32.ts';
import { decodeOtpKey, OTP_ALGORITHMS, type OtpAlgorithm, type OtpDeviceRecord, otpauthUri, parseOtpAlgorithm } from '../../codec/totp.ts';
import type { Command, CommandContext, Group, OptionSpec } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { isServiceRefusal, NETWORK_EXCLUSIVE, NETWORK_OPTIONS, serviceFailure, type UserContext, userContext } from '../network-context.ts';

export const otpDeviceGroup: Group = {
  path: ['otp', 'device'],
  summary: "the merchant's offline devices at its intermediary: register, list, remove",
  description:
    "A device shares a key with the merchant's intermediary, which answers every online payment to the merchant with " +
    "the device's codes (pos_confirmation). These commands manage the merchant's devices with the merchant's user " +
    'token. See docs/TOTP.md.',
};

/** Device ids as the registry accepts them (host/src/server/intermediary/merchant-routes.ts). */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 64;

export function parseDeviceId(text: string, label: string): string {
  if (!DEVICE_ID.test(text)) {
    throw new UsageError(`${label} must be 1 to 64 letters, digits, '.', '_', '~' or '-', starting with a letter or digit, got '${text}'`);
  }
  return text;
}

const ID_OPTION: OptionSpec = { name: 'id', type: 'string', placeholder: 'device', description: "the device's id, unique among the merchant's devices", required: true, example: 'kassa-1' };
const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'print the result as JSON' };

function connect(ctx: CommandContext): Promise<UserContext> {
  return userContext(ctx);
}

/** Writes `text` to a new file with mode 0600; refuses to replace an existing file. */
function writeNewSecretFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The issuer shown by authenticator apps: the merchant's name (no ':', which separates issuer and account). */
function issuerOf(name: string): string {
  const cleaned = name.replace(/[:\u0000-\u001f\u007f]/g, ' ').trim();
  return cleaned.length > 0 ? cleaned : 'ekrona';
}

export const otpDeviceAdd: Command = {
  path: ['otp', 'device', 'add'],
  summary: "register an offline device at the merchant's intermediary, save its key file, show its QR code",
  description:
    'Registers the device under the merchant (the user of the token). Without --key the intermediary generates a ' +
    '20-byte key from a secure random source; it is answered once and saved in the key file (mode 0600), which ' +
    "'ekrona otp codes' and 'ekrona otp verify' read with --key-file. The key is also printed as an otpauth:// URI " +
    'and its QR code: with TOTP_WITHOUT_PRICE any RFC 6238 authenticator app (8 digits, 30 s, SHA1; e.g. FreeOTP+) ' +
    'that scans it becomes the device. With TOTP_WITH_PRICE the codes depend on the amount: use ekrona otp verify.',
  options: [
    ID_OPTION,
    { name: 'description', type: 'string', placeholder: 'text', description: 'what the device is, for people (up to 200 characters)', example: 'Till 1' },
    {
      name: 'algorithm',
      type: 'string',
      placeholder: 'name',
      description: 'TOTP_WITHOUT_PRICE (1), TOTP_WITH_PRICE (2: the amount paid is mixed into the codes) or NONE (0: no codes); case ignored',
      default: 'TOTP_WITHOUT_PRICE',
    },
    {
      name: 'key',
      type: 'string',
      placeholder: 'base32',
      description: 'register this key (RFC 4648 base32, at least 16 bytes) instead of a generated one; visible in the process list',
    },
    { name: 'key-out', type: 'string', placeholder: 'path', description: 'where to save the key file (mode 0600); an existing file is never replaced', default: '<id>.json' },
    { name: 'issuer', type: 'string', placeholder: 'name', description: "the issuer an authenticator app shows; default the merchant's name at the intermediary" },
    ...NETWORK_OPTIONS,
    JSON_OPTION,
  ],
  exclusive: NETWORK_EXCLUSIVE,
  examples: [
    { command: 'ekrona otp device add --id kassa-1 --description "Till 1" --user kaffe', comment: 'a generated key; kassa-1.json is the key file' },
    { command: 'EKRONA_INTERMEDIARY=http://127.0.0.1:8041 EKRONA_TOKEN=... ekrona otp device add --id kassa-2 --algorithm TOTP_WITH_PRICE --key-out kassa-2.json' },
  ],
  async run(ctx) {
    const id = ctx.parsed('id', parseDeviceId)!;
    const algorithm = ctx.parsed('algorithm', (text, label) => parseOtpAlgorithm(text, label))!;
    const description = ctx.string('description');
    if (description !== undefined && (description.length > 200 || /[\u0000-\u001f\u007f]/.test(description))) {
      throw new UsageError('--description must be at most 200 characters, without control characters', ctx.command.path);
    }
    const key = ctx.parsed('key', (text, label) => {
      const bytes = decodeOtpKey(text, label);
      if (bytes.length < MIN_KEY_BYTES) throw new UsageError(`${label} decodes to ${bytes.length} bytes: a device key has at least ${MIN_KEY_BYTES} (128 bits); leave --key out to have one generated`);
      if (bytes.length > MAX_KEY_BYTES) throw new UsageError(`${label} decodes to ${bytes.length} bytes: at most ${MAX_KEY_BYTES}`);
      return encodeBase32(bytes);
    });
    const keyOutOption = ctx.option('key-out')!;
    const keyOut = keyOutOption.source === 'default' ? `${id}.json` : (keyOutOption.value as string);
    // Checked before anything is registered: the key must have somewhere to go.
    if (existsSync(keyOut)) throw new CliError(`the key file ${keyOut} exists: it is never replaced (choose another --key-out, or move it away)`);
    const folder = dirname(resolve(keyOut));
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`cannot save the key file ${keyOut}: ${folder} is not a folder`);
    const issuerOption = ctx.string('issuer');
    if (issuerOption !== undefined && issuerOf(issuerOption) !== issuerOption) throw new UsageError("--issuer must not contain ':' or control characters", ctx.command.path);

    const user = await connect(ctx);
    let issuer = issuerOption;
    if (issuer === undefined) {
      try {
        issuer = issuerOf((await user.client.me()).name);
      } catch (error) {
        throw serviceFailure(error, `cannot read the merchant at ${user.url}`);
      }
    }
    let registeredKey: string;
    try {
      const generated = await user.client.addOtpDevice({ otp_device_id: id, otp_algorithm: algorithm, ...(description === undefined ? {} : { otp_device_description: description }), ...(key === undefined ? {} : { otp_key: key }) });
      if (key === undefined && generated === undefined) throw new CliError('the intermediary registered the device but answered no key');
      registeredKey = key ?? generated!.otp_key;
    } catch (error) {
      if (isServiceRefusal(error, 'otp-device-exists')) {
        throw new CliError(`the merchant already has a device ${id} (409 otp-device-exists): 'ekrona otp device remove --id ${id}' first to replace it`, { cause: error });
      }
      throw serviceFailure(error, `the intermediary refused the device ${id}`);
    }

    const record: OtpDeviceRecord = {
      otp_device_id: id,
      ...(description === undefined ? {} : { otp_device_description: description }),
      otp_key: registeredKey,
      otp_algorithm: algorithm,
    };
    const uri = algorithm === 'NONE' ? undefined : otpauthUri({ secret: registeredKey, issuer, account: id });
    let saveError: Error | undefined;
    try {
      writeNewSecretFile(keyOut, `${JSON.stringify(record, null, 2)}\n`);
    } catch (error) {
      saveError = error as Error;
    }
    if (ctx.flag('json')) {
      ctx.out.json({ otp_device_id: id, otp_algorithm: algorithm, otp_algorithm_number: OTP_ALGORITHMS.indexOf(algorithm), key_file: saveError ? null : keyOut, otpauth_uri: uri ?? null, key_generated: key === undefined });
    } else {
      ctx.out.line(`registered OTP device ${id} (${algorithm}) at ${user.url}`);
      if (!saveError) ctx.out.line(`key file: ${keyOut} (mode 0600; it holds the device's secret key: keep it on the device only)`);
      if (uri !== undefined) {
        ctx.out.line('');
        ctx.out.line(uri);
        const qr = await (await import('../qr.ts')).renderQr(uri);
        ctx.out.write(qr.endsWith('\n') ? qr : `${qr}\n`);
        ctx.out.line(withPriceNote(algorithm, keyOut));
      } else {
        ctx.out.line('algorithm NONE: payments to this device carry no confirmation codes');
      }
    }
    if (saveError) {
      // The device is registered; its key is in the URI printed above (for NONE: nowhere, and unused).
      throw new CliError(`the device ${id} is registered, but its key file ${keyOut} could not be written (${saveError.message}): copy the secret from the otpauth:// URI above`);
    }
  },
};

function withPriceNote(algorithm: OtpAlgorithm, keyOut: string): string {
  return algorithm === 'TOTP_WITH_PRICE'
    ? `TOTP_WITH_PRICE: an authenticator app would show codes without the price; check codes with 'ekrona otp verify --key-file ${keyOut} --amount <amount paid> --code <code>'`
    : 'scan it with an RFC 6238 authenticator (8 digits, 30 s, SHA1), or check codes with ' + `'ekrona otp verify --key-file ${keyOut} --code <code>'`;
}

export const otpDeviceList: Command = {
  path: ['otp', 'device', 'list'],
  summary: "list the merchant's offline devices at its intermediary",
  options: [...NETWORK_OPTIONS, JSON_OPTION],
  exclusive: NETWORK_EXCLUSIVE,
  examples: [{ command: 'ekrona otp device list --user kaffe' }],
  async run(ctx) {
    const user = await connect(ctx);
    const devices: Array<{ otp_device_id: string; device_description: string; otp_algorithm: OtpAlgorithm }> = [];
    try {
      for (const d of (await user.client.otpDevices()).otp_devices) {
        const details = await user.client.otpDevice(d.otp_device_id);
        devices.push({ ...d, otp_algorithm: OTP_ALGORITHMS[details.otp_algorithm] ?? 'NONE' });
      }
    } catch (error) {
      throw serviceFailure(error, `cannot list the devices at ${user.url}`);
    }
    if (ctx.flag('json')) {
      ctx.out.json({ otp_devices: devices });
      return;
    }
    if (devices.length === 0) {
      ctx.out.note("no OTP devices: register one with 'ekrona otp device add --id <id>'");
      return;
    }
    const width = Math.max(...devices.map((d) => d.otp_device_id.length));
    for (const d of devices) ctx.out.line(`${d.otp_device_id.padEnd(width)}  ${d.otp_algorithm.padEnd(18)}  ${d.device_description}`.trimEnd());
  },
};

export const otpDeviceRemove: Command = {
  path: ['otp', 'device', 'remove'],
  summary: "delete an offline device at the merchant's intermediary (payments carry its codes no more)",
  options: [ID_OPTION, ...NETWORK_OPTIONS],
  exclusive: NETWORK_EXCLUSIVE,
  examples: [{ command: 'ekrona otp device remove --id kassa-1 --user kaffe' }],
  async run(ctx) {
    const id = ctx.parsed('id', parseDeviceId)!;
    const user = await connect(ctx);
    try {
      await user.client.deleteOtpDevice(id);
    } catch (error) {
      throw serviceFailure(error, `cannot remove the device ${id}`);
    }
    ctx.out.line(`removed OTP device ${id} at ${user.url} (its key file, if any, is yours to delete)`);
  },
};
