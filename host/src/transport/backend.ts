// Choosing where the card is: our simulator (default), jCardSim through the same runner protocol, or a real card
// in a PC/SC reader. The test suite picks the backend from the environment (CARD_BACKEND, CARD_READER); the CLI
// picks it from its options. Each backend states what it can do, so that callers (tests above all) can skip what
// a backend cannot do, with the reason.

import type { CardTransport } from './card-transport.ts';
import { TransportError } from './card-transport.ts';
import { openPcsc, type PcscTransport } from './pcsc.ts';
import { type CardOptions, type SimulatedCard, SimulatorRunner, type StartOptions } from './simulator.ts';

export type BackendKind = 'sim' | 'jcardsim' | 'pcsc';

export const BACKEND_KINDS: readonly BackendKind[] = ['sim', 'jcardsim', 'pcsc'];

export interface BackendCapabilities {
  /** New, empty cards can be created at will (a physical card is the one card in the reader). */
  canCreateCards: boolean;
  /** Applets can be installed from the host. */
  canInstall: boolean;
  /** Power can be cut at a chosen tear point of a command. */
  canTear: boolean;
  /** Operation counters (signatures, digests, persistent writes, APDU bytes) are reported per command. */
  hasStats: boolean;
  /** Memory figures (persistent and transient bytes) are reported. */
  hasMemoryFigures: boolean;
  /** The card can be powered off and on, or reset, from the host. */
  canPowerCycle: boolean;
  /** The card can be switched between T=0 and T=1 behaviour. */
  canSetProtocol: boolean;
  /** Persistent memory can be kept in a state file and loaded by a new runner. */
  hasStateFiles: boolean;
  /**
   * abortTransaction, an exception leaving a command with a transaction open, and the end of a command with a
   * transaction open roll back persistent writes and close the transaction (jCardSim: none of them; a transaction
   * left open stays open, so the next beginTransaction throws, 6F00).
   */
  rollsBackTransactions: boolean;
  /** A response longer than Le is refused (jCardSim: no, an applet may send more than Le). */
  enforcesLe: boolean;
  /** A case-4 command with 255 data bytes and Le is handled (jCardSim: its 260-byte APDU buffer overflows, 6F00). */
  handlesFullCase4: boolean;
  /**
   * APDU.sendBytes may send data up to the end of the APDU buffer, e.g. 254 bytes from the command data offset
   * (jCardSim: data ending past byte 258 is refused with APDUException.BUFFER_BOUNDS, 6F00).
   */
  sendsWholeBuffer: boolean;
  /**
   * Incoming data arrives in chunks (setIncomingAndReceive and receiveBytes give at most 128 bytes a call), so an
   * applet's receive loop is exercised (jCardSim gives everything to setIncomingAndReceive; a real card's block
   * size decides).
   */
  receivesInChunks: boolean;
  /**
   * Key pairs and ECDSA nonces are random (jCardSim: they come from an unseeded SHA-1 generator, so every card
   * generates the same key pairs and every Signature.init restarts the nonces).
   */
  randomKeysAndNonces: boolean;
  /**
   * An EC point off the curve is refused with CryptoException.ILLEGAL_VALUE by setW or the key agreement (jCardSim:
   * setW accepts it, and ECDH or ECDSA with it throw a BouncyCastle IllegalArgumentException, 6F00).
   */
  rejectsPointsOffCurve: boolean;
  /**
   * A SELECT by name of an AID that is not installed answers 6A82 and keeps the selected applet (jCardSim passes it
   * to the selected applet's process(), and throws, answered 6F00, for an AID field of 128 bytes or more).
   */
  refusesUnknownSelect: boolean;
  /** A SELECT on logical channels 1 to 3 answers 6881 (jCardSim selects as on the basic channel). */
  refusesLogicalChannels: boolean;
  /** A command while no applet is selected answers 6D00, as a JCOP's card manager does (jCardSim: 6986). */
  answers6D00WithoutApplet: boolean;
}

