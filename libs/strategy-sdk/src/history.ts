import type { Bar } from '@tradeyard/market-data';
import type { CompiledStrategy } from './compile';
import type { BarHistory } from './context';
import type { BarPrices, PriceField, StreamingIndicator } from './indicators';

type Column = 'time' | 'open' | 'high' | 'low' | 'close' | 'volume';
type Columns = Record<Column, Float64Array>;

/** Columns of one symbol, each made by `make` from the old one: an object literal, so reads of its fields stay fast (Object.fromEntries makes a slow dictionary). */
const columnsOf = (make: (column: Column) => Float64Array): Columns => ({
  time: make('time'),
  open: make('open'),
  high: make('high'),
  low: make('low'),
  close: make('close'),
  volume: make('volume'),
});

/** The clock every history of a market reads: the current time. */
export interface MarketClock {
  now: number;
}

/**
 * One symbol's bars and indicator values up to now. The backtester hands it whole columns and
 * advances `count` bar by bar (`reveal`); the live loop appends each bar as it closes (`append`,
 * computing the streaming indicators). Reads are the same code in both: an index counted back
 * from the latest visible bar, so nothing past now can be read.
 */
export class SymbolHistory implements BarHistory {
  /** Bars visible now. */
  count = 0;

  constructor(
    readonly symbol: string,
    private columns: Columns,
    /** One value per bar for each declared indicator, in declaration order. */
    private indicators: Float64Array[],
    private readonly clock: MarketClock,
    /** The live form of each indicator (live histories only). */
    private readonly streams: StreamingIndicator[] = [],
  ) {}

  get length(): number {
    return this.count;
  }

  get current(): boolean {
    return this.count > 0 && this.columns.time[this.count - 1] === this.clock.now;
  }

  /** The value `barsAgo` back in a column: NaN before the first bar. */
  private at(column: Float64Array, barsAgo: number): number {
    if (!(Number.isInteger(barsAgo) && barsAgo >= 0)) throw new RangeError(`barsAgo must be a whole number of 0 or more (there is no bar after now), got ${barsAgo}`);
    const i = this.count - 1 - barsAgo;
    return i >= 0 ? column[i] : NaN;
  }

  time = (barsAgo = 0) => this.at(this.columns.time, barsAgo);
  open = (barsAgo = 0) => this.at(this.columns.open, barsAgo);
  high = (barsAgo = 0) => this.at(this.columns.high, barsAgo);
  low = (barsAgo = 0) => this.at(this.columns.low, barsAgo);
  close = (barsAgo = 0) => this.at(this.columns.close, barsAgo);
  volume = (barsAgo = 0) => this.at(this.columns.volume, barsAgo);

  /** Indicator `index` (declaration order), `barsAgo` back. */
  indicator(index: number, barsAgo = 0): number {
    return this.at(this.indicators[index], barsAgo);
  }

  bar(barsAgo = 0): Bar | undefined {
    const time = this.time(barsAgo);
    if (Number.isNaN(time)) return undefined;
    return { symbol: this.symbol, time, open: this.open(barsAgo), high: this.high(barsAgo), low: this.low(barsAgo), close: this.close(barsAgo), volume: this.volume(barsAgo) };
  }

  series(field: PriceField, count: number): Float64Array {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`count must be a whole number of 0 or more, got ${count}`);
    return this.columns[field].slice(Math.max(0, this.count - count), this.count);
  }

  /** Backtest: the next bar of the columns becomes visible. */
  reveal(): void {
    this.count++;
  }

  /** Live: a closed bar (later than the last one) is appended and the streaming indicators take it. */
  append(bar: BarPrices & { time: number }): void {
    if (this.count > 0 && !(bar.time > this.columns.time[this.count - 1])) throw new RangeError(`${this.symbol}: a bar at ${bar.time} is not later than the last one`);
    if (this.count === this.columns.time.length) this.grow();
    const i = this.count;
    const c = this.columns;
    c.time[i] = bar.time;
    c.open[i] = bar.open;
    c.high[i] = bar.high;
    c.low[i] = bar.low;
    c.close[i] = bar.close;
    c.volume[i] = bar.volume;
    for (let j = 0; j < this.streams.length; j++) this.indicators[j][i] = this.streams[j].update(bar);
    this.count++;
  }

  private grow(): void {
    const size = Math.max(64, this.columns.time.length * 2);
    const bigger = (old: Float64Array) => {
      const next = new Float64Array(size);
      next.set(old);
      return next;
    };
    this.columns = columnsOf((f) => bigger(this.columns[f]));
    this.indicators = this.indicators.map(bigger);
  }
}

/** The columns of one symbol's bars (the backtester's datasets hold them). */
export type SymbolColumns = Readonly<Columns>;

/** Every symbol's history on one clock. */
export class MarketHistory {
  readonly clock: MarketClock = { now: -Infinity };
  readonly histories: SymbolHistory[];
  private readonly index = new Map<string, number>();
  private lastReady: readonly string[] = [];

  private constructor(
    readonly symbols: readonly string[],
    make: (symbol: string, k: number, clock: MarketClock) => SymbolHistory,
  ) {
    this.histories = symbols.map((s, k) => make(s, k, this.clock));
    symbols.forEach((s, k) => this.index.set(s, k));
  }

  /** Backtest: whole columns and indicator series per symbol, revealed bar by bar. */
  static revealing(symbols: readonly string[], columns: readonly SymbolColumns[], indicators: readonly (readonly Float64Array[])[]): MarketHistory {
    return new MarketHistory(symbols, (s, k, clock) => new SymbolHistory(s, { ...columns[k] }, [...indicators[k]], clock));
  }

  /** Live: empty histories that take bars as they close, with the strategy's streaming indicators. */
  static streaming(symbols: readonly string[], strategy: Pick<CompiledStrategy, 'indicators'>): MarketHistory {
    const empty = () => columnsOf(() => new Float64Array(0));
    return new MarketHistory(symbols, (s, _k, clock) => new SymbolHistory(s, empty(), strategy.indicators.map(() => new Float64Array(0)), clock, strategy.indicators.map((i) => i.spec.stream())));
  }

  /** The position of a symbol in `symbols`, or -1. */
  indexOf(symbol: string): number {
    return this.index.get(symbol) ?? -1;
  }

  history(symbol: string): SymbolHistory {
    const k = this.index.get(symbol);
    if (k === undefined) throw new RangeError(`${symbol} is not a symbol of the universe`);
    return this.histories[k];
  }

  /**
   * The ready set now: symbols with a bar at this time and at least `warmup` bars (at least one),
   * in universe order. The same array as last time while its members are the same (a step makes
   * no garbage then).
   */
  ready(warmup: number): readonly string[] {
    const least = Math.max(1, warmup);
    const last = this.lastReady;
    let count = 0;
    let same = true;
    for (const h of this.histories) {
      if (h.count >= least && h.current) {
        if (same && last[count] !== h.symbol) same = false;
        count++;
      }
    }
    if (same && count === last.length) return last;
    const out: string[] = [];
    for (const h of this.histories) if (h.count >= least && h.current) out.push(h.symbol);
    return (this.lastReady = out);
  }
}
