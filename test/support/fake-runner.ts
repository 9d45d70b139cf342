// A stand-in for the simulator runner, in-process on TCP, speaking the line protocol of docs/RUNNER.md just well
// enough to test the host's client side (simulator.ts) without a JVM: its cards echo the command data with 9000.

import { createServer, type Server, type Socket } from 'node:net';

const STATS = (tp: number, inBytes: number, outBytes: number) =>
  `tp=${tp} sig=0 ver=0 dig=0 ka=0 ciph=0 gen=0 pw=0 txmax=0 in=${inBytes} out=${outBytes} us=7 alloc=0`;

interface FakeCard {
  powered: boolean;
  tearAt: number;
  applets: string[];
  lastStats: string;
}

export class FakeRunner {
  readonly requests: string[] = [];
  readonly cards = new Map<string, FakeCard>();
  /** Replace a line's answer (for malformed-answer tests); return undefined to answer normally. */
  override: ((line: string) => string | undefined) | undefined;
  private server: Server | undefined;
  private sockets = new Set<Socket>();

  async listen(): Promise<string> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    return `127.0.0.1:${address.port}`;
  }

  /** Drops every connection, as a crashing runner would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let current: string | undefined;
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.requests.push(line);
        const answer = this.override?.(line) ?? this.answer(line, current, (name) => (current = name));
        if (answer !== '') socket.write(`${answer}\n`);
        if (line === 'quit') socket.end();
      }
    });
  }

  private answer(line: string, current: string | undefined, setCurrent: (name: string) => void): string {
    const [verb, ...args] = line.split(' ');
    const card = current ? this.cards.get(current) : undefined;
    switch (verb) {
      case 'hello':
        return 'ok ekrona-runner 1';
      case 'card':
        if (this.cards.has(args[0])) return `err A card named ${args[0]} already exists.`;
        this.cards.set(args[0], { powered: false, tearAt: 0, applets: [], lastStats: STATS(0, 0, 0) });
        setCurrent(args[0]);
        return 'ok new';
      case 'use':
        if (!this.cards.has(args[0])) return `err There is no card named ${args[0]}.`;
        setCurrent(args[0]);
        return 'ok';
      case 'cards':
        return ['ok', ...this.cards.keys()].join(' ');
      case 'quit':
        return 'ok';
    }
    if (!card) return 'err No card is current: send card or use first.';
    switch (verb) {
      case 'install':
        card.applets.push(args[1]);
        return 'ok';
      case 'power':
        card.powered = args[0] === 'on';
        return card.powered ? 'ok 3B8080018080' : 'ok';
      case 'reset':
        card.powered = true;
        return 'ok 3B8080018080';
      case 'tear':
        card.tearAt = Number(args[0]);
        return 'ok';
      case 'proto':
        return 'ok';
      case 'mem':
        return 'ok persistent=1234 transient_reset=16 transient_deselect=32';
      case 'stats':
        return `ok ${card.lastStats} ${card.lastStats.replace(/(\w+)=/g, 'total.$1=')}`;
      case 'apdu': {
        if (!card.powered) return 'err The card is powered off: send power on first.';
        const hex = args[0];
        const data = hex.length > 10 ? hex.slice(10) : '';
        if (card.tearAt > 0) {
          card.tearAt = 0;
          card.powered = false;
          card.lastStats = STATS(1, hex.length / 2, 0);
          return `tear ${card.lastStats}`;
        }
        card.lastStats = STATS(2, hex.length / 2, data.length / 2 + 2);
        return `ok ${data}9000 ${card.lastStats}`;
      }
    }
    return `err Unknown verb ${verb}.`;
  }
}
