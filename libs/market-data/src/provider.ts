import type { Bar, Interval } from './bar';

export interface HistoryQuery {
  /** Inclusive bounds on bar open time, ms epoch UTC. */
  from?: number;
  to?: number;
  interval?: Interval;
}

/** Every source of bars (recorded, synthetic, imported, a venue) behind one interface. */
export interface MarketDataProvider {
  readonly name: string;
  symbols(): Promise<string[]>;
  history(symbol: string, query?: HistoryQuery): Promise<Bar[]>;
  /** Live bars as they close; returns an unsubscribe function. */
  subscribe?(symbols: string[], onBar: (bar: Bar) => void, interval?: Interval): () => void;
}

export class UnknownSymbolError extends Error {
  constructor(
    readonly provider: string,
    readonly symbol: string,
  ) {
    super(`${provider} has no symbol ${symbol}`);
    this.name = 'UnknownSymbolError';
  }
}

export function withinRange(bars: readonly Bar[], query: HistoryQuery = {}): Bar[] {
  const from = query.from ?? -Infinity;
  const to = query.to ?? Infinity;
  return bars.filter((b) => b.time >= from && b.time <= to);
}

/** A provider over bars already in memory, keyed by symbol; resamples when asked for a coarser interval. */
export class InMemoryProvider implements MarketDataProvider {
  constructor(
    readonly name: string,
    private readonly bySymbol: ReadonlyMap<string, readonly Bar[]>,
    private readonly resampleTo?: (bars: readonly Bar[], interval: Interval) => Bar[],
  ) {}

  async symbols() {
    return [...this.bySymbol.keys()];
  }

  async history(symbol: string, query: HistoryQuery = {}) {
    const bars = this.bySymbol.get(symbol);
    if (!bars) throw new UnknownSymbolError(this.name, symbol);
    const ranged = withinRange(bars, query);
    return query.interval && this.resampleTo ? this.resampleTo(ranged, query.interval) : ranged;
  }
}

/** Groups bars by symbol, keeping time order. */
export function groupBySymbol(bars: readonly Bar[]): Map<string, Bar[]> {
  const out = new Map<string, Bar[]>();
  for (const bar of bars) {
    const list = out.get(bar.symbol);
    if (list) list.push(bar);
    else out.set(bar.symbol, [bar]);
  }
  for (const list of out.values()) list.sort((a, b) => a.time - b.time);
  return out;
}
