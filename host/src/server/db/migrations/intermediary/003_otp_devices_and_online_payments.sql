-- Inverted-TOTP payment confirmations (docs/TOTP.md): the merchants' offline devices, and online payments from one
-- user's online wallet to another's at this intermediary.

-- A merchant's offline device, as GNU Taler's merchant backend keeps it (`POST /private/otp-devices`). The key is
-- the device's shared secret in base32 (upper case, no padding). It is stored as is because the service must compute
-- the device's codes from it; only the service reads this database (the service folder is 0700).
CREATE TABLE otp_devices (
  merchant_id TEXT NOT NULL REFERENCES users (id),
  device_id TEXT NOT NULL,
  description TEXT NOT NULL,
  otp_key TEXT NOT NULL,
  -- 0 NONE, 1 TOTP_WITHOUT_PRICE, 2 TOTP_WITH_PRICE (Taler's numbers)
  algorithm INTEGER NOT NULL CHECK (algorithm IN (0, 1, 2)),
  ctr INTEGER CHECK (ctr IS NULL OR ctr >= 0),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (merchant_id, device_id)
);

-- A payment from the buyer's online wallet to the merchant's (one journal line `online-payment`, reference = id).
-- The device and its algorithm are those the confirmation codes were computed for (NULL: no device, no codes).
CREATE TABLE online_payments (
  id TEXT PRIMARY KEY,
  buyer_id TEXT NOT NULL REFERENCES users (id),
  merchant_id TEXT NOT NULL REFERENCES users (id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  -- the payment time the codes are computed from: whole unix seconds
  paid_at_seconds INTEGER NOT NULL,
  otp_device_id TEXT,
  otp_algorithm INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX online_payments_buyer ON online_payments (buyer_id);
CREATE INDEX online_payments_merchant ON online_payments (merchant_id);
