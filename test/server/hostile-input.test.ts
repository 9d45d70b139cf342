// Every endpoint fed malformed, oversized and forged input: the answer is a 4xx with a one-sentence reason, and
// nothing changes (the books, cards, orders and register of every service are the same before and after). Bodies
// come from a table of targeted mutations and from fast-check's arbitrary JSON.

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../host/src/codec/hex.ts';
import { LEN } from '../../host/src/codec/protocol-constants.ts';
import type { BatchAnswer } from '../../host/src/server/api.ts';
import { requestJson } from '../../host/src/server/http/json-http.ts';
import { signServiceRequest } from '../../host/src/server/http/service-auth.ts';
import { generateSigningKey, loadOrCreateServiceKey } from '../../host/src/server/keys.ts';
import type { SigningKey } from '../../host/src/server/signatures.ts';
import { type NetworkCard, TestNetwork } from '../network/harness.ts';

const EXHAUSTIVE = process.env.EKRONA_EXHAUSTIVE === '1';

let net: TestNetwork;
let alice: NetworkCard;
let bob: NetworkCard;
let orderId: number;
let userToken: string;
let imKey: SigningKey;
let imUrl: string;
let cbUrl: string;

interface Endpoint {
  service: 'im' | 'cb';
  method: 'POST' | 'PUT' | 'GET' | 'DELETE';
  path: () => string;
  auth: 'admin' | 'user' | 'signed-im' | 'signed-cb' | 'none';
  /** A valid body: the mutations start from it. */
  body: () => unknown;
}

const hex = (n: number, byte = 'AB') => byte.repeat(n);

const endpoints: Record<string, Endpoint> = {
  'PUT /admin/certificate': { service: 'im', method: 'PUT', path: () => '/admin/certificate', auth: 'admin', body: () => ({ certificate: hex(135) }) },
  'POST /admin/users': { service: 'im', method: 'POST', path: () => '/admin/users', auth: 'admin', body: () => ({ name: 'x' }) },
  'POST /admin/users/:id/deposit': { service: 'im', method: 'POST', path: () => `/admin/users/${alice.userId}/deposit`, auth: 'admin', body: () => ({ amount: 1 }) },
  'PUT /admin/cards/:id/policy': {
    service: 'im',
    method: 'PUT',
    path: () => `/admin/cards/${alice.card.cardIdHex}/policy`,
    auth: 'admin',
    body: () => ({ policy: { version: 9, maxPayments: 1, maxPaymentAmount: 1, maxBalance: 1, maxReceivedCount: 1, maxReceivedAmount: 1, flags: 0 } }),
  },
  'POST /cards': { service: 'im', method: 'POST', path: () => '/cards', auth: 'user', body: () => ({ publicKey: hex(65), role: 'USER' }) },
  'POST /cards/:id/orders': { service: 'im', method: 'POST', path: () => `/cards/${alice.card.cardIdHex}/orders`, auth: 'user', body: () => ({ kind: 'TOP_UP', amount: 1 }) },
  'POST /cards/:id/orders/:order/instruction': {
    service: 'im',
    method: 'POST',
    path: () => `/cards/${alice.card.cardIdHex}/orders/${orderId}/instruction`,
    auth: 'user',
    body: () => ({ challenge: { challenge: hex(16), cardId: alice.card.cardIdHex, stateCounter: 0, orderSeq: 0, balance: 0 } }),
  },
  'POST /cards/:id/orders/:order/confirmation': { service: 'im', method: 'POST', path: () => `/cards/${alice.card.cardIdHex}/orders/${orderId}/confirmation`, auth: 'user', body: () => ({ confirmation: hex(106) }) },
  'POST /cards/:id/sync': { service: 'im', method: 'POST', path: () => `/cards/${alice.card.cardIdHex}/sync`, auth: 'user', body: () => ({ report: hex(LEN.REPORT + LEN.SIGNATURE), records: [hex(LEN.RECORD)] }) },
  'POST /cards/:id/instructions/:kind': {
    service: 'im',
    method: 'POST',
    path: () => `/cards/${alice.card.cardIdHex}/instructions/policy`,
    auth: 'user',
    body: () => ({ challenge: { challenge: hex(16), cardId: alice.card.cardIdHex, stateCounter: 0, orderSeq: 0, balance: 0 } }),
  },
  'POST /interbank/claims': { service: 'im', method: 'POST', path: () => '/interbank/claims', auth: 'signed-im', body: () => ({ items: [{ body: hex(46), signature: hex(64) }] }) },
  'POST /interbank/movements': { service: 'im', method: 'POST', path: () => '/interbank/movements', auth: 'signed-cb', body: () => ({ movements: [{ id: 'issue:999', kind: 'issue', amount: 5 }] }) },
  'POST /admin/intermediaries': { service: 'cb', method: 'POST', path: () => '/admin/intermediaries', auth: 'admin', body: () => ({ id: 77, name: 'x', url: 'http://127.0.0.1:1', publicKey: hex(65) }) },
  'POST /admin/issue': { service: 'cb', method: 'POST', path: () => '/admin/issue', auth: 'admin', body: () => ({ intermediaryId: 1, amount: 1 }) },
  'POST /register/settle': { service: 'cb', method: 'POST', path: () => '/register/settle', auth: 'signed-im', body: () => ({ items: [{ body: hex(46), signature: hex(64) }] }) },
  'POST /register/decline': {
    service: 'cb',
    method: 'POST',
    path: () => '/register/decline',
    auth: 'signed-im',
    body: () => ({ items: [{ recipientCard: bob.card.cardIdHex, requestNo: 1, recipientIntermediary: 2, source: 'decline', evidence: hex(112) }] }),
  },
  'POST /pool/advance': { service: 'cb', method: 'POST', path: () => '/pool/advance', auth: 'signed-im', body: () => ({ items: [{ body: hex(46), signature: hex(64) }] }) },
  'POST /pool/repay': { service: 'cb', method: 'POST', path: () => '/pool/repay', auth: 'signed-im', body: () => ({ items: [{ txId: hex(12) }] }) },
};

