// The merchants' side of an intermediary (docs/TOTP.md): the registry of their offline devices (inverted-TOTP keys,
// in the shape of GNU Taler's merchant backend) and online payments from a buyer's online wallet to a merchant's,
// answered with the device's `pos_confirmation` codes for the payment's own time and amount.
//
// The codes come from host/src/codec/totp.ts (byte-compatible with Taler). Keys are checked by Taler's base32 rules
// and stored upper case without padding; they leave the service only in the answer that generated them.

import { randomUUID } from 'node:crypto';
import { type Amount, AmountError, formatAmount, fromMinorUnits, parseAmount } from '../../codec/amount.ts';
import { Base32Error, encodeBase32 } from '../../codec/base32.ts';
import { decodeOtpKey, generateOtpKey, OTP_ALGORITHMS, type OtpAlgorithm, parseOtpAlgorithm, posConfirmation, TotpError } from '../../codec/totp.ts';
import type { TransactionRunner } from '../db/sqlite.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { idempotent } from '../http/app.ts';
import type { OutboxMessage } from '../ledger.ts';
import type {
  GeneratedOtpDevice,
  OnlinePayment,
  OnlinePaymentRequest,
  OtpDeviceAddDetails,
  OtpDeviceDetails,
  OtpDevicePatchDetails,
  OtpDevicesSummary,
} from '../merchant-api.ts';
import type { MerchantRepositories, OnlinePaymentRow, OtpDeviceRow } from './merchant-store.ts';
import type { IntermediaryService } from './service.ts';
import { online } from './settlement.ts';

/** The money of the intermediaries: online payments are in SEK, counted in öre. */
export const PAYMENT_CURRENCY = 'SEK';
/** Device keys shorter than this are refused (RFC 4226: "at least 128 bits"). */
export const MIN_OTP_KEY_BYTES = 16;
/** Device keys longer than this are refused (an HMAC-SHA1 key longer than its block is hashed first: no gain). */
export const MAX_OTP_KEY_BYTES = 64;
/** Devices per merchant. */
export const MAX_DEVICES_PER_MERCHANT = 1000;

/** The key of a registration, normalised (upper case, no padding), or a 400 naming what is wrong. */
function checkedKey(text: string): string {
  let bytes: Uint8Array;
  try {
    bytes = decodeOtpKey(text, 'otp_key');
  } catch (error) {
    if (error instanceof Base32Error || error instanceof TotpError) throw badRequest('invalid-otp-key', error.message);
    throw error;
  }
  if (bytes.length < MIN_OTP_KEY_BYTES) {
    throw badRequest('invalid-otp-key', `otp_key decodes to ${bytes.length} bytes: a device key has at least ${MIN_OTP_KEY_BYTES} (128 bits, RFC 4226); leave otp_key out to have 20 random bytes generated`);
  }
  if (bytes.length > MAX_OTP_KEY_BYTES) throw badRequest('invalid-otp-key', `otp_key decodes to ${bytes.length} bytes: at most ${MAX_OTP_KEY_BYTES}`);
  return encodeBase32(bytes);
}

function checkedAlgorithm(value: unknown): number {
  try {
    return OTP_ALGORITHMS.indexOf(parseOtpAlgorithm(value, 'otp_algorithm'));
  } catch (error) {
    if (error instanceof TotpError) throw badRequest('invalid-otp-algorithm', error.message);
    throw error;
  }
}

const algorithmName = (n: number): OtpAlgorithm => OTP_ALGORITHMS[n];

/** The device's codes at `seconds` for `amount`; undefined for NONE. */
function codesOf(device: OtpDeviceRow, seconds: number, amount: Amount): string | undefined {
  return posConfirmation(device.otpKey, algorithmName(device.algorithm), seconds, amount);
}

