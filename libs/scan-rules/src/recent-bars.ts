import type { Bar } from '@tradeyard/market-data';

/** One symbol's closes, oldest first, with the time of each. */
export interface CloseSeries {
  times: number[];
  closes: number[];
}

/**
 * The latest `capacity` closes of each symbol the scanner scanned: what its indicator reads are
 * computed from, so they answer as of the clock of the market it scans and never from bars it
 * has not been given.
 */
export class RecentBars {
  private readonly series = new Map<string, CloseSeries>();

  constructor(private readonly capacity: number) {}

  latestTime(symbol: string): number | undefined {
    return this.series.get(symbol)?.times.at(-1);
  }

  add(bar: Bar): void {
    if (this.capacity === 0) return;
    let s = this.series.get(bar.symbol);
    if (!s) this.series.set(bar.symbol, (s = { times: [], closes: [] }));
    s.times.push(bar.time);
    s.closes.push(bar.close);
    // Trimmed in batches (a quarter of the capacity) so adding stays O(1) amortised.
    if (s.times.length > this.capacity * 1.25) {
      s.times.splice(0, s.times.length - this.capacity);
      s.closes.splice(0, s.closes.length - this.capacity);
    }
  }

  /** Forgets the symbol's bars at or after `time` (its market's clock went back). */
  dropFrom(symbol: string, time: number): void {
    const s = this.series.get(symbol);
    if (!s) return;
    const keep = s.times.findIndex((t) => t >= time);
    if (keep === -1) return;
    s.times.length = keep;
    s.closes.length = keep;
  }

  /** The symbol's latest closes (at most `capacity`), oldest first; undefined if none was scanned. */
  get(symbol: string): CloseSeries | undefined {
    const s = this.series.get(symbol);
    if (!s || s.times.length === 0) return undefined;
    const from = Math.max(0, s.times.length - this.capacity);
    return { times: s.times.slice(from), closes: s.closes.slice(from) };
  }
}
