// Simulated cards served by the simulator runner (docs/RUNNER.md): one JVM hosting any number of named cards.
//
//   const runner = await SimulatorRunner.start();          // the JVM, over stdio
//   const card = await runner.card('alice');               // a new, empty, powered-off card
//   await card.install('ekrona.wallet.WalletApplet', aid);
//   await card.powerOn();
//   const response = await card.exchange(apdu);            // a CardTransport
//   await runner.close();
//
// A SimulatedCard is a CardTransport plus what only a simulator can do: power cycles, armed power losses (tears),
// operation counters, memory figures, the T=0 behaviour. A tear makes `exchange` reject with CardPowerLost.

import { assertBytes, assertBytesLength, assertInteger, fromHex, isBytes, toHex } from '../codec/hex.ts';
import { CardPowerLost, QueuedTransport, SerialQueue, TransportError } from './card-transport.ts';
import {
  connectSocket,
  parseHostPort,
  RunnerConnection,
  RunnerError,
  type RunnerAnswer,
  type RunnerLaunchOptions,
  RunnerProcess,
  RunnerRefused,
  runnerCommandLine,
} from './runner-process.ts';

export { RunnerError, RunnerRefused } from './runner-process.ts';

/** Counters of one command (or, in `CardStats.total`, since power on), as listed in RUNNER.md. */
export interface OperationStats {
  /** Tear points passed. */
  tp: number;
  /** Signatures made. */
  sig: number;
  /** Signature verifications. */
  ver: number;
  /** Bytes hashed by MessageDigest and by signature operations. */
  dig: number;
  /** Key agreements. */
  ka: number;
  /** Cipher blocks processed. */
  ciph: number;
  /** Key pairs generated. */
  gen: number;
  /** Persistent bytes written. */
  pw: number;
  /** The most persistent bytes written inside one transaction. */
  txmax: number;
  /** Command APDU bytes. */
  in: number;
  /** Response APDU bytes, SW1 SW2 included. */
  out: number;
  /** Microseconds the runner spent (host time, not card time). */
  us: number;
  /** Objects and arrays the applet created through the API outside install(): anything but 0 is a finding. */
  alloc: number;
}

export const STAT_KEYS = ['tp', 'sig', 'ver', 'dig', 'ka', 'ciph', 'gen', 'pw', 'txmax', 'in', 'out', 'us', 'alloc'] as const;

export interface CardStats {
  /** Counters of the last `apdu` of the card. */
  last: OperationStats;
  /** Totals since power on. */
  total: OperationStats;
}

export interface CardMemory {
  /** Bytes of persistent memory held by the applet instances. */
  persistent: number;
  /** Bytes of CLEAR_ON_RESET transient memory allocated. */
  transientReset: number;
  /** Bytes of CLEAR_ON_DESELECT transient memory allocated. */
  transientDeselect: number;
}

export type TransmissionProtocol = 'T0' | 'T1';

function parseKeyValues(tokens: string[], what: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const value = Number(token.slice(eq + 1));
    if (eq <= 0 || !/^-?\d+$/.test(token.slice(eq + 1)) || !Number.isSafeInteger(value)) {
      throw new RunnerError(`The simulator runner sent ${what} with a token that is not key=integer: ${JSON.stringify(token)}.`);
    }
    values.set(token.slice(0, eq), value);
  }
  return values;
}

function pickStats(values: Map<string, number>, prefix: string, what: string): OperationStats {
  const stats = {} as Record<(typeof STAT_KEYS)[number], number>;
  for (const key of STAT_KEYS) {
    const value = values.get(prefix + key);
    if (value === undefined) throw new RunnerError(`The simulator runner sent ${what} without ${prefix}${key}.`);
    stats[key] = value;
  }
  return stats;
}

/** Parses the STATS tokens of an `apdu` or `tear` answer (the counters of that one command). */
export function parseOperationStats(tokens: string[]): OperationStats {
  return pickStats(parseKeyValues(tokens, 'STATS'), '', 'STATS');
}

