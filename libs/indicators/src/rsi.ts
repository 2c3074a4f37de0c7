/**
 * Relative Strength Index with Wilder's smoothing, seeded with the simple averages of the
 * first `period` gains and losses (the standard definition). Undefined for the first
 * `period` values, since it needs `period` changes.
 */
export class Rsi {
  private previous: number | undefined;
  private changes = 0;
  private avgGain = 0;
  private avgLoss = 0;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a whole number >= 1, got ${period}`);
  }

  update(value: number): number | undefined {
    const previous = this.previous;
    this.previous = value;
    if (previous === undefined) return undefined;
    const change = value - previous;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const n = this.period;
    if (this.changes < n) {
      this.avgGain += gain / n;
      this.avgLoss += loss / n;
      this.changes++;
      if (this.changes < n) return undefined;
    } else {
      this.avgGain = (this.avgGain * (n - 1) + gain) / n;
      this.avgLoss = (this.avgLoss * (n - 1) + loss) / n;
    }
    if (this.avgLoss === 0) return this.avgGain === 0 ? 50 : 100;
    return 100 - 100 / (1 + this.avgGain / this.avgLoss);
  }
}