interface Sent {
  status: number;
  body: { error?: string; reason?: string } | undefined;
}

/** Sends `raw` to an endpoint with the right credentials (unless `auth` says otherwise). */
async function send(e: Endpoint, raw: string | undefined, options: { auth?: 'valid' | 'none' | 'wrong' | 'forged'; contentType?: string; key?: string; sender?: string } = {}): Promise<Sent> {
  const base = e.service === 'im' ? imUrl : cbUrl;
  const path = e.path();
  const headers: Record<string, string> = {};
  const auth = options.auth ?? 'valid';
  if (e.auth === 'admin' || e.auth === 'user') {
    const token = e.auth === 'admin' ? (e.service === 'im' ? net.network.file.intermediaries[0].adminToken : net.network.file.centralBank.adminToken) : userToken;
    if (auth === 'valid') headers.authorization = `Bearer ${token}`;
    if (auth === 'wrong' || auth === 'forged') headers.authorization = `Bearer ${'x'.repeat(43)}`;
  } else if (e.auth === 'signed-im' || e.auth === 'signed-cb') {
    const signer = auth === 'forged' ? generateSigningKey() : imKey;
    const sender = options.sender ?? (e.auth === 'signed-cb' ? 'central-bank' : 'im:1');
    if (auth !== 'none') Object.assign(headers, signServiceRequest(signer, sender, e.method, path, raw ?? '', options.key ?? randomUUID()));
  }
  const response = await requestJson({ method: e.method, url: `${base}${path}`, headers, body: raw, timeoutMs: 10_000 }).catch((error) => {
    throw new Error(`${e.method} ${path}: ${(error as Error).message}`);
  });
  if (options.contentType && raw !== undefined) {
    // requestJson always sends JSON; another content type goes through fetch.
    const r = await fetch(`${base}${path}`, { method: e.method, headers: { ...headers, 'content-type': options.contentType }, body: raw });
    return { status: r.status, body: (await r.json().catch(() => undefined)) as Sent['body'] };
  }
  return { status: response.status, body: response.body as Sent['body'] };
}

