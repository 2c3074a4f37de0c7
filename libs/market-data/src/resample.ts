import { intervalMs, type Bar, type Interval } from './bar';

const day = 86_400_000;

/** Open time of the `interval` bucket holding `time`: weeks start Monday, months on the 1st (UTC). */
export function bucketStart(time: number, interval: Interval): number {
  if (interval === '1M') {
    const d = new Date(time);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  if (interval === '1w') return time - ((time - 4 * day) % intervalMs['1w']); // 1970-01-05 was a Monday
  return time - (time % intervalMs[interval]);
}

/** Aggregates time-ordered bars of one symbol into a coarser interval (first open, max high, min low, last close, summed volume). */
export function resample(bars: readonly Bar[], interval: Interval): Bar[] {
  const out: Bar[] = [];
  let current: Bar | undefined;
  for (const bar of bars) {
    const start = bucketStart(bar.time, interval);
    if (current && current.time === start && current.symbol === bar.symbol) {
      if (bar.high > current.high) current.high = bar.high;
      if (bar.low < current.low) current.low = bar.low;
      current.close = bar.close;
      current.volume += bar.volume;
    } else {
      current = { ...bar, time: start };
      out.push(current);
    }
  }
  return out;
}

/** Close time of the `interval` bucket opening at `start` (the next bucket's open): calendar months for 1M. */
export function bucketEnd(start: number, interval: Interval): number {
  if (interval !== '1M') return start + intervalMs[interval];
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
