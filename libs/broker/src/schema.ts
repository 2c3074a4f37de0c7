import { outboxTableSql, type Migration } from '@tradeyard/persistence';

/**
 * The gateway's tables, as plain SQL that runs unchanged on PostgreSQL and PGlite. Money and
 * quantities are numeric(24,6): amounts are rounded to micro-units before they are stored, so
 * cash and positions recomputed from the fills match the stored state exactly.
 */
export const gatewayMigrations: Migration[] = [
  {
    id: '001_ledger',
    sql: `
CREATE TABLE users (
  username text PRIMARY KEY,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE accounts (
  id text PRIMARY KEY,
  initial_cash numeric(24,6) NOT NULL,
  cash numeric(24,6) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  idempotency_key text,
  symbol text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  type text NOT NULL CHECK (type IN ('market', 'limit')),
  quantity numeric(24,6) NOT NULL CHECK (quantity > 0),
  limit_price numeric(24,6),
  status text NOT NULL CHECK (status IN ('new', 'filled', 'cancelled', 'rejected')),
  reason text,
  filled_quantity numeric(24,6) NOT NULL DEFAULT 0,
  avg_fill_price numeric(24,6),
  fees numeric(24,6) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, idempotency_key)
);
CREATE INDEX orders_open ON orders (symbol) WHERE status = 'new';
CREATE TABLE fills (
  id uuid PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders(id),
  account_id text NOT NULL REFERENCES accounts(id),
  symbol text NOT NULL,
  side text NOT NULL,
  quantity numeric(24,6) NOT NULL,
  price numeric(24,6) NOT NULL,
  fee numeric(24,6) NOT NULL,
  time bigint NOT NULL,
  seq bigserial
);
CREATE INDEX fills_account ON fills (account_id, seq);
CREATE TABLE positions (
  account_id text NOT NULL REFERENCES accounts(id),
  symbol text NOT NULL,
  quantity numeric(24,6) NOT NULL,
  avg_price numeric(24,6) NOT NULL,
  realized_pnl numeric(24,6) NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, symbol)
);
CREATE TABLE equity_history (
  account_id text NOT NULL REFERENCES accounts(id),
  time bigint NOT NULL,
  equity numeric(24,6) NOT NULL,
  seq bigserial PRIMARY KEY
);
CREATE TABLE signals (
  id text PRIMARY KEY,
  symbol text NOT NULL,
  rule text NOT NULL,
  time bigint NOT NULL,
  close double precision NOT NULL,
  "values" jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signals_symbol_time ON signals (symbol, time);
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
`,
  },
  // Events published after a commit (orders, fills, signals) go through this table.
  { id: '002_outbox', sql: outboxTableSql },
];
