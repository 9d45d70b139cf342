// QR codes in the terminal, e.g. to provision an RFC 6238 app with an otpauth:// URI (`ekrona otp device add`).
//
// The symbol is built by the `qrcode` package (`QRCode.create`) and printed by its terminal renderer in the small
// form: two modules per character cell (half blocks), black on an explicit white background, so it scans on dark
// and light terminals alike; a one-module white border surrounds it.

import QRCode from 'qrcode';
import { CliError } from './errors.ts';

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

export interface QrMatrix {
  /** QR version 1..40. */
  readonly version: number;
  /** Modules per side. */
  readonly size: number;
  /** True for a dark module at column x, row y (0-based). */
  dark(x: number, y: number): boolean;
  /** The text the symbol's data segments hold, decoded back (byte segments as UTF-8). */
  readonly text: string;
}

function create(text: string, errorCorrectionLevel: QrErrorCorrection): QRCode.QRCode {
  if (typeof text !== 'string' || text.length === 0) throw new CliError('a QR code needs a non-empty text');
  try {
    return QRCode.create(text, { errorCorrectionLevel });
  } catch (err) {
    throw new CliError(`cannot make a QR code of ${Buffer.byteLength(text)} bytes: ${(err as Error).message}`, { cause: err });
  }
}

/** The text held by a symbol's segments, read back from the segments themselves. */
function segmentsText(qr: QRCode.QRCode): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return qr.segments
    .map((segment) => {
      const data = (segment as unknown as { data: unknown }).data;
      if (typeof data === 'string') return data; // numeric, alphanumeric
      if (data instanceof Uint8Array) return decoder.decode(data); // byte
      throw new CliError(`unexpected QR segment mode ${segment.mode.id}`);
    })
    .join('');
}

/** The module matrix of `text` (error correction M unless given). */
export function qrMatrix(text: string, errorCorrectionLevel: QrErrorCorrection = 'M'): QrMatrix {
  const qr = create(text, errorCorrectionLevel);
  const { size, data } = qr.modules;
  return {
    version: qr.version,
    size,
    dark: (x, y) => x >= 0 && y >= 0 && x < size && y < size && data[y * size + x] === 1,
    text: segmentsText(qr),
  };
}

/**
 * `text` as a QR code for a terminal: (size + 2) columns by ceil((size + 2) / 2) lines, with ANSI colours.
 * Print it as is, followed by the text itself for people who cannot scan.
 */
export async function renderQr(text: string, errorCorrectionLevel: QrErrorCorrection = 'M'): Promise<string> {
  create(text, errorCorrectionLevel); // same checks and messages as qrMatrix
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel });
}
