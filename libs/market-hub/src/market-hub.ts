import { type Bar, isoDate, loadSp500, ReplayClock, resample } from '@tradeyard/market-data';

/** Intervals the hub serves: its daily bars, and weeks (from Monday) and calendar months built from them. */
export type HubInterval = '1d' | '1w' | '1M';

/** The latest price of a symbol: the close of its current bar (the gateway contract's QuoteDto). */
export interface Quote {
  symbol: string;
  price: number;
  time: number;
  date: string;
}

export type MarketEvent = { channel: 'bars'; data: Bar } | { channel: 'quotes'; data: Quote };

/**
 * Quotes and bars of the bundled S&P 500 (SPX) replayed against the wall clock. Replicas
 * that share a database share the replay's start, so they show the same market at the same
 * moment. `tick()` releases the bars due since the last tick as bar and quote events.
 */
// A domain lib imports no data access: the broker takes this hub as its PriceSource structurally.
export class MarketHub {
  private readonly feeds: Map<string, { bars: Bar[]; clock: ReplayClock; last: number }>;

  constructor(options: { barsPerSecond: number; startDate: string; startedAt: number; now?: () => number }) {
    const bars = loadSp500();
    const startIndex = Math.max(0, bars.findIndex((b) => isoDate(b.time) >= options.startDate));
    const clock = new ReplayClock(bars, { barsPerSecond: options.barsPerSecond, startIndex, startedAt: options.startedAt, now: options.now });
    this.feeds = new Map([['SPX', { bars, clock, last: clock.cursor() }]]);
  }

  symbols(): string[] {
    return [...this.feeds.keys()];
  }

  quote(symbol: string): Quote | undefined {
    const bar = this.feeds.get(symbol)?.clock.current();
    return bar && { symbol, price: bar.close, time: bar.time, date: isoDate(bar.time) };
  }

  price(symbol: string) {
    const quote = this.quote(symbol);
    return quote && { price: quote.price, time: quote.time };
  }

  /**
   * Released bars, oldest first, whose open falls in the date range, limited to the latest
   * `limit`. Weekly and monthly bars aggregate released days only: the current week or month is
   * a partial bar up to the clock (its close is the latest released close), never a later day.
   */
  bars(symbol: string, query: { from?: string; to?: string; limit?: number; interval?: HubInterval }): Bar[] | undefined {
    const feed = this.feeds.get(symbol);
    if (!feed) return undefined;
    const daily = feed.bars.slice(0, feed.clock.cursor() + 1);
    const released = !query.interval || query.interval === '1d' ? daily : resample(daily, query.interval);
    const from = query.from ? Date.parse(`${query.from}T00:00:00Z`) : -Infinity;
    const to = query.to ? Date.parse(`${query.to}T00:00:00Z`) : Infinity;
    const inRange = released.filter((b) => b.time >= from && b.time <= to);
    return inRange.slice(Math.max(0, inRange.length - (query.limit ?? 500)));
  }

  tick(): MarketEvent[] {
    const events: MarketEvent[] = [];
    for (const [symbol, feed] of this.feeds) {
      const cursor = feed.clock.cursor();
      for (let i = feed.last + 1; i <= cursor; i++) events.push({ channel: 'bars', data: feed.bars[i] });
      if (cursor !== feed.last) events.push({ channel: 'quotes', data: this.quote(symbol)! });
      feed.last = cursor;
    }
    return events;
  }
}
