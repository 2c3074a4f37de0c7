import { intervalMs, isoDate } from '@tradeyard/market-data';
import type { SymbolFeed } from './market-hub';

export interface ReplayClockOptions {
  barsPerSecond: number;
  /** The first day shown as current (YYYY-MM-DD). */
  startDate: string;
  /** When the replay started (ms); replicas sharing a start show the same market. */
  startedAt: number;
  now?: () => number;
}

/**
 * What the replay clock is, stored (the gateway keeps it in its `settings` table): an anchor, the
 * step shown at a wall time, and how it moves from there. The clock is a pure function of this
 * state and the wall time, so replicas that read the same state show the same market.
 */
export interface ReplayClockState {
  /** Index, in the replay's calendar of steps, of the step shown at `anchorWallMs`. */
  anchorIndex: number;
  anchorWallMs: number;
  barsPerSecond: number;
  paused: boolean;
  /** The day the replay (re)started from (YYYY-MM-DD). */
  startDate: string;
  /** The last day it moves to (YYYY-MM-DD); it stands there once reached. */
  endDate?: string;
  /** Counts restarts: the clock moves backwards only into a new epoch. */
  epoch: number;
  /** Lockstep: the clock stands until every registered consumer acknowledged the current step. */
  lockstep?: boolean;
  /** When the current lockstep step began (entered, advanced to, restarted): consumers' timeouts count from it. */
  stepSinceWallMs?: number;
  /** Registered lockstep consumers (kept across modes; only lockstep waits for them). */
  consumers?: LockstepConsumer[];
  /** The latest consumers dropped for not acknowledging in time, newest last (at most DROPPED_KEPT). */
  dropped?: DroppedConsumer[];
}

/** Who registered a lockstep consumer (the gateway's principal); the gateway decides who may act on it. */
export interface ConsumerOwner {
  username: string;
  accountId: string;
}

export interface LockstepConsumer {
  id: string;
  name: string;
  /** Absent on consumers registered before owners were kept. */
  owner?: ConsumerOwner;
  registeredWallMs: number;
  /** It acknowledged the current step. */
  acked: boolean;
  /** Wall time and market time of its last acknowledgement; null before the first. */
  lastAckWallMs: number | null;
  lastAckTime: number | null;
}

export interface DroppedConsumer extends Omit<LockstepConsumer, 'acked'> {
  droppedWallMs: number;
}

/** How many dropped consumers the state keeps for GET /api/v1/clock. */
export const DROPPED_KEPT = 20;
/** Most consumers one clock waits for: each ack rewrites the stored state, which holds them all. */
export const MAX_LOCKSTEP_CONSUMERS = 100;

export type ClockOperation =
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'step'; bars: number }
  | { action: 'speed'; barsPerSecond: number }
  | { action: 'restart'; startDate: string; endDate?: string }
  | { action: 'lockstep' }
  // The lockstep consumers' own operations (not an admin's): the caller gives the new id.
  | { action: 'register'; id: string; name: string; owner: ConsumerOwner }
  | { action: 'ack'; id: string; time: number }
  | { action: 'deregister'; id: string }
  /** Drops consumers that held the current step up (outside lockstep: gave no sign) for longer than `timeoutMs`. */
  | { action: 'expire'; timeoutMs: number };

/** The clock as clients see it (the gateway contract's ClockDto). */
export interface ClockView {
  time: number;
  date: string;
  state: 'running' | 'paused' | 'lockstep';
  /** Reached its end date (or the last bar): it stands there while running. */
  ended: boolean;
  barsPerSecond: number;
  startDate: string;
  endDate: string | null;
  epoch: number;
  /** Registered lockstep consumers with their last acknowledgement (wall ms and market time). */
  consumers: Omit<LockstepConsumer, 'registeredWallMs'>[];
  /** Consumers dropped for not acknowledging within the timeout, newest last. */
  dropped: Omit<DroppedConsumer, 'registeredWallMs'>[];
}

/** An operation the clock's state does not allow, e.g. stepping a running clock. */
export class ClockConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockConflictError';
  }
}

/** A lockstep consumer the clock does not know (never registered, deregistered or dropped), or one the caller may not know of. */
export class UnknownConsumerError extends Error {
  constructor(readonly id: string) {
    // The same words whether it never existed or another principal registered it: its id is not the caller's to know.
    super(`no lockstep consumer ${id} registered with this credential: it deregistered, was dropped for not acknowledging in time, never registered, or another principal registered it; register again`);
    this.name = 'UnknownConsumerError';
  }
}

