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
  // The order lifecycle (src/order.ts) and exact money (libs/money): the seven statuses with a
  // reason code, the order_events journal, reservations of resting orders, the request hash of an
  // idempotency key, cost basis and fees paid. Realized P&L of existing positions is restated to
  // include the fees already paid, so the ledger identity holds for old accounts too.
  {
    id: '003_order_lifecycle',
    sql: `
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
UPDATE orders SET status = 'accepted' WHERE status = 'new';
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('accepted', 'partially_filled', 'filled', 'cancelled', 'expired', 'denied', 'rejected'));
ALTER TABLE orders ADD COLUMN reason_code text;
UPDATE orders SET reason_code = CASE status WHEN 'cancelled' THEN 'cancelled_by_account' WHEN 'rejected' THEN 'migrated_legacy' END;
ALTER TABLE orders ADD COLUMN request_hash text;
ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'USD';
ALTER TABLE orders ADD COLUMN filled_notional numeric(24,6) NOT NULL DEFAULT 0;
UPDATE orders SET filled_notional = round(filled_quantity * coalesce(avg_fill_price, 0), 6);
ALTER TABLE orders ADD COLUMN fill_count integer NOT NULL DEFAULT 0;
UPDATE orders o SET fill_count = (SELECT count(*) FROM fills f WHERE f.order_id = o.id);
ALTER TABLE orders ADD COLUMN reserved_cash numeric(24,6) NOT NULL DEFAULT 0 CHECK (reserved_cash >= 0);
ALTER TABLE orders ADD COLUMN reserved_quantity numeric(24,6) NOT NULL DEFAULT 0 CHECK (reserved_quantity >= 0);
UPDATE orders SET reserved_cash = round(quantity * limit_price, 6) WHERE status = 'accepted' AND side = 'buy';
UPDATE orders SET reserved_quantity = quantity WHERE status = 'accepted' AND side = 'sell';
DROP INDEX orders_open;
CREATE INDEX orders_open ON orders (symbol) WHERE status IN ('accepted', 'partially_filled');
CREATE INDEX orders_open_account ON orders (account_id) WHERE status IN ('accepted', 'partially_filled');
ALTER TABLE accounts ADD COLUMN currency text NOT NULL DEFAULT 'USD';
ALTER TABLE accounts ADD COLUMN fees_paid numeric(24,6) NOT NULL DEFAULT 0;
UPDATE accounts a SET fees_paid = coalesce((SELECT sum(fee) FROM fills f WHERE f.account_id = a.id), 0);
ALTER TABLE positions ADD COLUMN cost numeric(24,6) NOT NULL DEFAULT 0;
UPDATE positions SET cost = round(quantity * avg_price, 6);
UPDATE positions p SET realized_pnl = realized_pnl - coalesce((SELECT sum(fee) FROM fills f WHERE f.account_id = p.account_id AND f.symbol = p.symbol), 0);
ALTER TABLE positions DROP COLUMN avg_price;
ALTER TABLE fills ADD COLUMN fill_number integer;
CREATE TABLE order_events (
  seq bigserial PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders(id),
  account_id text NOT NULL REFERENCES accounts(id),
  event text NOT NULL,
  from_status text NOT NULL,
  to_status text NOT NULL,
  reason_code text,
  reason text,
  fill_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, seq);
`,
  },
  // Orders people use (libs/fill-engine): stop, stop-limit and trailing stops, time in force, and
  // the engine's state of a resting order (trigger, trailing anchor, the last bar it was evaluated
  // against). Existing orders are gtc, as they behaved.
  {
    id: '004_order_types',
    sql: `
ALTER TABLE orders DROP CONSTRAINT orders_type_check;
ALTER TABLE orders ADD CONSTRAINT orders_type_check CHECK (type IN ('market', 'limit', 'stop', 'stop_limit', 'trailing_stop'));
ALTER TABLE orders ADD COLUMN time_in_force text NOT NULL DEFAULT 'gtc' CHECK (time_in_force IN ('day', 'gtc', 'ioc', 'fok'));
ALTER TABLE orders ADD COLUMN stop_price numeric(24,6);
ALTER TABLE orders ADD COLUMN trail_amount numeric(24,6);
ALTER TABLE orders ADD COLUMN trail_percent numeric(24,6);
ALTER TABLE orders ADD COLUMN trail_anchor numeric(24,6);
ALTER TABLE orders ADD COLUMN triggered boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN arrival_time bigint;
ALTER TABLE orders ADD COLUMN evaluated_through bigint;
`,
  },
  // Brackets: an entry's take-profit and stop-loss prices, and its exits' link to it (one cancels the other).
  {
    id: '005_brackets',
    sql: `
ALTER TABLE orders ADD COLUMN take_profit_price numeric(24,6);
ALTER TABLE orders ADD COLUMN stop_loss_price numeric(24,6);
ALTER TABLE orders ADD COLUMN parent_id uuid REFERENCES orders(id);
CREATE INDEX orders_parent ON orders (parent_id) WHERE parent_id IS NOT NULL;
`,
  },
  // Per-account settings (short selling, borrow rate, protections: src/protections.ts) and the
  // state the protections keep; the open time of a position, for the borrow fee of a short.
  {
    id: '006_account_protections',
    sql: `
ALTER TABLE accounts ADD COLUMN config jsonb NOT NULL DEFAULT '{}';
ALTER TABLE accounts ADD COLUMN day_number bigint;
ALTER TABLE accounts ADD COLUMN day_start_equity numeric(24,6);
ALTER TABLE accounts ADD COLUMN losing_streak integer NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN cooldown_until bigint NOT NULL DEFAULT 0;
ALTER TABLE positions ADD COLUMN opened_at bigint;
`,
  },
  // API tokens (libs/gateway-server/src/api-tokens.ts): only each secret's SHA-256 is kept.
  {
    id: '007_api_tokens',
    sql: `
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  label text NOT NULL,
  username text NOT NULL,
  account_id text NOT NULL,
  role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_username ON api_tokens (username);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
`,
  },
  // Exact average fill prices (libs/fill-engine averageFillPrice): the sum of quantity × price of
  // an order's fills, not rounded (12 places hold the product of two 6-place amounts exactly),
  // restated from the fills. The average stored by 001 has been unused since 003: dropped.
  {
    id: '010_order_fill_value',
    sql: `
ALTER TABLE orders ADD COLUMN filled_value numeric(40,12) NOT NULL DEFAULT 0;
UPDATE orders o SET filled_value = f.value FROM (SELECT order_id, sum(quantity * price) AS value FROM fills GROUP BY order_id) f WHERE f.order_id = o.id;
ALTER TABLE orders DROP COLUMN avg_fill_price;
`,
  },
  // Orders strategies know from Lean and nautilus_trader (libs/fill-engine): market-on-open and
  // market-on-close, good-till-date (the start of its last UTC date, as ms; required with gtd
  // alone), and one-cancels-other groups (the orders of a group share oco_group_id).
  {
    id: '011_order_types_gtd_auctions_oco',
    sql: `
ALTER TABLE orders DROP CONSTRAINT orders_type_check;
ALTER TABLE orders ADD CONSTRAINT orders_type_check CHECK (type IN ('market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_on_open', 'market_on_close'));
ALTER TABLE orders DROP CONSTRAINT orders_time_in_force_check;
ALTER TABLE orders ADD CONSTRAINT orders_time_in_force_check CHECK (time_in_force IN ('day', 'gtc', 'ioc', 'fok', 'gtd'));
ALTER TABLE orders ADD COLUMN good_till_date bigint;
ALTER TABLE orders ADD CONSTRAINT orders_good_till_date_check CHECK ((time_in_force = 'gtd') = (good_till_date IS NOT NULL));
ALTER TABLE orders ADD COLUMN oco_group_id uuid;
CREATE INDEX orders_oco_group ON orders (oco_group_id) WHERE oco_group_id IS NOT NULL;
`,
  },
  // Markets (libs/gateway-server's market plugin): each account trades in one market, the
  // default one (what npm start replays) unless it was opened in another (an arena run's).
  {
    id: '013_account_markets',
    sql: `
ALTER TABLE accounts ADD COLUMN market_id text NOT NULL DEFAULT 'default';
CREATE INDEX accounts_market ON accounts (market_id);
`,
  },
];
