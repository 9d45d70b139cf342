// `ekrona pay-online`: the buyer's side of an inverted-TOTP payment (docs/TOTP.md). The buyer pays a merchant of
// the same intermediary from its online wallet; the intermediary answers with the merchant device's codes for the
// payment's time and amount, which this command prints large, the one for now marked, for the merchant to compare
// with its offline device (`ekrona otp verify`, or an authenticator app).

import { randomUUID } from 'node:crypto';
import { formatAmount } from '../../codec/amount.ts';
import { parseSekAmount } from '../money.ts';
import { TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS } from '../../codec/totp.ts';
import type { OnlinePayment } from '../../server/merchant-api.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { isUnreachable, NETWORK_EXCLUSIVE, NETWORK_OPTIONS, savedUserId, serviceFailure, userContext } from '../network-context.ts';
import { formatTime } from '../time.ts';
import { parseDeviceId } from './otp-registry.ts';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// Digits five rows high, for the code the merchant is shown.
const BIG: Record<string, readonly string[]> = {
  '0': ['████', '█  █', '█  █', '█  █', '████'],
  '1': ['  █ ', ' ██ ', '  █ ', '  █ ', ' ███'],
  '2': ['████', '   █', '████', '█   ', '████'],
  '3': ['████', '   █', ' ███', '   █', '████'],
  '4': ['█  █', '█  █', '████', '   █', '   █'],
  '5': ['████', '█   ', '████', '   █', '████'],
  '6': ['████', '█   ', '████', '█  █', '████'],
  '7': ['████', '   █', '  █ ', ' █  ', ' █  '],
  '8': ['████', '█  █', '████', '█  █', '████'],
  '9': ['████', '█  █', '████', '   █', '████'],
};

/** `code` in big digits, a wider gap after the fourth: five lines. */
export function bigDigits(code: string): string[] {
  const rows: string[] = [];
  for (let row = 0; row < 5; row++) {
    rows.push(
      [...code]
        .map((d, i) => (i === 4 ? '   ' : '') + (BIG[d]?.[row] ?? '    '))
        .join(' ')
        .trimEnd(),
    );
  }
  return rows;
}

export const payOnline: Command = {
  path: ['pay-online'],
  summary: "pay a merchant from the online wallet and show the merchant's confirmation codes",
  description:
    'The buyer (the user of the token) pays --amount from its online wallet to the merchant, a user of the same ' +
    "intermediary (payments to another intermediary's users are not supported). The intermediary answers with the " +
    "codes of the merchant's offline device for the payment's time and amount (Taler's pos_confirmation): the code " +
    "for the payment time is shown large; the merchant's device accepts it while the device's clock is from about " +
    '60 s behind to 89 s ahead of the payment time. Each run is one payment (the request carries an idempotency key, ' +
    'so the one retry after an unanswered request cannot pay twice).',
  options: [
    { name: 'merchant', type: 'string', placeholder: 'user', description: "the merchant's user id at the intermediary, or a user name saved in <dir>/users", required: true, example: 'kaffe' },
    { name: 'amount', type: 'string', placeholder: 'amount', description: 'the amount, SEK:VALUE with at most 2 decimals', required: true, example: 'SEK:12.50' },
    { name: 'device', type: 'string', placeholder: 'id', description: 'the merchant device to confirm to; needed only when the merchant has several', example: 'kassa-1' },
    ...NETWORK_OPTIONS,
    { name: 'json', type: 'boolean', description: 'print the payment as JSON (with "codes", the five codes)' },
  ],
  exclusive: NETWORK_EXCLUSIVE,
  examples: [
    { command: 'ekrona pay-online --merchant kaffe --amount SEK:12.50 --user alice', comment: 'users saved by ekrona user create in .ekrona/users' },
    { command: 'EKRONA_INTERMEDIARY=http://127.0.0.1:8041 EKRONA_TOKEN=... ekrona pay-online --merchant 3f0c...-... --amount SEK:12.50 --device kassa-1' },
  ],
  async run(ctx) {
    const { amount, ore } = ctx.parsed('amount', parseSekAmount)!;
    const device = ctx.parsed('device', parseDeviceId);
    const merchantText = ctx.string('merchant')!;
    let merchant: string;
    if (UUID.test(merchantText)) merchant = merchantText.toLowerCase();
    else {
      const saved = savedUserId(ctx, merchantText);
      if (saved === undefined) throw new UsageError(`--merchant must be a user id (a UUID) or the name of a user saved in ${ctx.string('dir')}/users, got '${merchantText}'`, ctx.command.path);
      merchant = saved;
    }
    const user = await userContext(ctx);
    const request = { merchant, amount: ore, ...(device === undefined ? {} : { otp_device_id: device }) };
    // One idempotency key for this payment: a retry after a lost answer answers the same payment.
    const key = randomUUID();
    let paid: OnlinePayment;
    try {
      try {
        paid = await user.client.payOnline(request, key);
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        paid = await user.client.payOnline(request, key);
      }
    } catch (error) {
      throw serviceFailure(error, `the intermediary refused the payment of ${formatAmount(amount, 2)}`);
    }
    const codes = paid.pos_confirmation === undefined ? [] : paid.pos_confirmation.split('\n');
    if (ctx.flag('json')) {
      ctx.out.json({ ...paid, codes });
      return;
    }
    ctx.out.line(`paid ${paid.price} to merchant ${paid.merchant} at ${formatTime(paid.time)} (payment ${paid.paymentId})`);
    if (codes.length === 0) {
      ctx.out.line(
        paid.otp_device_id === null
          ? 'the merchant has no OTP device: no confirmation codes; the merchant checks the payment online'
          : `the merchant's device ${paid.otp_device_id} uses NONE: no confirmation codes; the merchant checks the payment online`,
      );
      return;
    }
    const now = codes[TOTP_WINDOW_STEPS];
    ctx.out.line(`show the merchant this code (device ${paid.otp_device_id}, ${paid.otp_algorithm}${paid.otp_algorithm === 'TOTP_WITH_PRICE' ? `, ${paid.price}` : ''}):`);
    ctx.out.line('');
    for (const row of bigDigits(now)) ctx.out.line(`    ${row}`);
    ctx.out.line('');
    ctx.out.line(`    ${now}`);
    ctx.out.line('');
    ctx.out.line('all five codes (any one is accepted by the device while its clock is within two steps of it):');
    codes.forEach((code, n) => {
      const offset = n - TOTP_WINDOW_STEPS;
      const label = offset === 0 ? 'now  <- the code for the payment time' : `${offset > 0 ? '+' : '-'}${Math.abs(offset) * TOTP_PERIOD_SECONDS} s`;
      ctx.out.line(`  ${code}  ${label}`);
    });
  },
};