/** Everything that must not change: the books and register of every service, the cards and their orders. */
async function fingerprint(): Promise<string> {
  const cb = await net.bank.audit();
  const ims = [];
  for (const admin of net.admins) {
    const a = await admin.audit();
    ims.push({ ...a, undeliveredOutbox: undefined });
  }
  const users = [];
  for (const c of [alice, bob]) users.push(await c.client.me(), await c.client.orders(c.card.cardIdHex));
  const anomalies = [(await net.admins[0].anomalies()).length, (await net.admins[1].anomalies()).length];
  return JSON.stringify({ cb: { ...cb, undeliveredOutbox: undefined }, ims, users, anomalies });
}

function expectRefused(sent: Sent, what: string): void {
  expect(sent.status, `${what}: ${JSON.stringify(sent.body)}`).toBeGreaterThanOrEqual(400);
  expect(sent.status, `${what}: ${JSON.stringify(sent.body)}`).toBeLessThan(500);
  expect(typeof sent.body?.error, what).toBe('string');
  expect(sent.body?.reason, what).toMatch(/^[^\n]+[.!?]$/);
}

beforeAll(async () => {
  net = await TestNetwork.open();
  alice = await net.card(0, { deposit: 100_00, topUp: 40_00 });
  bob = await net.card(1);
  await net.transfer(alice, bob, 10_00);
  await net.sync(bob);
  orderId = (await alice.client.createOrder(alice.card.cardIdHex, 'TOP_UP', 5_00)).orderId;
  userToken = (alice.client as unknown as { api: { token: string } }).api.token;
  imKey = loadOrCreateServiceKey(net.network.file.intermediaries[0].dir);
  imUrl = net.network.file.intermediaries[0].url;
  cbUrl = net.network.file.centralBank.url;
  await net.audit(); // quiet network: nothing in flight that could change the books during a test
});
afterAll(async () => {
  await net?.close();
});

/** Targeted mutations of a valid body. */
function mutations(valid: unknown): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [
    ['an extra property', { ...(valid as object), extra: 1 }],
    ['an array', [valid]],
    ['a string', 'hello'],
    ['null', null],
    ['an empty object', {}],
  ];
  const walk = (value: unknown, path: string[], replace: (v: unknown) => unknown) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, String(i)], (n) => replace(value.map((x, j) => (j === i ? n : x)))));
      out.push([`${path.join('.')} empty`, replace([])]);
      out.push([`${path.join('.')} with 300 items`, replace(Array(300).fill(value[0]))]);
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const { [k]: _, ...without } = value as Record<string, unknown>;
        out.push([`${[...path, k].join('.')} missing`, replace(without)]);
        walk(v, [...path, k], (n) => replace({ ...(value as object), [k]: n }));
      }
      return;
    }
    const at = path.join('.');
    if (typeof value === 'string') {
      out.push([`${at} a number`, replace(7)]);
      out.push([`${at} too long`, replace(value + 'AB'.repeat(40))]);
      out.push([`${at} empty`, replace('')]);
      if (/^[0-9A-F]+$/.test(value)) {
        out.push([`${at} one byte short`, replace(value.slice(2))]);
        out.push([`${at} not hex`, replace(`${value.slice(2)}ZZ`)]);
      }
    } else if (typeof value === 'number') {
      out.push([`${at} negative`, replace(-1)]);
      out.push([`${at} fractional`, replace(0.5)]);
      out.push([`${at} huge`, replace(2 ** 53)]);
      out.push([`${at} a string`, replace(String(value))]);
    }
  };
  walk(valid, [], (v) => v);
  return out;
}

