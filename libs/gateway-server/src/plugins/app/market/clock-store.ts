import { randomUUID } from 'node:crypto';
import { DEFAULT_MARKET, type ClockConsumerResponse, type ClockControl, type ClockControlResponse, type ClockDto, type LockstepConsumerDto } from '@tradeyard/gateway-contract';
import { ClockConflictError, UnknownConsumerError, type ClockOperation, type ConsumerOwner, type ReplayClock, type ReplayClockState } from '@tradeyard/market-hub';
import type { Database } from '@tradeyard/persistence';
import type { Logger } from '@tradeyard/service-kit';
import { z } from 'zod';
import type { Principal } from '../../../auth';
import { isSamePrincipal, ownerOf } from '../../../ownership';

/** The `settings` row holding a market's replay clock state, shared by every replica: the default market's keeps its first name. */
export const clockSetting = (market: string) => (market === DEFAULT_MARKET ? 'market_clock' : `market_clock:${market}`);

/** Most lockstep consumers one principal other than an admin (a service credential with the clock scope) holds: it cannot fill the clock's places. */
export const MAX_CONSUMERS_PER_PRINCIPAL = 4;

/** The clock with each consumer's owner, as the store holds it; what a caller sees of it is clockSeenBy's. */
export type OwnedClock = Omit<ClockDto, 'consumers' | 'dropped'> & {
  consumers: (LockstepConsumerDto & { owner?: ConsumerOwner })[];
  dropped: (Omit<LockstepConsumerDto, 'acked'> & { owner?: ConsumerOwner; droppedWallMs: number })[];
};

/**
 * The clock as `caller` sees it: a consumer's id (what acknowledges and deregisters it) only for
 * the principal that registered it, and every id for admins; owners for nobody.
 */
export function clockSeenBy(clock: OwnedClock, caller: Principal): ClockDto {
  const seen = <C extends { id: string; owner?: ConsumerOwner }>({ id, owner, ...rest }: C) => (caller.role === 'admin' || isSamePrincipal(owner, caller) ? { id, ...rest } : rest);
  return { ...clock, consumers: clock.consumers.map(seen), dropped: clock.dropped.map(seen) };
}

/** An admin's acknowledgement of a consumer another principal registered: the admin sees its id, so is told why. */
export class ForeignConsumerError extends Error {
  constructor(
    readonly id: string,
    consumerName: string,
  ) {
    super(`lockstep consumer ${id} (${consumerName}) was registered by another principal: only it acknowledges its steps`);
    this.name = 'ForeignConsumerError';
  }
}

/**
 * Lets `caller` act on consumer `id` only if it registered it; an admin may also deregister any.
 * A caller who may not see the id is answered as if there were no such consumer (UnknownConsumerError):
 * a 403 would tell it the id exists. Checked on the state the operation applies to.
 */
const ownConsumer = (id: string, caller: Principal, action: 'ack' | 'deregister') => (state: ReplayClockState) => {
  const consumer = state.consumers?.find((c) => c.id === id);
  if (!consumer || isSamePrincipal(consumer.owner, caller)) return;
  if (caller.role !== 'admin') throw new UnknownConsumerError(id);
  if (action === 'ack') throw new ForeignConsumerError(id, consumer.name);
};

/** Refuses a registration beyond MAX_CONSUMERS_PER_PRINCIPAL of the caller's (admins own the clock: bounded only by the clock's own maximum). */
const placeFor = (caller: Principal) => (state: ReplayClockState) => {
  if (caller.role === 'admin') return;
  const held = (state.consumers ?? []).filter((c) => isSamePrincipal(c.owner, caller)).length;
  if (held >= MAX_CONSUMERS_PER_PRINCIPAL) {
    throw new ClockConflictError(`this credential has ${held} lockstep consumers registered, the most one principal may hold; deregister one first`);
  }
};

