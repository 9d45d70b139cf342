// The repositories of the merchants' side of an intermediary (docs/TOTP.md): offline devices (inverted-TOTP keys)
// and online payments. They live on the intermediary's connection, beside its own repositories, so that an online
// payment's movement and its record commit in one database transaction.

import type { SqliteDatabase } from '../db/sqlite.ts';
import { type IntermediaryRepositories, intermediaryRepositories } from './store.ts';

export interface OtpDeviceRow {
  merchantId: string;
  deviceId: string;
  description: string;
  /** Base32, upper case, no padding. */
  otpKey: string;
  /** Taler's number: 0 NONE, 1 TOTP_WITHOUT_PRICE, 2 TOTP_WITH_PRICE. */
  algorithm: number;
  ctr: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface OnlinePaymentRow {
  id: string;
  buyerId: string;
  merchantId: string;
  amount: number;
  /** The payment time the codes were computed from, whole unix seconds. */
  paidAtSeconds: number;
  otpDeviceId: string | null;
  otpAlgorithm: number | null;
  createdAt: number;
}

export interface OtpDevicesRepository {
  get(merchantId: string, deviceId: string): Promise<OtpDeviceRow | undefined>;
  /** The merchant's devices, by id. */
  byMerchant(merchantId: string): Promise<OtpDeviceRow[]>;
  /** False when the merchant already has a device with this id (nothing written). */
  insert(row: OtpDeviceRow): Promise<boolean>;
  /** Changes the fields given (the others keep their values); false when there is no such device. */
  update(merchantId: string, deviceId: string, patch: DevicePatch): Promise<boolean>;
  delete(merchantId: string, deviceId: string): Promise<boolean>;
}

export interface DevicePatch {
  description?: string;
  otpKey?: string;
  algorithm?: number;
  ctr?: number;
  updatedAt: number;
}

export interface OnlinePaymentsRepository {
  insert(row: OnlinePaymentRow): Promise<void>;
  get(id: string): Promise<OnlinePaymentRow | undefined>;
}

export interface MerchantRepositories extends IntermediaryRepositories {
  otpDevices: OtpDevicesRepository;
  onlinePayments: OnlinePaymentsRepository;
}

interface DeviceSqlRow {
  merchant_id: string;
  device_id: string;
  description: string;
  otp_key: string;
  algorithm: number;
  ctr: number | null;
  created_at: number;
  updated_at: number;
}

const deviceRow = (r: DeviceSqlRow): OtpDeviceRow => ({
  merchantId: r.merchant_id,
  deviceId: r.device_id,
  description: r.description,
  otpKey: r.otp_key,
  algorithm: r.algorithm,
  ctr: r.ctr,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

class SqlOtpDevices implements OtpDevicesRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async get(merchantId: string, deviceId: string) {
    const row = this.db.get<DeviceSqlRow>('SELECT * FROM otp_devices WHERE merchant_id = ? AND device_id = ?', merchantId, deviceId);
    return row ? deviceRow(row) : undefined;
  }

  async byMerchant(merchantId: string) {
    return this.db.all<DeviceSqlRow>('SELECT * FROM otp_devices WHERE merchant_id = ? ORDER BY device_id', merchantId).map(deviceRow);
  }

  async insert(r: OtpDeviceRow) {
    return (
      this.db.run(
        'INSERT INTO otp_devices (merchant_id, device_id, description, otp_key, algorithm, ctr, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, device_id) DO NOTHING',
        r.merchantId,
        r.deviceId,
        r.description,
        r.otpKey,
        r.algorithm,
        r.ctr,
        r.createdAt,
        r.updatedAt,
      ) === 1
    );
  }

  async update(merchantId: string, deviceId: string, p: DevicePatch) {
    // A field left out of the patch keeps its value (COALESCE with a NULL parameter).
    return (
      this.db.run(
        'UPDATE otp_devices SET description = COALESCE(?, description), otp_key = COALESCE(?, otp_key), algorithm = COALESCE(?, algorithm), ctr = COALESCE(?, ctr), updated_at = ? WHERE merchant_id = ? AND device_id = ?',
        p.description ?? null,
        p.otpKey ?? null,
        p.algorithm ?? null,
        p.ctr ?? null,
        p.updatedAt,
        merchantId,
        deviceId,
      ) === 1
    );
  }

  async delete(merchantId: string, deviceId: string) {
    return this.db.run('DELETE FROM otp_devices WHERE merchant_id = ? AND device_id = ?', merchantId, deviceId) === 1;
  }
}

interface PaymentSqlRow {
  id: string;
  buyer_id: string;
  merchant_id: string;
  amount: number;
  paid_at_seconds: number;
  otp_device_id: string | null;
  otp_algorithm: number | null;
  created_at: number;
}

class SqlOnlinePayments implements OnlinePaymentsRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async insert(r: OnlinePaymentRow) {
    this.db.run(
      'INSERT INTO online_payments (id, buyer_id, merchant_id, amount, paid_at_seconds, otp_device_id, otp_algorithm, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      r.id,
      r.buyerId,
      r.merchantId,
      r.amount,
      r.paidAtSeconds,
      r.otpDeviceId,
      r.otpAlgorithm,
      r.createdAt,
    );
  }

  async get(id: string) {
    const r = this.db.get<PaymentSqlRow>('SELECT * FROM online_payments WHERE id = ?', id);
    if (!r) return undefined;
    return {
      id: r.id,
      buyerId: r.buyer_id,
      merchantId: r.merchant_id,
      amount: r.amount,
      paidAtSeconds: r.paid_at_seconds,
      otpDeviceId: r.otp_device_id,
      otpAlgorithm: r.otp_algorithm,
      createdAt: r.created_at,
    };
  }
}

/** The intermediary's repositories plus the merchants' ones, on one connection (one transaction runner). */
export function merchantRepositories(db: SqliteDatabase, now: () => number = Date.now): MerchantRepositories {
  return { ...intermediaryRepositories(db, now), otpDevices: new SqlOtpDevices(db), onlinePayments: new SqlOnlinePayments(db) };
}
