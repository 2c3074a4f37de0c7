import { checkPeriod } from './period';

/**
 * Average True Range with Wilder's smoothing, seeded with the simple average of the first
 * `period` true ranges. The first bar's true range is high - low (no previous close).
 */
export class Atr {
  private previousClose: number | undefined;
  private count = 0;
  private seedSum = 0;
  value: number | undefined;

  constructor(readonly period = 14) {
    checkPeriod(period);
  }

  update(high: number, low: number, close: number): number | undefined {
    const pc = this.previousClose;
    this.previousClose = close;
    let tr = high - low;
    if (pc !== undefined) {
      const up = Math.abs(high - pc);
      const down = Math.abs(low - pc);
      if (up > tr) tr = up;
      if (down > tr) tr = down;
    }
    const n = this.period;
    if (this.count < n) {
      this.seedSum += tr;
      if (++this.count === n) this.value = this.seedSum / n;
      return this.value;
    }
    this.value = ((this.value as number) * (n - 1) + tr) / n;
    return this.value;
  }
}
