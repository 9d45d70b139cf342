// From argv to a command and its option values, or to a help request.
//
// `ekrona <group...> <command> [options]`: the leading words select the command from the table; the rest is parsed
// by node's util.parseArgs in strict mode with the command's options. Every problem is a UsageError with a
// one-line reason that names the option. `--help` / `-h` anywhere (before `--`) asks for the help of the words
// before it; `ekrona help <words>` does the same.

import { parseArgs } from 'node:util';
import type { Command, CommandTable, OptionSpec, OptionValue } from './command.ts';
import { UsageError } from './errors.ts';

export type Invocation =
  | { readonly kind: 'help'; readonly path: readonly string[] }
  | { readonly kind: 'run'; readonly command: Command; readonly values: ReadonlyMap<string, OptionValue> };

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((w, i) => path[i] === w);
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && startsWith(a, b);
}

/** The words that may follow `path` (sub-groups and commands), sorted. */
export function nextWords(table: CommandTable, path: readonly string[]): string[] {
  const words = new Set<string>();
  for (const entry of [...table.groups, ...table.commands]) {
    if (entry.path.length > path.length && startsWith(entry.path, path)) words.add(entry.path[path.length]);
  }
  return [...words].sort();
}

export function findCommand(table: CommandTable, path: readonly string[]): Command | undefined {
  return table.commands.find((c) => samePath(c.path, path));
}

function isKnownPrefix(table: CommandTable, path: readonly string[]): boolean {
  return path.length === 0 || [...table.groups, ...table.commands].some((e) => startsWith(e.path, path));
}

function isHelpFlag(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/** Index of `--`, or argv.length. */
function terminatorIndex(args: readonly string[]): number {
  const at = args.indexOf('--');
  return at < 0 ? args.length : at;
}

/** Reads the command words at the start of `argv`. */
function resolvePath(
  argv: readonly string[],
  table: CommandTable,
): { path: string[]; command: Command | undefined; rest: string[] } {
  const path: string[] = [];
  let i = 0;
  while (i < argv.length && !argv[i].startsWith('-')) {
    const candidate = [...path, argv[i]];
    if (!isKnownPrefix(table, candidate)) {
      const words = nextWords(table, path);
      const known = path.length === 0 ? 'groups' : `commands of '${['ekrona', ...path].join(' ')}'`;
      throw new UsageError(`unknown command '${candidate.join(' ')}' (${known}: ${words.join(', ')})`, path);
    }
    path.push(argv[i]);
    i++;
    const command = findCommand(table, path);
    if (command !== undefined) return { path, command, rest: argv.slice(i) };
  }
  return { path, command: undefined, rest: argv.slice(i) };
}

/** Finds what is wrong with `args` for `command`'s options, as one sentence naming the option. */
function diagnose(args: readonly string[], command: Command, fallback: Error): UsageError {
  const byName = new Map(command.options.map((o) => [o.name, o]));
  const byShort = new Map(command.options.filter((o) => o.short).map((o) => [o.short as string, o]));
  const { tokens } = parseArgs({ args: [...args], options: parseArgsOptions(command), strict: false, tokens: true, allowPositionals: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      return new UsageError(`unexpected argument '${token.value}': '${command.path.join(' ')}' takes only options`, command.path);
    }
    if (token.kind !== 'option') continue;
    const spec = token.rawName.startsWith('--') ? byName.get(token.name) : byShort.get(token.name);
    if (spec === undefined) return new UsageError(`unknown option ${token.rawName} for '${['ekrona', ...command.path].join(' ')}'`, command.path);
    if (spec.type === 'boolean' && token.value !== undefined) {
      return new UsageError(`option --${spec.name} takes no value, got '${token.value}'`, command.path);
    }
    if (spec.type === 'string') {
      if (token.value === undefined) return new UsageError(`option --${spec.name} needs a value <${spec.placeholder ?? 'value'}>`, command.path);
      if (!token.inlineValue && token.value.startsWith('-')) {
        return new UsageError(
          `option --${spec.name} needs a value <${spec.placeholder ?? 'value'}>, got the option-like '${token.value}' (write --${spec.name}=${token.value} if you mean it)`,
          command.path,
        );
      }
    }
  }
  return new UsageError(fallback.message.split('\n')[0], command.path, { cause: fallback });
}

function parseArgsOptions(command: Command): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of command.options) options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  return options;
}

