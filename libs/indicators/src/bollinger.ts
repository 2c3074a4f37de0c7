import { checkPeriod } from './period';

/**
 * Bollinger bands: middle = SMA(period), upper/lower = middle ± multiplier × population standard
 * deviation of the window. O(1): a ring buffer with a sliding Welford update of mean and sum of
 * squared deviations, which stays accurate where a naive sum of squares would cancel.
 */
export class Bollinger {
  private readonly window: Float64Array;
  private index = 0;
  private count = 0;
  private mean = 0;
  private m2 = 0;
  middle: number | undefined;
  upper: number | undefined;
  lower: number | undefined;

  constructor(
    readonly period = 20,
    readonly multiplier = 2,
  ) {
    checkPeriod(period);
    this.window = new Float64Array(period);
  }

  /** Returns the middle band; `upper` and `lower` are fields. */
  update(input: number): number | undefined {
    const n = this.period;
    if (this.count < n) {
      this.count++;
      const delta = input - this.mean;
      this.mean += delta / this.count;
      this.m2 += delta * (input - this.mean);
    } else {
      const old = this.window[this.index];
      const oldMean = this.mean;
      this.mean += (input - old) / n;
      this.m2 += (input - old) * (input - this.mean + old - oldMean);
      if (this.m2 < 0) this.m2 = 0;
    }
    this.window[this.index] = input;
    this.index = this.index + 1 === n ? 0 : this.index + 1;
    if (this.count < n) return undefined;
    const width = this.multiplier * Math.sqrt(this.m2 / n);
    this.middle = this.mean;
    this.upper = this.mean + width;
    this.lower = this.mean - width;
    return this.middle;
  }
}
