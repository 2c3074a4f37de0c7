import { type Bar, bucketEnd, type Interval, isoDate, resample } from '@tradeyard/market-data';
import { bundledFeeds, syntheticFeeds, type SymbolFeed } from '@tradeyard/market-hub';

const DAY = 86_400_000;

/**
 * Where the leak suites stop the clock: a Wednesday in the middle of a month, so the rest of the
 * week, the rest of the month and the month's own bar of the monthly stocks all exist in the data
 * and must stay hidden.
 */
export const LEAK_CLOCK_DATE = '2005-06-15';

/** History queries around LEAK_CLOCK_DATE: none, dates in the future, ranges spanning the clock, limits past it. */
export const leakBarQueries: { from?: string; to?: string; limit?: number }[] = [
  {},
  { limit: 2000 },
  { from: LEAK_CLOCK_DATE },
  { to: '2019-12-31' },
  { from: '2006-01-01' },
  { from: '2005-06-01', to: '2005-07-31' },
  { from: '2000-01-01', to: '2020-12-31', limit: 3 },
];

/**
 * The whole history of the test gateway's replay universe (SPX, the monthly stocks and
 * `syntheticSymbols` synthetic ones of seed 1), released or not: what a leak suite checks
 * the served data against.
 */
export function replayUniverse(syntheticSymbols: number): Map<string, SymbolFeed> {
  return new Map([...bundledFeeds(), ...syntheticFeeds({ seed: 1, symbols: syntheticSymbols })].map((feed) => [feed.symbol, feed]));
}

/**
 * What a daily replay standing on the day that opens at `clockTime` may show of a symbol in
 * `interval`: its bars that closed by that day's close (a monthly bar on the month's last day,
 * not before), aggregated when asked for a coarser interval, so the current week or month is
 * partial, made of the days up to the clock only.
 */
export function barsAsOf(feed: SymbolFeed, interval: Interval, clockTime: number): Bar[] {
  const closed = feed.bars.filter((bar) => bucketEnd(bar.time, feed.interval) <= clockTime + DAY);
  return interval === feed.interval ? closed : resample(closed, interval);
}

/** Each served bar that is not exactly the bar of that time in `expected` (a future bar, or one showing prices not yet seen). */
export function barLeaks(served: readonly Bar[], expected: readonly Bar[]): string[] {
  const byTime = new Map(expected.map((bar) => [bar.time, bar]));
  return served.flatMap((bar) => {
    const shown = byTime.get(bar.time);
    if (!shown) return [`bar ${isoDate(bar.time)} is not visible at the clock`];
    return (['open', 'high', 'low', 'close', 'volume'] as const).filter((k) => bar[k] !== shown[k]).map((k) => `bar ${isoDate(bar.time)} ${k} ${bar[k]}, visible ${shown[k]}`);
  });
}

const timeKeys = new Set(['time']);
const dateKeys = new Set(['date', 'firstDate', 'lastDate']);

/**
 * Every market time (`time`, ms) and market date (`date`, `firstDate`, `lastDate`) anywhere in
 * a response that is after the clock. Record-keeping stamps (createdAt, updatedAt) are wall
 * times of the request, not market data, and are not looked at.
 */
export function datedAfter(value: unknown, clockTime: number, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => datedAfter(item, clockTime, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    if (timeKeys.has(key) && typeof item === 'number' && item > clockTime) return [`${path}.${key} = ${item} (${isoDate(item)}) is after the clock (${isoDate(clockTime)})`];
    if (dateKeys.has(key) && typeof item === 'string' && item > isoDate(clockTime)) return [`${path}.${key} = ${item} is after the clock (${isoDate(clockTime)})`];
    return datedAfter(item, clockTime, `${path}.${key}`);
  });
}
