// `ekrona otp ...`: inverted-TOTP payment confirmations on the merchant's offline device (no network needed).
//
//   ekrona otp codes   the five codes a payment answer carries (Taler's pos_confirmation), for a time and amount
//   ekrona otp verify  the merchant's check of a code the buyer shows

import { type Amount, CURRENCY_MINOR_DIGITS, formatAmount, parseAmount } from '../../codec/amount.ts';
import {
  assertCode,
  confirmationCodes,
  type OtpAlgorithm,
  parseOtpAlgorithm,
  stepStartSeconds,
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW_STEPS,
  totpStep,
  verifyCode,
  windowSteps,
} from '../../codec/totp.ts';
import type { Command, CommandContext, Group, OptionSpec } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { countOf } from '../output.ts';
import { formatTime, parseTime } from '../time.ts';
import { type DeviceKey, deviceKey, KEY_EXCLUSIVE, KEY_OPTIONS } from './otp-device.ts';

const EXAMPLE_KEY = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

export const otpGroup: Group = {
  path: ['otp'],
  summary: 'payment confirmation codes for an offline merchant device (inverted TOTP, GNU Taler compatible)',
  description:
    'When the buyer pays online and the merchant is offline, the merchant\'s backend answers the payment with five ' +
    'time-based codes (30 s steps around the payment time, optionally mixed with the amount paid). The merchant\'s ' +
    'offline device, holding the same key, checks the code the buyer shows. These commands are that device: they ' +
    'need no network. See docs/TOTP.md.',
};

const AMOUNT_OPTION: OptionSpec = {
  name: 'amount',
  type: 'string',
  placeholder: 'amount',
  description: 'the amount paid, CURRENCY:VALUE[.FRACTION]; mixes the price into the codes (TOTP_WITH_PRICE)',
  example: 'SEK:12.50',
};

const ALGORITHM_OPTION: OptionSpec = {
  name: 'algorithm',
  type: 'string',
  placeholder: 'name',
  description:
    'TOTP_WITHOUT_PRICE (1), TOTP_WITH_PRICE (2) or NONE (0), case ignored; by default the key file\'s otp_algorithm, ' +
    'else TOTP_WITH_PRICE with --amount and TOTP_WITHOUT_PRICE without',
  example: 'TOTP_WITH_PRICE',
};

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'print the result as JSON' };

function timeOption(description: string): OptionSpec {
  return {
    name: 'at',
    type: 'string',
    placeholder: 'time',
    description: `${description}: unix seconds or ISO 8601 with a time zone`,
    default: 'now',
    example: '2009-02-13T23:31:30Z',
  };
}

/** Which algorithm: --algorithm, else the key file's, else by the presence of --amount; checked against --amount. */
function resolveAlgorithm(ctx: CommandContext, device: DeviceKey, amount: Amount | undefined): OtpAlgorithm {
  const explicit = ctx.parsed('algorithm', (text, label) => parseOtpAlgorithm(text, label));
  if (explicit !== undefined && device.algorithm !== undefined && explicit !== device.algorithm) {
    throw new UsageError(`--algorithm ${explicit} contradicts the otp_algorithm ${device.algorithm} of ${device.source}`, ctx.command.path);
  }
  const algorithm = explicit ?? device.algorithm ?? (amount === undefined ? 'TOTP_WITHOUT_PRICE' : 'TOTP_WITH_PRICE');
  const why = explicit !== undefined ? '--algorithm' : device.algorithm !== undefined ? device.source : undefined;
  if (algorithm === 'TOTP_WITH_PRICE' && amount === undefined) {
    throw new UsageError(`--amount is required: ${why} says TOTP_WITH_PRICE, whose codes depend on the amount paid`, ctx.command.path);
  }
  if (algorithm !== 'TOTP_WITH_PRICE' && amount !== undefined) {
    throw new UsageError(
      `--amount is not used by ${algorithm} (${why}): leave it out, or use a TOTP_WITH_PRICE device`,
      ctx.command.path,
    );
  }
  return algorithm;
}

