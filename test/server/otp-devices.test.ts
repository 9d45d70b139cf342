// The merchant's offline-device registry at its intermediary (docs/TOTP.md), in the shape of GNU Taler's merchant
// backend: POST/GET/PATCH/DELETE [/instances/{userId}]/private/otp-devices. Devices belong to one merchant (a user);
// keys never leave the service except once, when it generated them; hostile input is refused with a specific reason
// and stores nothing; `?faketime=&price=` answers exactly the codec's codes.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32 } from '../../host/src/codec/base32.ts';
import { posConfirmation } from '../../host/src/codec/totp.ts';
import { IntermediaryClient, ServiceRequestError } from '../../host/src/server/client.ts';
import { requestJson } from '../../host/src/server/http/json-http.ts';
import { type InProcessNetwork, startLocalNetwork } from '../../host/src/server/network.ts';
import vectors from '../totp/vectors/totp.json' with { type: 'json' };

const KEY = vectors.key; // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ, ASCII "12345678901234567890"
const CLOCK = 1_750_000_020; // the intermediary's pinned clock (unix seconds)

let dir: string;
let network: InProcessNetwork;
let url: string;
let admin: IntermediaryClient;
let merchant: IntermediaryClient;
let merchantId: string;
let merchantToken: string;
let other: IntermediaryClient;
let otherId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-otp-devices-'));
  network = await startLocalNetwork({ dir, intermediaries: [{ id: 1, name: 'Alfa Bank' }], start: { outboxIntervalMs: 200, now: () => CLOCK * 1000 } });
  url = network.file.intermediaries[0].url;
  admin = new IntermediaryClient(url, { token: network.file.intermediaries[0].adminToken });
  const m = await admin.createUser('Kaffe & Bullar');
  merchant = admin.as(m.token);
  merchantId = m.userId;
  merchantToken = m.token;
  const o = await admin.createUser('Other shop');
  other = admin.as(o.token);
  otherId = o.userId;
});
afterAll(async () => {
  await network?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; reason: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceRequestError) return { status: error.status, code: error.code, reason: error.reason };
    throw error;
  }
  throw new Error('the request was not refused');
}

