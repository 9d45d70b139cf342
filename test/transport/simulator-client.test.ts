// The host's side of the runner protocol (simulator.ts, runner-process.ts), against an in-process fake runner.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { CardPowerLost, TransportError } from '../../host/src/transport/card-transport.ts';
import { RunnerConnection, RunnerError, parseHostPort } from '../../host/src/transport/runner-process.ts';
import {
  parseCardStats,
  parseMemory,
  parseOperationStats,
  SimulatedPowerLoss,
  SimulatorRunner,
} from '../../host/src/transport/simulator.ts';
import { FakeRunner } from '../support/fake-runner.ts';

describe('the runner client, against a fake runner over TCP', () => {
  let fake: FakeRunner;
  let runner: SimulatorRunner;

  beforeEach(async () => {
    fake = new FakeRunner();
    runner = await SimulatorRunner.connect(await fake.listen());
  });

  afterEach(async () => {
    await runner.close();
    await fake.close();
  });

  it('greets the runner with hello first', () => {
    expect(fake.requests[0]).toBe('hello');
  });

  it('sends use only when another card was current', async () => {
    const a = await runner.card('a');
    const b = await runner.card('b');
    await a.powerOn();
    await b.powerOn();
    await b.exchange(fromHex('80010000'));
    await a.exchange(fromHex('80010000'));
    expect(fake.requests.slice(1)).toEqual(['card a', 'card b', 'use a', 'power on', 'use b', 'power on', 'apdu 80010000', 'use a', 'apdu 80010000']);
  });

  it('returns the response and keeps the command counters', async () => {
    const card = await runner.card('c');
    expect(toHex(await card.powerOn())).toBe('3B8080018080');
    expect(toHex(await card.exchange(fromHex('8001000002CAFE')))).toBe('CAFE9000');
    expect(card.lastExchangeStats).toMatchObject({ tp: 2, in: 7, out: 4 });
  });

  it('turns a tear answer into CardPowerLost with the counters', async () => {
    const card = await runner.card('d');
    await card.powerOn();
    await card.armTear(1);
    const error = await card.exchange(fromHex('80010000')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CardPowerLost);
    expect(error).toBeInstanceOf(SimulatedPowerLoss);
    expect((error as SimulatedPowerLoss).stats?.tp).toBe(1);
    expect((error as Error).message).toBe('The simulator card d lost power during the command (armed tear); it is now powered off.');
  });

  it('turns an err answer into a TransportError quoting the runner', async () => {
    const card = await runner.card('e');
    await expect(card.exchange(fromHex('80010000'))).rejects.toThrow(
      new TransportError('The simulator card e refused "apdu 80010000": The card is powered off: send power on first.'),
    );
  });

  it('refuses a card name the runner already hosts', async () => {
    await runner.card('f');
    await expect(runner.card('f')).rejects.toThrow('The simulator runner refused "card f": A card named f already exists.');
  });

  it('refuses a card name with spaces before sending it', async () => {
    await expect(runner.card('my card')).rejects.toThrow('A card name is 1 to 64 letters');
    expect(fake.requests).not.toContain('card my card');
  });

  it('lists the cards', async () => {
    await runner.card('g');
    await runner.card('h');
    expect(await runner.cards()).toEqual(['g', 'h']);
  });

  it('parses stats and mem answers into typed figures', async () => {
    const card = await runner.card('i');
    await card.powerOn();
    await card.exchange(fromHex('8001000001AA'));
    const stats = await card.lastStats();
    expect(stats.last).toEqual({ tp: 2, sig: 0, ver: 0, dig: 0, ka: 0, ciph: 0, gen: 0, pw: 0, txmax: 0, in: 6, out: 3, us: 7, alloc: 0 });
    expect(stats.total.in).toBe(6);
    expect(await card.memory()).toEqual({ persistent: 1234, transientReset: 16, transientDeselect: 32 });
  });

  it('installs with the AID and parameters in hex', async () => {
    const card = await runner.card('j');
    await card.install('ekrona.testapplet.TestApplet', 'f000000e4b5401', Uint8Array.of(1, 2));
    expect(fake.requests.at(-1)).toBe('install ekrona.testapplet.TestApplet F000000E4B5401 0102');
  });

  it('refuses an AID shorter than 5 bytes before sending it', async () => {
    const card = await runner.card('k');
    await expect(card.install('a.B', Uint8Array.of(1, 2, 3, 4))).rejects.toThrow(
      'Cannot install a.B: applet AID must be 5 to 16 bytes long, got 4.',
    );
  });

  it('fails every pending request with one sentence when the runner goes away', async () => {
    const card = await runner.card('l');
    await card.powerOn();
    fake.override = (line) => (line.startsWith('apdu') ? '' : undefined); // never answers the APDU
    const pending = card.exchange(fromHex('80010000'));
    await new Promise((r) => setTimeout(r, 20));
    fake.dropConnections();
    await expect(pending).rejects.toThrow(RunnerError);
    await expect(pending).rejects.toThrow(/closed/);
  });

  it('refuses an answer that is neither ok, err nor tear', async () => {
    fake.override = (line) => (line === 'cards' ? 'maybe' : undefined);
    await expect(runner.cards()).rejects.toThrow('with a line that is not ok/err/tear: "maybe"');
  });
});