interface Inputs {
  readonly device: DeviceKey;
  readonly amount: Amount | undefined;
  readonly algorithm: OtpAlgorithm;
  readonly time: number;
  readonly timeIsNow: boolean;
}

function readInputs(ctx: CommandContext): Inputs {
  const amount = ctx.parsed('amount', (text, label) => parseAmount(text, label));
  const time = ctx.parsed('at', (text, label) => parseTime(text, label, ctx.now()));
  if (time === undefined) throw new Error('--at has a default');
  const device = deviceKey(ctx);
  const algorithm = resolveAlgorithm(ctx, device, amount);
  return { device, amount, algorithm, time, timeIsNow: ctx.option('at')?.value === 'now' };
}

/** An amount for people: with the currency's usual decimals (SEK:12.50); Taler's own form in JSON (SEK:12.5). */
function showAmount(amount: Amount): string {
  return formatAmount(amount, CURRENCY_MINOR_DIGITS[amount.currency] ?? 0);
}

function describeInputs(i: Inputs): string {
  const device = i.device.deviceId === undefined ? '' : `device ${i.device.deviceId}, `;
  return `${device}${i.algorithm}${i.amount === undefined ? '' : `, ${showAmount(i.amount)}`}`;
}

function offsetLabel(steps: number): string {
  if (steps === 0) return 'now';
  return `${steps > 0 ? '+' : '-'}${Math.abs(steps) * TOTP_PERIOD_SECONDS} s`;
}

export const otpCodes: Command = {
  path: ['otp', 'codes'],
  summary: "print the five confirmation codes for a time (Taler's pos_confirmation)",
  description:
    'Prints the codes for the 30-second steps C-2 .. C+2 around the time (C = the time\'s step), oldest first, one ' +
    'per line: exactly the pos_confirmation string a payment at that time carries. The third line is the code of the ' +
    'time itself. On a terminal each code is labelled with its offset; piped, the output is the bare codes.',
  options: [...KEY_OPTIONS, AMOUNT_OPTION, timeOption('the payment time'), ALGORITHM_OPTION, JSON_OPTION],
  exclusive: [KEY_EXCLUSIVE],
  examples: [
    { command: `ekrona otp codes --key ${EXAMPLE_KEY} --at 1234567890`, comment: 'codes of a payment at 2009-02-13T23:31:30Z' },
    { command: `ekrona otp codes --key ${EXAMPLE_KEY} --amount EUR:1.50 --at 2009-02-13T23:31:30Z`, comment: 'with the price mixed in' },
    { command: 'EKRONA_OTP_KEY=... ekrona otp codes --json', comment: 'the key from the environment, now, as JSON' },
    { command: 'ekrona otp codes --key-file kassa-1.json --amount SEK:12.50' },
  ],
  run(ctx) {
    const i = readInputs(ctx);
    const step = totpStep(i.time);
    const steps = windowSteps(step);
    const codes = confirmationCodes(i.device.key, i.algorithm, i.time, i.amount);
    if (ctx.flag('json')) {
      ctx.out.json({
        algorithm: i.algorithm,
        device_id: i.device.deviceId ?? null,
        amount: i.amount === undefined ? null : formatAmount(i.amount),
        time: i.time,
        time_iso: formatTime(i.time),
        step,
        steps: codes.length === 0 ? [] : steps,
        codes,
        pos_confirmation: codes.length === 0 ? null : codes.join('\n'),
      });
      return;
    }
    if (codes.length === 0) {
      ctx.out.note('algorithm NONE: a payment carries no confirmation codes');
      return;
    }
    if (!ctx.out.isTTY) {
      ctx.out.line(codes.join('\n'));
      return;
    }
    ctx.out.line(`Codes for ${formatTime(i.time)} (step ${step}; ${describeInputs(i)}):`);
    codes.forEach((code, n) => {
      const offset = n - TOTP_WINDOW_STEPS;
      const label = offset === 0 ? (i.timeIsNow ? 'now' : 'the given time') : offsetLabel(offset);
      ctx.out.line(`  ${code}  ${label}${offset === 0 ? '  <- the code for this time' : ''}`);
    });
  },
};

