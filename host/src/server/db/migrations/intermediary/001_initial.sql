-- An intermediary's database (docs/NETWORK.md sections 1 to 4).

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Double-entry books: `position` mirrors the central bank's position of this intermediary (minus it, so that all
-- balances sum to zero) and is the only account that may go below 0.
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

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE cards (
  id TEXT PRIMARY KEY,
  serial INTEGER NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id),
  role INTEGER NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  certificate TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
  lifecycle INTEGER NOT NULL,
  target_lifecycle INTEGER NOT NULL,
  policy TEXT NOT NULL,
  target_policy TEXT,
  lost_at INTEGER,
  refunded_at INTEGER,
  last_order_seq INTEGER NOT NULL DEFAULT 0,
  last_tx_seq INTEGER NOT NULL DEFAULT 0,
  last_report TEXT,
  last_report_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX cards_user ON cards (user_id);
CREATE INDEX cards_lost ON cards (lost_at, refunded_at);

CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  card_id TEXT NOT NULL REFERENCES cards (id),
  kind TEXT NOT NULL CHECK (kind IN ('TOP_UP', 'DEFUND')),
  amount INTEGER NOT NULL CHECK (amount > 0),
  order_seq INTEGER,
  state TEXT NOT NULL CHECK (state IN ('open', 'applied', 'completed', 'superseded', 'cancelled')),
  request_key TEXT,
  created_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE UNIQUE INDEX orders_one_open ON orders (card_id) WHERE state = 'open';
CREATE UNIQUE INDEX orders_request ON orders (card_id, request_key);
CREATE INDEX orders_card_seq ON orders (card_id, order_seq);

CREATE TABLE transactions (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  signature TEXT NOT NULL,
  payer_card TEXT NOT NULL,
  payer_seq INTEGER NOT NULL,
  payer_im INTEGER NOT NULL,
  recipient_card TEXT NOT NULL,
  recipient_im INTEGER NOT NULL,
  request_no INTEGER NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  payer_state TEXT,
  recipient_state TEXT,
  funded_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX transactions_payer ON transactions (payer_card, payer_state);
CREATE INDEX transactions_recipient ON transactions (recipient_card, recipient_state);
CREATE INDEX transactions_request ON transactions (recipient_card, request_no);

CREATE TABLE declines (
  recipient_card TEXT NOT NULL,
  request_no INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('decline', 'void')),
  evidence TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (recipient_card, request_no)
);

CREATE TABLE syncs (
  card_id TEXT NOT NULL REFERENCES cards (id),
  challenge TEXT NOT NULL,
  report TEXT NOT NULL,
  report_order_seq INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  new_balance INTEGER,
  answer TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (card_id, challenge)
);
CREATE INDEX syncs_order_seq ON syncs (card_id, report_order_seq);

CREATE TABLE anomalies (
  id INTEGER PRIMARY KEY,
  card_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  evidence TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX anomalies_card ON anomalies (card_id);

CREATE TABLE foreign_cards (
  card_id TEXT PRIMARY KEY,
  intermediary_id INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  certificate TEXT NOT NULL,
  fetched_at INTEGER NOT NULL
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
