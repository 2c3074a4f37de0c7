import { type Bar, bucketEnd, bucketStart, type Interval, intervalMs, isoDate, resample } from '@tradeyard/market-data';

/** What a symbol is and where its bars come from; `bars` are time-ordered in the native `interval`. */
export interface SymbolFeed {
  symbol: string;
  name: string;
  /** e.g. replay:sp500, replay:stocks, synthetic:1, file:prices.csv, binance, alphavantage */
  source: string;
  interval: Interval;
  bars: Bar[];
}

/** A symbol's metadata as of the clock: first and last released dates (null before its first bar). */
export interface SymbolInfo {
  symbol: string;
  name: string;
  source: string;
  interval: Interval;
  /** Intervals the hub serves for it: the native one and those aggregated from it. */
  intervals: Interval[];
  firstDate: string | null;
  lastDate: string | null;
  /** A live source failed: the hub serves the last good data; `error` says what failed. */
  stale: boolean;
  error?: string;
}

/** The latest price of a symbol: the close of its current bar (the gateway contract's QuoteDto). */
export interface Quote {
  symbol: string;
  price: number;
  time: number;
  date: string;
}

export type MarketEvent = { channel: 'bars'; data: Bar } | { channel: 'quotes'; data: Quote };

/** A symbol asked for in an interval that its bars cannot give. */
export class UnsupportedIntervalError extends Error {
  constructor(
    readonly symbol: string,
    readonly interval: Interval,
    readonly available: Interval[],
  ) {
    super(`${symbol} has no ${interval} bars; available intervals: ${available.join(', ')}`);
    this.name = 'UnsupportedIntervalError';
  }
}

const calendarIntervals: Interval[] = ['1w', '1M'];

/**
 * The intervals bars of `native` aggregate into: itself, whole multiples of it, and weeks and
 * months from daily or intraday bars (a month is not made of whole weeks, so not from weekly bars).
 */
export function intervalsFrom(native: Interval): Interval[] {
  const base = intervalMs[native];
  return (Object.keys(intervalMs) as Interval[]).filter((i) =>
    i === native ? true : calendarIntervals.includes(i) ? base <= intervalMs['1d'] : !calendarIntervals.includes(native) && intervalMs[i] > base && intervalMs[i] % base === 0,
  );
}

/** Index of the first bar whose `key` (non-decreasing along the bars) is after `time`. */
function upperBound(bars: readonly Bar[], time: number, key: (bar: Bar) => number = (bar) => bar.time): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(bars[mid]) <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The finest interval of the feeds that have bars: the step of a replay clock over them. */
export function finestInterval(feeds: readonly SymbolFeed[]): Interval | undefined {
  const intervals = feeds.filter((f) => f.bars.length > 0).map((f) => f.interval);
  return intervals.length ? intervals.reduce((a, b) => (intervalMs[b] < intervalMs[a] ? b : a)) : undefined;
}

interface Feed {
  info: Omit<SymbolFeed, 'bars'>;
  intervals: Interval[];
  bars: Bar[];
  /** Index of the latest bar released at the clock; -1 before the first. */
  released: number;
  /** Index of the latest bar `tick()` has reported. */
  reported: number;
  error?: string;
}

/** The market clock: the open time (ms) of the step it shows. */
export type MarketClock = () => number;

export interface MarketHubOptions {
  /**
   * The clock's step (a replay's: its finest interval). Showing the step that opens at T means
   * that step has closed (a daily replay on day D shows D's close), so a bar is released once it
   * ends by the end of the step: a monthly bar on the month's last step, not on its first.
   * Without a step (a live venue's wall clock), a bar is released once it ends by the clock.
   */
  step?: Interval;
}

/**
 * Bars and quotes of a universe of symbols on one market clock, point in time: nothing dated
 * after the clock is visible, and weekly or monthly bars aggregate released bars only. `tick()`
 * reports the bars released since the last tick; it walks per-symbol indexes, so its cost is
 * the number of symbols plus the new bars, whatever the history's length.
 */
// A domain lib imports no data access: the broker takes this hub as its PriceSource structurally.
export class MarketHub {
  private readonly feeds = new Map<string, Feed>();
  private syncedAt = -Infinity;

  constructor(
    feeds: readonly SymbolFeed[],
    private readonly clock: MarketClock,
    private readonly options: MarketHubOptions = {},
  ) {
    for (const { bars, ...info } of feeds) {
      if (this.feeds.has(info.symbol)) throw new RangeError(`symbol ${info.symbol} comes from two sources: ${this.feeds.get(info.symbol)!.info.source} and ${info.source}`);
      this.feeds.set(info.symbol, { info, intervals: intervalsFrom(info.interval), bars, released: -1, reported: -1 });
    }
    this.skipReleased();
  }

  /**
   * History released by the clock's time is not news: ticks report only what is released after
   * it. At start, and when the replay restarts (a new epoch): a restart years ahead would
   * otherwise stream every bar it skipped, hundreds of thousands in the universe.
   */
  skipReleased() {
    this.sync();
    for (const feed of this.feeds.values()) feed.reported = feed.released;
  }

  /**
   * Moves every symbol's released index to the clock (cheap when the clock has not moved): a bar
   * is released once it has closed, i.e. it ends by the end of the clock's step.
   */
  private sync() {
    const time = this.clock();
    if (time === this.syncedAt) return;
    const { step } = this.options;
    const closedBy = step ? bucketEnd(time, step) : time;
    for (const feed of this.feeds.values()) {
      const { bars } = feed;
      const interval = feed.info.interval;
      const end = (bar: Bar) => bucketEnd(bar.time, interval);
      if (time > this.syncedAt) while (feed.released + 1 < bars.length && end(bars[feed.released + 1]) <= closedBy) feed.released++;
      else {
        feed.released = upperBound(bars, closedBy, end) - 1;
        feed.reported = Math.min(feed.reported, feed.released);
      }
    }
    this.syncedAt = time;
  }