describe('malformed input', () => {
  for (const [name, e] of Object.entries(endpoints)) {
    it(`${name}: every targeted mutation is refused and changes nothing`, async () => {
      const before = await fingerprint();
      for (const [what, body] of mutations(e.body())) {
        const sent = await send(e, JSON.stringify(body));
        // A mutation may still be a valid request (e.g. an amount of 2^53 is refused, but "name missing" is the
        // whole body): every one here must be refused.
        expectRefused(sent, `${name} with ${what}`);
      }
      expectRefused(await send(e, '{"broken": '), `${name} with invalid JSON`);
      expectRefused(await send(e, JSON.stringify({ pad: 'A'.repeat(70 * 1024) })), `${name} with a 70 KiB body`);
      expect((await send(e, JSON.stringify({ pad: 'A'.repeat(70 * 1024) }))).status).toBe(413);
      expectRefused(await send(e, 'name=x', { contentType: 'application/x-www-form-urlencoded' }), `${name} as a form`);
      expect(await fingerprint()).toBe(before);
    });
  }

  it('POST /register/batch: every mutation is refused whole, or answered 200 with each of its requests refused, and changes nothing', async () => {
    const before = await fingerprint();
    const batch: Endpoint = { service: 'cb', method: 'POST', path: () => '/register/batch', auth: 'signed-im', body: () => ({}) };
    const inner = endpoints['POST /register/settle'].body();
    const valid = { requests: [{ path: '/register/settle', idempotencyKey: randomUUID(), body: JSON.stringify(inner) }] };
    const bodies: Array<[string, unknown]> = [...mutations(valid), ...mutations(inner).map(([what, b]): [string, unknown] => [`the request's body with ${what}`, { requests: [{ ...valid.requests[0], idempotencyKey: randomUUID(), body: JSON.stringify(b) }] }])];
    for (const [what, body] of bodies) {
      const sent = await send(batch, JSON.stringify(body));
      if (sent.status === 200) {
        for (const answer of (sent.body as unknown as BatchAnswer).answers) expectRefused(answer as Sent, `/register/batch with ${what}`);
      } else {
        expectRefused(sent, `/register/batch with ${what}`);
      }
    }
    expectRefused(await send(batch, JSON.stringify({ pad: 'A'.repeat(70 * 1024) })), '/register/batch with a 70 KiB body');
    expect(await fingerprint()).toBe(before);
  });

  it('arbitrary JSON bodies are refused by every endpoint, and change nothing', async () => {
    const before = await fingerprint();
    const list = Object.entries(endpoints);
    await fc.assert(
      fc.asyncProperty(fc.nat(list.length - 1), fc.jsonValue({ maxDepth: 4 }), async (i, body) => {
        const [name, e] = list[i];
        expectRefused(await send(e, JSON.stringify(body)), `${name} with ${JSON.stringify(body).slice(0, 80)}`);
      }),
      { numRuns: EXHAUSTIVE ? 3000 : 300 },
    );
    expect(await fingerprint()).toBe(before);
  });
});