const ownerSchema = z.object({ username: z.string(), accountId: z.string() });
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
    .array(z.object({ id: z.string(), name: z.string(), owner: ownerSchema.optional(), registeredWallMs: z.number(), acked: z.boolean(), lastAckWallMs: z.number().nullable(), lastAckTime: z.number().nullable() }))
    .optional(),
  dropped: z
    .array(z.object({ id: z.string(), name: z.string(), owner: ownerSchema.optional(), registeredWallMs: z.number(), lastAckWallMs: z.number().nullable(), lastAckTime: z.number().nullable(), droppedWallMs: z.number() }))
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
    private readonly onChange: (view: OwnedClock) => void,
    private readonly log?: Logger,
    /** Its settings row (clockSetting). */
    private readonly setting = clockSetting(DEFAULT_MARKET),
  ) {}

  /** Stores the clock's initial state unless one is stored, then adopts the stored one. */
  async init() {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [this.setting, JSON.stringify(this.clock.current)]);
    await this.refresh();
  }

  /** Adopts the stored state if it changed since the last read. */
  async refresh() {
    const [row] = await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [this.setting]);
    if (row) this.adopt(row.value);
  }

  /** Adopts a stored value: read from the table (checked, since any replica or hand may have written it) or `written` by this store. */
  private adopt(value: string, written?: ReplayClockState) {
    if (value === this.stored) return;
    let state = written;
    if (!state) {
      const parsed = storedClockSchema.safeParse(JSON.parse(value));
      // A row no gateway wrote: refresh logs this and the clock keeps the state it holds.
      if (!parsed.success) throw new Error(`settings ${this.setting} is not a clock state: ${parsed.error.issues[0]?.message}`);
      state = parsed.data as ReplayClockState;
    }
    const changed = this.stored !== '';
    this.stored = value;
    this.clock.load(state);
    if (changed) this.onChange(this.view());
  }

  /** The whole clock, owners included: never sent as it is (see clockSeenBy). */
  view(): OwnedClock {
    return this.clock.view();
  }

  viewFor(caller: Principal): ClockDto {
    return clockSeenBy(this.view(), caller);
  }

  /** Applies an admin's operation to the latest stored state and stores the result. */
  async control(control: ClockControl, caller: Principal): Promise<ClockControlResponse> {
    // The schema's refinement guarantees each action's own fields: the body is a ClockOperation.
    return { ...clockSeenBy(await this.apply(control as ClockOperation), caller), restarted: control.action === 'restart' };
  }

  /** Registers a lockstep consumer of the caller's under a new id. */
  async register(name: string, caller: Principal): Promise<ClockConsumerResponse> {
    const id = randomUUID();
    return this.consumerResponse(id, caller, await this.apply({ action: 'register', id, name, owner: ownerOf(caller) }, placeFor(caller)));
  }

  /** The caller's consumer finished the step at `time`; throws UnknownConsumerError, ForeignConsumerError or ClockConflictError. */
  async ack(id: string, time: number, caller: Principal): Promise<ClockConsumerResponse> {
    // The ack may have completed the step: the consumer then shows as not yet done with the next.
    return this.consumerResponse(id, caller, await this.apply({ action: 'ack', id, time }, ownConsumer(id, caller, 'ack')));
  }

  async deregister(id: string, caller: Principal): Promise<ClockDto> {
    return clockSeenBy(await this.apply({ action: 'deregister', id }, ownConsumer(id, caller, 'deregister')), caller);
  }

  private consumerResponse(id: string, caller: Principal, clock: OwnedClock): ClockConsumerResponse {
    const { owner: _owner, ...consumer } = clock.consumers.find((c) => c.id === id)!;
    return { consumer, clock: clockSeenBy(clock, caller) };
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
   * replica wrote first, it reads that state and applies the operation again. `allowed` refuses
   * the operation on the state it would apply to, by throwing.
   */
  private async apply(operation: ClockOperation, allowed?: (state: ReplayClockState) => void): Promise<OwnedClock> {
    for (let attempt = 1; ; attempt++) {
      allowed?.(this.clock.current);
      const next = this.clock.apply(operation);
      const state = JSON.stringify(next);
      if (state === this.stored) return this.view();
      const written = await this.db.query('UPDATE settings SET value = $2 WHERE key = $1 AND value = $3 RETURNING key', [this.setting, state, this.stored]);
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
