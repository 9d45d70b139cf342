// What a command is: data (path, summary, options, examples) plus one `run` function.
//
// To add a command: write one module under `commands/` that exports a `Command` (and, for a new group, a `Group`),
// then add it to the table in `table.ts`. Parsing, help, `--help`, error printing and exit codes come from the
// framework: `run` reads its options through the context, prints through `ctx.out`, and throws CliError (exit 1)
// or UsageError (exit 2) to fail.

import type { Output } from './output.ts';

export type OptionType = 'string' | 'boolean';

export interface OptionSpec {
  /** Long name without dashes, e.g. `key-file` for `--key-file`. */
  readonly name: string;
  readonly type: OptionType;
  /** One sentence for the help. */
  readonly description: string;
  /** The value's name in the help and usage line, e.g. `base32` for `--key <base32>` (string options). */
  readonly placeholder?: string;
  /** The command refuses to run without it. */
  readonly required?: boolean;
  /** Value used when the option is not given (string options); shown in the help. */
  readonly default?: string;
  /** An example value, shown in the help. */
  readonly example?: string;
  /** Environment variable read when neither this option nor one it excludes is given. */
  readonly env?: string;
  /** One-letter alias, without the dash. */
  readonly short?: string;
}

/** Options of which at most one may be given; with `required`, exactly one (an option's `env` counts). */
export interface ExclusiveOptions {
  readonly options: readonly string[];
  readonly required?: boolean;
}

export interface Example {
  readonly command: string;
  readonly comment?: string;
}

export interface Command {
  /** Words after `ekrona`, e.g. ['otp', 'codes']. */
  readonly path: readonly string[];
  /** One line for command lists. */
  readonly summary: string;
  /** Paragraphs for the command's own help. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly exclusive?: readonly ExclusiveOptions[];
  readonly examples?: readonly Example[];
  readonly run: (ctx: CommandContext) => void | Promise<void>;
}

/** A word that groups commands (`otp`, later `card`, `pay`, ...), with its summary for the top-level help. */
export interface Group {
  readonly path: readonly string[];
  readonly summary: string;
  readonly description?: string;
}

export interface CommandTable {
  readonly groups: readonly Group[];
  readonly commands: readonly Command[];
}

/** Where an option's value came from. */
export type ValueSource = 'argv' | 'env' | 'default';

export interface OptionValue {
  readonly value: string | boolean;
  readonly source: ValueSource;
  /** How to name the value in messages: `--key`, or `EKRONA_OTP_KEY` when it came from the environment. */
  readonly label: string;
}

export interface CommandContext {
  readonly command: Command;
  readonly out: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The current time in milliseconds since 1970 (injectable for tests). */
  now(): number;
  /** A string option's value, or undefined when absent. */
  string(name: string): string | undefined;
  /** A boolean option's value (false when absent). */
  flag(name: string): boolean;
  /** Value, source and label of an option, or undefined when absent. */
  option(name: string): OptionValue | undefined;
  /**
   * A string option parsed by `parse(text, label)`; any error of `parse` becomes a UsageError (exit 2) whose message
   * is the error's, so `parse` should name `label` (e.g. "--amount has too many decimals: ...").
   */
  parsed<T>(name: string, parse: (text: string, label: string) => T): T | undefined;
}

/** Help text's name for an option: `--key <base32>`, `--json`. */
export function optionSynopsis(option: OptionSpec): string {
  return option.type === 'boolean' ? `--${option.name}` : `--${option.name} <${option.placeholder ?? 'value'}>`;
}