describe('forged and replayed input', () => {
  it('refuses requests without credentials, with a wrong token, or signed by the wrong key', async () => {
    const before = await fingerprint();
    for (const [name, e] of Object.entries(endpoints)) {
      const raw = JSON.stringify(e.body());
      if (e.auth === 'none') continue;
      expect((await send(e, raw, { auth: 'none' })).status, `${name} without credentials`).toBe(401);
      expect((await send(e, raw, { auth: 'forged' })).status, `${name} forged`).toBe(401);
    }
    // An intermediary posing as the central bank, or as another intermediary.
    expect((await send(endpoints['POST /interbank/movements'], JSON.stringify(endpoints['POST /interbank/movements'].body()), { sender: 'im:1' })).status).toBe(403);
    expect((await send(endpoints['POST /register/settle'], JSON.stringify(endpoints['POST /register/settle'].body()), { sender: 'im:2' })).status).toBe(401);
    // Another user's card.
    const other = await send({ ...endpoints['POST /cards/:id/orders'], path: () => `/cards/${bob.card.cardIdHex}/orders` }, JSON.stringify({ kind: 'TOP_UP', amount: 1 }));
    expect(other.status).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  it('endpoints without a body refuse missing or wrong credentials, malformed ids and unknown ids, and change nothing', async () => {
    const before = await fingerprint();
    const card = alice.card.cardIdHex;
    const noBody: Array<[Endpoint['service'], Endpoint['method'], string, Endpoint['auth']]> = [
      ['im', 'GET', '/me', 'user'],
      ['im', 'GET', `/cards/${card}`, 'user'],
      ['im', 'GET', `/cards/${card}/orders`, 'user'],
      ['im', 'DELETE', `/cards/${card}/orders/${orderId}`, 'user'],
      ['im', 'POST', `/cards/${card}/lost`, 'user'],
      ['im', 'POST', `/admin/cards/${card}/block`, 'admin'],
      ['im', 'POST', `/admin/cards/${card}/terminate`, 'admin'],
      ['im', 'POST', '/admin/lost-cards/refund', 'admin'],
      ['im', 'POST', '/admin/outbox/drain', 'admin'],
      ['im', 'GET', '/admin/anomalies', 'admin'],
      ['im', 'GET', '/admin/stats', 'admin'],
      ['im', 'GET', '/audit', 'admin'],
      ['im', 'GET', `/interbank/cards/${card}/certificate`, 'signed-im'],
      ['cb', 'GET', '/audit', 'admin'],
      ['cb', 'GET', '/audit/network', 'admin'],
      ['cb', 'POST', '/admin/outbox/drain', 'admin'],
      ['cb', 'GET', '/admin/stats', 'admin'],
    ];
    for (const [service, method, path, auth] of noBody) {
      const e: Endpoint = { service, method, path: () => path, auth, body: () => undefined };
      expect((await send(e, undefined, { auth: 'none' })).status, `${method} ${path} without credentials`).toBe(401);
      expect((await send(e, undefined, { auth: 'forged' })).status, `${method} ${path} forged`).toBe(401);
    }
    const user = (path: string, method: Endpoint['method'] = 'GET'): Endpoint => ({ service: 'im', method, path: () => path, auth: 'user', body: () => undefined });
    expect((await send(user('/cards/not-a-card-id'), undefined)).status).toBe(400);
    expect((await send(user(`/cards/${card}/orders/abc`, 'DELETE'), undefined)).status).toBe(400);
    expect((await send(user('/cards/00000001FFFFFFFF'), undefined)).status).toBe(404);
    expect((await send(user(`/cards/${card}/orders/999999`, 'DELETE'), undefined)).status).toBe(404);
    expect((await send(user('/no/such/endpoint'), undefined)).status).toBe(404);
    expect((await send({ service: 'cb', method: 'GET', path: () => '/directory/abc', auth: 'none', body: () => undefined }, undefined)).status).toBe(400);
    expect((await send({ service: 'cb', method: 'GET', path: () => '/directory/99', auth: 'none', body: () => undefined }, undefined)).status).toBe(404);
    expect(await fingerprint()).toBe(before);
  });

  it('answers a replayed idempotency key with the stored answer, and refuses it with another body', async () => {
    const before = await fingerprint();
    const claims = endpoints['POST /interbank/claims'];
    const claimKey = randomUUID();
    // Not a transaction body: refused, and nothing is stored under the key.
    expect((await send(claims, JSON.stringify({ items: [{ body: hex(46, '00'), signature: hex(64) }] }), { key: claimKey })).status).toBe(400);
    // A claim intermediary 1 may not make (the payment is to intermediary 2's card): answered item by item and
    // stored; the same key again answers the same; the same key with another body is refused.
    const alicePayment = alice.card.lastPayment!;
    const claim = JSON.stringify({ items: [{ body: toHex(alicePayment.body), signature: toHex(alicePayment.signature) }] });
    const answered = await send(claims, claim, { key: claimKey });
    expect(answered.status).toBe(200);
    expect(await send(claims, claim, { key: claimKey })).toEqual(answered);
    const reused = await send(claims, JSON.stringify({ items: [{ body: toHex(alicePayment.body), signature: hex(64) }] }), { key: claimKey });
    expect({ status: reused.status, error: reused.body?.error }).toEqual({ status: 409, error: 'idempotency-key-reused' });
    expect(await fingerprint()).toBe(before);
  });

  it('refuses a sync report signed by another key, with records that do not match, or of another card', async () => {
    const before = await fingerprint();
    const { report, records } = net.report(alice);
    const forged = report.slice(0, 200) + (report[200] === 'A' ? 'B' : 'A') + report.slice(201);
    const e = endpoints['POST /cards/:id/sync'];
    expect((await send(e, JSON.stringify({ report: forged, records }))).status).toBe(400);
    expect((await send(e, JSON.stringify({ report, records: [...records, hex(112, '00')] }))).status).toBe(400);
    const bobReport = net.report(bob);
    expect((await send(e, JSON.stringify(bobReport))).status).toBe(400);
    expect(await fingerprint()).toBe(before);
  });
});
