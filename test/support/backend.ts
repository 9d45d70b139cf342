// The card backend of a test file, chosen by CARD_BACKEND (sim by default, jcardsim, pcsc; CARD_READER names the
// reader). One backend (one runner JVM) per test file; a fresh card per test. Tests that need something the
// backend cannot do are skipped with the reason printed, never silently.

import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type BackendCapabilities,
  type BackendCard,
  type BackendKind,
  backendOptionsFromEnv,
  CAPABILITIES,
  type CardBackend,
  missingCapabilityReason,
  openBackend,
} from '../../host/src/transport/backend.ts';
import type { SimulatedCard, SimulatorRunner } from '../../host/src/transport/simulator.ts';
import { TEST_APPLET_AID, TEST_APPLET_AID_2, TEST_APPLET_CLASS, TestAppletClient } from './test-applet.ts';

export const BACKEND_OPTIONS = backendOptionsFromEnv();
export const BACKEND_KIND: BackendKind = BACKEND_OPTIONS.kind;
export const CAPS: BackendCapabilities = CAPABILITIES[BACKEND_KIND];

type Capability = keyof BackendCapabilities;

function missing(capabilities: Capability[]): string | undefined {
  const lacking = capabilities.filter((c) => !CAPS[c]);
  return lacking.length === 0 ? undefined : lacking.map((c) => missingCapabilityReason(BACKEND_KIND, c)).join('; ');
}

const announced = new Set<string>();
function announce(kind: 'test' | 'group', name: string, reason: string): void {
  const line = `[skipped ${kind}] "${name}": ${reason}`;
  if (announced.has(line)) return;
  announced.add(line);
  console.warn(line);
}

/** `it`, or `it.skip` with the reason printed and in the test's name when the backend lacks a capability. */
export function itWith(capabilities: Capability[], name: string, fn: () => Promise<void> | void, timeout?: number): void {
  const reason = missing(capabilities);
  if (reason === undefined) {
    it(name, fn, timeout);
  } else {
    announce('test', name, reason);
    it.skip(`${name} [skipped: ${reason}]`, fn);
  }
}

/** `describe`, or `describe.skip` with the reason printed, when the backend lacks a capability. */
export function describeWith(capabilities: Capability[], name: string, fn: () => void): void {
  const reason = missing(capabilities);
  if (reason === undefined) {
    describe(name, fn);
  } else {
    announce('group', name, reason);
    describe.skip(`${name} [skipped: ${reason}]`, fn);
  }
}

export interface FreshCardOptions {
  /** Install a second instance of the test applet under TEST_APPLET_AID_2 (default false). */
  second?: boolean;
  /** Keep the card's persistent memory in this file. */
  stateFile?: string;
  /** Select the test applet after power on (default true). */
  select?: boolean;
  /** A name prefix (the name is made unique). */
  name?: string;
}

export interface FreshCard {
  card: BackendCard;
  applet: TestAppletClient;
  name: string;
  /** The card as a simulated card (on PC/SC any use throws: use only in tests guarded by a simulator capability). */
  sim: SimulatedCard;
}

/** Stands in for a simulated card on backends without one: any use says so. */
function notSimulated(): SimulatedCard {
  return new Proxy({} as SimulatedCard, {
    get(_, property) {
      throw new Error(`the ${BACKEND_KIND} backend has no simulated card (used: ${String(property)})`);
    },
  });
}

let counter = 0;

/** A card name unique across test files and runs sharing one runner. */
export function uniqueCardName(prefix = 'card'): string {
  counter += 1;
  return `${prefix.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 24)}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

export interface CardEnv {
  readonly backend: CardBackend;
  /** The runner of a simulator backend. */
  readonly runner: SimulatorRunner;
  /** A new card with the test applet installed (simulators), powered on and the applet selected. */
  freshCard(options?: FreshCardOptions): Promise<FreshCard>;
  /** Creates or loads a card without installing anything (simulators only). */
  rawCard(name: string, stateFile?: string): Promise<SimulatedCard>;
}

/** Opens the backend before the file's tests and closes it after them. */
export function useCardEnv(): CardEnv {
  let backend: CardBackend | undefined;
  beforeAll(async () => {
    backend = await openBackend(BACKEND_OPTIONS);
  });
  afterAll(async () => {
    await backend?.close();
  });
  const env: CardEnv = {
    get backend(): CardBackend {
      if (!backend) throw new Error('the card backend is not open yet (use it inside a test)');
      return backend;
    },
    get runner(): SimulatorRunner {
      const runner = env.backend.runner;
      if (!runner) throw new Error(`the ${BACKEND_KIND} backend has no simulator runner`);
      return runner;
    },
    async rawCard(name: string, stateFile?: string): Promise<SimulatedCard> {
      return (await env.backend.openCard(name, stateFile ? { stateFile } : {})) as SimulatedCard;
    },
    async freshCard(options: FreshCardOptions = {}): Promise<FreshCard> {
      const name = uniqueCardName(options.name);
      const card = await env.backend.openCard(name, options.stateFile ? { stateFile: options.stateFile } : {});
      if (CAPS.canInstall && card.install) {
        await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
        if (options.second) await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID_2);
      }
      if (card.powerOn) await card.powerOn();
      const applet = new TestAppletClient(card);
      if (options.select !== false) {
        const selected = await applet.select();
        if (selected.sw !== 0x9000) throw new Error(`SELECT of the test applet answered ${selected.sw.toString(16)}`);
      }
      return { card, applet, name, sim: CAPS.canCreateCards ? (card as SimulatedCard) : notSimulated() };
    },
  };
  return env;
}
