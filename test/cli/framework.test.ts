// The CLI framework with a small table of its own: parsing, help, errors, exit codes.

import { describe, expect, it } from 'vitest';
import type { Command, CommandTable } from '../../host/src/cli/command.ts';
import { CliError, describeError, UsageError } from '../../host/src/cli/errors.ts';
import { usageLine } from '../../host/src/cli/help.ts';
import { countOf, memoryIo } from '../../host/src/cli/output.ts';
import { runCli } from '../../host/src/cli/run.ts';
import { TABLE } from '../../host/src/cli/table.ts';

class FakeStatusWordError extends Error {
  override name = 'StatusWordError';
  constructor(readonly sw: number) {
    super('SELECT failed');
  }
}

const seen: Record<string, unknown>[] = [];

const echo: Command = {
  path: ['demo', 'echo'],
  summary: 'prints its options',
  description: 'A command for the framework tests.',
  options: [
    { name: 'text', type: 'string', placeholder: 'words', description: 'what to print', required: true, example: 'hello' },
    { name: 'times', type: 'string', placeholder: 'n', description: 'how often', default: '1' },
    { name: 'key', type: 'string', placeholder: 'base32', description: 'a key', env: 'DEMO_KEY' },
    { name: 'key-file', type: 'string', placeholder: 'path', description: 'a key file' },
    { name: 'loud', type: 'boolean', short: 'l', description: 'upper case' },
  ],
  exclusive: [{ options: ['key', 'key-file'] }],
  examples: [{ command: 'ekrona demo echo --text hello', comment: 'say hello' }],
  run(ctx) {
    const times = ctx.parsed('times', (t, label) => {
      if (!/^\d+$/.test(t)) throw new Error(`${label} must be a number, got '${t}'`);
      return Number(t);
    });
    seen.push({ key: ctx.option('key'), keyFile: ctx.string('key-file'), times });
    const text = ctx.string('text') as string;
    for (let i = 0; i < (times ?? 1); i++) ctx.out.line(ctx.flag('loud') ? text.toUpperCase() : text);
  },
};

const fail: Command = {
  path: ['demo', 'fail'],
  summary: 'fails in the ways commands fail',
  options: [{ name: 'how', type: 'string', description: 'cli, card, layer or bug', required: true }],
  run(ctx) {
    switch (ctx.string('how')) {
      case 'cli':
        throw new CliError('the operation failed');
      case 'card':
        throw new FakeStatusWordError(0x6985);
      case 'layer':
        throw new (class TransportError extends Error {})('the reader went away\nsecond line');
      default:
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
    }
  },
};

const table: CommandTable = { groups: [{ path: ['demo'], summary: 'demonstration commands' }], commands: [echo, fail] };

async function run(argv: string[], env: Record<string, string> = {}) {
  const io = memoryIo({ env });
  const code = await runCli(argv, io, table);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('running a command', () => {
  it('runs with options in any order, =value or separate value, and the short flag', async () => {
    expect(await run(['demo', 'echo', '--times=2', '-l', '--text', 'hej'])).toEqual({ code: 0, stdout: 'HEJ\nHEJ\n', stderr: '' });
  });

  it('fills in defaults and reads the environment only when the option and its exclusive partners are absent', async () => {
    seen.length = 0;
    await run(['demo', 'echo', '--text', 'a'], { DEMO_KEY: 'FROMENV' });
    await run(['demo', 'echo', '--text', 'a', '--key', 'FROMARGV'], { DEMO_KEY: 'FROMENV' });
    await run(['demo', 'echo', '--text', 'a', '--key-file', 'k.json'], { DEMO_KEY: 'FROMENV' });
    expect(seen).toEqual([
      { key: { value: 'FROMENV', source: 'env', label: 'DEMO_KEY' }, keyFile: undefined, times: 1 },
      { key: { value: 'FROMARGV', source: 'argv', label: '--key' }, keyFile: undefined, times: 1 },
      { key: undefined, keyFile: 'k.json', times: 1 },
    ]);
  });
});

describe('usage errors: one line naming the option, exit 2', () => {
  const cases: [string, string[], string][] = [
    ['an unknown option', ['demo', 'echo', '--text', 'a', '--colour'], "ekrona: unknown option --colour for 'ekrona demo echo' (see 'ekrona demo echo --help')"],
    ['an unknown short option', ['demo', 'echo', '--text', 'a', '-x'], "ekrona: unknown option -x for 'ekrona demo echo'"],
    ['a missing value', ['demo', 'echo', '--text'], 'ekrona: option --text needs a value <words>'],
    ['an option where a value belongs', ['demo', 'echo', '--text', '--loud'], "ekrona: option --text needs a value <words>, got the option-like '--loud' (write --text=--loud if you mean it)"],
    ['a value for a flag', ['demo', 'echo', '--text', 'a', '--loud=yes'], "ekrona: option --loud takes no value, got 'yes'"],
    ['a positional argument', ['demo', 'echo', '--text', 'a', 'extra'], "ekrona: unexpected argument 'extra': 'demo echo' takes only options"],
    ['a repeated option', ['demo', 'echo', '--text', 'a', '--text', 'b'], 'ekrona: option --text is given more than once'],
    ['a missing required option', ['demo', 'echo'], 'ekrona: missing required option --text <words>'],
    ['two exclusive options', ['demo', 'echo', '--text', 'a', '--key', 'K', '--key-file', 'f'], 'ekrona: give only one of --key, --key-file'],
    ['a value its parser refuses', ['demo', 'echo', '--text', 'a', '--times', 'many'], "ekrona: --times must be a number, got 'many' (see 'ekrona demo echo --help')"],
    ['an unknown command', ['demo', 'shout'], "ekrona: unknown command 'demo shout' (commands of 'ekrona demo': echo, fail) (see 'ekrona demo --help')"],
    ['an unknown group', ['nope'], "ekrona: unknown command 'nope' (groups: demo) (see 'ekrona --help')"],
    ['a group without a command', ['demo'], "ekrona: 'ekrona demo' needs a command: echo, fail (see 'ekrona demo --help')"],
    ['no command at all', [], 'ekrona: missing command: ekrona <group> <command> [options] (groups: demo)'],
    ['an option before any command', ['--verbose'], "ekrona: unknown option --verbose: options follow a command, e.g. 'ekrona otp codes --help'"],
  ];
  for (const [what, argv, message] of cases) {
    it(`refuses ${what}`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(message);
    });
  }
});