/** When a consumer last showed it is alive: its registration, its last acknowledgement, or the start of the current lockstep step. */
const lastSignOfLife = (consumer: LockstepConsumer, state: ReplayClockState) =>
  Math.max(consumer.registeredWallMs, consumer.lastAckWallMs ?? -Infinity, state.stepSinceWallMs ?? -Infinity);

const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/**
 * One replay clock over every symbol: it steps at `barsPerSecond` through the bar dates of the
 * symbols with the finest interval (SPX's trading days in the bundled universe), so those move
 * each step; coarser ones (the monthly stocks) move when the clock reaches their next bar, and a
 * symbol with no bar at the clock's date keeps its last one. It can be paused, stepped, sped up
 * and restarted; within an epoch it never moves backwards, even when a newer stored state (another
 * replica's pause) says it should stand a little earlier than it already showed.
 */
export class ReplayClock {
  private readonly calendar: Float64Array;
  private readonly now: () => number;
  private state: ReplayClockState;
  /** The highest step index shown in the current epoch. */
  private shown = -1;

  constructor(feeds: readonly SymbolFeed[], options: ReplayClockOptions) {
    const withBars = feeds.filter((f) => f.bars.length > 0);
    const finest = Math.min(...withBars.map((f) => intervalMs[f.interval]));
    const dates = new Set<number>();
    for (const feed of withBars) if (intervalMs[feed.interval] === finest) for (const bar of feed.bars) dates.add(bar.time);
    this.calendar = Float64Array.from(dates).sort();
    if (this.calendar.length === 0) throw new RangeError('a replay needs at least one bar');
    if (!(options.barsPerSecond > 0)) throw new RangeError('barsPerSecond must be greater than 0');
    this.now = options.now ?? Date.now;
    this.state = {
      anchorIndex: this.indexOf(options.startDate),
      anchorWallMs: options.startedAt,
      barsPerSecond: options.barsPerSecond,
      paused: false,
      startDate: options.startDate,
      epoch: 0,
    };
  }

  /** The first step on or after `date`, else the last. */
  private indexOf(date: string): number {
    const index = this.calendar.findIndex((t) => t >= dayStart(date));
    return index < 0 ? this.calendar.length - 1 : index;
  }

  /** The last step the state lets the clock reach. */
  private endIndex(state: ReplayClockState): number {
    if (state.endDate === undefined) return this.calendar.length - 1;
    const end = dayStart(state.endDate);
    let index = this.calendar.length - 1;
    while (index > 0 && this.calendar[index] > end) index--;
    return index;
  }

  /** How many steps the clock takes from `from` through `to` (YYYY-MM-DD, both included): a lockstep run's length. */
  stepsBetween(from: string, to: string): number {
    const first = dayStart(from);
    const last = dayStart(to);
    let count = 0;
    for (const time of this.calendar) if (time >= first && time <= last) count++;
    return count;
  }

  /** The step shown now. */
  index(): number {
    const s = this.state;
    const moved = s.paused || s.lockstep ? 0 : Math.floor(((this.now() - s.anchorWallMs) / 1000) * s.barsPerSecond);
    const index = Math.max(0, Math.min(s.anchorIndex + Math.max(0, moved), this.endIndex(s)));
    this.shown = Math.max(this.shown, index);
    return this.shown;
  }

  /** The clock's time (ms): the open of the current step. */
  time(): number {
    return this.calendar[this.index()];
  }

  get current(): ReplayClockState {
    return { ...this.state };
  }

  /** Adopts a state (stored by this or another replica); only a new epoch moves the clock backwards. */
  load(state: ReplayClockState) {
    if (state.epoch !== this.state.epoch) this.shown = -1;
    this.state = { ...state };
  }

