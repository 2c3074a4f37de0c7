import type { Rebalance } from './definition';

const DAY_MS = 86_400_000;

/** The period a time falls in: each bar its own, the ISO week (Monday first, UTC), or the calendar month (UTC). */
export function periodOf(rebalance: Rebalance, time: number): number {
  if (rebalance === 'bar') return time;
  if (rebalance === 'weekly') return Math.floor((Math.floor(time / DAY_MS) + 3) / 7); // 1970-01-01 was a Thursday
  const date = new Date(time);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/**
 * When decide runs: once per period (every bar, week or month), at the first step of the period
 * when some symbol is ready; a period in which none is never decides. The same rule in the
 * backtester and live, so both decide on the same bars.
 */
export class RebalanceSchedule {
  private decided = NaN;

  constructor(readonly rebalance: Rebalance) {}

  /** True when the period of `time` has not decided yet. */
  due(time: number): boolean {
    return periodOf(this.rebalance, time) !== this.decided;
  }

  /** Records the decision made at `time`. */
  done(time: number): void {
    this.decided = periodOf(this.rebalance, time);
  }
}
