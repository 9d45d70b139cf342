#!/usr/bin/env node
// A quick end-to-end check of the runner and the runtime, through the line protocol, with the test applet
// (test/applet). Not the conformance suite (that is test/, through the TypeScript transport): a runtime engineer's
// smoke test, runnable with nothing but node and a JDK. Usage: node scripts/build-java.mjs && node simulator/smoke.mjs
import { spawn } from 'node:child_process';
import { createECDH, createCipheriv, createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runnerCommand } from '../scripts/java-paths.mjs';

const AID = 'F000000E4B5401';
const AID2 = 'F000000E4B5402';
const APPLET = 'ekrona.testapplet.TestApplet';
const SELECT = (aid) => `00A40400${(aid.length / 2).toString(16).padStart(2, '0')}${aid}`;

let passed = 0;
let failed = 0;
function check(name, condition, detail = '') {
  if (condition) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}

const hex = (b) => Buffer.from(b).toString('hex').toUpperCase();
const lc = (data) => (data.length / 2).toString(16).padStart(2, '0').toUpperCase();
/** A command APDU: CLA 80, optional data (hex), optional Le (number, 256 = 00). */
function cmd(ins, p1 = 0, p2 = 0, data = '', le) {
  let apdu = `80${ins.toString(16).padStart(2, '0')}${p1.toString(16).padStart(2, '0')}${p2.toString(16).padStart(2, '0')}`;
  if (data.length) apdu += lc(data) + data;
  if (le !== undefined) apdu += (le & 0xff).toString(16).padStart(2, '0');
  return apdu.toUpperCase();
}

