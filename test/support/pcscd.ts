// pcscd for the PC/SC end-to-end tests: use the one that runs, else start `pcscd --foreground` (and stop it
// afterwards), else say why the tests cannot run.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { loadPcsclite } from '../../host/src/transport/pcsc.ts';

/** pcsc-lite's client socket (PCSCLITE_CSOCK_NAME overrides it, as in libpcsclite). */
export const PCSCD_SOCKET = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';

/** True when something accepts connections on pcscd's socket. */
export function pcscdRunning(socket = PCSCD_SOCKET): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const connection = createConnection({ path: socket });
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}

/** The pcscd executable on PATH or in the usual sbin folders, if any. */
export function findPcscd(): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const folder of folders) {
    const candidate = join(folder, 'pcscd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The vsmartcard vpcd driver's configuration (Debian: vsmartcard-vpcd). */
export function vpcdInstalled(): boolean {
  return ['/etc/reader.conf.d/vpcd', '/usr/lib/pcsc/drivers/serial/libifdvpcd.so'].some((p) => existsSync(p));
}

/** True when the host's PC/SC binding (the optional pcsclite package) loads. */
async function pcscliteLoads(): Promise<boolean> {
  try {
    await loadPcsclite();
    return true;
  } catch {
    return false;
  }
}

export interface PcscdPlan {
  /** 'running': use the pcscd that runs; 'start': start the binary; 'skip': the tests cannot run. */
  mode: 'running' | 'start' | 'skip';
  binary?: string;
  /** Why the tests are skipped (mode 'skip'). */
  reason?: string;
}

export async function planPcscd(): Promise<PcscdPlan> {
  if (!vpcdInstalled()) return { mode: 'skip', reason: 'the vsmartcard vpcd driver is not installed (Debian: apt-get install vsmartcard-vpcd)' };
  if (!(await pcscliteLoads())) {
    return { mode: 'skip', reason: 'the optional pcsclite package is not built (it needs libpcsclite-dev when npm installs it: apt-get install libpcsclite-dev, then npm ci)' };
  }
  if (await pcscdRunning()) return { mode: 'running' };
  const binary = findPcscd();
  if (binary) return { mode: 'start', binary };
  return { mode: 'skip', reason: 'pcscd is neither running nor installed (Debian: apt-get install pcscd)' };
}

/** A pcscd we started: stopped by its process id. */
export class StartedPcscd {
  private readonly output: string[] = [];
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      this.output.splice(0, Math.max(0, this.output.length - 40));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exit = new Promise((resolve) =>
      child.once('exit', () => {
        this.exited = true;
        resolve();
      }),
    );
    child.once('error', (error) => {
      this.output.push(String(error));
      this.exited = true;
    });
  }

  static async start(binary: string, timeoutMs = 10_000): Promise<StartedPcscd> {
    const started = new StartedPcscd(spawn(binary, ['--foreground'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const deadline = Date.now() + timeoutMs;
    while (!(await pcscdRunning())) {
      if (started.exited || Date.now() > deadline) {
        await started.stop();
        throw new Error(`pcscd --foreground did not start: ${started.output.slice(-5).join(' | ') || 'no output'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return started;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get log(): string[] {
    return [...this.output];
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exit;
    clearTimeout(timer);
  }
}
