import {
  AlphaVantageProvider,
  type Bar,
  BinanceProvider,
  bucketEnd,
  groupBySymbol,
  importBarsFile,
  type Interval,
  intervalMs,
  loadSp500,
  loadStocks,
  type MarketDataProvider,
  syntheticOnSp500Days,
} from '@tradeyard/market-data';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { finestInterval, MarketHub, type SymbolFeed } from './market-hub';
import { probeFeeds, type ProbeableSymbol } from './probe';
import { ReplayClock, type ReplayClockOptions } from './replay-clock';

export const marketProviders = ['replay', 'synthetic', 'files', 'binance', 'alphavantage'] as const;
export type MarketProviderName = (typeof marketProviders)[number];

const stockNames: Record<string, string> = { AAPL: 'Apple', AMZN: 'Amazon', GOOG: 'Alphabet (Google)', IBM: 'IBM', MSFT: 'Microsoft' };

/** The bundled recorded history: SPX daily (2000-2020) and five stocks monthly (2000-2010). */
export function bundledFeeds(): SymbolFeed[] {
  const stocks = [...groupBySymbol(loadStocks())].map(([symbol, bars]) => ({ symbol, name: stockNames[symbol] ?? symbol, source: 'replay:stocks', interval: '1M' as const, bars }));
  return [{ symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', bars: loadSp500() }, ...stocks];
}

// syntheticOnSp500Days builds each universe once per process; the feeds around it once too.
const syntheticCache = new Map<string, SymbolFeed[]>();

/** The seeded synthetic universe SYN000.. on the S&P 500's trading days, so it shares SPX's clock. */
export function syntheticFeeds(options: { seed: number; symbols: number }): SymbolFeed[] {
  const key = `${options.seed}:${options.symbols}`;
  const cached = syntheticCache.get(key);
  if (cached) return cached;
  const feeds = [...syntheticOnSp500Days(options)].map(([symbol, bars]) => ({
    symbol,
    name: `Synthetic stock ${symbol.slice(3)} (seed ${options.seed})`,
    source: `synthetic:${options.seed}`,
    interval: '1d' as const,
    bars,
  }));
  syntheticCache.set(key, feeds);
  return feeds;
}

/** The interval nearest (on a log scale) to the median spacing of the bars; daily for a single bar. */
export function inferInterval(bars: readonly Bar[]): Interval {
  if (bars.length < 2) return '1d';
  const gaps = bars
    .slice(1)
    .map((b, i) => b.time - bars[i].time)
    .sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1];
  let best: Interval = '1d';
  for (const interval of Object.keys(intervalMs) as Interval[])
    if (Math.abs(Math.log(intervalMs[interval] / median)) < Math.abs(Math.log(intervalMs[best] / median))) best = interval;
  return best;
}

/** Every .csv and .jsonl file of a folder (each may hold several symbols), validated all or nothing per file. */
export function fileFeeds(dir: string): SymbolFeed[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.csv') || f.endsWith('.jsonl'))
    .sort();
  if (files.length === 0) throw new Error(`${dir} holds no .csv or .jsonl bar files`);
  return files.flatMap((file) =>
    [...groupBySymbol(importBarsFile(join(dir, file)))].map(([symbol, bars]) => ({ symbol, name: `${symbol} (${file})`, source: `file:${file}`, interval: inferInterval(bars), bars })),
  );
}

export interface PollOptions {
  /** Time between polls of a symbol that answers. */
  pollMs: number;
  /**
   * Bars pushed as they close (the venue's stream), besides the polls: it reports closed bars and
   * errors; a stream that ends is opened again after the same backoff as a failed poll.
   */
  stream?: (onBar: (bar: Bar) => void, onError: (error: Error, ended: boolean) => void) => () => void;
  /** First retry after a failure; doubles with each failure in a row up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  now?: () => number;
  log?: { warn(details: object, message: string): void };
}

/**
 * Polls a venue for each symbol's new closed bars into the hub. A failure (timeout, HTTP error,
 * malformed payload) keeps the last good bars, marks the symbol stale and retries with backoff;
 * the next success clears it.
 */
export class VenuePoller {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private running = false;
  private unsubscribe?: () => void;
  private streamTimer?: NodeJS.Timeout;
  private streamFailures = 0;

  constructor(
    private readonly hub: MarketHub,
    private readonly provider: MarketDataProvider,
    private readonly symbols: readonly string[],
    private readonly interval: Interval,
    private readonly options: PollOptions,
  ) {}

  start() {
    this.running = true;
    for (const symbol of this.symbols) this.schedule(symbol, 0);
    this.openStream();
  }

  stop() {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.streamTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private openStream() {
    const { stream } = this.options;
    if (!stream || !this.running) return;
    this.unsubscribe = stream(
      (bar) => {
        this.streamFailures = 0;
        if (this.symbols.includes(bar.symbol)) this.hub.ingest(bar.symbol, [bar]);
      },
      (error, ended) => {
        this.options.log?.warn({ venue: this.provider.name, err: error.message }, 'market venue stream failed; polls go on');
        // A malformed message is skipped; a stream that ended is opened again after a backoff.
        if (!ended) return;
        this.streamFailures++;
        clearTimeout(this.streamTimer);
        if (this.running) this.streamTimer = setTimeout(() => this.openStream(), this.backoff(this.streamFailures));
      },
    );
  }

  private backoff(failures: number) {
    return Math.min(this.options.maxRetryMs ?? 300_000, (this.options.retryMs ?? 1000) * 2 ** (failures - 1));
  }

  private schedule(symbol: string, delay: number) {
    clearTimeout(this.timers.get(symbol));
    if (!this.running) return;
    this.timers.set(
      symbol,
      setTimeout(() => void this.poll(symbol), delay),
    );
  }

  /** One poll of one symbol; never throws. Resolves with the delay until the next (scheduled while started). */
  async poll(symbol: string): Promise<number> {
    const now = this.options.now ?? Date.now;
    let delay = this.options.pollMs;
    try {
      const bars = await this.provider.history(symbol, { interval: this.interval, from: this.hub.latestTime(symbol) });
      // A venue also sends the bar still forming; only closed bars are released.
      this.hub.ingest(
        symbol,
        bars.filter((b) => bucketEnd(b.time, this.interval) <= now()),
      );
      this.failures.delete(symbol);
    } catch (err) {
      const failures = (this.failures.get(symbol) ?? 0) + 1;
      this.failures.set(symbol, failures);
      const message = err instanceof Error ? err.message : String(err);
      this.hub.markStale(symbol, message);
      delay = this.backoff(failures);
      this.options.log?.warn({ venue: this.provider.name, symbol, failures, retryInMs: delay, err: message }, 'market venue failed; serving the last good bars');
    }
    this.schedule(symbol, delay);
    return delay;
  }
}

export interface MarketOptions {
  provider: MarketProviderName;
  /** The replay clock (replay, synthetic, files). */
  replay: ReplayClockOptions;
  synthetic: { seed: number; symbols: number };
  /** Adds a memorization probe of this bundled symbol (replay only): see probeFeeds. Its seed is the synthetic universe's. */
  probe?: ProbeableSymbol;
  /** The user's CSV/JSONL folder: the whole market with provider `files`, added to `replay` when set. */
  filesDir?: string;
  /** `streamUrl`: the kline WebSocket stream, pushing closed bars between polls. */
  binance: { baseUrl: string; streamUrl?: string; symbols: string[]; interval: Interval };
  alphavantage: { baseUrl: string; apiKey?: string; symbols: string[] };
  /** Live venues: poll period, the bound on each request's time and size. */
  venue: { pollMs: number; timeoutMs: number; maxBytes?: number; retryMs?: number };
  log?: PollOptions['log'];
}

/** A hub and what keeps it fed: live venues poll between start() and stop(); replays need nothing. */
export interface Market {
  hub: MarketHub;
  /** The replay's controllable clock (replay, synthetic, files); live venues run on the wall clock. */
  clock?: ReplayClock;
  /** The replay's history, symbol by symbol: what simulated markets are cut from (simulatedMarket). */
  feeds?: readonly SymbolFeed[];
  /** The live venue's poller (binance, alphavantage). */
  poller?: VenuePoller;
  start(): void;
  stop(): void;
}

/**
 * The market a provider name means. replay: SPX, the bundled monthly stocks, the synthetic
 * universe and the user's files when a folder is given, on one replay clock; synthetic: the
 * synthetic universe alone; files: the folder alone; binance and alphavantage: those venues' symbols
 * polled on the wall clock.
 */
export function openMarket(options: MarketOptions): Market {
  const replay = (feeds: SymbolFeed[]): Market => replayMarket(feeds, options.replay);
  switch (options.provider) {
    case 'replay': {
      const bundled = bundledFeeds();
      const { probe: probeSymbol } = options;
      const probed = probeSymbol && bundled.find((feed) => feed.symbol === probeSymbol);
      const probe = probeSymbol && probed ? probeFeeds({ ...probed, symbol: probeSymbol }, options.synthetic.seed).feeds : [];
      return replay([...bundled, ...syntheticFeeds(options.synthetic), ...(options.filesDir ? fileFeeds(options.filesDir) : []), ...probe]);
    }
    case 'synthetic':
      return replay(syntheticFeeds(options.synthetic));
    case 'files':
      if (!options.filesDir) throw new Error('the files provider needs a folder of CSV/JSONL files');
      return replay(fileFeeds(options.filesDir));
    case 'binance':
    case 'alphavantage': {
      const { timeoutMs, maxBytes } = options.venue;
      const [provider, symbols, interval]: [MarketDataProvider, string[], Interval] =
        options.provider === 'binance'
          ? [new BinanceProvider({ ...options.binance, timeoutMs, maxBytes }), options.binance.symbols, options.binance.interval]
          : [new AlphaVantageProvider({ ...options.alphavantage, apiKey: options.alphavantage.apiKey ?? '', timeoutMs, maxBytes }), options.alphavantage.symbols, '1d'];
      const now = options.replay.now ?? Date.now;
      const hub = new MarketHub(
        symbols.map((symbol) => ({ symbol, name: symbol, source: provider.name, interval, bars: [] })),
        now,
      );
      const stream =
        provider instanceof BinanceProvider && options.binance.streamUrl
          ? (onBar: (bar: Bar) => void, onError: (error: Error, ended: boolean) => void) => provider.subscribe(symbols, onBar, interval, onError)
          : undefined;
      const poller = new VenuePoller(hub, provider, symbols, interval, { pollMs: options.venue.pollMs, retryMs: options.venue.retryMs, now, log: options.log, stream });
      return { hub, poller, start: () => poller.start(), stop: () => poller.stop() };
    }
  }
}

/** A replay over `feeds` on its own clock: its hub is point in time as of that clock. */
function replayMarket(feeds: SymbolFeed[], options: ReplayClockOptions): Market {
  const clock = new ReplayClock(feeds, options);
  return { hub: new MarketHub(feeds, () => clock.time(), { step: finestInterval(feeds) }), clock, feeds, start: () => undefined, stop: () => undefined };
}

export interface SimulatedMarketOptions {
  /** The universe, every one a symbol of `history` (in its order when omitted: all of them). */
  symbols?: readonly string[];
  /** The first date shown and the last it moves to (YYYY-MM-DD). */
  from: string;
  to: string;
  barsPerSecond: number;
  now?: () => number;
}

/**
 * A market of its own over part of a replay's history (an arena run's): the symbols asked for,
 * with bars in [from, to] or before it, on a clock of its own that starts paused at `from` and
 * stands at `to`. It shares the history's bars (no copy), so a market costs its clock and indexes.
 */
export function simulatedMarket(history: readonly SymbolFeed[], options: SimulatedMarketOptions): Market {
  const bySymbol = new Map(history.map((feed) => [feed.symbol, feed]));
  const unknown = options.symbols?.find((symbol) => !bySymbol.has(symbol));
  if (unknown) throw new RangeError(`symbols: ${unknown} is not a symbol of this platform's history`);
  const feeds = (options.symbols ?? history.map((feed) => feed.symbol)).map((symbol) => bySymbol.get(symbol)!);
  const from = Date.parse(`${options.from}T00:00:00Z`);
  const to = Date.parse(`${options.to}T23:59:59Z`);
  if (!feeds.some((feed) => feed.bars.some((bar) => bar.time >= from && bar.time <= to))) {
    throw new RangeError(`from: no symbol of the universe has a bar between ${options.from} and ${options.to}`);
  }
  const now = options.now ?? Date.now;
  const market = replayMarket(feeds, { barsPerSecond: options.barsPerSecond, startDate: options.from, startedAt: now(), now });
  const clock = market.clock!;
  clock.load(clock.apply({ action: 'restart', startDate: options.from, endDate: options.to }));
  clock.load(clock.apply({ action: 'pause' }));
  return market;
}
