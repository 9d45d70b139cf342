// The simulator runner as a process and as a line-protocol connection (docs/RUNNER.md).
//
// This module knows the runner's command line (from scripts/java-paths.mjs, the Java build's helper) and speaks
// its framing: one request line, one answer line (`ok ...`, `err <sentence>`, or `tear ...` for an APDU that
// lost power), answers in request order. simulator.ts builds cards on top of it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { delimiter, dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TransportError } from './card-transport.ts';

/** The repository root (this file is host/src/transport/runner-process.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The runner could not be started or reached, or its connection broke. */
export class RunnerError extends TransportError {
  override name = 'RunnerError';
}

/** The runner answered `err <sentence>`; nothing was changed. */
export class RunnerRefused extends TransportError {
  override name = 'RunnerRefused';
  constructor(
    readonly request: string,
    readonly sentence: string,
  ) {
    super(`The simulator runner refused "${request.length > 60 ? `${request.slice(0, 57)}...` : request}": ${sentence}`);
  }
}

export type RunnerAnswer =
  | { kind: 'ok'; tokens: string[]; line: string }
  | { kind: 'tear'; tokens: string[]; line: string };

// ---------------------------------------------------------------------------------------------------------------
// Line protocol

interface Pending {
  request: string;
  resolve: (answer: RunnerAnswer) => void;
  reject: (error: Error) => void;
}

const MAX_LINE = 4096;

/**
 * One connection to a runner (its stdin/stdout, or a TCP socket). Requests may be issued concurrently: they are
 * written at once and their answers matched in order. Callers that need a sequence (`use` then `apdu`) must
 * serialise themselves (SimulatorRunner does).
 */