export const CAPABILITIES: Record<BackendKind, BackendCapabilities> = {
  sim: {
    canCreateCards: true,
    canInstall: true,
    canTear: true,
    hasStats: true,
    hasMemoryFigures: true,
    canPowerCycle: true,
    canSetProtocol: true,
    hasStateFiles: true,
    rollsBackTransactions: true,
    enforcesLe: true,
    handlesFullCase4: true,
    sendsWholeBuffer: true,
    receivesInChunks: true,
    randomKeysAndNonces: true,
    rejectsPointsOffCurve: true,
    refusesUnknownSelect: true,
    refusesLogicalChannels: true,
    answers6D00WithoutApplet: true,
  },
  // The jCardSim bridge speaks the runner protocol; what jCardSim itself cannot do is false here, each checked
  // against jCardSim built from source (simulator/README.md, "Verified against jCardSim").
  jcardsim: {
    canCreateCards: true,
    canInstall: true,
    canTear: false,
    hasStats: false,
    hasMemoryFigures: false,
    canPowerCycle: true,
    canSetProtocol: false,
    hasStateFiles: false,
    rollsBackTransactions: false,
    enforcesLe: false,
    handlesFullCase4: false,
    sendsWholeBuffer: false,
    receivesInChunks: false,
    randomKeysAndNonces: false,
    rejectsPointsOffCurve: false,
    refusesUnknownSelect: false,
    refusesLogicalChannels: false,
    answers6D00WithoutApplet: false,
  },
  pcsc: {
    canCreateCards: false,
    canInstall: false,
    canTear: false,
    hasStats: false,
    hasMemoryFigures: false,
    canPowerCycle: false,
    canSetProtocol: false,
    hasStateFiles: false,
    rollsBackTransactions: true,
    enforcesLe: true,
    handlesFullCase4: true,
    sendsWholeBuffer: true,
    receivesInChunks: false,
    randomKeysAndNonces: true,
    rejectsPointsOffCurve: true,
    refusesUnknownSelect: true,
    refusesLogicalChannels: true,
    answers6D00WithoutApplet: true,
  },
};

const CAPABILITY_TEXT: Record<keyof BackendCapabilities, string> = {
  canCreateCards: 'cannot create new cards',
  canInstall: 'cannot install applets from the host',
  canTear: 'cannot cut power at a chosen tear point',
  hasStats: 'reports no operation counters',
  hasMemoryFigures: 'reports no memory figures',
  canPowerCycle: 'cannot power-cycle the card from the host',
  canSetProtocol: 'cannot switch between T=0 and T=1',
  hasStateFiles: 'keeps no state files',
  rollsBackTransactions:
    'does not roll back aborted transactions, nor close one left open when a command ends (a known jCardSim gap)',
  enforcesLe: 'does not enforce Le (a known jCardSim gap)',
  handlesFullCase4: 'overflows on a case-4 command with 255 data bytes, 6F00 (a known jCardSim gap)',
  sendsWholeBuffer: 'refuses APDU.sendBytes of data ending past byte 258 of the APDU buffer, 6F00 (a jCardSim gap)',
  receivesInChunks: 'gives all incoming data to the first setIncomingAndReceive (no chunked receive)',
  randomKeysAndNonces:
    'generates the same key pairs on every card and restarts ECDSA nonces at each Signature.init (jCardSim draws them from an unseeded generator)',
  rejectsPointsOffCurve:
    'does not refuse an EC point off the curve with CryptoException.ILLEGAL_VALUE: using it throws a Java exception, 6F00 (a jCardSim gap)',
  refusesUnknownSelect:
    'does not answer 6A82 to a SELECT of an AID not installed: jCardSim passes it to the selected applet, or fails (6F00) for an AID field of 128 bytes or more',
  refusesLogicalChannels: 'does not answer 6881 to a SELECT on a logical channel: jCardSim selects as on the basic channel',
  answers6D00WithoutApplet: 'answers 6986, not 6D00, to a command while no applet is selected (jCardSim)',
};

/** "the jcardsim backend cannot cut power at a chosen tear point". */
export function missingCapabilityReason(kind: BackendKind, capability: keyof BackendCapabilities): string {
  return `the ${kind} backend ${CAPABILITY_TEXT[capability]}`;
}

export interface BackendOptions {
  kind: BackendKind;
  /** PC/SC: the reader's name, or a part of it matching one reader (default: the first reader holding a card). */
  reader?: string;
  /** Simulators: how to start the runner. */
  runner?: StartOptions;
  /** Simulators: connect to a runner already listening on TCP (HOST:PORT) instead of starting one. */
  runnerAddress?: string;
}

/** The backend named by CARD_BACKEND (`sim` when unset), with CARD_READER and SIM_RUNNER_ADDRESS. */
export function backendOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BackendOptions {
  const raw = (env.CARD_BACKEND ?? '').trim().toLowerCase();
  const kind = (raw === '' ? 'sim' : raw) as BackendKind;
  if (!BACKEND_KINDS.includes(kind)) {
    throw new TransportError(`CARD_BACKEND must be one of ${BACKEND_KINDS.join(', ')}, got ${JSON.stringify(env.CARD_BACKEND)}.`);
  }
  const options: BackendOptions = { kind };
  if (env.CARD_READER && env.CARD_READER.trim() !== '') options.reader = env.CARD_READER.trim();
  if (env.SIM_RUNNER_ADDRESS && env.SIM_RUNNER_ADDRESS.trim() !== '' && kind !== 'pcsc') {
    options.runnerAddress = env.SIM_RUNNER_ADDRESS.trim();
  }
  return options;
}

/** A card that may also be a simulated one (then it has the simulator's extras). */
export type BackendCard = CardTransport & Partial<Pick<SimulatedCard, 'install' | 'powerOn' | 'powerOff' | 'reset' | 'armTear' | 'lastStats' | 'memory' | 'setProtocol'>>;

