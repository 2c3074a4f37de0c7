import type { Signal, SignalsQuery } from '@tradeyard/gateway-contract';
import { writeOutbox, type Database, type Migration, type Queryable } from '@tradeyard/persistence';
import type { SharedEvent } from './bus';

/**
 * The signals table belongs to the gateway's first migration (libs/broker's gatewayMigrations);
 * these run after it. A signal keeps the id of the rule that fired (rule_id) beside its
 * expression (rule), so clients can find signals by either.
 */
export const signalMigrations: Migration[] = [
  {
    id: '007_signals_rule_id',
    sql: `
ALTER TABLE signals ADD COLUMN rule_id text;
CREATE INDEX signals_rule_id_time ON signals (rule_id, time);
`,
  },
];

/** Stores a signal once per id, with its outbox event in the same transaction; true when it was new. */
export async function insertSignal(db: Database, signal: Signal): Promise<boolean> {
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      `INSERT INTO signals (id, symbol, rule, rule_id, time, close, "values") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [signal.id, signal.symbol, signal.rule, signal.ruleId ?? null, signal.time, signal.close, JSON.stringify(signal.values)],
    );
    if (rows.length) await writeOutbox(tx, { channel: 'signals', data: signal } satisfies SharedEvent);
    return rows.length > 0;
  });
}

/** Signals newest first; `rule` matches a rule id or a rule expression. */
export async function searchSignals(db: Queryable, q: SignalsQuery): Promise<Signal[]> {
  const rows = await db.query(
    `SELECT id, symbol, rule, rule_id, time, close, "values" FROM signals
     WHERE ($1::text IS NULL OR symbol = $1) AND ($2::text IS NULL OR rule_id = $2 OR rule = $2) AND ($3::bigint IS NULL OR time >= $3) AND ($4::bigint IS NULL OR time <= $4)
     ORDER BY time DESC, id LIMIT $5`,
    [q.symbol ?? null, q.rule ?? null, q.from ?? null, q.to ?? null, q.limit ?? 100],
  );
  return rows.map((r): Signal => ({
    id: String(r.id),
    symbol: String(r.symbol),
    rule: String(r.rule),
    ...(r.rule_id != null && { ruleId: String(r.rule_id) }),
    time: Number(r.time),
    close: Number(r.close),
    values: (typeof r.values === 'string' ? JSON.parse(r.values) : r.values) as Signal['values'],
  }));
}