export class RunnerConnection {
  private buffer = '';
  private readonly pending: Pending[] = [];
  private broken: RunnerError | undefined;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    readonly description: string,
    /** Says why the connection ended (e.g. the process exit code and its last stderr line), now or later. */
    private readonly endReason: () => string | Promise<string>,
  ) {
    input.setEncoding('latin1');
    input.on('data', (chunk: string) => this.onData(chunk));
    input.on('end', () => this.fail());
    input.on('close', () => this.fail());
    input.on('error', (error) => this.fail(error));
    output.on('error', (error) => this.fail(error));
  }

  get isBroken(): boolean {
    return this.broken !== undefined;
  }

  /** Sends one request line and resolves with its `ok` or `tear` answer; an `err` answer rejects with RunnerRefused. */
  request(line: string): Promise<RunnerAnswer> {
    if (line.includes('\n') || line.length >= MAX_LINE) {
      return Promise.reject(new RunnerError(`A runner request must be one line shorter than ${MAX_LINE} characters.`));
    }
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<RunnerAnswer>((resolvePromise, rejectPromise) => {
      this.pending.push({ request: line, resolve: resolvePromise, reject: rejectPromise });
      this.output.write(`${line}\n`);
    });
  }

  /** Marks the connection as ended on purpose (quit): later requests fail with `reason`. */
  end(reason: string): void {
    this.fail(undefined, reason);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.onLine(line);
    }
    if (this.buffer.length > 4 * MAX_LINE) {
      this.fail(undefined, `The simulator runner on ${this.description} sent a line longer than ${MAX_LINE} characters.`);
    }
  }

  private onLine(line: string): void {
    const waiting = this.pending.shift();
    if (!waiting) {
      // Not an answer to anything: the protocol is broken (or something else writes to the runner's stdout).
      this.fail(undefined, `The simulator runner on ${this.description} sent a line nobody asked for: ${JSON.stringify(line.slice(0, 80))}.`);
      return;
    }
    const space = line.indexOf(' ');
    const head = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1);
    if (head === 'ok' || head === 'tear') {
      waiting.resolve({ kind: head, tokens: rest === '' ? [] : rest.split(' '), line });
    } else if (head === 'err') {
      waiting.reject(new RunnerRefused(waiting.request, rest || 'no reason given'));
    } else {
      waiting.reject(
        new RunnerError(`The simulator runner answered "${waiting.request.split(' ')[0]}" with a line that is not ok/err/tear: ${JSON.stringify(line.slice(0, 80))}.`),
      );
    }
  }

  private fail(cause?: unknown, message?: string): void {
    if (this.broken) {
      for (const waiting of this.pending.splice(0)) waiting.reject(this.broken);
      return;
    }
    const waiting = this.pending.splice(0);
    const reason = message ?? this.endReason();
    if (typeof reason === 'string') {
      this.broken = new RunnerError(reason, cause === undefined ? undefined : { cause });
      for (const w of waiting) w.reject(this.broken);
      return;
    }
    // The reason comes later (e.g. once the process has exited and its exit code is known).
    this.broken = new RunnerError('The connection to the simulator runner closed.', cause === undefined ? undefined : { cause });
    void reason.then(
      (text) => {
        this.broken = new RunnerError(text, cause === undefined ? undefined : { cause });
        for (const w of waiting) w.reject(this.broken);
      },
      () => {
        for (const w of waiting) w.reject(this.broken as RunnerError);
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

export type RunnerFlavour = 'sim' | 'jcardsim';

export interface RunnerLaunchOptions {
  /** `sim` (our runtime, default) or `jcardsim` (the jCardSim bridge, kept outside the repository: scripts/README.md). */
  flavour?: RunnerFlavour;
  /** The java executable (default: the Java build's choice: $JAVA_HOME/bin/java when set, else `java`). */
  java?: string;
  /** JVM options, before the main class (default: $EKRONA_RUNNER_JVM_ARGS split on spaces, else the build's flags). */
  jvmArgs?: string[];
  /** Classpath entries replacing the ones of the Java build (for a runner built elsewhere). */
  classpath?: string[];
  /** Main class replacing the one of the Java build. */
  mainClass?: string;
}

export interface RunnerCommandLine {
  command: string;
  args: string[];
}

/** What the Java build says about its output: where the classes are, which class is the runner, JVM flags. */
export interface JavaBuildInfo {
  classpath: string[];
  mainClass: string;
  jvmArgs: string[];
  java: string;
}

const NOT_BUILT = 'The simulator runner is not built: run `npm run build:java` (node scripts/build-java.mjs) first.';

/** The Java build's helper module: it alone spells out the runner's classpath, main class and JVM flags. */
const JAVA_PATHS = resolve(PROJECT_ROOT, 'scripts', 'java-paths.mjs');

interface JavaPathsModule {
  runnerClasspath(options: { jcardsim?: boolean }): string[];
  RUNNER_MAIN: string;
  JCARDSIM_RUNNER_MAIN: string;
  RUNNER_JVM_FLAGS: string[];
  javaExecutable(): string;
}

function isJavaPaths(value: unknown): value is JavaPathsModule {
  const m = value as Partial<JavaPathsModule>;
  return (
    typeof m?.runnerClasspath === 'function' &&
    typeof m.RUNNER_MAIN === 'string' &&
    typeof m.JCARDSIM_RUNNER_MAIN === 'string' &&
    Array.isArray(m.RUNNER_JVM_FLAGS) &&
    typeof m.javaExecutable === 'function'
  );
}

/** Reads the runner's command-line parts from scripts/java-paths.mjs (the Java build's helper module). */
export async function javaBuildInfo(flavour: RunnerFlavour = 'sim'): Promise<JavaBuildInfo> {
  if (!existsSync(JAVA_PATHS)) throw new RunnerError(`${NOT_BUILT.slice(0, -1)} (scripts/java-paths.mjs is missing).`);
  let module: unknown;
  try {
    module = await importPath(JAVA_PATHS);
  } catch (cause) {
    throw new RunnerError('scripts/java-paths.mjs could not be loaded, so the runner command line is unknown.', { cause });
  }
  if (!isJavaPaths(module)) {
    throw new RunnerError('scripts/java-paths.mjs does not export runnerClasspath, RUNNER_MAIN, JCARDSIM_RUNNER_MAIN, RUNNER_JVM_FLAGS and javaExecutable.');
  }
  const jcardsim = flavour === 'jcardsim';
  let classpath: string[];
  try {
    classpath = module.runnerClasspath({ jcardsim });
  } catch (cause) {
    // java-paths.mjs throws a sentence of its own, e.g. when JCARDSIM_JAR is not set.
    throw new RunnerError(`The ${flavour} runner cannot be started: ${(cause as Error).message}`, { cause });
  }
  return {
    classpath,
    mainClass: jcardsim ? module.JCARDSIM_RUNNER_MAIN : module.RUNNER_MAIN,
    jvmArgs: module.RUNNER_JVM_FLAGS,
    java: module.javaExecutable(),
  };
}

/** The java command line that starts a runner with `modeArgs` (`--stdio`, or `--tcp HOST:PORT`). */
export async function runnerCommandLine(modeArgs: string[], options: RunnerLaunchOptions = {}): Promise<RunnerCommandLine> {
  const flavour = options.flavour ?? 'sim';
  const built: Partial<JavaBuildInfo> = options.classpath && options.mainClass ? {} : await javaBuildInfo(flavour);
  const classpath = options.classpath ?? built.classpath ?? [];
  const mainClass = options.mainClass ?? built.mainClass ?? '';
  if (!classpath.some((entry) => existsSync(entry))) throw new RunnerError(NOT_BUILT);
  if (flavour === 'sim' && built.classpath && !existsSync(built.classpath[0])) throw new RunnerError(NOT_BUILT);
  const java = options.java ?? built.java ?? (process.env.JAVA_HOME ? resolve(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  const envArgs = process.env.EKRONA_RUNNER_JVM_ARGS?.split(' ').filter((a) => a !== '');
  const jvmArgs = options.jvmArgs ?? envArgs ?? built.jvmArgs ?? [];
  return { command: java, args: [...jvmArgs, '-cp', classpath.join(delimiter), mainClass, ...modeArgs] };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** A runner JVM started by us. */
export class RunnerProcess {
  private readonly stderrLines: string[] = [];
  private readonly lineWatchers = new Set<(line: string) => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly commandLine: RunnerCommandLine,
    stderrSink?: (line: string) => void,
  ) {
    let partial = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.stderrLines.push(line);
        if (this.stderrLines.length > 50) this.stderrLines.shift();
        stderrSink?.(line);
        for (const watcher of [...this.lineWatchers]) watcher(line);
      }
    });
    this.exited = new Promise((resolvePromise) => {
      child.on('error', (error) => {
        this.spawnError = error;
        resolvePromise();
      });
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        if (partial !== '') this.stderrLines.push(partial);
        resolvePromise();
      });
    });
  }

  static spawn(commandLine: RunnerCommandLine, stderrSink?: (line: string) => void): RunnerProcess {
    const child = spawn(commandLine.command, commandLine.args, {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    return new RunnerProcess(child, commandLine, stderrSink);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined || this.spawnError !== undefined;
  }

  /** The last lines the JVM wrote to stderr. */
  get stderr(): string[] {
    return [...this.stderrLines];
  }

  /**
   * Resolves with the match of the first stderr line matching `pattern` (lines already written included);
   * rejects with the process's end when it exits first, or after `timeoutMs`.
   */
  waitForStderr(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    for (const line of this.stderrLines) {
      const match = pattern.exec(line);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolvePromise, rejectPromise) => {
      const done = () => {
        clearTimeout(timer);
        this.lineWatchers.delete(watcher);
      };
      const watcher = (line: string) => {
        const match = pattern.exec(line);
        if (match) {
          done();
          resolvePromise(match);
        }
      };
      const timer = setTimeout(() => {
        done();
        rejectPromise(new RunnerError(`The simulator runner did not say it was ready within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.lineWatchers.add(watcher);
      void this.exited.then(() => {
        if (!this.lineWatchers.has(watcher)) return;
        done();
        rejectPromise(new RunnerError(this.describeEnd()));
      });
    });
  }

  /** `describeEnd` once the process has exited (waiting up to `waitMs` for it). */
  async describeEndSoon(waitMs = 3000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    return this.describeEnd();
  }

  /** One sentence saying why the process is gone (or that it is still running). */
  describeEnd(): string {
    if (this.spawnError) {
      const code = (this.spawnError as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return `Java was not found (${this.commandLine.command}): install a JDK 17 or set JAVA_HOME, then start the simulator runner again.`;
      }
      return `The simulator runner could not be started (${this.commandLine.command}): ${this.spawnError.message}.`;
    }
    if (!this.exitInfo) return 'The connection to the simulator runner closed while the runner is still running.';
    const how = this.exitInfo.signal ? `was killed by ${this.exitInfo.signal}` : `exited with code ${this.exitInfo.code}`;
    const last = this.stderrLines.filter((l) => l.trim() !== '');
    const hint = last.find((l) => /Could not find or load main class|ClassNotFoundException|NoClassDefFoundError/.test(l))
      ? ` (${NOT_BUILT})`
      : '';
    const tail = last.length > 0 ? `: ${last.slice(-3).join(' | ').trim()}` : '';
    return `The simulator runner ${how}${tail}${hint}`.replace(/[.]?$/, '.');
  }

  /**
   * Ends the process: closes its stdin (a stdio runner exits then) or, with `terminate`, sends SIGTERM (a TCP
   * runner); kills it when it has not exited after `graceMs`.
   */
  async stop(graceMs = 3000, terminate = false): Promise<void> {
    if (this.hasExited) return;
    this.child.stdin?.end();
    if (terminate) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Connects to `host:port`, rejecting with a RunnerError sentence when nothing listens there. */
export function connectSocket(host: string, port: number, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolvePromise, rejectPromise) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      rejectPromise(new RunnerError(`No simulator runner answered on ${host}:${port} within ${timeoutMs} ms.`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolvePromise(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      rejectPromise(
        new RunnerError(`No simulator runner listens on ${host}:${port} (start one with \`--tcp ${host}:${port}\`).`, { cause: error }),
      );
    });
  });
}

/** Parses "HOST:PORT" (IPv6 hosts in brackets). */
export function parseHostPort(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new RunnerError(`A runner address must look like 127.0.0.1:PORT, got ${JSON.stringify(address)}.`);
  }
  return { host: match[1] ?? match[2], port };
}

/** Imports a module by path (used for the Java build's helper module). */
export function importPath(path: string): Promise<unknown> {
  return import(pathToFileURL(path).href);
}
