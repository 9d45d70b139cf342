// Where the CLI writes: the process's streams in `main.ts`, memory buffers in tests.

export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Everything the CLI touches outside itself, so that tests can run it in-process. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since 1970. */
  now(): number;
}

/** What a command prints with. Results go to stdout; notes (hints, warnings) to stderr. */
export interface Output {
  /** True when stdout is a terminal: commands may add labels and alignment for people. */
  readonly isTTY: boolean;
  /** One line on stdout. */
  line(text?: string): void;
  /** Text on stdout as is. */
  write(text: string): void;
  /** A JSON document on stdout (two-space indentation, one trailing newline). */
  json(value: unknown): void;
  /** One line on stderr. */
  note(text: string): void;
}

export function makeOutput(io: CliIo): Output {
  return {
    isTTY: io.stdout.isTTY === true,
    line: (text = '') => void io.stdout.write(`${text}\n`),
    write: (text) => void io.stdout.write(text),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => void io.stderr.write(`${text}\n`),
  };
}

/** The real process: its streams, environment and clock. A closed stdout (`ekrona ... | head -1`) ends quietly. */
export function processIo(): CliIo {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => Date.now(),
  };
}

/** An in-memory CliIo for tests: what was written to stdout and stderr. */
export function memoryIo(options: { env?: Record<string, string | undefined>; now?: number; isTTY?: boolean } = {}): CliIo & {
  stdoutText(): string;
  stderrText(): string;
} {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t), isTTY: options.isTTY ?? false },
    stderr: { write: (t: string) => (err += t), isTTY: false },
    env: options.env ?? {},
    now: () => options.now ?? Date.now(),
    stdoutText: () => out,
    stderrText: () => err,
  };
}

/** A count and its noun, singular for one: "1 card", "3 cards", "0 anomalies" (`plural` when not noun + "s"). */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