/** How far the device's clock is from the payment time, from the step offset of the matching code. */
export function clockSentence(stepOffset: number): string {
  if (stepOffset === 0) return 'device clock agrees with the payment time (same 30 s step)';
  const seconds = Math.abs(stepOffset) * TOTP_PERIOD_SECONDS;
  return `device clock is ${seconds} s ${stepOffset > 0 ? 'behind' : 'ahead of'} the payment (${countOf(Math.abs(stepOffset), 'step')} of ${TOTP_PERIOD_SECONDS} s)`;
}

export const otpVerify: Command = {
  path: ['otp', 'verify'],
  summary: 'check a code the buyer shows, on the offline merchant device',
  description:
    "Accepts when the code equals one of this device's codes for the steps D-2 .. D+2 around the device's time D " +
    '(--at, default now): with the middle code of the buyer\'s list typed in, a device clock from 60 s behind to 89 s ' +
    'ahead of the payment time is accepted. Prints "accepted" and how far the clock is off (exit 0), or the reason ' +
    'for refusing (exit 1). With a price-mixed key, type the amount the buyer paid; a wrong amount gives other codes.',
  options: [
    { name: 'code', type: 'string', placeholder: 'digits', description: 'the code the buyer shows (8 digits)', required: true, example: '89005924' },
    ...KEY_OPTIONS,
    AMOUNT_OPTION,
    timeOption("this device's time"),
    ALGORITHM_OPTION,
    JSON_OPTION,
  ],
  exclusive: [KEY_EXCLUSIVE],
  examples: [
    { command: `ekrona otp verify --code 89005924 --key ${EXAMPLE_KEY} --at 1234567830`, comment: 'accepted: the device clock is 60 s behind the payment' },
    { command: 'ekrona otp verify --code 70307993 --key-file kassa-1.json --amount EUR:1.50' },
  ],
  run(ctx) {
    const code = ctx.parsed('code', (text, label) => assertCode(text, label));
    if (code === undefined) throw new Error('--code is required');
    const i = readInputs(ctx);
    if (i.algorithm === 'NONE') throw new CliError(`${i.device.source} uses algorithm NONE: there are no codes to verify`);
    const result = verifyCode(i.device.key, i.algorithm, code, i.time, i.amount);
    // What --json prints either way: the code, the device's inputs and the device's own step.
    const checked = {
      code,
      algorithm: i.algorithm,
      device_id: i.device.deviceId ?? null,
      amount: i.amount === undefined ? null : formatAmount(i.amount),
      device_time: i.time,
      device_step: result.deviceStep,
    };
    if (result.accepted) {
      const clock = clockSentence(result.stepOffset);
      if (ctx.flag('json')) {
        ctx.out.json({
          accepted: true,
          ...checked,
          matched_step: result.step,
          step_offset: result.stepOffset,
          device_clock_offset_seconds: -result.stepOffset * TOTP_PERIOD_SECONDS,
        });
        return;
      }
      ctx.out.line(`accepted: ${code} is the code for ${formatTime(stepStartSeconds(result.step))} (step ${result.step}; ${describeInputs(i)})`);
      ctx.out.line(clock);
      return;
    }
    const from = formatTime(stepStartSeconds(result.firstStep));
    const to = formatTime(stepStartSeconds(result.lastStep) + TOTP_PERIOD_SECONDS - 1);
    const reason =
      `refused: ${code} is none of this device's codes from ${from} to ${to} (${describeInputs(i)}): ` +
      `a wrong code${i.amount === undefined ? '' : ' or amount'}, or a clock more than ${TOTP_WINDOW_STEPS} steps off`;
    if (ctx.flag('json')) {
      ctx.out.json({ accepted: false, ...checked, reason });
    }
    throw new CliError(reason);
  },
};
