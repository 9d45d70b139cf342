-- The central bank's database (docs/NETWORK.md sections 1, 2, 4).

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Double-entry books: issuance and pool are source accounts (minus what they put out); positions never go below 0.
CREATE TABLE accounts (
  name TEXT PRIMARY KEY,
  balance INTEGER NOT NULL DEFAULT 0,
  may_be_negative INTEGER NOT NULL DEFAULT 0,
  CHECK (may_be_negative = 1 OR balance >= 0)
);

CREATE TABLE ledger (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  debit TEXT NOT NULL REFERENCES accounts (name),
  credit TEXT NOT NULL REFERENCES accounts (name),
  amount INTEGER NOT NULL CHECK (amount > 0),
  kind TEXT NOT NULL,
  reference TEXT NOT NULL,
  UNIQUE (kind, reference)
);

CREATE TABLE intermediaries (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  certificate TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);

CREATE TABLE issues (
  id INTEGER PRIMARY KEY,
  intermediary_id INTEGER NOT NULL REFERENCES intermediaries (id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  at INTEGER NOT NULL
);

-- The register: a transaction settles at most once, a request is paid at most once.
CREATE TABLE register (
  tx_id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  payer_signature TEXT NOT NULL,
  payer_card TEXT NOT NULL,
  payer_im INTEGER NOT NULL,
  recipient_card TEXT NOT NULL,
  recipient_im INTEGER NOT NULL,
  request_no INTEGER NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  funded_by TEXT NOT NULL CHECK (funded_by IN ('shadow', 'pool')),
  state TEXT NOT NULL CHECK (state IN ('settled', 'reversed')),
  advance_state TEXT CHECK (advance_state IN ('outstanding', 'repaid', 'cancelled')),
  settled_at INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  UNIQUE (recipient_card, request_no)
);

CREATE TABLE declines (
  recipient_card TEXT NOT NULL,
  request_no INTEGER NOT NULL,
  recipient_im INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('decline', 'void')),
  declared_by INTEGER NOT NULL,
  evidence TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (recipient_card, request_no)
);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  target TEXT NOT NULL,
  path TEXT NOT NULL,
  body TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error TEXT
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

CREATE TABLE idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
