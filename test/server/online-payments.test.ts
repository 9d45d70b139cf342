// Online payments to a merchant (docs/TOTP.md): the buyer pays from its online wallet to the merchant's, at the same
// intermediary, in one database transaction; the answer carries the merchant device's pos_confirmation for the
// payment's own time and amount. Once per idempotency key; refused requests move nothing; the audits still balance.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { posConfirmation } from '../../host/src/codec/totp.ts';
import { CentralBankClient, IntermediaryClient, ServiceRequestError } from '../../host/src/server/client.ts';
import { requestJson } from '../../host/src/server/http/json-http.ts';
import { type InProcessNetwork, startLocalNetwork } from '../../host/src/server/network.ts';
import vectors from '../totp/vectors/totp.json' with { type: 'json' };

const KEY = vectors.key;
let clockMs = 1_750_000_020_000;

let dir: string;
let network: InProcessNetwork;
let bank: CentralBankClient;
let admins: IntermediaryClient[];
let serial = 0;

interface User {
  id: string;
  token: string;
  client: IntermediaryClient;
}

async function user(im = 0, deposit = 0): Promise<User> {
  const u = await admins[im].createUser(`user ${++serial}`);
  if (deposit > 0) await admins[im].deposit(u.userId, deposit);
  return { id: u.userId, token: u.token, client: admins[im].as(u.token) };
}

const online = async (u: User) => (await u.client.me()).online;

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ServiceRequestError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('the request was not refused');
}

