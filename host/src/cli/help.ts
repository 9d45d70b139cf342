// Help texts, rendered from the command table: top level, a group, or one command.

import { type Command, type CommandTable, type Group, optionSynopsis, type OptionSpec } from './command.ts';
import { EXIT_FAILURE, EXIT_USAGE } from './errors.ts';
import { findCommand, nextWords } from './parse.ts';

const WIDTH = 100;
const PROGRAM = 'ekrona';

/** Words of `text` in lines of at most `width` characters, each line prefixed with `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w.length > 0)) {
      if (line.length > 0 && indent.length + line.length + 1 + word.length > width) {
        lines.push(indent + line);
        line = word;
      } else {
        line = line.length === 0 ? word : `${line} ${word}`;
      }
    }
    lines.push(indent + line);
  }
  return lines;
}

/** Two columns: names padded to the widest, descriptions wrapped under their own column. */
function columns(rows: readonly (readonly [string, string])[]): string[] {
  const left = Math.min(30, Math.max(...rows.map(([name]) => name.length)));
  const out: string[] = [];
  for (const [name, text] of rows) {
    const indent = ' '.repeat(2 + left + 3);
    const body = wrap(text, WIDTH, indent);
    if (name.length > left) {
      out.push(`  ${name}`);
      out.push(...body);
    } else {
      out.push(`  ${name.padEnd(left)}   ${body[0].slice(indent.length)}`);
      out.push(...body.slice(1));
    }
  }
  return out;
}

/** The usage line of a command: required options bare, exclusive ones as (a | b), optional ones in brackets. */
export function usageLine(command: Command): string {
  const parts: string[] = [];
  const done = new Set<string>();
  const spec = (name: string): OptionSpec => {
    const o = command.options.find((x) => x.name === name);
    if (o === undefined) throw new Error(`exclusive option --${name} of '${command.path.join(' ')}' is not among its options`);
    return o;
  };
  for (const option of command.options) {
    if (done.has(option.name)) continue;
    const group = command.exclusive?.find((g) => g.options.includes(option.name));
    if (group !== undefined) {
      const alternatives = group.options.map((n) => optionSynopsis(spec(n))).join(' | ');
      parts.push(group.required ? `(${alternatives})` : `[${alternatives}]`);
      for (const n of group.options) done.add(n);
      continue;
    }
    parts.push(option.required ? optionSynopsis(option) : `[${optionSynopsis(option)}]`);
    done.add(option.name);
  }
  return [PROGRAM, ...command.path, ...parts].join(' ');
}

function optionDetails(option: OptionSpec, command: Command): string {
  const notes: string[] = [];
  if (option.required) notes.push('required');
  const group = command.exclusive?.find((g) => g.options.includes(option.name));
  if (group !== undefined) {
    const others = group.options.filter((n) => n !== option.name).map((n) => `--${n}`);
    notes.push(`${group.required ? 'required unless' : 'not with'} ${others.join(', ')}${group.required ? ' is given' : ''}`);
  }
  if (option.env !== undefined) notes.push(`env ${option.env}`);
  if (option.default !== undefined) notes.push(`default: ${option.default}`);
  if (option.example !== undefined) notes.push(`e.g. ${option.example}`);
  return notes.length === 0 ? option.description : `${option.description} [${notes.join('; ')}]`;
}

function examples(list: readonly { command: string; comment?: string }[]): string[] {
  const out: string[] = [];
  for (const e of list) {
    if (e.comment !== undefined) out.push(...wrap(`# ${e.comment}`, WIDTH, '  '));
    out.push(`  ${e.command}`);
  }
  return out;
}

const EXIT_CODES = `Exit status: 0 success, ${EXIT_FAILURE} the operation failed (the reason is printed on stderr), ${EXIT_USAGE} the command line is wrong.`;

export function commandHelp(command: Command): string {
  const usage = wrap(`Usage: ${usageLine(command)}`, WIDTH - 2);
  const lines = [`${[PROGRAM, ...command.path].join(' ')}: ${command.summary}`, '', usage[0], ...usage.slice(1).map((l) => `  ${l}`)];
  if (command.description !== undefined) lines.push('', ...wrap(command.description, WIDTH));
  const rows: [string, string][] = command.options.map((o) => [
    o.short ? `-${o.short}, ${optionSynopsis(o)}` : optionSynopsis(o),
    optionDetails(o, command),
  ]);
  rows.push(['-h, --help', 'show this help']);
  lines.push('', 'Options:', ...columns(rows));
  if (command.examples !== undefined && command.examples.length > 0) lines.push('', 'Examples:', ...examples(command.examples));
  lines.push('', ...wrap(EXIT_CODES, WIDTH));
  return `${lines.join('\n')}\n`;
}

function commandsUnder(table: CommandTable, path: readonly string[]): Command[] {
  return table.commands.filter((c) => path.every((w, i) => c.path[i] === w));
}

export function groupHelp(table: CommandTable, group: Group | undefined, path: readonly string[]): string {
  const name = [PROGRAM, ...path].join(' ');
  const lines = [group === undefined ? name : `${name}: ${group.summary}`];
  if (group?.description !== undefined) lines.push('', ...wrap(group.description, WIDTH));
  lines.push('', `Usage: ${name} <command> [options]`);
  const commands = commandsUnder(table, path);
  lines.push('', 'Commands:', ...columns(commands.map((c) => [c.path.slice(path.length).join(' '), c.summary])));
  const firstExamples = commands.flatMap((c) => (c.examples ?? []).slice(0, 1));
  if (firstExamples.length > 0) lines.push('', 'Examples:', ...examples(firstExamples));
  lines.push('', `Run '${name} <command> --help' for a command's options and more examples.`);
  return `${lines.join('\n')}\n`;
}

export function rootHelp(table: CommandTable): string {
  const lines = [
    `${PROGRAM}: the offline e-krona wallet toolchain (cards, flows, intermediaries, payment confirmations)`,
    '',
    `Usage: ${PROGRAM} <group> <command> [options]`,
    `       ${PROGRAM} <group> <command> --help`,
    `       ${PROGRAM} help <group> [<command>]`,
  ];
  // Top-level commands (`ekrona pay-online`) are listed with the commands only.
  const groups = nextWords(table, []).filter((word) => findCommand(table, [word]) === undefined).map((word) => {
    const group = table.groups.find((g) => g.path.length === 1 && g.path[0] === word);
    return [word, group?.summary ?? ''] as [string, string];
  });
  lines.push('', 'Groups:', ...columns(groups));
  lines.push('', 'Commands:', ...columns(table.commands.map((c) => [c.path.join(' '), c.summary])));
  const firstExamples = table.commands.flatMap((c) => (c.examples ?? []).slice(0, 1));
  if (firstExamples.length > 0) lines.push('', 'Examples:', ...examples(firstExamples));
  lines.push('', ...wrap(EXIT_CODES, WIDTH));
  return `${lines.join('\n')}\n`;
}

/** The help for `path`: the top level ([]), a group, or a command. */
export function renderHelp(table: CommandTable, path: readonly string[]): string {
  if (path.length === 0) return rootHelp(table);
  const command = findCommand(table, path);
  if (command !== undefined) return commandHelp(command);
  const group = table.groups.find((g) => g.path.length === path.length && g.path.every((w, i) => path[i] === w));
  return groupHelp(table, group, path);
}
