// Runs one command line: parse, run the command (or print help), report errors. Returns the exit code.

import type { Command, CommandContext, CommandTable, OptionValue } from './command.ts';
import { describeError, EXIT_OK, UsageError } from './errors.ts';
import { renderHelp } from './help.ts';
import { type CliIo, makeOutput } from './output.ts';
import { parseInvocation } from './parse.ts';
import { TABLE } from './table.ts';

function makeContext(command: Command, values: ReadonlyMap<string, OptionValue>, io: CliIo): CommandContext {
  const declared = (name: string, type: 'string' | 'boolean') => {
    const spec = command.options.find((o) => o.name === name);
    // A command asking for an option it does not declare is a bug in the command, not a usage error.
    if (spec === undefined) throw new Error(`'${command.path.join(' ')}' reads the undeclared option --${name}`);
    if (spec.type !== type) throw new Error(`'${command.path.join(' ')}' reads --${name} as ${type}, but it is ${spec.type}`);
  };
  return {
    command,
    out: makeOutput(io),
    env: io.env,
    now: () => io.now(),
    string(name) {
      declared(name, 'string');
      const v = values.get(name);
      return v === undefined ? undefined : (v.value as string);
    },
    flag(name) {
      declared(name, 'boolean');
      return values.get(name)?.value === true;
    },
    option(name) {
      if (!command.options.some((o) => o.name === name)) throw new Error(`'${command.path.join(' ')}' reads the undeclared option --${name}`);
      return values.get(name);
    },
    parsed(name, parse) {
      declared(name, 'string');
      const v = values.get(name);
      if (v === undefined) return undefined;
      try {
        return parse(v.value as string, v.label);
      } catch (err) {
        throw new UsageError((err as Error).message, command.path, { cause: err });
      }
    },
  };
}

/** Runs `argv` (the words after `ekrona`) against `table`; writes to `io`; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, table: CommandTable = TABLE): Promise<number> {
  try {
    const invocation = parseInvocation(argv, table, io.env);
    if (invocation.kind === 'help') {
      io.stdout.write(renderHelp(table, invocation.path));
      return EXIT_OK;
    }
    await invocation.command.run(makeContext(invocation.command, invocation.values, io));
    return EXIT_OK;
  } catch (err) {
    const report = describeError(err);
    io.stderr.write(`${report.text}\n`);
    return report.exitCode;
  }
}