/** One runner process (stdio) with a promise-per-line client. */
class Runner {
  constructor(runnerArgs = ['--stdio'], { quiet = true } = {}) {
    const { command, args } = runnerCommand({ runnerArgs: quiet ? [...runnerArgs, '--quiet'] : runnerArgs });
    this.started = process.hrtime.bigint();
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.waiting = [];
    this.buffer = '';
    this.child.stdout.setEncoding('latin1');
    this.child.stdout.on('data', (chunk) => {
      this.buffer += chunk;
      let i;
      while ((i = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
  }
  send(line) {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${line}\n`);
    });
  }
  async ok(line) {
    const answer = await this.send(line);
    if (!answer.startsWith('ok')) throw new Error(`'${line}' answered '${answer}'`);
    return answer;
  }
  /** Sends an APDU; returns { sw, data, stats, torn }. */
  async apdu(apdu) {
    const answer = await this.send(`apdu ${apdu}`);
    const tokens = answer.split(' ');
    if (tokens[0] === 'tear') return { torn: true, stats: stats(tokens.slice(1)) };
    if (tokens[0] !== 'ok') throw new Error(`apdu ${apdu} answered '${answer}'`);
    const r = tokens[1];
    return { torn: false, sw: r.slice(-4), data: r.slice(0, -4), stats: stats(tokens.slice(2)) };
  }
  async close() {
    this.child.stdin.end('quit\n');
    await new Promise((r) => this.child.on('exit', r));
  }
}

function stats(tokens) {
  return Object.fromEntries(tokens.map((t) => t.split('=')).map(([k, v]) => [k, Number(v)]));
}

async function freshCard(runner, name, { stateFile, second = false } = {}) {
  await runner.ok(`card ${name}${stateFile ? ` ${stateFile}` : ''}`);
  await runner.ok(`install ${APPLET} ${AID}`);
  if (second) await runner.ok(`install ${APPLET} ${AID2}`);
  await runner.ok('power on');
  const r = await runner.apdu(SELECT(AID));
  check(`${name}: select`, r.sw === '9000', r.sw);
}

async function read(runner) {
  const r = await runner.apdu(cmd(0x11, 0, 0, '', 0x46));
  const d = r.data;
  return {
    sw: r.sw,
    store: d.slice(0, 128),
    counter: parseInt(d.slice(128, 132), 16),
    a: parseInt(d.slice(132, 136), 16),
    b: parseInt(d.slice(136, 140), 16),
  };
}

const bytes = (n, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

// ---------------------------------------------------------------------------------------------------------- tests

async function protocolBasics(r) {
  check('hello', (await r.send('hello')) === 'ok ekrona-runner 1');
  check('unknown verb', (await r.send('frobnicate')).startsWith('err unknown verb'));
  check('apdu without card', (await r.send('apdu 00A40400')).startsWith('err no current card'));
  check('long line', (await r.send(`apdu ${'0'.repeat(5000)}`)).startsWith('err a request line is at most 4096'));
  await r.ok('card basics');
  check('duplicate card', (await r.send('card basics')).startsWith('err a card named basics already exists'));
  check('apdu while off', (await r.send('apdu 00A4040000')).startsWith('err card basics is powered off'));
  const atr = await r.ok('power on');
  check('ATR', atr === 'ok 3B8A01454B524F4E412D53494DED', atr);
  check('no applet selected: 6D00', (await r.apdu('80010000')).sw === '6D00');
  check('unknown AID: 6A82', (await r.apdu(SELECT('A000000001'))).sw === '6A82');
  check('malformed (Lc too long): 6700', (await r.apdu('8001000005AABB')).sw === '6700');
  check('extended length: 6700', (await r.apdu('80010000000002AABB')).sw === '6700');
  check('3-byte APDU: 6700', (await r.apdu('800100')).sw === '6700');
  check('install unknown class', (await r.send('install no.Such AAAAAAAAAA')).startsWith('err no class no.Such'));
  check('install bad AID', (await r.send(`install ${APPLET} AAAA`)).startsWith('err an AID is 5 to 16 bytes'));
  await r.ok(`install ${APPLET} ${AID}`);
  check('install twice', (await r.send(`install ${APPLET} ${AID}`)).startsWith('err card basics already has'));
  check('partial AID select', (await r.apdu(SELECT('F000000E4B54'))).sw === '9000');
  check('wrong CLA: 6E00', (await r.apdu('00010000')).sw === '6E00');
  check('unknown INS: 6D00', (await r.apdu('80FF0000')).sw === '6D00');
  check('wrong P1: 6A86', (await r.apdu(cmd(0x11, 1, 0, '', 0x46))).sw === '6A86');
  check('cards', (await r.send('cards')) === 'ok basics');
}

async function apduCases(r) {
  await freshCard(r, 'cases');
  let allEcho = true;
  for (let n = 0; n <= 255; n++) {
    const data = hex(bytes(n, n));
    const res = await r.apdu(cmd(0x01, 0, 0, data, 256));
    if (res.sw !== '9000' || res.data !== data) {
      allEcho = false;
      console.log(`  echo ${n}: ${res.sw} ${res.data.slice(0, 20)}`);
      break;
    }
  }
  check('ECHO 0..255 bytes, case 4 (chunked receive)', allEcho);
  const case3 = await r.apdu(cmd(0x01, 0, 0, hex(bytes(40))));
  check('ECHO case 3 answers no data', case3.sw === '9000' && case3.data === '', JSON.stringify(case3));
  let allPattern = true;
  for (let n = 1; n <= 256; n++) {
    const res = await r.apdu(cmd(0x02, 0, n & 0xff, '', n));
    const expected = hex(Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff)));
    if (res.sw !== '9000' || res.data !== expected) {
      allPattern = false;
      console.log(`  pattern ${n}: ${res.sw}`);
      break;
    }
  }
  check('PATTERN 1..256 with Le = length', allPattern);
  const shortLe = await r.apdu(cmd(0x02, 0, 40, '', 10));
  check('PATTERN 40 with Le 10 (T=1): 6C28, no data', shortLe.sw === '6C28' && shortLe.data === '');
  const le00 = await r.apdu(cmd(0x02, 0, 40, '', 256));
  check('PATTERN 40 with Le 00: 40 bytes', le00.sw === '9000' && le00.data.length === 80);
  const s = await r.apdu(cmd(0x01, 0, 0, hex(bytes(255)), 256));
  check('ECHO 255: in/out counters', s.stats.in === 261 && s.stats.out === 257, JSON.stringify(s.stats));
}

async function chunking() {
  const r = new Runner(['--stdio', '--chunk', '7']);
  await freshCard(r, 'chunk7');
  const data = hex(bytes(255, 3));
  const res = await r.apdu(cmd(0x01, 0, 0, data, 256));
  check('ECHO 255 with --chunk 7', res.sw === '9000' && res.data === data);
  await r.close();
}

async function transactions(r) {
  await freshCard(r, 'tx');
  await r.apdu(cmd(0x10, 0, 0, '00AABB'));
  let s = await read(r);
  check('WRITE direct', s.store.startsWith('AABB') && s.counter === 1);
  const commit = await r.apdu(cmd(0x10, 1, 0, '02CCDD'));
  s = await read(r);
  check('WRITE commit', s.store.slice(4, 8) === 'CCDD' && s.counter === 2 && commit.stats.txmax === 4,
    JSON.stringify(commit.stats));
  const abort = await r.apdu(cmd(0x10, 2, 0, '0411'));
  s = await read(r);
  check('WRITE abort: 9000, nothing kept', abort.sw === '9000' && s.store.slice(8, 10) === '00' && s.counter === 2);
  const iso = await r.apdu(cmd(0x10, 3, 0, '0411'));
  s = await read(r);
  check('WRITE ISOException in transaction: 6A80, implicit abort', iso.sw === '6A80' && s.store.slice(8, 10) === '00' && s.counter === 2);
  const npe = await r.apdu(cmd(0x10, 4, 0, '0411'));
  s = await read(r);
  check('WRITE NullPointerException in transaction: 6F00, implicit abort', npe.sw === '6F00' && s.store.slice(8, 10) === '00' && s.counter === 2);
  const nonAtomic = await r.apdu(cmd(0x10, 5, 0, '0A1234'));
  s = await read(r);
  check('WRITE non-atomic copy in aborted transaction: copy stays, counter does not',
    nonAtomic.sw === '9000' && s.store.slice(20, 24) === '1234' && s.counter === 2, JSON.stringify(s));
  const atomic = await r.apdu(cmd(0x10, 6, 0, '0C5678'));
  s = await read(r);
  check('WRITE atomic copy outside a transaction', atomic.sw === '9000' && s.store.slice(24, 28) === '5678' && s.counter === 3);
  check('WRITE atomic copy: pw counts 2 + counter 2', atomic.stats.pw === 4, JSON.stringify(atomic.stats));
  const commitWithoutBegin = await r.apdu(cmd(0x50, 7, 0));
  check('commit without begin: 6F00', commitWithoutBegin.sw === '6F00');
  const thrown = await r.apdu(cmd(0x50, 8, 0, '6985'));
  s = await read(r);
  check('ISOException inside transaction after a store: SW passed, store rolled back',
    thrown.sw === '6985' && s.store.startsWith('AABB'), JSON.stringify(s));
  const transfer = await r.apdu(cmd(0x12, 0, 0, '0007'));
  s = await read(r);
  check('TRANSFER 7', transfer.sw === '9000' && s.a === 93 && s.b === 7 && s.store.slice(0, 10) === '005D000707');
  check('TRANSFER: pw 9, txmax 9', transfer.stats.pw === 9 && transfer.stats.txmax === 9, JSON.stringify(transfer.stats));
  const tooMuch = await r.apdu(cmd(0x12, 0, 0, '0100'));
  check('TRANSFER more than balanceA: 6A84', tooMuch.sw === '6A84');
}

async function commitCapacity() {
  const r = new Runner(['--stdio', '--commit-capacity', '8']);
  await freshCard(r, 'capacity');
  const res = await r.apdu(cmd(0x10, 1, 0, `00${'11'.repeat(10)}`));
  const s = await read(r);
  check('commit capacity exceeded at commit: 6F00 (BUFFER_FULL), rolled back',
    res.sw === '6F00' && s.counter === 0 && s.store.startsWith('0000'), JSON.stringify(res));
  const small = await r.apdu(cmd(0x10, 1, 0, '001122'));
  check('small transaction fits', small.sw === '9000');
  const mem = await r.apdu(cmd(0x60, 0, 0, '', 8));
  check('getMaxCommitCapacity reports 8', mem.data.slice(12, 16) === '0008', mem.data);
  await r.close();
}

async function transientMemory(r) {
  await freshCard(r, 'transient', { second: true });
  await r.apdu(cmd(0x20, 0, 0, '0102030405'));
  await r.apdu(cmd(0x20, 1, 0, 'A1A2A3'));
  let t = await r.apdu(cmd(0x21, 0, 0, '', 32));
  check('TRANSIENT write/read', t.data.startsWith('0102030405') && t.data.slice(32, 38) === 'A1A2A3');
  await r.apdu(SELECT(AID2));
  await r.apdu(SELECT(AID));
  t = await r.apdu(cmd(0x21, 0, 0, '', 32));
  check('CLEAR_ON_DESELECT cleared when the other instance was selected; CLEAR_ON_RESET kept',
    t.data.startsWith('0102030405') && t.data.slice(32, 64) === '0'.repeat(32), t.data);
  await r.apdu(cmd(0x20, 1, 0, 'B1B2'));
  const reselect = await r.apdu(SELECT(AID));
  t = await r.apdu(cmd(0x21, 0, 0, '', 32));
  check('re-selecting the same applet clears CLEAR_ON_DESELECT', reselect.sw === '9000' && t.data.slice(32, 36) === '0000');
  await r.apdu(cmd(0x20, 1, 0, 'C1'));
  await r.ok('reset');
  const noApplet = await r.apdu(cmd(0x21, 0, 0, '', 32));
  check('after reset no applet is selected', noApplet.sw === '6D00');
  await r.apdu(SELECT(AID));
  t = await r.apdu(cmd(0x21, 0, 0, '', 32));
  check('reset clears both kinds', t.data === '0'.repeat(64), t.data);
  const mem = (await r.ok('mem')).split(' ');
  check('mem: transient bytes (2 instances: 2x16 + 2 PIN flags reset, 2x16 deselect)',
    mem[2] === 'transient_reset=34' && mem[3] === 'transient_deselect=32', mem.join(' '));
}

async function crypto(r) {
  await freshCard(r, 'crypto');
  const noKey = await r.apdu(cmd(0x37, 0, 0, '', 65));
  check('GET PUBLIC KEY before generation: 6985', noKey.sw === '6985');
  const noKeySign = await r.apdu(cmd(0x31, 0, 0, '00', 256));
  check('SIGN before generation: 6985', noKeySign.sw === '6985');
  const gen = await r.apdu(cmd(0x30, 0, 0, '', 65));
  check('GENERATE KEY PAIR: 65-byte W, gen=1', gen.sw === '9000' && gen.data.length === 130 && gen.data.startsWith('04') && gen.stats.gen === 1);
  const w = Buffer.from(gen.data, 'hex');
  const jwk = { kty: 'EC', crv: 'P-256', x: w.subarray(1, 33).toString('base64url'), y: w.subarray(33).toString('base64url') };
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const message = bytes(100, 9);
  const sig = await r.apdu(cmd(0x31, 0, 0, hex(message), 256));
  const der = Buffer.from(sig.data, 'hex');
  check('SIGN: DER (30 len 02 .. 02 ..), sig=1, dig=100', sig.sw === '9000' && der[0] === 0x30 && der[1] === der.length - 2 && sig.stats.sig === 1 && sig.stats.dig === 100,
    JSON.stringify(sig));
  check('SIGN: signature verifies with OpenSSL (node:crypto)', verifySignature('sha256', message, publicKey, der));
  const verifyData = (signature, msg) => `${hex(w)}${signature.length.toString(16).padStart(2, '0')}${hex(signature)}${hex(msg)}`;
  const good = await r.apdu(cmd(0x32, 0, 0, verifyData(der, message), 1));
  check('VERIFY good signature: 01, ver=1', good.sw === '9000' && good.data === '01' && good.stats.ver === 1, JSON.stringify(good));
  const flipped = Buffer.from(der);
  flipped[flipped.length - 1] ^= 1;
  const bad = await r.apdu(cmd(0x32, 0, 0, verifyData(flipped, message), 1));
  check('VERIFY flipped signature: 00', bad.sw === '9000' && bad.data === '00');
  const garbage = await r.apdu(cmd(0x32, 0, 0, verifyData(Buffer.from('3003020101', 'hex'), message), 1));
  check('VERIFY malformed DER: 00 (no exception)', garbage.sw === '9000' && garbage.data === '00', JSON.stringify(garbage));
  const offCurve = Buffer.from(w);
  offCurve[64] ^= 1;
  const badPoint = await r.apdu(cmd(0x32, 0, 0, `${hex(offCurve)}${verifyData(der, message).slice(130)}`, 1));
  check('VERIFY with a W off the curve: 6A80 (setW refused it)', badPoint.sw === '6A80', badPoint.sw);
  const digest = await r.apdu(cmd(0x33, 0, 0, hex(message), 32));
  check('DIGEST = SHA-256', digest.data === createHash('sha256').update(message).digest('hex').toUpperCase());
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const ka = await r.apdu(cmd(0x34, 0, 0, hex(ecdh.getPublicKey()), 32));
  check('KEY AGREEMENT = ECDH x coordinate, ka=1', ka.sw === '9000' && ka.data === hex(ecdh.computeSecret(w)) && ka.stats.ka === 1);
  const kaBad = await r.apdu(cmd(0x34, 0, 0, hex(offCurve), 32));
  check('KEY AGREEMENT with a point off the curve: 6A80', kaBad.sw === '6A80');
  const noAes = await r.apdu(cmd(0x35, 1, 0, '00'.repeat(16), 16));
  check('AES before key: 6985', noAes.sw === '6985');
  const key = bytes(16, 5);
  await r.apdu(cmd(0x35, 0, 0, hex(key)));
  const plain = bytes(48, 1);
  const enc = await r.apdu(cmd(0x35, 1, 0, hex(plain), 48));
  const c = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  c.setAutoPadding(false);
  check('AES-CBC encrypt matches OpenSSL, ciph=3', enc.data === hex(Buffer.concat([c.update(plain), c.final()])) && enc.stats.ciph === 3);
  const dec = await r.apdu(cmd(0x35, 2, 0, enc.data, 48));
  check('AES-CBC decrypt', dec.data === hex(plain));
  const odd = await r.apdu(cmd(0x35, 1, 0, '00'.repeat(15), 15));
  check('AES with 15 bytes: 6700', odd.sw === '6700');
  const rnd = await r.apdu(cmd(0x36, 32, 0, '', 32));
  const rnd2 = await r.apdu(cmd(0x36, 32, 0, '', 32));
  check('RANDOM 32 bytes, different each time', rnd.data.length === 64 && rnd.data !== rnd2.data);
  const pub = await r.apdu(cmd(0x37, 0, 0, '', 65));
  check('GET PUBLIC KEY = generated W', pub.data === gen.data);
}

async function pin(r) {
  await freshCard(r, 'pin');
  const status = async () => (await r.apdu(cmd(0x41, 0, 0, '', 2))).data;
  check('PIN status at start: 3 tries, not validated', (await status()) === '0300');
  check('PIN CHANGE unvalidated: 6982', (await r.apdu(cmd(0x42, 0, 0, '35363738'))).sw === '6982');
  check('PIN wrong: 63C2', (await r.apdu(cmd(0x40, 0, 0, '39393939'))).sw === '63C2');
  check('PIN right: 9000, tries reset', (await r.apdu(cmd(0x40, 0, 0, '31323334'))).sw === '9000' && (await status()) === '0301');
  check('PIN CHANGE validated', (await r.apdu(cmd(0x42, 0, 0, '35363738'))).sw === '9000' && (await status()) === '0300');
  await r.apdu(cmd(0x40, 0, 0, '31323334'));
  await r.apdu(cmd(0x40, 0, 0, '31323334'));
  const third = await r.apdu(cmd(0x40, 0, 0, '31323334'));
  check('PIN old value three times: 63C0', third.sw === '63C0');
  check('PIN blocked: 6983', (await r.apdu(cmd(0x40, 0, 0, '35363738'))).sw === '6983');
  await freshCard(r, 'pin2');
  await r.apdu(cmd(0x40, 0, 0, '31323334'));
  await r.ok('reset');
  await r.apdu(SELECT(AID));
  check('PIN validation lost at reset', (await status()) === '0300');
  // A power loss right after the try counter was decremented must cost the try.
  await r.ok('tear 2');
  const torn = await r.apdu(cmd(0x40, 0, 0, '31323334'));
  await r.ok('power on');
  await r.apdu(SELECT(AID));
  check('tear after the PIN try decrement: the try is spent', torn.torn && (await status()) === '0200');
}

async function exceptions(r) {
  await freshCard(r, 'exceptions');
  const expected = ['6A81', '6F00', '6F00', '6F00', '6F00', '6F00', '6F00', '6F00'];
  for (let kind = 0; kind <= 7; kind++) {
    const res = await r.apdu(cmd(0x50, kind, 0, kind === 0 ? '6A81' : ''));
    check(`THROW ${kind}: ${expected[kind]}`, res.sw === expected[kind], res.sw);
  }
  check('THROW 09: 6A86', (await r.apdu(cmd(0x50, 9, 0))).sw === '6A86');
}

async function tearing() {
  const r = new Runner();
  await freshCard(r, 'tear');
  const probe = await r.apdu(cmd(0x12, 0, 0, '0001'));
  const points = probe.stats.tp;
  check('TRANSFER has tear points', points >= 5, String(points));
  let allOk = true;
  let expectedA = 99;
  for (let n = 1; n <= points; n++) {
    await r.ok(`tear ${n}`);
    const res = await r.apdu(cmd(0x12, 0, 0, '0001'));
    if (!res.torn || res.stats.tp !== n) {
      allOk = false;
      console.log(`  tear ${n}: ${JSON.stringify(res)}`);
    }
    check(`tear ${n}: card is off`, (await r.send(`apdu ${SELECT(AID)}`)).startsWith('err'));
    await r.ok('power on');
    await r.apdu(SELECT(AID));
    const s = await read(r);
    const storedA = parseInt(s.store.slice(0, 4), 16);
    const storedB = parseInt(s.store.slice(4, 8), 16);
    if (s.a + s.b !== 100 || storedA !== s.a || storedB !== s.b) {
      allOk = false;
      console.log(`  tear ${n}: ${JSON.stringify(s)}`);
    }
    if (s.a === expectedA - 1) expectedA = s.a;
  }
  check(`tear at each of the ${points} tear points of TRANSFER keeps A + B = 100 and store = balances`, allOk);
  check('a tear at the last tear point (sending the response) keeps the transfer', expectedA < 99, String(expectedA));
  await r.ok('tear 0');
  check('disarmed: transfer completes', (await r.apdu(cmd(0x12, 0, 0, '0001'))).sw === '9000');
  // An applet catching Throwable cannot continue after the power loss: every API call throws.
  await r.close();
}

async function persistence() {
  const dir = mkdtempSync(join(tmpdir(), 'ekrona-smoke-'));
  const file = join(dir, 'card.state');
  let r = new Runner();
  check('new card with a state file', (await r.send(`card p ${file}`)) === 'ok new');
  await r.ok(`install ${APPLET} ${AID}`);
  await r.ok('power on');
  await r.apdu(SELECT(AID));
  await r.apdu(cmd(0x10, 0, 0, '00CAFE'));
  await r.apdu(cmd(0x12, 0, 0, '0021'));
  await r.apdu(cmd(0x40, 0, 0, '39393939'));
  const gen = await r.apdu(cmd(0x30, 0, 0, '', 65));
  await r.apdu(cmd(0x35, 0, 0, '00112233445566778899AABBCCDDEEFF'));
  await r.apdu(cmd(0x20, 0, 0, '77'));
  const before = await read(r);
  await r.close();
  r = new Runner();
  check('restart: card loaded', (await r.send(`card p ${file}`)) === 'ok loaded');
  await r.ok('power on');
  check('restart: applet is there', (await r.apdu(SELECT(AID))).sw === '9000');
  const after = await read(r);
  check('restart: store, counter and balances kept', JSON.stringify(after) === JSON.stringify(before), `${JSON.stringify(before)} / ${JSON.stringify(after)}`);
  check('restart: PIN tries kept', (await r.apdu(cmd(0x41, 0, 0, '', 2))).data === '0200');
  check('restart: key pair kept', (await r.apdu(cmd(0x37, 0, 0, '', 65))).data === gen.data);
  const sig = await r.apdu(cmd(0x31, 0, 0, '00', 256));
  check('restart: the loaded private key signs', sig.sw === '9000');
  const enc = await r.apdu(cmd(0x35, 1, 0, '00'.repeat(16), 16));
  check('restart: AES key kept', enc.sw === '9000');
  check('restart: transient content not kept', (await r.apdu(cmd(0x21, 0, 0, '', 32))).data === '0'.repeat(64));
  await r.close();
  // A file of another format version is refused with one sentence.
  const raw = readFileSync(file);
  raw[9] = 99;
  writeFileSync(join(dir, 'other.state'), raw);
  r = new Runner();
  const refused = await r.send(`card q ${join(dir, 'other.state')}`);
  check('another format version is refused', refused.includes('format version 99'), refused);
  // Start flags make the same card.
  await r.close();
  r = new Runner(['--stdio', '--card', `p=${file}`, '--install', `p:${APPLET}:${AID}`]);
  await r.ok('use p');
  await r.ok('power on');
  await r.apdu(SELECT(AID));
  check('--card/--install on a loaded card keep its state', (await read(r)).counter === before.counter);
  await r.close();
  rmSync(dir, { recursive: true, force: true });
}

async function t0() {
  const r = new Runner();
  await freshCard(r, 't0');
  await r.ok('proto T0');
  const atr = await r.ok('power on');
  check('T0 ATR', atr === 'ok 3B0A454B524F4E412D53494D', atr);
  await r.apdu(SELECT(AID));
  const data = hex(bytes(20));
  const first = await r.apdu(cmd(0x01, 0, 0, data, 256));
  check('T0 case 4: 6114', first.sw === '6114' && first.data === '', JSON.stringify(first));
  const got = await r.apdu('00C0000014');
  check('T0 GET RESPONSE gives the data', got.sw === '9000' && got.data === data);
  await r.apdu(cmd(0x01, 0, 0, hex(bytes(255)), 256));
  const part = await r.apdu('00C0000010');
  check('T0 GET RESPONSE in parts: 61EF left', part.sw === '61EF' && part.data === hex(bytes(255)).slice(0, 32), part.sw);
  const rest = await r.apdu('00C00000EF');
  check('T0 GET RESPONSE rest', rest.sw === '9000' && rest.data === hex(bytes(255)).slice(32));
  const wrongLe = await r.apdu(cmd(0x02, 0, 40, '', 10));
  check('T0 case 2 wrong Le: 6C28', wrongLe.sw === '6C28' && wrongLe.data === '');
  const again = await r.apdu(cmd(0x02, 0, 40, '', 40));
  check('T0 re-issued command gets the data', again.sw === '9000' && again.data.length === 80);
  const okLe = await r.apdu(cmd(0x02, 0, 40, '', 40));
  check('T0 case 2 right Le', okLe.sw === '9000' && okLe.data.length === 80);
  const noData = await r.apdu(cmd(0x10, 0, 0, '00AA'));
  check('T0 case 3 without response data: 9000', noData.sw === '9000');
  await r.close();
}

async function determinism() {
  const outputs = [];
  for (let i = 0; i < 2; i++) {
    const r = new Runner(['--stdio', '--seed', '0102030405']);
    await freshCard(r, 'seeded');
    const gen = await r.apdu(cmd(0x30, 0, 0, '', 65));
    const sig = await r.apdu(cmd(0x31, 0, 0, '0102', 256));
    const rnd = await r.apdu(cmd(0x36, 16, 0, '', 16));
    outputs.push(gen.data + sig.data + rnd.data);
    await r.close();
  }
  check('--seed makes key generation, ECDSA and RandomData repeat', outputs[0] === outputs[1] && outputs[0].length > 0);
}

async function statsAndMemory(r) {
  await freshCard(r, 'stats');
  await r.apdu(cmd(0x01, 0, 0, '0102', 2));
  const line = await r.ok('stats');
  const keys = line.split(' ').slice(1).map((t) => t.split('=')[0]);
  const order = ['tp', 'sig', 'ver', 'dig', 'ka', 'ciph', 'gen', 'pw', 'txmax', 'in', 'out', 'us', 'alloc'];
  check('stats: keys in order, then totals', JSON.stringify(keys) === JSON.stringify([...order, ...order.map((k) => `total.${k}`)]), line);
  const mem = await r.ok('mem');
  check('mem answer', /^ok persistent=\d+ transient_reset=17 transient_deselect=16$/.test(mem), mem);
  const avail = await r.apdu(cmd(0x60, 0, 0, '', 8));
  check('MEMORY: 7FFF persistent, 4096-17, 4096-16, commit 5120', avail.data === '7FFF0FEF0FF01400', avail.data);
}

async function tcp() {
  const { command, args } = runnerCommand({ runnerArgs: ['--tcp', '127.0.0.1:0', '--quiet'] });
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve) => {
    let text = '';
    child.stderr.on('data', (d) => {
      text += d;
      const m = /listening on [^:]+:(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
  });
  const client = () => {
    const socket = connect(port, '127.0.0.1');
    const waiting = [];
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      buffer += d;
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        waiting.shift()(line);
      }
    });
    return { send: (line) => new Promise((res) => { waiting.push(res); socket.write(`${line}\n`); }), socket };
  };
  const a = client();
  const b = client();
  await a.send('card one');
  await a.send(`install ${APPLET} ${AID}`);
  await a.send('power on');
  await b.send('card two');
  check('TCP: second client sees both cards', (await b.send('cards')) === 'ok one two');
  await b.send('use one');
  const [ra, rb] = await Promise.all([a.send(`apdu ${SELECT(AID)}`), b.send(`apdu ${cmd(0x11, 0, 0, '', 0x46)}`)]);
  check('TCP: two clients on one card', ra.startsWith('ok 9000') && rb.startsWith('ok'), `${ra} / ${rb}`);
  check('TCP: quit closes one connection', (await a.send('quit')) === 'ok');
  check('TCP: the other goes on', (await b.send('hello')) === 'ok ekrona-runner 1');
  b.socket.end();
  a.socket.end();
  child.kill();
}

/** A stand-in for pcscd's vpcd driver: checks the runner's side of the vpcd wire protocol and its reconnection. */
async function vpcd() {
  const fresh = [];
  const waiters = [];
  const server = createServer((socket) => {
    const conn = { socket, buffer: Buffer.alloc(0), pending: [] };
    socket.on('data', (d) => {
      conn.buffer = Buffer.concat([conn.buffer, d]);
      while (conn.buffer.length >= 2 && conn.buffer.length >= 2 + conn.buffer.readUInt16BE(0)) {
        const n = conn.buffer.readUInt16BE(0);
        const message = conn.buffer.subarray(2, 2 + n);
        conn.buffer = conn.buffer.subarray(2 + n);
        conn.pending.shift()?.(message);
      }
    });
    if (waiters.length) waiters.shift()(conn);
    else fresh.push(conn);
  });
  await new Promise((res) => server.listen(0, '127.0.0.1', res));
  const port = server.address().port;
  const nextConnection = () => (fresh.length ? Promise.resolve(fresh.shift()) : new Promise((res) => waiters.push(res)));
  const ask = (conn, bytes) => new Promise((res) => {
    conn.pending.push(res);
    const frame = Buffer.alloc(2 + bytes.length);
    frame.writeUInt16BE(bytes.length, 0);
    Buffer.from(bytes).copy(frame, 2);
    conn.socket.write(frame);
  });
  const tell = (conn, bytes) => {
    const frame = Buffer.alloc(2 + bytes.length);
    frame.writeUInt16BE(bytes.length, 0);
    Buffer.from(bytes).copy(frame, 2);
    conn.socket.write(frame);
  };
  const r = new Runner(['--stdio', '--card', 'v', '--install', `v:${APPLET}:${AID}`]);
  check('vpcd verb with nothing listening names the packages',
    (await r.send('vpcd v 127.0.0.1:1')).includes('pcscd and vsmartcard-vpcd'));
  check('vpcd verb', (await r.send(`vpcd v 127.0.0.1:${port}`)) === 'ok');
  let conn = await nextConnection();
  const atr = await ask(conn, [0x04]);
  check('vpcd: ATR on request', hex(atr) === '3B8A01454B524F4E412D53494DED', hex(atr));
  tell(conn, [0x01]);
  const select = await ask(conn, Buffer.from(SELECT(AID), 'hex'));
  check('vpcd: APDU answered', hex(select) === '9000', hex(select));
  const echo = await ask(conn, Buffer.from(cmd(0x01, 0, 0, '0102', 2), 'hex'));
  check('vpcd: data', hex(echo) === '01029000', hex(echo));
  check('vpcd: the line protocol sees the same card', (await r.send('use v')) === 'ok' && (await r.send('stats')).startsWith('ok tp=2'));
  conn.socket.destroy();
  conn = await nextConnection();
  tell(conn, [0x01]);
  const again = await ask(conn, Buffer.from(SELECT(AID), 'hex'));
  check('vpcd: reconnects after the driver went away', hex(again) === '9000');
  await r.close();
  server.close();
}

async function timing() {
  const started = process.hrtime.bigint();
  const r = new Runner(['--stdio', '--card', 'fast', '--install', `fast:${APPLET}:${AID}`]);
  await r.ok('use fast');
  await r.ok('power on');
  await r.apdu(SELECT(AID));
  const firstAnswer = Number(process.hrtime.bigint() - started) / 1e6;
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const t = process.hrtime.bigint();
    await r.apdu('8001000000');
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  times.sort((x, y) => x - y);
  const median = times[times.length >> 1];
  console.log(`timing: runner start to first APDU answer ${firstAnswer.toFixed(0)} ms; trivial APDU round trip median ${median.toFixed(0)} us, p90 ${times[Math.floor(times.length * 0.9)].toFixed(0)} us`);
  check('startup to first APDU under 1 s', firstAnswer < 1000, `${firstAnswer} ms`);
  check('trivial APDU round trip median under 1 ms', median < 1000, `${median} us`);
  await r.close();
}

const r = new Runner();
try {
  await protocolBasics(r);
  await apduCases(r);
  await transactions(r);
  await transientMemory(r);
  await crypto(r);
  await pin(r);
  await exceptions(r);
  await statsAndMemory(r);
  await r.close();
  await chunking();
  await commitCapacity();
  await tearing();
  await persistence();
  await t0();
  await determinism();
  await tcp();
  await vpcd();
  await timing();
} catch (error) {
  failed++;
  console.log(`FAIL (aborted): ${error.stack}`);
  console.log(r.stderr);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