describe('RunnerConnection', () => {
  it('breaks on a line nobody asked for', async () => {
    const fromRunner = new PassThrough();
    const toRunner = new PassThrough();
    const connection = new RunnerConnection(fromRunner, toRunner, 'test', () => 'ended');
    fromRunner.write('ok surprise\n');
    await new Promise((r) => setTimeout(r, 5));
    await expect(connection.request('hello')).rejects.toThrow('sent a line nobody asked for: "ok surprise"');
  });

  it('matches answers to requests in order, across chunk boundaries', async () => {
    const fromRunner = new PassThrough();
    const toRunner = new PassThrough();
    const connection = new RunnerConnection(fromRunner, toRunner, 'test', () => 'ended');
    const a = connection.request('hello');
    const b = connection.request('cards');
    fromRunner.write('ok ekrona-');
    fromRunner.write('runner 1\r\nok x y\n');
    expect((await a).tokens).toEqual(['ekrona-runner', '1']);
    expect((await b).tokens).toEqual(['x', 'y']);
  });
});

describe('parsers', () => {
  it('reads STATS tokens in any order', () => {
    const tokens = 'alloc=0 us=1 out=2 in=3 txmax=4 pw=5 gen=6 ciph=7 ka=8 dig=9 ver=10 sig=11 tp=12'.split(' ');
    expect(parseOperationStats(tokens)).toEqual({ tp: 12, sig: 11, ver: 10, dig: 9, ka: 8, ciph: 7, gen: 6, pw: 5, txmax: 4, in: 3, out: 2, us: 1, alloc: 0 });
  });

  it('refuses STATS with a key missing', () => {
    expect(() => parseOperationStats(['tp=1'])).toThrow('The simulator runner sent STATS without sig.');
  });

  it('ignores keys it does not know, for runners newer than this host', () => {
    const tokens = 'tp=1 sig=0 ver=0 dig=0 ka=0 ciph=0 gen=0 pw=0 txmax=0 in=4 out=2 us=5 alloc=0 future=9'.split(' ');
    expect(parseOperationStats(tokens)).not.toHaveProperty('future');
  });

  it('refuses a token that is not key=integer', () => {
    expect(() => parseOperationStats(['tp=x'])).toThrow('not key=integer: "tp=x"');
  });

  it('separates the last command from the totals', () => {
    const last = 'tp=1 sig=1 ver=0 dig=3 ka=0 ciph=0 gen=0 pw=0 txmax=0 in=8 out=74 us=900 alloc=0';
    const total = last.replace(/(\w+)=/g, 'total.$1=').replace('total.sig=1', 'total.sig=2');
    const stats = parseCardStats(`${last} ${total}`.split(' '));
    expect(stats.last.sig).toBe(1);
    expect(stats.total.sig).toBe(2);
  });

  it('reads mem', () => {
    expect(parseMemory(['persistent=10', 'transient_reset=2', 'transient_deselect=3'])).toEqual({
      persistent: 10,
      transientReset: 2,
      transientDeselect: 3,
    });
  });

  it('reads HOST:PORT and refuses anything else', () => {
    expect(parseHostPort('127.0.0.1:35963')).toEqual({ host: '127.0.0.1', port: 35963 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseHostPort('localhost')).toThrow('A runner address must look like 127.0.0.1:PORT, got "localhost".');
    expect(() => parseHostPort('h:70000')).toThrow(RunnerError);
  });

  it('says clearly when no runner listens on an address', async () => {
    await expect(SimulatorRunner.connect('127.0.0.1:1')).rejects.toThrow('No simulator runner listens on 127.0.0.1:1');
  });
});
