// E-krona amounts on the command line: read as `SEK:12.50` (Taler's amount syntax, at most two decimals) into öre,
// the unit of the services and the card; printed as `SEK 12.50`.

import { type Amount, formatAmount, parseAmount, toMinorUnits } from '../codec/amount.ts';
import { UsageError } from './errors.ts';

/** The currency of the cards and the intermediaries' online wallets (counted in öre). */
const CURRENCY = 'SEK';
const MAX_AMOUNT = 0x7fffffff;

/** `SEK:12.50` -> 1250 öre; anything else is a usage error naming the option. */
export function parseSekAmount(text: string, label: string): { amount: Amount; ore: number } {
  const amount = parseAmount(text, label);
  if (amount.currency !== CURRENCY) throw new UsageError(`${label} must be in ${CURRENCY} (the online wallets hold e-krona), got ${amount.currency}`);
  const ore = toMinorUnits(amount);
  if (ore < 1) throw new UsageError(`${label} must be at least ${CURRENCY}:0.01`);
  if (ore > MAX_AMOUNT) throw new UsageError(`${label} must be at most ${formatAmount({ currency: CURRENCY, value: Math.floor(MAX_AMOUNT / 100), fraction: (MAX_AMOUNT % 100) * 1_000_000 }, 2)}`);
  return { amount, ore };
}

/** `1250` -> `SEK 12.50`; negative amounts keep their sign. */
export function formatOre(ore: number): string {
  const sign = ore < 0 ? '-' : '';
  const abs = Math.abs(ore);
  return `SEK ${sign}${Math.floor(abs / 100).toLocaleString('en-US').replace(/,/g, ' ')}.${String(abs % 100).padStart(2, '0')}`;
}