export interface CardBackend {
  readonly kind: BackendKind;
  readonly capabilities: BackendCapabilities;
  readonly description: string;
  /** The runner, for the simulator backends. */
  readonly runner: SimulatorRunner | undefined;
  /**
   * A card: for the simulators a new card `name` (empty and powered off, or loaded from its state file); for PC/SC
   * the card in the reader (connected, powered), whatever the name.
   */
  openCard(name: string, options?: CardOptions): Promise<BackendCard>;
  /** A new runner, for the simulator backends (e.g. to prove state files outlive a runner). */
  restartRunner(): Promise<SimulatorRunner>;
  close(): Promise<void>;
}

class SimulatorBackend implements CardBackend {
  readonly capabilities: BackendCapabilities;
  readonly description: string;

  constructor(
    readonly kind: 'sim' | 'jcardsim',
    public runner: SimulatorRunner,
    private readonly options: BackendOptions & { kind: 'sim' | 'jcardsim' },
  ) {
    this.capabilities = CAPABILITIES[kind];
    this.description = kind === 'sim' ? runner.description : `jCardSim bridge (${runner.description})`;
  }

  static async start(options: BackendOptions & { kind: 'sim' | 'jcardsim' }): Promise<SimulatorBackend> {
    return new SimulatorBackend(options.kind, await startRunner(options), options);
  }

  openCard(name: string, options?: CardOptions): Promise<BackendCard> {
    return this.runner.card(name, options);
  }

  async restartRunner(): Promise<SimulatorRunner> {
    if (this.options.runnerAddress) {
      throw new TransportError(`The runner at ${this.options.runnerAddress} was not started here, so it cannot be restarted.`);
    }
    await this.runner.close();
    this.runner = await startRunner(this.options);
    return this.runner;
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

function startRunner(options: BackendOptions & { kind: 'sim' | 'jcardsim' }): Promise<SimulatorRunner> {
  if (options.runnerAddress) return SimulatorRunner.connect(options.runnerAddress);
  return SimulatorRunner.start({ ...options.runner, flavour: options.kind });
}

class PcscBackend implements CardBackend {
  readonly kind = 'pcsc' as const;
  readonly capabilities = CAPABILITIES.pcsc;
  readonly runner = undefined;
  private transport: PcscTransport | undefined;

  constructor(private readonly options: BackendOptions) {}

  get description(): string {
    return this.transport?.name ?? `PC/SC reader ${this.options.reader ?? '(first with a card)'}`;
  }

  async openCard(): Promise<BackendCard> {
    if (!this.transport || this.transport.isClosed) {
      this.transport = await openPcsc(this.options.reader ? { reader: this.options.reader } : {});
    }
    const transport = this.transport;
    // Every test "opens" the same physical card: closing one handle must not disconnect the others.
    return {
      name: transport.name,
      exchange: (command) => transport.exchange(command),
      session: (body) => transport.session(body),
      close: async () => undefined,
    };
  }

  async restartRunner(): Promise<SimulatorRunner> {
    throw new TransportError('The pcsc backend has no simulator runner to restart.');
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }
}

/** Starts (or connects to) the chosen backend. */
export async function openBackend(options: BackendOptions = backendOptionsFromEnv()): Promise<CardBackend> {
  if (options.kind === 'pcsc') return new PcscBackend(options);
  return SimulatorBackend.start({ ...options, kind: options.kind });
}

export interface InstallSpec {
  className: string;
  aid: Uint8Array | string;
  params?: Uint8Array | string;
}

export interface OpenTransportOptions extends BackendOptions {
  /** Simulators: the card's name (default "card"). */
  card?: string;
  /** Simulators: keep the card's persistent memory in this file between runs. */
  stateFile?: string;
  /** Simulators: applets to install when the card is new (not loaded from its state file). */
  install?: InstallSpec[];
}

/**
 * One ready card for a command-line run: for the simulators a runner is started (or reached over TCP), the card
 * created or loaded, its applets installed when it is new, and the card powered on; for PC/SC the card in the
 * reader. Closing the transport also stops the runner it started.
 */
export async function openTransport(options: OpenTransportOptions): Promise<CardTransport> {
  if (options.kind === 'pcsc') return openPcsc(options.reader ? { reader: options.reader } : {});
  const runner = await startRunner({ ...options, kind: options.kind });
  try {
    const card = await runner.card(options.card ?? 'card', options.stateFile ? { stateFile: options.stateFile } : {});
    if (!card.loaded) {
      for (const applet of options.install ?? []) await card.install(applet.className, applet.aid, applet.params);
    }
    await card.powerOn();
    card.onClose(() => runner.close());
    return card;
  } catch (error) {
    await runner.close();
    throw error;
  }
}
