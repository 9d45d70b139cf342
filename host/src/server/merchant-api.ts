// The shapes of the merchants' endpoints of an intermediary (docs/TOTP.md, docs/NETWORK.md "Endpoints"): the offline
// device registry in the shape of GNU Taler's merchant backend (`/private/otp-devices`, snake_case names as Taler
// writes them), and online payments from one user's online wallet to a merchant's, answered with Taler's
// `pos_confirmation`.

/** An algorithm as Taler accepts it in JSON: its name (any case) or its number. */
export type OtpAlgorithmJson = 'NONE' | 'TOTP_WITHOUT_PRICE' | 'TOTP_WITH_PRICE' | 0 | 1 | 2 | string | number;

/** `POST /private/otp-devices` (Taler's OtpDeviceAddDetails; here `otp_key` and the description may be left out). */
export interface OtpDeviceAddDetails {
  otp_device_id: string;
  otp_device_description?: string;
  /** RFC 4648 base32; left out: the intermediary generates 20 random bytes and answers them once. */
  otp_key?: string;
  otp_algorithm: OtpAlgorithmJson;
  otp_ctr?: number;
}

/** The answer of a registration without `otp_key` (200; with a key the answer is 204 and empty, as in Taler). */
export interface GeneratedOtpDevice {
  otp_device_id: string;
  /** The generated key, base32 without padding (32 characters): shown this once, never again. */
  otp_key: string;
  otp_algorithm: number;
}

/** `PATCH /private/otp-devices/{id}` (Taler's OtpDevicePatchDetails; here every field may be left out: it keeps its value). */
export interface OtpDevicePatchDetails {
  otp_device_description?: string;
  otp_key?: string;
  otp_algorithm?: OtpAlgorithmJson;
  otp_ctr?: number;
}

/** `GET /private/otp-devices`. */
export interface OtpDevicesSummary {
  otp_devices: Array<{ otp_device_id: string; device_description: string }>;
}

/** `GET /private/otp-devices/{id}[?faketime=&price=]` (Taler's OtpDeviceDetails; never the key). */
export interface OtpDeviceDetails {
  device_description: string;
  /** 0 NONE, 1 TOTP_WITHOUT_PRICE, 2 TOTP_WITH_PRICE. */
  otp_algorithm: number;
  otp_ctr?: number;
  /** `faketime` if given, else the intermediary's current time (unix seconds). */
  otp_timestamp: number;
  /** What a payment at `otp_timestamp` for `price` would carry as `pos_confirmation`; left out when it cannot be computed (NONE, or TOTP_WITH_PRICE without `price`). */
  otp_code?: string;
}

/** `POST /online-payments`: the buyer (the token's user) pays `amount` öre from its online wallet to `merchant`. */
export interface OnlinePaymentRequest {
  /** The merchant's user id (a user of the same intermediary). */
  merchant: string;
  /** Öre (SEK). */
  amount: number;
  /** The merchant's device whose codes to answer; may be left out when the merchant has at most one device. */
  otp_device_id?: string;
}

export interface OnlinePayment {
  paymentId: string;
  buyer: string;
  merchant: string;
  /** Öre. */
  amount: number;
  /** The amount as Taler writes it, with the currency's decimals (`SEK:12.50`): the price mixed into the codes. */
  price: string;
  /** The payment time (unix seconds): the time the codes are computed for. */
  time: number;
  /** The same, ISO 8601 UTC. */
  timeIso: string;
  /** The device the codes are for, or null (the merchant has no device). */
  otp_device_id: string | null;
  /** Its algorithm's name, or null. */
  otp_algorithm: 'NONE' | 'TOTP_WITHOUT_PRICE' | 'TOTP_WITH_PRICE' | null;
  /** Five codes (steps C-2 .. C+2 of the payment time) joined by "\n", exactly as Taler computes them; absent without a device or for NONE. */
  pos_confirmation?: string;
}