function paymentView(row: OnlinePaymentRow): OnlinePayment {
  return {
    paymentId: row.id,
    buyer: row.buyerId,
    merchant: row.merchantId,
    amount: row.amount,
    price: formatAmount(fromMinorUnits(PAYMENT_CURRENCY, row.amount), 2),
    time: row.paidAtSeconds,
    timeIso: new Date(row.paidAtSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    otp_device_id: row.otpDeviceId,
    otp_algorithm: row.otpAlgorithm === null ? null : algorithmName(row.otpAlgorithm),
  };
}

export interface MerchantOptions {
  /** The clock of payments and of `GET .../otp-devices/{id}` without faketime (ms since 1970). Default Date.now. */
  now?: () => number;
  /** Random bytes for generated keys (default node:crypto). */
  random?: (length: number) => Uint8Array;
}

export class MerchantService {
  private readonly now: () => number;
  private readonly random: ((length: number) => Uint8Array) | undefined;

  constructor(
    private readonly runner: TransactionRunner<MerchantRepositories>,
    private readonly intermediary: IntermediaryService,
    options: MerchantOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random;
  }

  private async requireUser(r: MerchantRepositories, userId: string, code: 'unknown-merchant' | 'unknown-user'): Promise<void> {
    if (!(await r.users.get(userId))) throw notFound(code, `There is no user ${userId} at this intermediary.`);
  }

  private async requireDevice(r: MerchantRepositories, merchantId: string, deviceId: string): Promise<OtpDeviceRow> {
    const device = await r.otpDevices.get(merchantId, deviceId);
    if (!device) throw notFound('unknown-otp-device', `The merchant has no OTP device ${JSON.stringify(deviceId)}.`);
    return device;
  }

  // ------------------------------------------------------------------------------------------- devices

  /**
   * Registers a device. With `otp_key`: answers undefined (204); the same registration again is accepted, another one
   * under an existing id is refused (409). Without `otp_key`: a key is generated and answered once (200); a
   * registration without key under an existing id is refused (the stored key cannot be compared, nor shown again).
   */
  async addDevice(merchantId: string, body: OtpDeviceAddDetails): Promise<GeneratedOtpDevice | undefined> {
    const algorithm = checkedAlgorithm(body.otp_algorithm);
    const given = body.otp_key === undefined ? undefined : checkedKey(body.otp_key);
    const key = given ?? generateOtpKey(this.random);
    const description = body.otp_device_description ?? '';
    const ctr = body.otp_ctr ?? null;
    const at = this.now();
    return this.runner.transaction(async (r) => {
      await this.requireUser(r, merchantId, 'unknown-merchant');
      const row: OtpDeviceRow = { merchantId, deviceId: body.otp_device_id, description, otpKey: key, algorithm, ctr, createdAt: at, updatedAt: at };
      if (!(await r.otpDevices.insert(row))) {
        const existing = (await r.otpDevices.get(merchantId, body.otp_device_id))!;
        if (given === undefined) {
          throw conflict('otp-device-exists', `The OTP device ${JSON.stringify(body.otp_device_id)} exists; a registration without otp_key cannot be repeated (its key was shown once): delete the device first, or give its otp_key.`);
        }
        const same = existing.otpKey === given && existing.algorithm === algorithm && existing.description === description && existing.ctr === ctr;
        if (!same) throw conflict('otp-device-exists', `An OTP device ${JSON.stringify(body.otp_device_id)} exists with other details.`);
        return undefined;
      }
      if ((await r.otpDevices.byMerchant(merchantId)).length > MAX_DEVICES_PER_MERCHANT) {
        throw conflict('too-many-otp-devices', `A merchant has at most ${MAX_DEVICES_PER_MERCHANT} OTP devices.`);
      }
      return given === undefined ? { otp_device_id: body.otp_device_id, otp_key: key, otp_algorithm: algorithm } : undefined;
    });
  }

  async listDevices(merchantId: string): Promise<OtpDevicesSummary> {
    return this.runner.transaction(async (r) => {
      await this.requireUser(r, merchantId, 'unknown-merchant');
      const devices = await r.otpDevices.byMerchant(merchantId);
      return { otp_devices: devices.map((d) => ({ otp_device_id: d.deviceId, device_description: d.description })) };
    });
  }

  /**
   * A device (never its key). `faketime` (unix seconds, default now) and `price` (a Taler amount) give `otp_code`:
   * what a payment at that time for that price would carry; left out when the device cannot compute it (NONE, or
   * TOTP_WITH_PRICE without a price), as Taler does.
   */
  async device(merchantId: string, deviceId: string, query: { faketime?: string; price?: string }): Promise<OtpDeviceDetails> {
    let price: Amount | undefined;
    if (query.price !== undefined) {
      try {
        price = parseAmount(query.price, 'price');
      } catch (error) {
        if (error instanceof AmountError) throw badRequest('invalid-price', error.message);
        throw error;
      }
    }
    const timestamp = query.faketime !== undefined ? Number(query.faketime) : Math.floor(this.now() / 1000);
    if (!Number.isSafeInteger(timestamp)) throw badRequest('invalid-faketime', 'faketime must be whole unix seconds.');
    const device = await this.runner.transaction(async (r) => {
      await this.requireUser(r, merchantId, 'unknown-merchant');
      return this.requireDevice(r, merchantId, deviceId);
    });
    const details: OtpDeviceDetails = { device_description: device.description, otp_algorithm: device.algorithm, otp_timestamp: timestamp };
    if (device.ctr !== null) details.otp_ctr = device.ctr;
    const algorithm = algorithmName(device.algorithm);
    if (algorithm === 'TOTP_WITHOUT_PRICE' || (algorithm === 'TOTP_WITH_PRICE' && price !== undefined)) {
      // TOTP_WITHOUT_PRICE ignores the price (any amount will do for the function).
      details.otp_code = codesOf(device, timestamp, price ?? fromMinorUnits(PAYMENT_CURRENCY, 0));
    }
    return details;
  }

  async patchDevice(merchantId: string, deviceId: string, body: OtpDevicePatchDetails): Promise<void> {
    const algorithm = body.otp_algorithm === undefined ? undefined : checkedAlgorithm(body.otp_algorithm);
    const otpKey = body.otp_key === undefined ? undefined : checkedKey(body.otp_key);
    const updatedAt = this.now();
    await this.runner.transaction(async (r) => {
      await this.requireUser(r, merchantId, 'unknown-merchant');
      const changed = await r.otpDevices.update(merchantId, deviceId, { description: body.otp_device_description, otpKey, algorithm, ctr: body.otp_ctr, updatedAt });
      if (!changed) throw notFound('unknown-otp-device', `The merchant has no OTP device ${JSON.stringify(deviceId)}.`);
    });
  }

  async deleteDevice(merchantId: string, deviceId: string): Promise<void> {
    await this.runner.transaction(async (r) => {
      await this.requireUser(r, merchantId, 'unknown-merchant');
      if (!(await r.otpDevices.delete(merchantId, deviceId))) throw notFound('unknown-otp-device', `The merchant has no OTP device ${JSON.stringify(deviceId)}.`);
    });
  }

  // ------------------------------------------------------------------------------------------ payments

  /**
   * The buyer pays `amount` öre from its online wallet to the merchant's, in one database transaction (one journal
   * line `online-payment`, the payment's record); the answer carries the merchant device's codes for the payment's
   * time and amount. With `requestKey` (the Idempotency-Key header) a repeated request answers the first answer and
   * moves nothing; a refused request moves nothing and may be repeated.
   */
  async pay(buyerId: string, request: OnlinePaymentRequest, requestKey: string | undefined, raw: string): Promise<OnlinePayment> {
    if (request.merchant.toLowerCase() === buyerId.toLowerCase()) throw badRequest('same-user', 'The buyer and the merchant are the same user: nothing to pay.');
    let waiting: OutboxMessage[] = [];
    const work = async (r: MerchantRepositories): Promise<OnlinePayment> => {
      const merchantId = request.merchant.toLowerCase();
      await this.requireUser(r, merchantId, 'unknown-merchant');
      let device: OtpDeviceRow | undefined;
      if (request.otp_device_id !== undefined) device = await this.requireDevice(r, merchantId, request.otp_device_id);
      else {
        const devices = await r.otpDevices.byMerchant(merchantId);
        if (devices.length > 1) {
          const names = devices.slice(0, 5).map((d) => d.deviceId).join(', ');
          throw badRequest('otp-device-required', `The merchant has ${devices.length} OTP devices (${names}${devices.length > 5 ? ', ...' : ''}): name the one to confirm to in otp_device_id.`);
        }
        device = devices[0];
      }
      const id = randomUUID();
      const at = this.now();
      const seconds = Math.floor(at / 1000);
      try {
        await r.ledger.move({ debit: online(buyerId), credit: online(merchantId), amount: request.amount, kind: 'online-payment', reference: id });
      } catch (error) {
        if ((error as { code?: string }).code === 'insufficient-funds') throw conflict('online-short', 'The online wallet does not hold that much.');
        throw error;
      }
      const row: OnlinePaymentRow = {
        id,
        buyerId,
        merchantId,
        amount: request.amount,
        paidAtSeconds: seconds,
        otpDeviceId: device?.deviceId ?? null,
        otpAlgorithm: device?.algorithm ?? null,
        createdAt: at,
      };
      await r.onlinePayments.insert(row);
      waiting = await this.intermediary.creditedOnline(r, merchantId);
      const answer = paymentView(row);
      const codes = device === undefined ? undefined : codesOf(device, seconds, fromMinorUnits(PAYMENT_CURRENCY, request.amount));
      if (codes !== undefined) answer.pos_confirmation = codes;
      return answer;
    };
    const answer =
      requestKey === undefined
        ? await this.runner.transaction(work)
        : await idempotent(this.runner, { scope: `online-payment:${buyerId}`, key: requestKey, request: raw, now: this.now() }, work);
    if (waiting.length > 0) await this.intermediary.outbox.deliver(waiting);
    return answer;
  }

  /** A payment, for its buyer or its merchant (`userId` undefined: the admin). */
  async payment(paymentId: string, userId: string | undefined): Promise<OnlinePayment> {
    const row = await this.runner.transaction((r) => r.onlinePayments.get(paymentId.toLowerCase()));
    if (!row || (userId !== undefined && row.buyerId !== userId && row.merchantId !== userId)) {
      throw notFound('unknown-payment', `There is no online payment ${paymentId} of this user.`);
    }
    return paymentView(row);
  }

  /** Refuses a user acting for another merchant (the admin may act for any). */
  static actFor(actor: string | undefined, merchantId: string | undefined): string {
    if (merchantId === undefined) {
      if (actor === undefined) throw forbidden('The admin token acts for a merchant through /instances/{userId}/private/...: name the merchant.');
      return actor;
    }
    if (actor !== undefined && actor !== merchantId.toLowerCase()) throw forbidden("This token is not the merchant's: use the merchant's own token, or the admin token.");
    return merchantId.toLowerCase();
  }
}
