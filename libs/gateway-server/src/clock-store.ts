import { randomUUID } from 'node:crypto';
import type { ClockConsumerResponse, ClockControl, ClockControlResponse, ClockDto } from '@tradeyard/gateway-contract';
import type { ClockOperation, ReplayClock, ReplayClockState } from '@tradeyard/market-hub';
import type { Database } from '@tradeyard/persistence';
import type { Logger } from '@tradeyard/service-kit';
import { z } from 'zod';

/** The `settings` row holding the replay clock's state, shared by every replica. */
export const CLOCK_SETTING = 'market_clock';

const storedClockSchema = z.object({
  anchorIndex: z.number().int().nonnegative(),
  anchorWallMs: z.number(),
  barsPerSecond: z.number().positive(),
  paused: z.boolean(),
  startDate: z.string(),
  endDate: z.string().optional(),
  epoch: z.number().int().nonnegative(),
  lockstep: z.boolean().optional(),
  stepSinceWallMs: z.number().optional(),
  consumers: z
    .array(z.object({ id: z.string(), name: z.string(), registeredWallMs: z.number(), acked: z.boolean(), lastAckWallMs: z.number().nullable(), lastAckTime: z.number().nullable() }))
    .optional(),
  dropped: z
    .array(z.object({ id: z.string(), name: z.string(), registeredWallMs: z.number(), lastAckWallMs: z.number().nullable(), lastAckTime: z.number().nullable(), droppedWallMs: z.number() }))
    .optional(),
});

/**
 * The replay clock kept in the `settings` table, so every replica and a restart agree: a change
 * is written with a compare-and-set on the stored value and adopted at once here; other replicas adopt it when they next
 * refresh (at most a second later), and their clocks never move backwards meanwhile.
 *
 * Lockstep needs no leader: the mode, the consumers and their acknowledgements are part of the
 * stored state, and the acknowledgement that completes a step advances the clock in the same
 * write, on whichever replica received it; expiring a late consumer is the same kind of write.
 */
export class ClockStore {
  private stored = '';

  constructor(
    private readonly db: Database,
    private readonly clock: ReplayClock,
    /** Called when the stored state changes (not as time passes): the WebSocket clock channel. */
    private readonly onChange: (view: ClockDto) => void,
    private readonly log?: Logger,
  ) {}

  /** Stores the clock's initial state unless one is stored, then adopts the stored one. */
  async init() {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [CLOCK_SETTING, JSON.stringify(this.clock.current)]);
    await this.refresh();
  }

  /** Adopts the stored state if it changed since the last read. */
  async refresh() {
    const [row] = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [CLOCK_SETTING]);
    if (row) this.adopt(row.value);
  }

  /** Adopts a stored value: read from the table (checked, since any replica or hand may have written it) or `written` by this store. */
  private adopt(value: string, written?: ReplayClockState) {
    if (value === this.stored) return;
    let state = written;
    if (!state) {
      const parsed = storedClockSchema.safeParse(JSON.parse(value));
      // A row no gateway wrote: refresh logs this and the clock keeps the state it holds.
      if (!parsed.success) throw new Error(`settings ${CLOCK_SETTING} is not a clock state: ${parsed.error.issues[0]?.message}`);
      state = parsed.data as ReplayClockState;
    }
    const changed = this.stored !== '';
    this.stored = value;
    this.clock.load(state);
    if (changed) this.onChange(this.view());
  }

  view(): ClockDto {
    return this.clock.view();
  }

  /** Applies an admin's operation to the latest stored state and stores the result. */
  async control(control: ClockControl): Promise<ClockControlResponse> {
    // The schema's refinement guarantees each action's own fields: the body is a ClockOperation.
    return { ...(await this.apply(control as ClockOperation)), restarted: control.action === 'restart' };
  }

  /** Registers a lockstep consumer under a new id. */
  async register(name: string): Promise<ClockConsumerResponse> {
    const id = randomUUID();
    const clock = await this.apply({ action: 'register', id, name });
    return { consumer: clock.consumers.find((c) => c.id === id)!, clock };
  }

  /** The consumer finished the step at `time`; throws UnknownConsumerError or ClockConflictError. */
  async ack(id: string, time: number): Promise<ClockConsumerResponse> {
    const clock = await this.apply({ action: 'ack', id, time });
    // The ack may have completed the step: the consumer then shows as not yet done with the next.
    return { consumer: clock.consumers.find((c) => c.id === id)!, clock };
  }

  async deregister(id: string): Promise<ClockDto> {
    return this.apply({ action: 'deregister', id });
  }

  /** Drops lockstep consumers late by more than `timeoutMs`, if any; reads and writes only when one is late. */
  async expire(timeoutMs: number) {
    const operation: ClockOperation = { action: 'expire', timeoutMs };
    if (JSON.stringify(this.clock.apply(operation)) === JSON.stringify(this.clock.current)) return;
    const before = new Set(this.clock.current.dropped?.map((c) => `${c.id}@${c.droppedWallMs}`));
    const view = await this.apply(operation);
    for (const consumer of view.dropped.filter((c) => !before.has(`${c.id}@${c.droppedWallMs}`))) {
      this.log?.warn({ consumer: consumer.id, name: consumer.name, lastAckTime: consumer.lastAckTime, timeoutMs }, 'dropped a lockstep consumer that stopped acknowledging');
    }
  }

  /**
   * Applies an operation to the latest stored state and stores the result with a compare-and-set
   * (one statement, where a row lock would take four in a lockstep ack's path): when another
   * replica wrote first, it reads that state and applies the operation again.
   */
  private async apply(operation: ClockOperation): Promise<ClockDto> {
    for (let attempt = 1; ; attempt++) {
      const next = this.clock.apply(operation);
      const state = JSON.stringify(next);
      if (state === this.stored) return this.view();
      const written = await this.db.query('UPDATE settings SET value = $2 WHERE key = $1 AND value = $3 RETURNING key', [CLOCK_SETTING, state, this.stored]);
      if (written.length) {
        // What this store just wrote needs no parsing back.
        this.adopt(state, next);
        return this.view();
      }
      if (attempt >= 20) throw new Error(`the market clock changed under ${attempt} attempts to store ${operation.action}; try again`);
      await this.refresh();
    }
  }
}
