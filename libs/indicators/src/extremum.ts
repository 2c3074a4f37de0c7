import { checkPeriod } from './period';

/**
 * Highest (or lowest) of the last `period` values in amortised O(1): a monotonic deque of
 * candidates kept in fixed ring buffers, so updating allocates nothing.
 */
class RollingExtremum {
  private readonly values: Float64Array;
  private readonly positions: Float64Array;
  private head = 0;
  private size = 0;
  private seen = 0;
  value: number | undefined;

  constructor(
    readonly period: number,
    private readonly keepsHighest: boolean,
  ) {
    checkPeriod(period);
    this.values = new Float64Array(period);
    this.positions = new Float64Array(period);
  }

  update(input: number): number | undefined {
    const n = this.period;
    const position = this.seen++;
    // Drop the candidate that left the window, then those the new value dominates.
    if (this.size > 0 && this.positions[this.head] <= position - n) {
      this.head = this.head + 1 === n ? 0 : this.head + 1;
      this.size--;
    }
    while (this.size > 0) {
      const tail = (this.head + this.size - 1) % n;
      const last = this.values[tail];
      if (this.keepsHighest ? last > input : last < input) break;
      this.size--;
    }
    const slot = (this.head + this.size) % n;
    this.values[slot] = input;
    this.positions[slot] = position;
    this.size++;
    this.value = this.seen >= n ? this.values[this.head] : undefined;
    return this.value;
  }
}

export class Highest extends RollingExtremum {
  constructor(period: number) {
    super(period, true);
  }
}

export class Lowest extends RollingExtremum {
  constructor(period: number) {
    super(period, false);
  }
}