async function expectBalanced(): Promise<void> {
  const audit = await bank.networkAudit();
  expect(audit.problems).toEqual([]);
  expect(audit.balanced).toBe(true);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-online-payments-'));
  network = await startLocalNetwork({
    dir,
    intermediaries: [
      { id: 1, name: 'Alfa Bank' },
      { id: 2, name: 'Beta Bank' },
    ],
    start: { outboxIntervalMs: 200, now: () => clockMs },
  });
  bank = new CentralBankClient(network.file.centralBank.url, { adminToken: network.file.centralBank.adminToken });
  admins = network.file.intermediaries.map((im) => new IntermediaryClient(im.url, { token: im.adminToken }));
});
afterAll(async () => {
  await network?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('paying a merchant online', () => {
  it('moves the amount once from the buyer to the merchant, and a retry with the same idempotency key answers the same payment', async () => {
    const buyer = await user(0, 100_00);
    const merchant = await user();
    await merchant.client.addOtpDevice({ otp_device_id: 'kassa-1', otp_key: KEY, otp_algorithm: 'TOTP_WITHOUT_PRICE' });
    const paid = await buyer.client.payOnline({ merchant: merchant.id, amount: 12_50 }, 'payment-key-1');
    expect(paid).toMatchObject({ buyer: buyer.id, merchant: merchant.id, amount: 12_50, price: 'SEK:12.50', time: clockMs / 1000, otp_device_id: 'kassa-1', otp_algorithm: 'TOTP_WITHOUT_PRICE' });
    expect([await online(buyer), await online(merchant)]).toEqual([87_50, 12_50]);

    clockMs += 60_000; // the retry comes later: it still answers the first payment, its time and its codes
    expect(await buyer.client.payOnline({ merchant: merchant.id, amount: 12_50 }, 'payment-key-1')).toEqual(paid);
    expect([await online(buyer), await online(merchant)]).toEqual([87_50, 12_50]);
    expect(await refusal(buyer.client.payOnline({ merchant: merchant.id, amount: 13_00 }, 'payment-key-1'))).toEqual({ status: 409, code: 'idempotency-key-reused' });
    expect([await online(buyer), await online(merchant)]).toEqual([87_50, 12_50]);
    // A malformed key is refused, not ignored: ignored, its retry would pay a second time.
    expect(await refusal(buyer.client.payOnline({ merchant: merchant.id, amount: 1_00 }, 'key with spaces'))).toEqual({ status: 400, code: 'invalid-idempotency-key' });
    expect([await online(buyer), await online(merchant)]).toEqual([87_50, 12_50]);
    await expectBalanced();
  });

  it("answers pos_confirmation for the payment's time and amount, equal to the codec's and to the faketime/price oracle", async () => {
    const buyer = await user(0, 50_00);
    const merchant = await user();
    await merchant.client.addOtpDevice({ otp_device_id: 'priced', otp_key: KEY, otp_algorithm: 'TOTP_WITH_PRICE' });
    const paid = await buyer.client.payOnline({ merchant: merchant.id, amount: 12_50 });
    expect(paid.pos_confirmation).toBe(posConfirmation(KEY, 'TOTP_WITH_PRICE', paid.time, 'SEK:12.50'));
    expect(paid.pos_confirmation).toBe((await merchant.client.otpDevice('priced', { faketime: paid.time, price: paid.price })).otp_code);
    expect(paid.pos_confirmation).not.toBe(posConfirmation(KEY, 'TOTP_WITH_PRICE', paid.time, 'SEK:12.51'));
    expect(paid.pos_confirmation!.split('\n')).toHaveLength(5);
  });

  it('uses the merchant\'s only device when none is named; names none and carries no codes for a merchant without devices or with NONE', async () => {
    const buyer = await user(0, 50_00);
    const plain = await user();
    expect(await buyer.client.payOnline({ merchant: plain.id, amount: 1_00 })).toMatchObject({ otp_device_id: null, otp_algorithm: null });
    expect((await buyer.client.payOnline({ merchant: plain.id, amount: 1_00 })).pos_confirmation).toBeUndefined();
    await plain.client.addOtpDevice({ otp_device_id: 'none', otp_key: KEY, otp_algorithm: 'NONE' });
    const paid = await buyer.client.payOnline({ merchant: plain.id, amount: 1_00 });
    expect(paid).toMatchObject({ otp_device_id: 'none', otp_algorithm: 'NONE' });
    expect('pos_confirmation' in paid).toBe(false);
    expect(await online(plain)).toBe(3_00);
  });

  it('pays to the device named among several', async () => {
    const buyer = await user(0, 50_00);
    const merchant = await user();
    await merchant.client.addOtpDevice({ otp_device_id: 'a', otp_key: KEY, otp_algorithm: 1 });
    const b = await merchant.client.addOtpDevice({ otp_device_id: 'b', otp_algorithm: 1 });
    const paid = await buyer.client.payOnline({ merchant: merchant.id, amount: 2_00, otp_device_id: 'b' });
    expect(paid.pos_confirmation).toBe(posConfirmation(b!.otp_key, 'TOTP_WITHOUT_PRICE', paid.time));
  });

  it('shows a payment to its buyer and its merchant (and the admin), no one else', async () => {
    const buyer = await user(0, 10_00);
    const merchant = await user();
    const stranger = await user();
    const paid = await buyer.client.payOnline({ merchant: merchant.id, amount: 3_00 });
    const { pos_confirmation: _, ...record } = paid;
    expect(await merchant.client.onlinePayment(paid.paymentId)).toEqual(record);
    expect(await buyer.client.onlinePayment(paid.paymentId)).toEqual(record);
    expect(await admins[0].onlinePayment(paid.paymentId)).toEqual(record);
    expect(await refusal(stranger.client.onlinePayment(paid.paymentId))).toEqual({ status: 404, code: 'unknown-payment' });
  });
});

describe('refused payments move nothing', () => {
  let buyer: User;
  let merchant: User;
  let many: User;
  beforeAll(async () => {
    buyer = await user(0, 10_00);
    merchant = await user();
    await merchant.client.addOtpDevice({ otp_device_id: 'kassa-1', otp_key: KEY, otp_algorithm: 1 });
    many = await user();
    await many.client.addOtpDevice({ otp_device_id: 'a', otp_key: KEY, otp_algorithm: 1 });
    await many.client.addOtpDevice({ otp_device_id: 'b', otp_key: KEY, otp_algorithm: 1 });
  });
  const unchanged = async () => {
    expect([await online(buyer), await online(merchant), await online(many)]).toEqual([10_00, 0, 0]);
  };

  it('insufficient funds: 409 online-short', async () => {
    expect(await refusal(buyer.client.payOnline({ merchant: merchant.id, amount: 10_01 }, 'short-key-1'))).toEqual({ status: 409, code: 'online-short' });
    await unchanged();
    await expectBalanced();
  });

  it('an unknown merchant, or a merchant of another intermediary: 404 unknown-merchant', async () => {
    expect(await refusal(buyer.client.payOnline({ merchant: '00000000-0000-4000-8000-000000000000', amount: 1_00 }))).toEqual({ status: 404, code: 'unknown-merchant' });
    const elsewhere = await user(1);
    expect(await refusal(buyer.client.payOnline({ merchant: elsewhere.id, amount: 1_00 }))).toEqual({ status: 404, code: 'unknown-merchant' });
    await unchanged();
  });

  it('an unknown device: 404 unknown-otp-device; several devices and none named: 400 otp-device-required', async () => {
    expect(await refusal(buyer.client.payOnline({ merchant: merchant.id, amount: 1_00, otp_device_id: 'kassa-9' }))).toEqual({ status: 404, code: 'unknown-otp-device' });
    expect(await refusal(buyer.client.payOnline({ merchant: many.id, amount: 1_00 }))).toEqual({ status: 400, code: 'otp-device-required' });
    await unchanged();
  });

  it('paying oneself (400 same-user), the admin token as buyer (403), malformed amounts and fields (400)', async () => {
    expect(await refusal(buyer.client.payOnline({ merchant: buyer.id, amount: 1_00 }))).toEqual({ status: 400, code: 'same-user' });
    expect(await refusal(admins[0].payOnline({ merchant: merchant.id, amount: 1_00 }))).toMatchObject({ status: 403 });
    for (const amount of [0, -1, 12.5, '1250', 2 ** 31, null]) {
      expect(await refusal(buyer.client.payOnline({ merchant: merchant.id, amount } as never)), String(amount)).toEqual({ status: 400, code: 'invalid-request' });
    }
    for (const body of [{ merchant: 'kaffe', amount: 1 }, { merchant: merchant.id, amount: 1, otp_device_id: 'a/b' }, { merchant: merchant.id, amount: 1, currency: 'EUR' }, { amount: 1 }]) {
      expect(await refusal(buyer.client.payOnline(body as never)), JSON.stringify(body)).toEqual({ status: 400, code: 'invalid-request' });
    }
    const raw = await requestJson({ method: 'POST', url: `${admins[0].url}/online-payments`, body: JSON.stringify({ merchant: merchant.id, amount: 1 }) });
    expect(raw.status).toBe(401);
    await unchanged();
  });

  it('arbitrary JSON bodies are answered 4xx, never 5xx, and move nothing', async () => {
    const bodies = fc.sample(fc.oneof(fc.json(), fc.record({ merchant: fc.oneof(fc.uuid(), fc.constant(merchant.id)), amount: fc.jsonValue().filter((v) => !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 0x7fffffff)), otp_device_id: fc.string() }, { requiredKeys: [] })), { numRuns: 150, seed: 7 });
    for (const body of bodies) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const response = await requestJson({ method: 'POST', url: `${admins[0].url}/online-payments`, headers: { authorization: `Bearer ${buyer.token}` }, body: text });
      expect(response.status, text).toBeGreaterThanOrEqual(400);
      expect(response.status, text).toBeLessThan(500);
    }
    await unchanged();
  });

  it('a refused request may be repeated with its key once the buyer can pay', async () => {
    await admins[0].deposit(buyer.id, 1_00);
    const paid = await buyer.client.payOnline({ merchant: merchant.id, amount: 10_01 }, 'short-key-1');
    expect(paid.amount).toBe(10_01);
    expect([await online(buyer), await online(merchant)]).toEqual([99, 10_01]);
    await expectBalanced();
  });
});
