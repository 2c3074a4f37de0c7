import { checkPeriod } from './period';

/**
 * Exponential moving average, k = 2 / (period + 1), seeded with the simple average of the
 * first `period` values (the standard definition). Undefined until `period` values are seen.
 */
export class Ema {
  private readonly k: number;
  private count = 0;
  private seedSum = 0;
  value: number | undefined;

  constructor(readonly period: number) {
    checkPeriod(period);
    this.k = 2 / (period + 1);
  }

  update(input: number): number | undefined {
    if (this.count < this.period) {
      this.seedSum += input;
      if (++this.count === this.period) this.value = this.seedSum / this.period;
      return this.value;
    }
    this.value = (input - (this.value as number)) * this.k + (this.value as number);
    return this.value;
  }
}