  /** The state after `operation` at the current wall time; the caller stores it, then loads it. */
  apply(operation: ClockOperation): ReplayClockState {
    const now = this.now();
    const at: ReplayClockState = { ...this.state, anchorIndex: this.index(), anchorWallMs: now };
    const consumers = at.consumers ?? [];
    switch (operation.action) {
      case 'pause':
        return { ...at, paused: true, lockstep: false };
      case 'resume':
        return { ...at, paused: false, lockstep: false };
      case 'speed':
        return { ...at, barsPerSecond: operation.barsPerSecond };
      case 'step':
        if (!this.state.paused || this.state.lockstep) throw new ClockConflictError('step moves a paused clock only: pause it first');
        return { ...at, anchorIndex: Math.min(at.anchorIndex + operation.bars, this.endIndex(at)) };
      case 'restart': {
        // A new end date or none: the previous end does not carry over; acknowledgements of the old epoch do not count.
        const next: ReplayClockState = { ...at, startDate: operation.startDate, endDate: operation.endDate, epoch: at.epoch + 1, ...this.newStep(consumers, now) };
        return { ...next, anchorIndex: Math.min(this.indexOf(operation.startDate), this.endIndex(next)) };
      }
      case 'lockstep':
        if (this.state.lockstep) return at;
        return { ...at, paused: false, lockstep: true, ...this.newStep(consumers, now) };
      case 'register': {
        if (consumers.length >= MAX_LOCKSTEP_CONSUMERS) throw new ClockConflictError(`the clock has ${MAX_LOCKSTEP_CONSUMERS} consumers, the most it waits for; deregister one first`);
        const consumer: LockstepConsumer = { id: operation.id, name: operation.name, owner: operation.owner, registeredWallMs: now, acked: false, lastAckWallMs: null, lastAckTime: null };
        return { ...at, consumers: [...consumers, consumer] };
      }
      case 'ack': {
        const consumer = this.consumer(consumers, operation.id);
        if (!at.lockstep) throw new ClockConflictError(`the clock is ${at.paused ? 'paused' : 'running'}, not in lockstep: acknowledgements count only in lockstep`);
        const current = this.calendar[at.anchorIndex];
        if (operation.time !== current) throw new ClockConflictError(`time ${operation.time} (${isoDate(operation.time)}) is not the current step ${current} (${isoDate(current)})`);
        const acked = { ...consumer, acked: true, lastAckWallMs: now, lastAckTime: current };
        return this.advance({ ...at, consumers: consumers.map((c) => (c.id === consumer.id ? acked : c)) });
      }
      case 'deregister':
        this.consumer(consumers, operation.id);
        return this.advance({ ...at, consumers: consumers.filter((c) => c.id !== operation.id) });
      case 'expire': {
        // Outside lockstep there is no step to acknowledge, yet a consumer that stopped (a crashed
        // client, or one registered only to hold a place) must not stay forever: one that has not
        // registered or acknowledged within the timeout is dropped there too.
        const late = consumers.filter((c) => !(at.lockstep && c.acked) && now - lastSignOfLife(c, at) > operation.timeoutMs);
        // Nothing to drop: the state unchanged, so the caller can tell there is nothing to store.
        if (late.length === 0) return this.current;
        const dropped = late.map(({ acked: _acked, ...c }) => ({ ...c, droppedWallMs: now }));
        return this.advance({ ...at, consumers: consumers.filter((c) => !late.includes(c)), dropped: [...(at.dropped ?? []), ...dropped].slice(-DROPPED_KEPT) });
      }
    }
  }

  private consumer(consumers: readonly LockstepConsumer[], id: string): LockstepConsumer {
    const consumer = consumers.find((c) => c.id === id);
    if (!consumer) throw new UnknownConsumerError(id);
    return consumer;
  }

  /** A new step: nobody has acknowledged it yet, and the timeouts count from now. */
  private newStep(consumers: readonly LockstepConsumer[], now: number): Pick<ReplayClockState, 'consumers' | 'stepSinceWallMs'> {
    return { consumers: consumers.map((c) => ({ ...c, acked: false })), stepSinceWallMs: now };
  }

  /** In lockstep, moves to the next step once every registered consumer (at least one) acknowledged this one. */
  private advance(state: ReplayClockState): ReplayClockState {
    const consumers = state.consumers ?? [];
    if (!state.lockstep || consumers.length === 0 || !consumers.every((c) => c.acked) || state.anchorIndex >= this.endIndex(state)) return state;
    return { ...state, anchorIndex: state.anchorIndex + 1, ...this.newStep(consumers, state.anchorWallMs) };
  }

  view(): ClockView {
    const index = this.index();
    const time = this.calendar[index];
    return {
      time,
      date: isoDate(time),
      state: this.state.lockstep ? 'lockstep' : this.state.paused ? 'paused' : 'running',
      ended: index >= this.endIndex(this.state),
      barsPerSecond: this.state.barsPerSecond,
      startDate: this.state.startDate,
      endDate: this.state.endDate ?? null,
      epoch: this.state.epoch,
      consumers: (this.state.consumers ?? []).map(({ registeredWallMs: _registered, ...c }) => c),
      dropped: (this.state.dropped ?? []).map(({ registeredWallMs: _registered, ...c }) => c),
    };
  }
}
