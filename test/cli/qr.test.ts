// The terminal QR code: its symbol holds the text, and what the terminal shows is exactly that symbol.

import { describe, expect, it } from 'vitest';
import { CliError } from '../../host/src/cli/errors.ts';
import { qrMatrix, renderQr } from '../../host/src/cli/qr.ts';
import { otpauthUri } from '../../host/src/codec/totp.ts';

const URI = otpauthUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', issuer: 'Kaffe & Bullar', account: 'kassa-1' });

type Colour = 'black' | 'white' | undefined;

/**
 * Reads the ANSI half-block rendering back into a grid of colours, two rows per text line: a cell's top half is
 * the foreground colour for ▀ and █, else the background; its bottom half likewise for ▄ and █.
 */
function readTerminal(text: string): Colour[][] {
  const rows: Colour[][] = [];
  let fg: Colour;
  let bg: Colour;
  for (const line of text.split('\n')) {
    const top: Colour[] = [];
    const bottom: Colour[] = [];
    for (let i = 0; i < line.length; ) {
      const sgr = /^\x1b\[(\d+)m/.exec(line.slice(i));
      if (sgr !== null) {
        const n = Number(sgr[1]);
        if (n === 0) fg = bg = undefined;
        else if (n === 30) fg = 'black';
        else if (n === 37) fg = 'white';
        else if (n === 40) bg = 'black';
        else if (n === 47) bg = 'white';
        else throw new Error(`unexpected ANSI code ${n}`);
        i += sgr[0].length;
        continue;
      }
      const ch = line[i++];
      if (!' ▀▄█'.includes(ch)) throw new Error(`unexpected character ${JSON.stringify(ch)}`);
      top.push(ch === '▀' || ch === '█' ? fg : bg);
      bottom.push(ch === '▄' || ch === '█' ? fg : bg);
    }
    if (top.length > 0) rows.push(top, bottom);
  }
  return rows;
}

describe('QR codes for the terminal', () => {
  it('builds a symbol whose data segments hold the otpauth URI', () => {
    const m = qrMatrix(URI);
    expect(m.text).toBe(URI);
    expect(m.size).toBe(17 + 4 * m.version);
  });

  it('shows exactly the symbol, with a one-module white border, black on white', async () => {
    const m = qrMatrix(URI);
    const grid = readTerminal(await renderQr(URI));
    expect(grid).toHaveLength(m.size + 3); // rows -1 .. size + 1; the last half row is empty
    for (const row of grid) expect(row).toHaveLength(m.size + 2);
    for (let y = -1; y <= m.size; y++) {
      for (let x = -1; x <= m.size; x++) {
        const inside = x >= 0 && y >= 0 && x < m.size && y < m.size;
        const expected = inside && m.dark(x, y) ? 'black' : 'white';
        expect(grid[y + 1][x + 1], `module (${x}, ${y})`).toBe(expected);
      }
    }
    expect(grid[m.size + 2].every((c) => c === undefined)).toBe(true);
  });

  it('renders (size + 2) columns and (size + 3) / 2 lines: about 47 x 24 for an otpauth URI', async () => {
    const m = qrMatrix(URI);
    const lines = (await renderQr(URI)).split('\n').filter((l) => l.replace(/\x1b\[\d+m/g, '').length > 0);
    expect(lines).toHaveLength((m.size + 3) / 2);
    for (const line of lines) expect(line.replace(/\x1b\[\d+m/g, '')).toHaveLength(m.size + 2);
    expect(m.size + 2).toBeLessThanOrEqual(80);
  });

  it('differs for a different text (the rendering depends on the data)', async () => {
    expect(await renderQr(URI)).not.toBe(await renderQr(URI.replace('kassa-1', 'kassa-2')));
  });

  it('refuses an empty text and a text too long for any QR code', async () => {
    expect(() => qrMatrix('')).toThrow(new CliError('a QR code needs a non-empty text'));
    await expect(renderQr('x'.repeat(3000))).rejects.toThrow(/^cannot make a QR code of 3000 bytes: /);
  });
});
