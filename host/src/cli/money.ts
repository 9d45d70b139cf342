// E-krona amounts as the CLI prints them: öre (the services' and the card's unit) as `SEK 12.50`.

/** `1250` -> `SEK 12.50`; negative amounts keep their sign. */
export function formatOre(ore: number): string {
  const sign = ore < 0 ? '-' : '';
  const abs = Math.abs(ore);
  return `SEK ${sign}${Math.floor(abs / 100).toLocaleString('en-US').replace(/,/g, ' ')}.${String(abs % 100).padStart(2, '0')}`;
}
