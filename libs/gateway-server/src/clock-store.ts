import type { ClockControl, ClockControlResponse, ClockDto } from '@tradeyard/gateway-contract';
import type { ClockOperation, ReplayClock, ReplayClockState } from '@tradeyard/market-hub';
import type { Database } from '@tradeyard/persistence';
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
});

/**
 * The replay clock kept in the `settings` table, so every replica and a restart agree: a change
 * is written under a row lock and adopted at once here; other replicas adopt it when they next
 * refresh (at most a second later), and their clocks never move backwards meanwhile.
 */
export class ClockStore {
  private stored = '';

  constructor(
    private readonly db: Database,
    private readonly clock: ReplayClock,
    /** Called when the stored state changes (not as time passes): the WebSocket clock channel. */
    private readonly onChange: (view: ClockDto) => void,
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

  private adopt(value: string) {
    if (value === this.stored) return;
    const parsed = storedClockSchema.safeParse(JSON.parse(value));
    // A row no gateway wrote: refresh logs this and the clock keeps the state it holds.
    if (!parsed.success) throw new Error(`settings ${CLOCK_SETTING} is not a clock state: ${parsed.error.issues[0]?.message}`);
    const changed = this.stored !== '';
    this.stored = value;
    this.clock.load(parsed.data as ReplayClockState);
    if (changed) this.onChange(this.view());
  }

  view(): ClockDto {
    return this.clock.view();
  }

  /** Applies an admin's operation to the latest stored state and stores the result. */
  async control(control: ClockControl): Promise<ClockControlResponse> {
    // The schema's refinement guarantees each action's own fields: the body is a ClockOperation.
    const operation = control as ClockOperation;
    const next = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ value: string }>('SELECT value FROM settings WHERE key = $1 FOR UPDATE', [CLOCK_SETTING]);
      if (row) this.adopt(row.value);
      const state = JSON.stringify(this.clock.apply(operation));
      await tx.query('UPDATE settings SET value = $2 WHERE key = $1', [CLOCK_SETTING, state]);
      return state;
    });
    this.adopt(next);
    return { ...this.view(), restarted: control.action === 'restart' };
  }
}