  /** The clock's time (ms): the open of its current step; no bar opening after it, nor one still open at the step's end, is visible. */
  time(): number {
    this.sync();
    return this.syncedAt;
  }

  symbols(): string[] {
    return [...this.feeds.keys()];
  }

  has(symbol: string): boolean {
    return this.feeds.has(symbol);
  }

  symbolInfo(): SymbolInfo[] {
    this.sync();
    return [...this.feeds.values()].map(({ info, intervals, bars, released, error }) => ({
      ...info,
      intervals,
      firstDate: released >= 0 ? isoDate(bars[0].time) : null,
      lastDate: released >= 0 ? isoDate(bars[released].time) : null,
      stale: error !== undefined,
      ...(error !== undefined && { error }),
    }));
  }

  /** Open time of a symbol's newest bar, released or not (where a live source resumes). */
  latestTime(symbol: string): number | undefined {
    return this.feeds.get(symbol)?.bars.at(-1)?.time;
  }

  /** The current released bar of a symbol (the broker matches resting orders against its range). */
  bar(symbol: string): Bar | undefined {
    this.sync();
    const feed = this.feeds.get(symbol);
    return feed && feed.released >= 0 ? feed.bars[feed.released] : undefined;
  }

  quote(symbol: string): Quote | undefined {
    const bar = this.bar(symbol);
    return bar && { symbol, price: bar.close, time: bar.time, date: isoDate(bar.time) };
  }

  price(symbol: string) {
    const bar = this.bar(symbol);
    return bar && { price: bar.close, time: bar.time };
  }

  /**
   * Released bars, oldest first, whose open falls in the date range, limited to the latest
   * `limit`; in the symbol's own interval unless asked for another it aggregates into. Weekly and
   * monthly bars aggregate released bars only: the current week or month is a partial bar up to
   * the clock (its close is the latest released close), never a later one.
   */
  bars(symbol: string, query: { from?: string; to?: string; limit?: number; interval?: Interval }): Bar[] | undefined {
    this.sync();
    const feed = this.feeds.get(symbol);
    if (!feed) return undefined;
    const interval = query.interval ?? feed.info.interval;
    if (!feed.intervals.includes(interval)) throw new UnsupportedIntervalError(symbol, interval, feed.intervals);
    const from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : -Infinity;
    const to = query.to ? Date.parse(`${query.to}T00:00:00Z`) : Infinity;
    const limit = query.limit ?? 500;
    const end = feed.released + 1;
    if (interval === feed.info.interval) {
      const last = Math.min(end, upperBound(feed.bars, to));
      const first = Math.max(from === -Infinity ? 0 : upperBound(feed.bars, from - 1), last - limit);
      return feed.bars.slice(Math.max(0, first), last);
    }
    // Aggregate from the first bar of the bucket holding `from` (whole buckets), or enough for `limit`.
    const start = from === -Infinity ? -Infinity : bucketStart(from, interval);
    const first = start === -Infinity ? 0 : upperBound(feed.bars, start - 1);
    const aggregated = resample(feed.bars.slice(first, end), interval).filter((b) => b.time >= from && b.time <= to);
    return aggregated.slice(Math.max(0, aggregated.length - limit));
  }

  /** Bars released since the last tick and the new quote of each symbol that moved. */
  tick(): MarketEvent[] {
    this.sync();
    const events: MarketEvent[] = [];
    for (const [symbol, feed] of this.feeds) {
      if (feed.released === feed.reported) continue;
      for (let i = feed.reported + 1; i <= feed.released; i++) events.push({ channel: 'bars', data: feed.bars[i] });
      const bar = feed.bars[feed.released];
      events.push({ channel: 'quotes', data: { symbol, price: bar.close, time: bar.time, date: isoDate(bar.time) } });
      feed.reported = feed.released;
    }
    return events;
  }

  /**
   * Adds bars from a live source (closed bars, time-ordered): a bar at a known time replaces it,
   * later ones are appended, and the symbol is no longer stale. A symbol's first bars report only
   * the latest on the next tick (its history is not news).
   */
  ingest(symbol: string, bars: readonly Bar[]) {
    const feed = this.feeds.get(symbol);
    if (!feed) throw new RangeError(`unknown symbol ${symbol}`);
    const wasEmpty = feed.bars.length === 0;
    for (const bar of bars) {
      const last = feed.bars.at(-1);
      if (!last || bar.time > last.time) feed.bars.push(bar);
      else if (bar.time === last.time) feed.bars[feed.bars.length - 1] = bar;
    }
    if (wasEmpty && feed.bars.length) feed.reported = feed.bars.length - 2;
    delete feed.error;
    // New bars may be due at the current clock time: the next read walks forward to them.
    this.syncedAt = -Infinity;
  }

  /** A live source failed for this symbol: its last good bars stay served, marked stale. */
  markStale(symbol: string, error: string) {
    const feed = this.feeds.get(symbol);
    if (feed) feed.error = error;
  }

  /** Whether the hub has anything to serve, and which symbols are stale. */
  status(): { symbols: number; withData: number; stale: { symbol: string; error: string }[] } {
    this.sync();
    let withData = 0;
    const stale: { symbol: string; error: string }[] = [];
    for (const [symbol, feed] of this.feeds) {
      if (feed.released >= 0) withData++;
      if (feed.error !== undefined) stale.push({ symbol, error: feed.error });
    }
    return { symbols: this.feeds.size, withData, stale };
  }
}
