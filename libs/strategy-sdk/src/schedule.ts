import type { Rebalance } from './definition';

const DAY_MS = 86_400_000;

/**
 * Months since year 0 of a day count since 1970-01-01 (UTC), by the civil-from-days algorithm
 * (H. Hinnant): no Date object, as it runs on every step of a backtest.
 */
function monthIndex(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153); // months from March
  const month = shifted < 10 ? shifted + 2 : shifted - 10; // 0 = January
  const year = yearOfEra + era * 400 + (month < 2 ? 1 : 0);
  return year * 12 + month;
}

/** The period a time falls in: each bar its own, the ISO week (Monday first, UTC), or the calendar month (UTC). */
export function periodOf(rebalance: Rebalance, time: number): number {
  if (rebalance === 'bar') return time;
  const days = Math.floor(time / DAY_MS);
  if (rebalance === 'weekly') return Math.floor((days + 3) / 7); // 1970-01-01 was a Thursday
  return monthIndex(days);
}

/**
 * When decide runs: once per period (every bar, week or month), at the first step of the period
 * when some symbol is ready; a period in which none is never decides. The same rule in the
 * backtester and live, so both decide on the same bars.
 */
export class RebalanceSchedule {
  private decided = NaN;
  /** When the last decision was made (a live run persists it, so a restart does not decide twice in a period). */
  decidedAt: number | undefined;

  constructor(readonly rebalance: Rebalance) {}

  /** True when the period of `time` has not decided yet. */
  due(time: number): boolean {
    return periodOf(this.rebalance, time) !== this.decided;
  }

  /** Records the decision made at `time`. */
  done(time: number): void {
    this.decided = periodOf(this.rebalance, time);
    this.decidedAt = time;
  }
}