function label(option: OptionSpec): string {
  return `--${option.name}`;
}

/** Parses the options of `command` from `args` (argv after the command words), then applies env and defaults. */
export function parseOptions(
  command: Command,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Map<string, OptionValue> {
  const parsed = (() => {
    try {
      return parseArgs({ args: [...args], options: parseArgsOptions(command), strict: true, tokens: true, allowPositionals: false });
    } catch (err) {
      throw diagnose(args, command, err as Error);
    }
  })();
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new UsageError(`option --${token.name} is given more than once`, command.path);
    seen.add(token.name);
  }

  const values = new Map<string, OptionValue>();
  for (const option of command.options) {
    const v = (parsed.values as Record<string, string | boolean | undefined>)[option.name];
    if (v !== undefined) values.set(option.name, { value: v, source: 'argv', label: label(option) });
  }

  for (const group of command.exclusive ?? []) {
    const given = group.options.filter((name) => values.has(name));
    if (given.length > 1) {
      throw new UsageError(`give only one of ${given.map((n) => `--${n}`).join(', ')}`, command.path);
    }
  }

  const excludedByArgv = (name: string): boolean =>
    (command.exclusive ?? []).some((g) => g.options.includes(name) && g.options.some((other) => values.has(other)));
  for (const option of command.options) {
    if (values.has(option.name)) continue;
    const fromEnv = option.env === undefined ? undefined : env[option.env];
    if (fromEnv !== undefined && fromEnv !== '' && !excludedByArgv(option.name)) {
      values.set(option.name, { value: fromEnv, source: 'env', label: option.env as string });
    } else if (option.default !== undefined) {
      values.set(option.name, { value: option.default, source: 'default', label: label(option) });
    }
  }

  for (const option of command.options) {
    if (option.required && !values.has(option.name)) {
      const orEnv = option.env ? ` (or set ${option.env})` : '';
      throw new UsageError(`missing required option --${option.name} <${option.placeholder ?? 'value'}>${orEnv}`, command.path);
    }
  }
  for (const group of command.exclusive ?? []) {
    if (group.required && !group.options.some((name) => values.has(name))) {
      const envs = group.options
        .map((name) => command.options.find((o) => o.name === name)?.env)
        .filter((e): e is string => e !== undefined);
      const orEnv = envs.length > 0 ? ` (or set ${envs.join(' or ')})` : '';
      throw new UsageError(`missing ${group.options.map((n) => `--${n}`).join(' or ')}${orEnv}`, command.path);
    }
  }
  return values;
}

/** What `argv` (the arguments after `ekrona`) asks for. Throws UsageError for anything malformed. */
export function parseInvocation(
  argv: readonly string[],
  table: CommandTable,
  env: Readonly<Record<string, string | undefined>>,
): Invocation {
  if (argv[0] === 'help') {
    const { path, rest } = resolvePath(argv.slice(1), table);
    if (rest.length > 0 && !rest.every(isHelpFlag)) throw new UsageError(`'ekrona help' takes command words only, got '${rest[0]}'`);
    return { kind: 'help', path };
  }
  const { path, command, rest } = resolvePath(argv, table);
  const beforeTerminator = rest.slice(0, terminatorIndex(rest));
  if (beforeTerminator.some(isHelpFlag)) return { kind: 'help', path };
  if (command === undefined) {
    if (path.length === 0) {
      if (rest.length > 0) throw new UsageError(`unknown option ${rest[0]}: options follow a command, e.g. 'ekrona otp codes --help'`);
      throw new UsageError(`missing command: ekrona <group> <command> [options] (groups: ${nextWords(table, []).join(', ')})`);
    }
    throw new UsageError(`'${['ekrona', ...path].join(' ')}' needs a command: ${nextWords(table, path).join(', ')}`, path);
  }
  return { kind: 'run', command, values: parseOptions(command, rest, env) };
}