/** A raw request (for statuses, bodies and headers the typed client would not send). */
async function raw(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return requestJson({ method, url: `${url}${path}`, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
}

const ids = async (client: IntermediaryClient = merchant) => (await client.otpDevices()).otp_devices.map((d) => d.otp_device_id);

describe('registering a device (POST /private/otp-devices)', () => {
  it('answers 204 for a device with its key, lists it, and shows its details without the key', async () => {
    const response = await raw('POST', '/private/otp-devices', { otp_device_id: 'kassa-1', otp_device_description: 'Till 1', otp_key: KEY, otp_algorithm: 'TOTP_WITHOUT_PRICE' }, merchantToken);
    expect(response).toEqual({ status: 204, body: undefined });
    expect(await merchant.otpDevices()).toEqual({ otp_devices: [{ otp_device_id: 'kassa-1', device_description: 'Till 1' }] });
    const details = await merchant.otpDevice('kassa-1');
    expect(details).toMatchObject({ device_description: 'Till 1', otp_algorithm: 1, otp_timestamp: CLOCK });
    expect(JSON.stringify(details)).not.toContain(KEY);
  });

  it('accepts the same registration again (204) and refuses the id with other details (409), changing nothing', async () => {
    const same = { otp_device_id: 'kassa-1', otp_device_description: 'Till 1', otp_key: KEY.toLowerCase(), otp_algorithm: 1 };
    expect(await merchant.addOtpDevice(same)).toBeUndefined();
    const otherKey = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJR';
    expect(await refusal(merchant.addOtpDevice({ ...same, otp_key: otherKey }))).toMatchObject({ status: 409, code: 'otp-device-exists' });
    expect(await refusal(merchant.addOtpDevice({ ...same, otp_algorithm: 'TOTP_WITH_PRICE' }))).toMatchObject({ status: 409, code: 'otp-device-exists' });
    expect((await merchant.otpDevice('kassa-1', { faketime: 1234567890 })).otp_code).toBe(vectors.taler[1].output);
  });

  it('generates a 20-byte key from a secure source when otp_key is left out, and answers it once (200)', async () => {
    const generated = await merchant.addOtpDevice({ otp_device_id: 'kassa-2', otp_algorithm: 'totp_with_price' });
    expect(generated).toMatchObject({ otp_device_id: 'kassa-2', otp_algorithm: 2 });
    expect(generated!.otp_key).toMatch(/^[A-Z2-7]{32}$/);
    expect(decodeBase32(generated!.otp_key)).toHaveLength(20);
    const code = (await merchant.otpDevice('kassa-2', { faketime: 1234567890, price: 'SEK:12.50' })).otp_code;
    expect(code).toBe(posConfirmation(generated!.otp_key, 'TOTP_WITH_PRICE', 1234567890, 'SEK:12.50'));
    // The key cannot be shown again: a second key-less registration of that id is refused.
    expect(await refusal(merchant.addOtpDevice({ otp_device_id: 'kassa-2', otp_algorithm: 2 }))).toMatchObject({ status: 409, code: 'otp-device-exists' });
    const again = await merchant.addOtpDevice({ otp_device_id: 'kassa-3', otp_algorithm: 1 });
    expect(again!.otp_key).not.toBe(generated!.otp_key);
    await merchant.deleteOtpDevice('kassa-3');
  });
});

describe('the faketime/price oracle (GET /private/otp-devices/{id})', () => {
  it("answers Taler's pos_confirmation vectors: without price at 1234567890, with price EUR:1.50", async () => {
    await merchant.addOtpDevice({ otp_device_id: 'priced', otp_key: KEY, otp_algorithm: 'TOTP_WITH_PRICE' });
    expect(await merchant.otpDevice('kassa-1', { faketime: 1234567890 })).toEqual({ device_description: 'Till 1', otp_algorithm: 1, otp_timestamp: 1234567890, otp_code: vectors.taler[1].output });
    expect((await merchant.otpDevice('kassa-1', { faketime: 59 })).otp_code).toBe(vectors.taler[0].output);
    expect((await merchant.otpDevice('priced', { faketime: 1234567890, price: 'EUR:1.50' })).otp_code).toBe(vectors.taler[4].output);
  });

  it("uses the intermediary's clock without faketime, as Taler answers the current code", async () => {
    expect(await merchant.otpDevice('kassa-1')).toMatchObject({ otp_timestamp: CLOCK, otp_code: posConfirmation(KEY, 'TOTP_WITHOUT_PRICE', CLOCK) });
  });

  it('leaves otp_code out when the device cannot compute it: TOTP_WITH_PRICE without price, NONE', async () => {
    await merchant.addOtpDevice({ otp_device_id: 'silent', otp_key: KEY, otp_algorithm: 'NONE', otp_ctr: 7 });
    expect(await merchant.otpDevice('priced', { faketime: 1234567890 })).toEqual({ device_description: '', otp_algorithm: 2, otp_timestamp: 1234567890 });
    expect(await merchant.otpDevice('silent', { faketime: 1234567890, price: 'SEK:1' })).toEqual({ device_description: '', otp_algorithm: 0, otp_ctr: 7, otp_timestamp: 1234567890 });
  });

  it('refuses a malformed price or faketime, and unknown query parameters, with 400', async () => {
    expect(await refusal(merchant.otpDevice('priced', { faketime: 1, price: 'EUR:1.123456789' }))).toMatchObject({ status: 400, code: 'invalid-price', reason: expect.stringContaining('too many decimals') });
    expect(await refusal(merchant.otpDevice('priced', { price: 'EUR 1' }))).toMatchObject({ status: 400, code: 'invalid-price' });
    for (const query of ['faketime=abc', 'faketime=-5', 'faketime=1.5', 'fake_time=5', 'faketime=1&faketime=2']) {
      expect((await raw('GET', `/private/otp-devices/priced?${query}`, undefined, merchantToken)).status, query).toBe(400);
    }
  });
});

describe('changing and deleting a device', () => {
  it('PATCH changes the fields given (204) and keeps the others; the codes follow the new key and algorithm', async () => {
    await merchant.addOtpDevice({ otp_device_id: 'patched', otp_device_description: 'old', otp_key: KEY, otp_algorithm: 1 });
    await merchant.updateOtpDevice('patched', { otp_device_description: 'new' });
    expect(await merchant.otpDevice('patched', { faketime: 1234567890 })).toMatchObject({ device_description: 'new', otp_algorithm: 1, otp_code: vectors.taler[1].output });
    const newKey = 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U';
    await merchant.updateOtpDevice('patched', { otp_device_description: 'new', otp_key: newKey, otp_algorithm: 'TOTP_WITH_PRICE', otp_ctr: 3 });
    expect(await merchant.otpDevice('patched', { faketime: 1234567890, price: 'SEK:5' })).toEqual({
      device_description: 'new',
      otp_algorithm: 2,
      otp_ctr: 3,
      otp_timestamp: 1234567890,
      otp_code: posConfirmation(newKey, 'TOTP_WITH_PRICE', 1234567890, 'SEK:5'),
    });
  });

  it('PATCH of an unknown device answers 404 and a malformed patch 400, changing nothing', async () => {
    expect(await refusal(merchant.updateOtpDevice('nope', { otp_device_description: 'x' }))).toMatchObject({ status: 404, code: 'unknown-otp-device' });
    expect(await refusal(merchant.updateOtpDevice('patched', { otp_key: 'MY======' }))).toMatchObject({ status: 400, code: 'invalid-otp-key' });
    expect(await refusal(merchant.updateOtpDevice('patched', { otp_algorithm: 'HOTP' }))).toMatchObject({ status: 400, code: 'invalid-otp-algorithm' });
    expect((await merchant.otpDevice('patched')).otp_algorithm).toBe(2);
  });

  it('DELETE answers 204, then 404 for the same id, and the device is gone', async () => {
    await merchant.addOtpDevice({ otp_device_id: 'gone', otp_key: KEY, otp_algorithm: 1 });
    expect((await raw('DELETE', '/private/otp-devices/gone', undefined, merchantToken)).status).toBe(204);
    expect(await refusal(merchant.deleteOtpDevice('gone'))).toMatchObject({ status: 404, code: 'unknown-otp-device' });
    expect(await refusal(merchant.otpDevice('gone'))).toMatchObject({ status: 404, code: 'unknown-otp-device' });
    expect(await ids()).not.toContain('gone');
  });
});

describe('hostile registrations: 400 with a specific reason, nothing stored', () => {
  const valid = { otp_device_id: 'hostile', otp_device_description: 'x', otp_key: KEY, otp_algorithm: 1 };
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a key that is not base32 (a space)', { otp_key: 'GEZDGNBV GY3TQOJQGEZDGNBVGY3TQOJQ' }, 'invalid-otp-key', /not base32/],
    ['a key with Crockford digits (0, 1, 8)', { otp_key: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ0' }, 'invalid-otp-key', /not base32/],
    ['a key with padding Taler refuses (6 =)', { otp_key: 'GEZDGNBVGY3TQOJQGEZDGNBVGY======' }, 'invalid-otp-key', /at most 2 are accepted/],
    ['a key with = inside', { otp_key: 'GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ' }, 'invalid-otp-key', /only at the end/],
    ['a key under 128 bits', { otp_key: 'JBSWY3DPEHPK3PXP' }, 'invalid-otp-key', /at least 16/],
    ['a key over 64 bytes', { otp_key: 'A'.repeat(120) }, 'invalid-otp-key', /at most 64/],
    ['an empty key', { otp_key: '' }, 'invalid-request', /otp_key/],
    ['an unknown algorithm name', { otp_algorithm: 'TOTP_SHA256' }, 'invalid-otp-algorithm', /not one of NONE, TOTP_WITHOUT_PRICE, TOTP_WITH_PRICE/],
    ['an unknown algorithm number', { otp_algorithm: 3 }, 'invalid-otp-algorithm', /not an algorithm number/],
    ['a negative algorithm number', { otp_algorithm: -1 }, 'invalid-otp-algorithm', /not an algorithm number/],
    ['an algorithm of the wrong type', { otp_algorithm: true }, 'invalid-request', /otp_algorithm/],
    ['an id over 64 characters', { otp_device_id: 'k'.repeat(65) }, 'invalid-request', /otp_device_id/],
    ['an id with /', { otp_device_id: 'a/b' }, 'invalid-request', /otp_device_id/],
    ['the id ..', { otp_device_id: '..' }, 'invalid-request', /otp_device_id/],
    ['an empty id', { otp_device_id: '' }, 'invalid-request', /otp_device_id/],
    ['a description with a newline', { otp_device_description: 'a\nb' }, 'invalid-request', /otp_device_description/],
    ['a description over 200 characters', { otp_device_description: 'd'.repeat(201) }, 'invalid-request', /otp_device_description/],
    ['a negative counter', { otp_ctr: -1 }, 'invalid-request', /otp_ctr/],
    ['an unknown field', { otp_secret: KEY }, 'invalid-request', /additional properties/],
  ];
  for (const [what, change, code, reason] of cases) {
    it(`refuses ${what}`, async () => {
      const answer = await refusal(merchant.addOtpDevice({ ...valid, ...change } as never));
      expect(answer).toMatchObject({ status: 400, code });
      expect(answer.reason).toMatch(reason);
      expect(await ids()).not.toContain('hostile');
    });
  }

  // Near misses too: the fields named right, their values arbitrary (an algorithm Taler would accept is left out).
  const notAnAlgorithm = (v: unknown) => !(v === 0 || v === 1 || v === 2 || (typeof v === 'string' && /^(none|totp_without_price|totp_with_price|[0-2])$/i.test(v)));

  it('answers arbitrary JSON bodies with 4xx, never 5xx, and stores nothing', async () => {
    const before = await ids();
    const bodies = fc.sample(fc.oneof(fc.json(), fc.record({ otp_device_id: fc.string(), otp_algorithm: fc.jsonValue().filter(notAnAlgorithm), otp_key: fc.string() }, { requiredKeys: [] })), { numRuns: 150, seed: 5 });
    for (const body of bodies) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const response = await raw('POST', '/private/otp-devices', text, merchantToken);
      expect(response.status, text).toBeGreaterThanOrEqual(400);
      expect(response.status, text).toBeLessThan(500);
    }
    expect(await ids()).toEqual(before);
  });

  it('refuses a missing id or algorithm, a body over 64 KiB (413), and a body that is not JSON', async () => {
    expect((await raw('POST', '/private/otp-devices', { otp_key: KEY, otp_algorithm: 1 }, merchantToken)).status).toBe(400);
    expect((await raw('POST', '/private/otp-devices', { otp_device_id: 'hostile', otp_key: KEY }, merchantToken)).status).toBe(400);
    expect((await raw('POST', '/private/otp-devices', { ...valid, otp_device_description: 'x'.repeat(70_000) }, merchantToken)).status).toBe(413);
    expect((await raw('POST', '/private/otp-devices', '{"otp_device_id": ', merchantToken)).status).toBe(400);
    expect(await ids()).not.toContain('hostile');
  });
});

describe("devices are the merchant's own", () => {
  it("another merchant does not see them: its list is its own and the id is unknown (404)", async () => {
    expect(await ids(other)).toEqual([]);
    expect(await refusal(other.otpDevice('kassa-1'))).toMatchObject({ status: 404, code: 'unknown-otp-device' });
    expect(await refusal(other.deleteOtpDevice('kassa-1'))).toMatchObject({ status: 404 });
    expect(await refusal(other.updateOtpDevice('kassa-1', { otp_device_description: 'mine' }))).toMatchObject({ status: 404 });
    expect((await merchant.otpDevice('kassa-1')).device_description).toBe('Till 1');
  });

  it('ids are unique per merchant: another merchant may use the same id with its own key', async () => {
    await other.addOtpDevice({ otp_device_id: 'kassa-1', otp_key: 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U', otp_algorithm: 1 });
    expect((await other.otpDevice('kassa-1', { faketime: 1234567890 })).otp_code).not.toBe(vectors.taler[1].output);
    expect((await merchant.otpDevice('kassa-1', { faketime: 1234567890 })).otp_code).toBe(vectors.taler[1].output);
    await other.deleteOtpDevice('kassa-1');
  });

  it("another merchant's token is refused on /instances/{merchant}/private (403); the admin token acts for any merchant there", async () => {
    expect(await refusal(other.otpDevices(merchantId))).toMatchObject({ status: 403 });
    expect(await refusal(other.otpDevice('kassa-1', {}, merchantId))).toMatchObject({ status: 403 });
    expect((await merchant.otpDevices(merchantId)).otp_devices.map((d) => d.otp_device_id)).toContain('kassa-1');
    expect((await admin.otpDevice('kassa-1', { faketime: 1234567890 }, merchantId)).otp_code).toBe(vectors.taler[1].output);
    await admin.addOtpDevice({ otp_device_id: 'by-admin', otp_key: KEY, otp_algorithm: 1 }, otherId);
    expect(await ids(other)).toEqual(['by-admin']);
    await admin.deleteOtpDevice('by-admin', otherId);
    expect(await refusal(admin.otpDevices('00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404, code: 'unknown-merchant' });
  });

  it('refuses the admin token on /private without a merchant (403), and requests without a valid token (401)', async () => {
    expect(await refusal(admin.otpDevices())).toMatchObject({ status: 403 });
    expect((await raw('GET', '/private/otp-devices')).status).toBe(401);
    expect((await raw('GET', '/private/otp-devices', undefined, 'x'.repeat(40))).status).toBe(401);
    expect((await raw('POST', '/private/otp-devices', { otp_device_id: 'hostile', otp_key: KEY, otp_algorithm: 1 }, 'x'.repeat(40))).status).toBe(401);
    expect(await ids()).not.toContain('hostile');
  });
});

describe('where keys are kept', () => {
  it("in the intermediary's database, inside its service folder that only the service's user may enter (0700)", () => {
    const imDir = network.file.intermediaries[0].dir;
    expect(statSync(imDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(imDir, 'db.sqlite')).isFile()).toBe(true);
  });
});
