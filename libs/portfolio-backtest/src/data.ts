import { type BarColumns, sliceColumns, toColumns } from '@tradeyard/backtest';
import type { Bar } from '@tradeyard/market-data';
import { toMicros } from '@tradeyard/money';
import { unionCalendar, type IndicatorSpec, type UnionCalendar } from '@tradeyard/strategy';

/**
 * The bars of a portfolio backtest: one column set per symbol, each on its own calendar, and the
 * union calendar that steps them together. Built once and shared by every run over it (a grid's
 * runs share its indicator series and micro-unit prices through it).
 */
export interface PortfolioData {
  readonly symbols: readonly string[];
  readonly columns: readonly BarColumns[];
  readonly calendar: UnionCalendar;
}

/** Portfolio data from bars by symbol (each oldest first) or from column sets. */
export function portfolioData(input: ReadonlyMap<string, readonly Bar[]> | readonly BarColumns[]): PortfolioData {
  const columns = input instanceof Map ? [...input].map(([symbol, bars]) => ({ ...toColumns(bars), symbol })) : [...(input as readonly BarColumns[])];
  if (columns.length === 0) throw new RangeError('a portfolio backtest needs at least one symbol');
  const symbols = columns.map((c) => c.symbol);
  const repeated = symbols.find((s, k) => symbols.indexOf(s) !== k);
  if (repeated) throw new RangeError(`symbol ${repeated} is given twice`);
  const empty = columns.find((c) => c.length === 0);
  if (empty) throw new RangeError(`symbol ${empty.symbol} has no bars`);
  let calendar: UnionCalendar;
  try {
    calendar = unionCalendar(columns.map((c) => c.time));
  } catch {
    const bad = columns.find((c) => c.time.some((t, i) => i > 0 && !(t > c.time[i - 1])))!;
    throw new RangeError(`the bars of ${bad.symbol} must be oldest first with no repeated time`);
  }
  return { symbols, columns, calendar };
}

const selections = new WeakMap<PortfolioData, Map<string, PortfolioData>>();

/**
 * The data restricted to some of its symbols (views on the same memory), in the order given; the
 * same selection of the same data is the same object, so runs over it share its caches.
 */
export function selectSymbols(data: PortfolioData, symbols: readonly string[]): PortfolioData {
  const missing = symbols.filter((s) => !data.symbols.includes(s));
  if (missing.length) throw new RangeError(`no bars for ${missing.join(', ')} (the data holds ${data.symbols.length} symbol${data.symbols.length === 1 ? '' : 's'})`);
  let byKey = selections.get(data);
  if (!byKey) selections.set(data, (byKey = new Map()));
  const key = symbols.join(',');
  let selected = byKey.get(key);
  if (!selected) byKey.set(key, (selected = portfolioData(symbols.map((s) => data.columns[data.symbols.indexOf(s)]))));
  return selected;
}

/** The bars between two times (inclusive), per symbol, as views; symbols with none are dropped. */
export function sliceByTime(data: PortfolioData, from = -Infinity, to = Infinity): PortfolioData {
  const kept = data.columns.flatMap((c) => {
    let start = 0;
    while (start < c.length && c.time[start] < from) start++;
    let end = start;
    while (end < c.length && c.time[end] <= to) end++;
    return end > start ? [sliceColumns(c, start, end)] : [];
  });
  if (kept.length === 0) throw new RangeError('no bars in the chosen dates');
  return portfolioData(kept);
}

/**
 * A price as micro-units, exactly as libs/money's toMicros rounds it, without its decimal parse
 * where the answer is certain: value × 10^6 is within a rounding error of the exact product, so
 * when it is not near a half the nearest integer is the answer (below 2^40 micro-units that error
 * is under 10^-3 of a unit).
 */
export function priceMicros(value: number): bigint {
  const scaled = value * 1e6;
  const nearest = Math.round(scaled);
  if (Math.abs(scaled) < 2 ** 40 && Math.abs(Math.abs(scaled - nearest) - 0.5) > 1e-3) return BigInt(nearest);
  return toMicros(value);
}

/** Marks a price not converted yet (prices are positive). */
const UNCONVERTED = -1n;

/**
 * Opens and closes in micro-units (the ledger's prices), converted when first asked and kept: a
 * run reads the closes of the symbols it holds and the opens where orders arrive, a small part of
 * a wide universe's bars, and converting every bar up front was a sixth of such a run.
 */
export class MicroPrices {
  private readonly opens: BigInt64Array[];
  private readonly closes: BigInt64Array[];

  constructor(private readonly data: PortfolioData) {
    const unconverted = () => data.columns.map((c) => new BigInt64Array(c.length).fill(UNCONVERTED));
    this.opens = unconverted();
    this.closes = unconverted();
  }

  /** Symbol k's open at bar i. */
  open(k: number, i: number): bigint {
    const v = this.opens[k][i];
    return v !== UNCONVERTED ? v : (this.opens[k][i] = priceMicros(this.data.columns[k].open[i]));
  }

  /** Symbol k's close at bar i. */
  close(k: number, i: number): bigint {
    const v = this.closes[k][i];
    return v !== UNCONVERTED ? v : (this.closes[k][i] = priceMicros(this.data.columns[k].close[i]));
  }
}

const microCache = new WeakMap<PortfolioData, MicroPrices>();

/** The data's micro-unit prices, shared by every run over it (a grid's runs convert each price once). */
export function microPrices(data: PortfolioData): MicroPrices {
  let prices = microCache.get(data);
  if (!prices) microCache.set(data, (prices = new MicroPrices(data)));
  return prices;
}

/** Indicator series kept per dataset at most (bytes); beyond it the least recently used are dropped and recomputed if asked again. */
export const DEFAULT_SERIES_BUDGET = 256 * 1024 * 1024;

/**
 * Indicator series of one dataset, computed once per indicator key (e.g. `roc(close,120)`) for every
 * symbol and shared by every run that declares it: a grid over other parameters never recomputes
 * them. Bounded in memory: least recently used keys go first.
 */
export class SeriesCache {
  private static readonly byData = new WeakMap<PortfolioData, SeriesCache>();
  private readonly series = new Map<string, Float64Array[]>();
  private bytes = 0;
  computed = 0;

  private constructor(
    private readonly data: PortfolioData,
    private readonly budget: number,
  ) {}

  /** The cache of a dataset (made on first use). */
  static of(data: PortfolioData, budget = DEFAULT_SERIES_BUDGET): SeriesCache {
    let cache = SeriesCache.byData.get(data);
    if (!cache) {
      cache = new SeriesCache(data, budget);
      SeriesCache.byData.set(data, cache);
    }
    return cache;
  }

  /** The indicator's series for every symbol, in the data's symbol order. */
  get(spec: IndicatorSpec): Float64Array[] {
    const hit = this.series.get(spec.key);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.series.delete(spec.key);
      this.series.set(spec.key, hit);
      return hit;
    }
    const computed = this.data.columns.map((c) => spec.batch(c));
    this.computed++;
    this.bytes += computed.reduce((sum, s) => sum + s.byteLength, 0);
    this.series.set(spec.key, computed);
    for (const [key, old] of this.series) {
      if (this.bytes <= this.budget || key === spec.key) break;
      this.series.delete(key);
      this.bytes -= old.reduce((sum, s) => sum + s.byteLength, 0);
    }
    return computed;
  }
}
