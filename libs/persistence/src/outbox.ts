import { backoffDelay } from '@tradeyard/runtime-util';
import type { Logger } from 'pino';
import type { Database, Queryable } from './database';

/**
 * The transactional outbox: an event to publish after a commit is written to this table in the
 * same transaction as the change it reports, so it exists exactly when the change does. A relay
 * publishes the rows and deletes them, so a broker outage (Redis) delays events, never loses one.
 */
export const outboxTableSql = `
CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

/** Records an event inside the caller's transaction; the relay publishes it after the commit. */
export async function writeOutbox(tx: Queryable, payload: unknown): Promise<void> {
  const { sql, params } = outboxStatement([payload]);
  await tx.query(sql, params);
}

/**
 * The statement that records events, in order, in one round trip: for callers that combine it
 * with other writes of their transaction (the broker's unit of work).
 */
export function outboxStatement(payloads: unknown[]): { sql: string; params: unknown[] } {
  return { sql: outboxInsert('SELECT value::jsonb FROM json_array_elements($1::json)'), params: [JSON.stringify(payloads)] };
}

/**
 * The INSERT that records the events a query selects (one jsonb column, in order), for a caller
 * that writes them inside its own statement, e.g. as a CTE beside the rows they announce.
 */
export const outboxInsert = (selectPayloads: string) => `INSERT INTO outbox (payload) ${selectPayloads}`;

export interface OutboxRelayOptions {
  /** How often the relay looks for rows when nobody nudged it (rows written by other replicas). */
  intervalMs?: number;
  /**
   * How long a nudge waits for others before the relay runs (default 50 ms): commits that come
   * in quick succession (a lockstep replay stores signals at every step) share one relay
   * transaction instead of paying its four statements each.
   */
  coalesceMs?: number;
  batchSize?: number;
  /** Longest wait between attempts while publishing or the database fails. */
  maxBackoffMs?: number;
  log?: Logger;
}

/**
 * Publishes outbox rows in order and deletes them once published. Each batch is claimed with
 * `FOR UPDATE SKIP LOCKED` inside a transaction, so replicas relaying the same table never
 * publish the same row twice while both are up. Delivery is at least once: a replica that dies
 * after publishing and before its commit leaves the rows for the next batch.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** A nudge's relay is due (within coalesceMs). */
  private due = false;
  private stopped = true;
  private failures = 0;
  published = 0;

  constructor(
    private readonly db: Database,
    private readonly publish: (payload: unknown) => Promise<void>,
    private readonly options: OutboxRelayOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    this.run();
  }

  /** Relays soon (after a commit that wrote rows: within coalesceMs) instead of at the next interval. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.due) return;
    this.due = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.coalesceMs);
  }

  private get coalesceMs() {
    return this.options.coalesceMs ?? 50;
  }

  private run(): void {
    this.due = false;
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule() {
    if (this.stopped) return;
    const backoff = this.failures ? backoffDelay(this.failures, 250, this.options.maxBackoffMs ?? 5000) : undefined;
    const delay = this.again && !backoff ? this.coalesceMs : (backoff ?? this.options.intervalMs ?? 500);
    this.again = false;
    this.timer = setTimeout(() => this.run(), delay);
  }

  private async loop(): Promise<void> {
    try {
      // A full batch means more rows may be waiting: keep going until a batch comes back short.
      while (!this.stopped && (await this.relayBatch()) === (this.options.batchSize ?? 100));
      if (this.failures) this.options.log?.info({ afterFailures: this.failures }, 'outbox relay recovered');
      this.failures = 0;
    } catch (err) {
      this.failures++;
      // One line when an outage starts, not one per retry.
      if (this.failures === 1) this.options.log?.warn({ err: (err as Error).message }, 'outbox relay failing; events wait in the outbox and are retried');
    }
  }

  /** Publishes one batch; returns how many rows it claimed. Throws after committing what it published. */
  async relayBatch(): Promise<number> {
    const limit = this.options.batchSize ?? 100;
    let failure: unknown;
    const { claimed, relayed } = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ seq: string; payload: unknown }>('SELECT seq, payload FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED', [limit]);
      const done: string[] = [];
      for (const row of rows) {
        try {
          await this.publish(typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload);
        } catch (err) {
          failure = err;
          break;
        }
        done.push(String(row.seq));
      }
      if (done.length) await tx.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [done]);
      return { claimed: rows.length, relayed: done.length };
    });
    this.published += relayed;
    if (failure) throw failure;
    return claimed;
  }
}