/** Parses the tokens of a `stats` answer: the last command's counters, then `total.`-prefixed totals. */
export function parseCardStats(tokens: string[]): CardStats {
  const values = parseKeyValues(tokens, 'stats');
  return { last: pickStats(values, '', 'stats'), total: pickStats(values, 'total.', 'stats') };
}

/** Parses the tokens of a `mem` answer. */
export function parseMemory(tokens: string[]): CardMemory {
  const values = parseKeyValues(tokens, 'mem');
  const get = (key: string) => {
    const value = values.get(key);
    if (value === undefined) throw new RunnerError(`The simulator runner sent mem without ${key}.`);
    return value;
  };
  return { persistent: get('persistent'), transientReset: get('transient_reset'), transientDeselect: get('transient_deselect') };
}

const CARD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CLASS_NAME = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

function checkToken(value: string, what: string): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new TransportError(`The ${what} must be a non-empty string without spaces, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function bytesArg(value: Uint8Array | string, name: string): Uint8Array {
  try {
    return isBytes(value) ? value : fromHex(value, name);
  } catch (cause) {
    throw new TransportError(`The ${name} is not valid: ${(cause as Error).message}.`, { cause });
  }
}

export interface StartOptions extends RunnerLaunchOptions {
  /** Receives each line the JVM writes to stderr (default: kept, and shown when the runner fails). */
  stderr?: (line: string) => void;
  /** How long to wait for the runner's `hello` answer (default 30 s). */
  startTimeoutMs?: number;
}

export interface CardOptions {
  /** The card's persistent memory lives in this file: loaded when it exists, written after every change. */
  stateFile?: string;
}

/**
 * A connection to one simulator runner, hosting several cards. Every request goes through one queue, so the
 * runner's "current card" (`use NAME`) is always the one the request is meant for.
 */
export class SimulatorRunner {
  private readonly queue = new SerialQueue();
  private current: string | undefined;
  private closed = false;

  private constructor(
    private readonly connection: RunnerConnection,
    readonly description: string,
    private readonly process?: RunnerProcess,
    private readonly onClose?: () => Promise<void>,
    /** The process serves TCP: quitting our connection does not end it, SIGTERM does. */
    private readonly terminate = false,
  ) {}

  /** Starts a runner JVM over stdio and checks that it speaks protocol version 1. */
  static async start(options: StartOptions = {}): Promise<SimulatorRunner> {
    const commandLine = await runnerCommandLine(['--stdio'], options);
    const process = RunnerProcess.spawn(commandLine, options.stderr);
    const child = process.child;
    if (!child.stdout || !child.stdin) throw new RunnerError('The simulator runner was started without stdio pipes.');
    const connection = new RunnerConnection(child.stdout, child.stdin, `runner process ${child.pid ?? '?'}`, () => process.describeEndSoon());
    const runner = new SimulatorRunner(connection, `simulator runner (pid ${child.pid ?? '?'})`, process);
    await runner.handshake(options.startTimeoutMs ?? 30_000);
    return runner;
  }

  /** Connects to a runner started with `--tcp HOST:PORT`. */
  static async connect(address: string, options: { timeoutMs?: number } = {}): Promise<SimulatorRunner> {
    const { host, port } = parseHostPort(address);
    const socket = await connectSocket(host, port, options.timeoutMs);
    const connection = new RunnerConnection(socket, socket, `${host}:${port}`, () => `The connection to the simulator runner on ${host}:${port} closed.`);
    const runner = new SimulatorRunner(connection, `simulator runner at ${host}:${port}`, undefined, async () => {
      socket.end();
      socket.destroy();
    });
    await runner.handshake(options.timeoutMs ?? 10_000);
    return runner;
  }

  /**
   * Starts a runner JVM listening on TCP (`--tcp 127.0.0.1:0`: the runner picks a free port and says which on
   * stderr, unless `port` is given) and connects to it. Closing the returned runner stops the JVM.
   */
  static async startTcp(options: StartOptions & { port?: number } = {}): Promise<{ runner: SimulatorRunner; address: string }> {
    const commandLine = await runnerCommandLine(['--tcp', `127.0.0.1:${options.port ?? 0}`], options);
    const process = RunnerProcess.spawn(commandLine, options.stderr);
    process.child.stdout?.resume(); // TCP mode: whatever the JVM prints on stdout is not protocol.
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    try {
      const match = await process.waitForStderr(/listening on (\S+):(\d+)/, timeoutMs);
      const address = `${match[1]}:${match[2]}`;
      const socket = await connectSocket(match[1], Number(match[2]), timeoutMs);
      const connection = new RunnerConnection(socket, socket, address, async () => {
        const text = await process.describeEndSoon(500);
        return process.hasExited ? text : `The connection to the simulator runner on ${address} closed.`;
      });
      const runner = new SimulatorRunner(
        connection,
        `simulator runner at ${address} (pid ${process.pid ?? '?'})`,
        process,
        async () => {
          socket.end();
          socket.destroy();
        },
        true,
      );
      await runner.handshake(timeoutMs);
      return { runner, address };
    } catch (error) {
      await process.stop(0);
      throw error;
    }
  }

  /** The JVM's process id, when this object started it. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** The last lines the JVM wrote to stderr (when this object started it). */
  get stderr(): string[] {
    return this.process?.stderr ?? [];
  }

  private async handshake(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RunnerError(`The simulator runner did not answer "hello" within ${timeoutMs} ms.`)), timeoutMs);
    });
    try {
      const tokens = await Promise.race([this.request('hello'), timeout]);
      if (tokens[0] !== 'ekrona-runner' || tokens[1] !== '1') {
        throw new RunnerError(`The simulator runner speaks "${tokens.join(' ')}", not "ekrona-runner 1".`);
      }
    } catch (error) {
      await this.process?.stop(0);
      await this.onClose?.();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one runner request (no current card involved) and returns the tokens after `ok`. */
  request(line: string): Promise<string[]> {
    return this.queue.run(async () => {
      this.ensureOpen();
      const answer = await this.connection.request(line);
      if (answer.kind !== 'ok') throw new RunnerError(`The simulator runner answered "${line}" with "${answer.line}".`);
      return answer.tokens;
    });
  }

  /** Makes `card` current (when it is not already) and sends `line`; resolves with the raw answer. */
  requestOnCard(card: string, line: string): Promise<RunnerAnswer> {
    return this.queue.run(async () => {
      this.ensureOpen();
      if (this.current !== card) {
        this.current = undefined;
        await this.connection.request(`use ${card}`);
        this.current = card;
      }
      return this.connection.request(line);
    });
  }

  /**
   * Creates card `name` (empty and powered off, or loaded from `stateFile` when that file exists) and makes it
   * this connection's current card. A name already hosted by the runner is refused.
   */
  async card(name: string, options: CardOptions = {}): Promise<SimulatedCard> {
    if (!CARD_NAME.test(name)) {
      throw new TransportError(`A card name is 1 to 64 letters, digits, dots, dashes or underscores, got ${JSON.stringify(name)}.`);
    }
    const stateFile = options.stateFile === undefined ? undefined : checkToken(options.stateFile, 'state file path');
    const tokens = await this.queue.run(async () => {
      this.ensureOpen();
      const answer = await this.connection.request(stateFile ? `card ${name} ${stateFile}` : `card ${name}`);
      this.current = name;
      return answer.tokens;
    });
    if (tokens[0] !== 'new' && tokens[0] !== 'loaded') {
      throw new RunnerError(`The simulator runner answered "card ${name}" with "ok ${tokens.join(' ')}", not "ok new" or "ok loaded".`);
    }
    return new SimulatedCard(this, name, tokens[0] === 'loaded');
  }

  /** A handle on a card the runner already hosts (created by another connection, e.g. over TCP). */
  existingCard(name: string): SimulatedCard {
    if (!CARD_NAME.test(name)) throw new TransportError(`${JSON.stringify(name)} is not a valid card name.`);
    return new SimulatedCard(this, name, true);
  }

  /** The names of the cards the runner hosts. */
  cards(): Promise<string[]> {
    return this.request('cards');
  }

  /** Connects card `name` to a vsmartcard vpcd driver at `address` (default 127.0.0.1:35963). */
  async vpcd(name: string, address = '127.0.0.1:35963'): Promise<void> {
    parseHostPort(address);
    await this.request(`vpcd ${checkToken(name, 'card name')} ${address}`);
  }

  /** Ends the connection (`quit`); stops the JVM when this object started it. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.queue.run(async () => {
        if (this.connection.isBroken) return;
        const quit = this.connection.request('quit').catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([quit, new Promise((r) => (timer = setTimeout(r, 2000)))]);
        clearTimeout(timer);
      });
    } finally {
      this.closed = true;
      this.connection.end(`The ${this.description} was closed.`);
      await this.onClose?.();
      await this.process?.stop(3000, this.terminate);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private ensureOpen(): void {
    if (this.closed) throw new RunnerError(`The ${this.description} was closed.`);
  }
}

/** One card hosted by a simulator runner: a CardTransport with power, tear and counter controls. */
export class SimulatedCard extends QueuedTransport {
  readonly name: string;
  /** The counters of the last `exchange` (from its answer), or undefined before the first one. */
  lastExchangeStats: OperationStats | undefined;
  private closeHook: (() => Promise<void>) | undefined;

  constructor(
    readonly runner: SimulatorRunner,
    readonly cardName: string,
    /** True when the card's persistent memory was loaded from an existing state file. */
    readonly loaded: boolean,
  ) {
    super();
    this.name = `simulator card ${cardName}`;
  }

  /** Runs `hook` when this card is closed (e.g. to stop a runner dedicated to it). */
  onClose(hook: () => Promise<void>): void {
    this.closeHook = hook;
  }

  protected async transmitNow(command: Uint8Array): Promise<Uint8Array> {
    const answer = await this.send(`apdu ${toHex(command)}`);
    if (answer.kind === 'tear') {
      const stats = tryStats(answer.tokens);
      this.lastExchangeStats = stats;
      throw new SimulatedPowerLoss(`The ${this.name} lost power during the command (armed tear); it is now powered off.`, stats);
    }
    const [hex, ...statTokens] = answer.tokens;
    if (hex === undefined) throw new RunnerError(`The simulator runner answered an APDU for ${this.cardName} with no response.`);
    let response: Uint8Array;
    try {
      response = fromHex(hex, 'response');
    } catch (cause) {
      throw new RunnerError(`The simulator runner answered an APDU for ${this.cardName} with bad hex.`, { cause });
    }
    this.lastExchangeStats = tryStats(statTokens);
    return response;
  }

  protected async closeNow(): Promise<void> {
    await this.closeHook?.();
  }

  /** Installs an instance of applet class `className` under `aid` (5..16 bytes) with install parameters `params`. */
  async install(className: string, aid: Uint8Array | string, params: Uint8Array | string = new Uint8Array(0)): Promise<void> {
    if (!CLASS_NAME.test(className)) throw new TransportError(`${JSON.stringify(className)} is not a fully qualified Java class name.`);
    const aidBytes = bytesArg(aid, 'applet AID');
    const paramBytes = bytesArg(params, 'install parameters');
    try {
      assertBytesLength(aidBytes, 'applet AID', 5, 16);
      assertBytesLength(paramBytes, 'install parameters', 0, 255);
    } catch (cause) {
      throw new TransportError(`Cannot install ${className}: ${(cause as Error).message}.`, { cause });
    }
    const params_ = paramBytes.length > 0 ? ` ${toHex(paramBytes)}` : '';
    await this.control(`install ${className} ${toHex(aidBytes)}${params_}`);
  }

  /** Powers the card on (cold reset) and returns the ATR. */
  async powerOn(): Promise<Uint8Array> {
    return atrOf(await this.control('power on'), this.cardName);
  }

  /** Powers the card off: transient memory is lost and APDUs are refused until `powerOn`. */
  async powerOff(): Promise<void> {
    await this.control('power off');
  }

  /** Warm reset (as power off then on); returns the ATR. */
  async reset(): Promise<Uint8Array> {
    return atrOf(await this.control('reset'), this.cardName);
  }

  /** Arms a power loss at tear point `n` (1-based) of the next APDU; 0 disarms. */
  async armTear(n: number): Promise<void> {
    try {
      assertInteger(n, 'tear point', 0, 0x7fffffff);
    } catch (cause) {
      throw new TransportError(`Cannot arm a tear: ${(cause as Error).message}.`, { cause });
    }
    await this.control(`tear ${n}`);
  }

  /** Disarms a tear armed with `armTear`. */
  disarmTear(): Promise<void> {
    return this.armTear(0);
  }

  /** The counters of the last APDU and the totals since power on (the runner's `stats`). */
  async lastStats(): Promise<CardStats> {
    return parseCardStats(await this.control('stats'));
  }

  /** Persistent and transient memory allocated by the card's applets (the runner's `mem`). */
  async memory(): Promise<CardMemory> {
    return parseMemory(await this.control('mem'));
  }

  /** Makes the card behave as a T=0 card (61xx / 6Cxx procedure bytes) or a T=1 card (the default). */
  async setProtocol(protocol: TransmissionProtocol): Promise<void> {
    if (protocol !== 'T0' && protocol !== 'T1') throw new TransportError(`The protocol must be T0 or T1, got ${JSON.stringify(protocol)}.`);
    await this.control(`proto ${protocol}`);
  }

  /** Writes the card's state file now. */
  async save(): Promise<void> {
    await this.control('save');
  }

  /** A runner request about this card, serialised with its APDUs; resolves with the tokens after `ok`. */
  private control(line: string): Promise<string[]> {
    return this.serialised(async () => {
      const answer = await this.send(line);
      if (answer.kind !== 'ok') throw new RunnerError(`The simulator runner answered "${line}" with "${answer.line}".`);
      return answer.tokens;
    });
  }

  private async send(line: string): Promise<RunnerAnswer> {
    try {
      return await this.runner.requestOnCard(this.cardName, line);
    } catch (error) {
      if (error instanceof RunnerRefused) {
        const [verb, arg] = line.split(' ');
        const shown = arg === undefined ? verb : `${verb} ${arg.length > 20 ? `${arg.slice(0, 16)}...` : arg}`;
        throw new TransportError(`The ${this.name} refused "${shown}": ${error.sentence}`, { cause: error });
      }
      throw error;
    }
  }
}

function atrOf(tokens: string[], card: string): Uint8Array {
  try {
    return assertBytes(fromHex(tokens[0] ?? '', 'ATR'), 'ATR');
  } catch (cause) {
    throw new RunnerError(`The simulator runner powered ${card} on but sent no valid ATR.`, { cause });
  }
}

function tryStats(tokens: string[]): OperationStats | undefined {
  if (tokens.length === 0) return undefined;
  return parseOperationStats(tokens);
}

/** The power loss of a simulated card, with the counters of the command up to the tear (when the runner sent them). */
export class SimulatedPowerLoss extends CardPowerLost {
  constructor(
    message: string,
    readonly stats: OperationStats | undefined,
  ) {
    super(message);
  }
}
