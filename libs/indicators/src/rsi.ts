import { checkPeriod } from './period';

/**
 * Relative Strength Index with Wilder's smoothing, seeded with the simple averages of the
 * first `period` gains and losses (the standard definition). Undefined for the first
 * `period` values, since it needs `period` changes.
 */
export class Rsi {
  private previous: number | undefined;
  private changes = 0;
  private gainSum = 0;
  private lossSum = 0;
  private avgGain = 0;
  private avgLoss = 0;
  value: number | undefined;

  constructor(readonly period = 14) {
    checkPeriod(period);
  }

  update(input: number): number | undefined {
    const previous = this.previous;
    this.previous = input;
    if (previous === undefined) return undefined;
    const change = input - previous;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const n = this.period;
    if (this.changes < n) {
      this.gainSum += gain;
      this.lossSum += loss;
      if (++this.changes < n) return undefined;
      this.avgGain = this.gainSum / n;
      this.avgLoss = this.lossSum / n;
    } else {
      this.avgGain = (this.avgGain * (n - 1) + gain) / n;
      this.avgLoss = (this.avgLoss * (n - 1) + loss) / n;
    }
    this.value = this.avgLoss === 0 ? (this.avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + this.avgGain / this.avgLoss);
    return this.value;
  }
}
