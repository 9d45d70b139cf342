// The CLI's errors and how any error is reported: `ekrona: <one-line reason>` on stderr and an exit code.
//
// Exit codes: 0 success, 1 a failed operation (a refused code, a card's refusal, an unreadable file), 2 a usage error
// (unknown option, missing value, malformed value). Errors of our own layers (any subclass of Error other than the
// built-in ones: TotpError, AmountError, TransportError...) are expected: one line, no stack trace. A built-in
// error (TypeError, RangeError...) escaping a command is a bug: "internal error", with the stack trace.

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failed operation: printed as `ekrona: <message>`, exit 1. `sw` is the card's status word, if one answered. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number = EXIT_FAILURE;
  readonly sw: number | undefined;
  constructor(message: string, options?: { cause?: unknown; sw?: number }) {
    super(message, options);
    this.sw = options?.sw;
  }
}

/** The command line itself is wrong: printed with a pointer to the relevant help, exit 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  override readonly exitCode: number = EXIT_USAGE;
  /** The command path whose help explains the right usage ([] for the top level). */
  readonly helpPath: readonly string[];
  constructor(message: string, helpPath: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.helpPath = helpPath;
  }
}

const BUILT_IN_ERRORS: readonly Function[] = [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
];

/** True for an error of one of our layers (an Error subclass), false for built-in errors and non-errors. */
export function isExpectedError(err: unknown): err is Error {
  return err instanceof Error && !BUILT_IN_ERRORS.includes(err.constructor);
}

/** Four upper-case hex digits of a status word. */
export function swText(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export interface ErrorReport {
  /** What goes to stderr, without the trailing newline (one line, except the stack trace of an internal error). */
  readonly text: string;
  readonly exitCode: number;
}

/** How `err` is printed by `program` ("ekrona") and which exit code it gives. */
export function describeError(err: unknown, program = 'ekrona'): ErrorReport {
  if (isExpectedError(err)) {
    let message = oneLine(err.message);
    const sw = (err as { sw?: unknown }).sw;
    if (typeof sw === 'number' && Number.isInteger(sw) && sw >= 0 && sw <= 0xffff && !message.toUpperCase().includes(swText(sw))) {
      message += ` (status ${swText(sw)})`;
    }
    if (err instanceof UsageError) {
      const help = [program, ...err.helpPath, '--help'].join(' ');
      message += ` (see '${help}')`;
    }
    const exitCode = err instanceof CliError ? err.exitCode : EXIT_FAILURE;
    return { text: `${program}: ${message}`, exitCode };
  }
  if (err instanceof Error) {
    return { text: `${program}: internal error: ${oneLine(err.message)}\n${err.stack ?? ''}`.trimEnd(), exitCode: EXIT_FAILURE };
  }
  return { text: `${program}: internal error: ${oneLine(String(err))}`, exitCode: EXIT_FAILURE };
}