describe('failed operations: exit 1, one line, no stack trace', () => {
  it('prints a CliError as is', async () => {
    expect(await run(['demo', 'fail', '--how', 'cli'])).toEqual({ code: 1, stdout: '', stderr: 'ekrona: the operation failed\n' });
  });

  it("adds the card's status word", async () => {
    expect((await run(['demo', 'fail', '--how', 'card'])).stderr).toBe('ekrona: SELECT failed (status 6985)\n');
  });

  it('prints an error of another layer on one line', async () => {
    expect(await run(['demo', 'fail', '--how', 'layer'])).toEqual({ code: 1, stdout: '', stderr: 'ekrona: the reader went away second line\n' });
  });

  it('reports a built-in error escaping a command as an internal error, with its stack', async () => {
    const r = await run(['demo', 'fail', '--how', 'bug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ekrona: internal error: Cannot read properties of undefined \(reading 'x'\)\nTypeError: /);
  });

  it('does not repeat a status word already in the message', () => {
    const err = Object.assign(new CliError('SELECT failed with status 6A82 (file not found)'), {});
    Object.defineProperty(err, 'sw', { value: 0x6a82 });
    expect(describeError(err).text).toBe('ekrona: SELECT failed with status 6A82 (file not found)');
    expect(describeError(new CliError('refused', { sw: 0x6982 })).text).toBe('ekrona: refused (status 6982)');
    expect(describeError(new UsageError('bad', ['otp', 'codes'])).exitCode).toBe(2);
  });
});

describe('help', () => {
  it('prints the top-level help for --help, -h and help', async () => {
    const a = await run(['--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Usage: ekrona <group> <command> [options]');
    expect(a.stdout).toMatch(/\n {2}demo echo {3}prints its options\n/);
    expect(a.stdout).toContain('ekrona demo echo --text hello');
    expect((await run(['-h'])).stdout).toBe(a.stdout);
    expect((await run(['help'])).stdout).toBe(a.stdout);
  });

  it("prints a group's help with its commands and examples", async () => {
    const r = await run(['demo', '--help']);
    expect(r.stdout).toMatch(/^ekrona demo: demonstration commands\n/);
    expect(r.stdout).toMatch(/\n {2}echo {3}prints its options\n {2}fail {3}fails in the ways commands fail\n/);
    expect((await run(['help', 'demo'])).stdout).toBe(r.stdout);
  });

  it("prints a command's usage, options with required/env/default/example, and examples; even with bad options", async () => {
    const r = await run(['demo', 'echo', '--nonsense', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ekrona demo echo --text <words> [--times <n>] [--key <base32> | --key-file <path>] [--loud]');
    expect(r.stdout).toContain('--text <words>');
    expect(r.stdout).toContain('what to print [required; e.g. hello]');
    expect(r.stdout).toContain('how often [default: 1]');
    expect(r.stdout).toContain('a key [not with --key-file; env DEMO_KEY]');
    expect(r.stdout).toContain('-l, --loud');
    expect(r.stdout).toContain('# say hello\n  ekrona demo echo --text hello');
    expect((await run(['help', 'demo', 'echo'])).stdout).toBe(r.stdout);
  });

  it('does not treat --help after -- as a help request', async () => {
    const r = await run(['demo', 'echo', '--text', 'a', '--', '--help']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unexpected argument '--help'");
  });
});

describe('the real command table', () => {
  it('has a group entry for every command group, and no two commands with one path', () => {
    const paths = TABLE.commands.map((c) => c.path.join(' '));
    expect(new Set(paths).size).toBe(paths.length);
    for (const c of TABLE.commands.filter((command) => command.path.length > 1)) {
      expect(TABLE.groups.some((g) => g.path.join(' ') === c.path.slice(0, -1).join(' ')), c.path.join(' ')).toBe(true);
    }
  });

  it('describes every option, and every example runs the command it belongs to', () => {
    for (const c of TABLE.commands) {
      for (const o of c.options) expect(o.description.length, `${c.path.join(' ')} --${o.name}`).toBeGreaterThan(10);
      for (const e of c.examples ?? []) expect(e.command).toContain(`ekrona ${c.path.join(' ')}`);
      expect(() => usageLine(c)).not.toThrow();
    }
  });
});

describe('wording', () => {
  it('counts one thing in the singular and any other number in the plural', () => {
    expect(countOf(1, 'card')).toBe('1 card');
    expect(countOf(0, 'card')).toBe('0 cards');
    expect(countOf(3, 'offline payment')).toBe('3 offline payments');
    expect(countOf(1, 'anomaly', 'anomalies')).toBe('1 anomaly');
    expect(countOf(2, 'anomaly', 'anomalies')).toBe('2 anomalies');
  });
});
