import { checkPeriod } from './period';

/**
 * Simple moving average over the last `period` values, O(1) per update: a ring buffer
 * and a running sum. Returns undefined until `period` values have been seen.
 */
export class Sma {
  private readonly window: Float64Array;
  private index = 0;
  private count = 0;
  private sum = 0;
  value: number | undefined;

  constructor(readonly period: number) {
    checkPeriod(period);
    this.window = new Float64Array(period);
  }

  update(value: number): number | undefined {
    if (this.count === this.period) this.sum -= this.window[this.index];
    else this.count++;
    this.window[this.index] = value;
    this.sum += value;
    this.index = this.index + 1 === this.period ? 0 : this.index + 1;
    this.value = this.count === this.period ? this.sum / this.period : undefined;
    return this.value;
  }
}
