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
}

export type ClockOperation =
  | { action: 'pause' }
  | { action: 'resume' }
  | { action: 'step'; bars: number }
  | { action: 'speed'; barsPerSecond: number }
  | { action: 'restart'; startDate: string; endDate?: string };

/** The clock as clients see it (the gateway contract's ClockDto). */
export interface ClockView {
  time: number;
  date: string;
  state: 'running' | 'paused';
  /** Reached its end date (or the last bar): it stands there while running. */
  ended: boolean;
  barsPerSecond: number;
  startDate: string;
  endDate: string | null;
  epoch: number;
}

/** An operation the clock's state does not allow, e.g. stepping a running clock. */
export class ClockConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockConflictError';
  }
}

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

  /** The step shown now. */
  index(): number {
    const s = this.state;
    const moved = s.paused ? 0 : Math.floor(((this.now() - s.anchorWallMs) / 1000) * s.barsPerSecond);
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
    const at = { ...this.state, anchorIndex: this.index(), anchorWallMs: this.now() };
    switch (operation.action) {
      case 'pause':
        return { ...at, paused: true };
      case 'resume':
        return { ...at, paused: false };
      case 'speed':
        return { ...at, barsPerSecond: operation.barsPerSecond };
      case 'step':
        if (!this.state.paused) throw new ClockConflictError('step moves a paused clock only: pause it first');
        return { ...at, anchorIndex: Math.min(at.anchorIndex + operation.bars, this.endIndex(at)) };
      case 'restart': {
        // A new end date or none: the previous end does not carry over.
        const next: ReplayClockState = { ...at, startDate: operation.startDate, endDate: operation.endDate, epoch: at.epoch + 1 };
        return { ...next, anchorIndex: Math.min(this.indexOf(operation.startDate), this.endIndex(next)) };
      }
    }
  }

  view(): ClockView {
    const index = this.index();
    const time = this.calendar[index];
    return {
      time,
      date: isoDate(time),
      state: this.state.paused ? 'paused' : 'running',
      ended: index >= this.endIndex(this.state),
      barsPerSecond: this.state.barsPerSecond,
      startDate: this.state.startDate,
      endDate: this.state.endDate ?? null,
      epoch: this.state.epoch,
    };
  }
}
