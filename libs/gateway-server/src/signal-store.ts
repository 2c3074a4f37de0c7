import { DEFAULT_MARKET, type PostedSignal, type Signal, type SignalsQuery } from '@tradeyard/gateway-contract';
import { outboxInsert, type Migration, type Queryable } from '@tradeyard/persistence';
import type { SharedEvent } from './bus';

/**
 * The signals table belongs to the gateway's first migration (libs/broker's gatewayMigrations);
 * these run after it. A signal keeps the id of the rule that fired (rule_id) beside its
 * expression (rule), so clients can find signals by either, and the username of the credential
 * that posted it (posted_by; null on signals stored before it was kept). An id is unique per poster,
 * not across posters: another principal cannot take an id first and so keep a poster's signal out.
 */
export const signalMigrations: Migration[] = [
  {
    id: '007_signals_rule_id',
    sql: `
ALTER TABLE signals ADD COLUMN rule_id text;
CREATE INDEX signals_rule_id_time ON signals (rule_id, time);
`,
  },
  { id: '009_signals_posted_by', sql: 'ALTER TABLE signals ADD COLUMN posted_by text;' },
  {
    // Signals stored before posted_by was kept (null) stay as they were: null never equals another poster.
    id: '012_signals_id_per_poster',
    sql: `
ALTER TABLE signals DROP CONSTRAINT signals_pkey;
ALTER TABLE signals ADD CONSTRAINT signals_posted_by_id UNIQUE (posted_by, id);
`,
  },
  {
    // Signals belong to a market (the scanner's to the default one; an arena run's to its own):
    // a search in one never sees another's, and an id is unique per market and poster.
    id: '015_signals_market',
    sql: `
ALTER TABLE signals ADD COLUMN market_id text NOT NULL DEFAULT 'default';
ALTER TABLE signals DROP CONSTRAINT signals_posted_by_id;
ALTER TABLE signals ADD CONSTRAINT signals_market_posted_by_id UNIQUE (market_id, posted_by, id);
CREATE INDEX signals_market_time ON signals (market_id, time);
`,
  },
];

/**
 * Stores signals posted by `postedBy` (a username) once per id of theirs, with an outbox event for each new one, in one statement whatever
 * their number (a lockstep scanner posts each step's signals together, so this is on the path of
 * every step: one round trip instead of a transaction's four); answers the new ones.
 */
export async function insertSignals(db: Queryable, posted: readonly PostedSignal[], postedBy: string, market = DEFAULT_MARKET): Promise<Signal[]> {
  // A batch that names an id twice stores and announces it once.
  const unique: Signal[] = [...new Map(posted.map((s) => [s.id, { ...s, postedBy }])).values()];
  if (unique.length === 0) return [];
  // One statement is one transaction: the outbox rows exist exactly when their signals do.
  const rows = await db.query<{ id: string }>(
    `WITH input AS (
       SELECT * FROM json_to_recordset($1::json)
         AS r(id text, symbol text, rule text, rule_id text, time bigint, close double precision, "values" jsonb, posted_by text, event jsonb)
     ), inserted AS (
       INSERT INTO signals (id, symbol, rule, rule_id, time, close, "values", posted_by, market_id)
       SELECT id, symbol, rule, rule_id, time, close, "values", posted_by, $2 FROM input ON CONFLICT (market_id, posted_by, id) DO NOTHING RETURNING id
     ), announced AS (
       ${outboxInsert('SELECT input.event FROM input JOIN inserted USING (id)')}
     )
     SELECT id FROM inserted`,
    [
      JSON.stringify(
        unique.map((s) => ({
          id: s.id,
          symbol: s.symbol,
          rule: s.rule,
          rule_id: s.ruleId ?? null,
          time: s.time,
          close: s.close,
          values: s.values,
          posted_by: postedBy,
          event: { channel: 'signals', market, data: s } satisfies SharedEvent,
        })),
      ),
      market,
    ],
  );
  const inserted = new Set(rows.map((r) => String(r.id)));
  return unique.filter((s) => inserted.has(s.id));
}

/** A market's signals newest first; `rule` matches a rule id or a rule expression. */
export async function searchSignals(db: Queryable, q: SignalsQuery, market = DEFAULT_MARKET): Promise<Signal[]> {
  const rows = await db.query(
    `SELECT id, symbol, rule, rule_id, time, close, "values", posted_by FROM signals
     WHERE market_id = $6 AND ($1::text IS NULL OR symbol = $1) AND ($2::text IS NULL OR rule_id = $2 OR rule = $2) AND ($3::bigint IS NULL OR time >= $3) AND ($4::bigint IS NULL OR time <= $4)
     ORDER BY time DESC, id, posted_by LIMIT $5`,
    [q.symbol ?? null, q.rule ?? null, q.from ?? null, q.to ?? null, q.limit ?? 100, market],
  );
  return rows.map((r): Signal => ({
    id: String(r.id),
    symbol: String(r.symbol),
    rule: String(r.rule),
    ...(r.rule_id != null && { ruleId: String(r.rule_id) }),
    time: Number(r.time),
    close: Number(r.close),
    values: (typeof r.values === 'string' ? JSON.parse(r.values) : r.values) as Signal['values'],
    ...(r.posted_by != null && { postedBy: String(r.posted_by) }),
  }));
}
