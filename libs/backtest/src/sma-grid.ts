import { fillTerms, type CostModel } from '@tradeyard/fill-engine';
import { toMicros } from '@tradeyard/money';
import type { BarColumns } from './columns';
import { type BacktestSummary, runCore, type SendOrder, summaryOf } from './engine';
import type { BacktestSettings } from './options';

/** The most decimals a close may have for the exact window sums (as libs/indicators' Sma). */
const MAX_SCALE = 1e9;
/** Window sums kept per dataset at most (bytes); beyond it the oldest window is recomputed when asked again. */
const MAX_SERIES_BYTES = 64 * 1024 * 1024;

/**
 * The indicator series a grid shares across its runs, for one dataset: the sum of closes over
 * each window, exact, computed once per window however many runs use it, and the opens in
 * micro-units. Exact as libs/indicators' Sma is: each close is an integer number of 1/scale
 * units, so window sums are integer differences of one prefix sum, exact in doubles below 2^53,
 * and SMA(a) > SMA(b) is decided as sum_a × b > sum_b × a without any rounding — the decision of
 * a direct window computation (DirectSma), ties included.
 */
export class SharedSeries {
  private static readonly cache = new WeakMap<BarColumns, SharedSeries | null>();
  /** prefix[i] = sum of the first i closes in 1/scale units. */
  private readonly prefix: Float64Array;
  private readonly sums = new Map<number, Float64Array>();
  /** The opens in micro-units, converted once for every run. */
  readonly openMicros: readonly bigint[];

  private constructor(
    readonly data: BarColumns,
    prefix: Float64Array,
    /** The largest |close| in 1/scale units. */
    private readonly maxUnits: number,
  ) {
    this.prefix = prefix;
    this.openMicros = Array.from(data.open, (o) => toMicros(o));
  }

  /**
   * The shared series of a dataset (built on first use, then kept as long as the dataset is), or
   * null when its closes are not decimals of at most 9 places or their sum leaves the exact range.
   */
  static of(data: BarColumns): SharedSeries | null {
    let series = SharedSeries.cache.get(data);
    if (series === undefined) {
      series = SharedSeries.build(data);
      SharedSeries.cache.set(data, series);
    }
    return series;
  }

  private static build(data: BarColumns): SharedSeries | null {
    const { close, length: n } = data;
    let scale = 1;
    for (let i = 0; i < n; i++) while (scale < MAX_SCALE && Math.round(close[i] * scale) / scale !== close[i]) scale *= 10;
    const prefix = new Float64Array(n + 1);
    let maxUnits = 0;
    for (let i = 0; i < n; i++) {
      const units = Math.round(close[i] * scale);
      if (units / scale !== close[i]) return null;
      maxUnits = Math.max(maxUnits, Math.abs(units));
      prefix[i + 1] = prefix[i] + units;
    }
    return maxUnits * n <= Number.MAX_SAFE_INTEGER ? new SharedSeries(data, prefix, maxUnits) : null;
  }

  /** Whether sum_a × b is exact for windows up to `largest`: then the cross is decided exactly. */
  exactFor(largest: number): boolean {
    return this.maxUnits * largest * largest <= Number.MAX_SAFE_INTEGER;
  }

  /** sums[i] = exact sum of the `window` closes ending at bar i (0 before the window is full). */
  windowSums(window: number): Float64Array {
    let sums = this.sums.get(window);
    if (sums) return sums;
    const n = this.data.length;
    sums = new Float64Array(n);
    for (let i = window - 1; i < n; i++) sums[i] = this.prefix[i + 1] - this.prefix[i + 1 - window];
    while (this.sums.size > 0 && (this.sums.size + 1) * n * 8 > MAX_SERIES_BYTES) this.sums.delete(this.sums.keys().next().value!);
    this.sums.set(window, sums);
    return sums;
  }
}

/** A buffer for the equity curves of one thread's runs (the metrics read it; nothing keeps it). */
let scratch = new Float64Array(0);

/**
 * sma-cross(fast, slow) over `data` on the shared series: the same loop, sizing, fill terms and
 * ledger as runBacktest (engine.ts runCore), fed the exact cross instead of streaming SMAs, so
 * its summary equals runBacktest's for the same pair exactly. Orders skip the order lifecycle
 * (ids, journal): a market order arriving at a quote with no volume cap fills whole at
 * fillTerms(open), which is what the fill engine's arrive computes for it. Undefined when the
 * data cannot be summed exactly; the caller then runs the streaming strategy.
 */
export function sharedSmaCross(name: string, data: BarColumns, fast: number, slow: number, settings: BacktestSettings, costs: CostModel): BacktestSummary | undefined {
  const series = SharedSeries.of(data);
  if (!series || !series.exactFor(Math.max(fast, slow)) || data.length === 0) return undefined;
  const fastSums = series.windowSums(fast);
  const slowSums = series.windowSums(slow);
  const first = Math.max(fast, slow) - 1; // both averages exist from here on
  const send: SendOrder = (_decidedAt, _at, side, quantity, price) => [{ side, quantity, ...fillTerms(costs, side, price, quantity, null, null) }];
  if (scratch.length < data.length) scratch = new Float64Array(data.length);
  const core = runCore({
    data,
    name,
    settings,
    costs,
    send,
    openMicros: series.openMicros,
    equity: scratch,
    decide: (i) => (i >= first && fastSums[i] * slow > slowSums[i] * fast ? 1 : 0),
  });
  return summaryOf(name, data, settings, core);
}
