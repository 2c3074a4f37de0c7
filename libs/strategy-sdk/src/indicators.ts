import { Atr, Bollinger, checkPeriod, Ema, Highest, Lowest, Macd, Roc, rocSeries, Rsi, Sma, smaSeries, streamSeries } from '@tradeyard/indicators';

/** A bar field an indicator reads. */
export type PriceField = 'open' | 'high' | 'low' | 'close' | 'volume';
export const priceFields: readonly PriceField[] = ['open', 'high', 'low', 'close', 'volume'];

/** One symbol's bars as columns, oldest first (the batch form's input). */
export interface SeriesInput {
  readonly length: number;
  readonly open: ArrayLike<number>;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
}

/** One bar's prices, as the streaming form takes them. */
export interface BarPrices {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** The live form: fed one bar at a time, it answers the value after that bar (NaN until defined). */
export interface StreamingIndicator {
  update(bar: BarPrices): number;
}

/**
 * A declared indicator: both forms of one definition from libs/indicators. `batch` computes a
 * symbol's whole series at once (the backtester; a grid shares it between runs with the same
 * `key`), `stream` makes the live form; the two agree value for value (the SDK's parity spec).
 */
export interface IndicatorSpec {
  /** Identity of the computation, e.g. `roc(close,120)`: equal keys give equal series. */
  readonly key: string;
  /** Bars a symbol needs before the first value is defined (the value at bar index warmup − 1). */
  readonly warmup: number;
  batch(bars: SeriesInput): Float64Array;
  stream(): StreamingIndicator;
}

/** A streaming indicator over one price field, from one libs/indicators class. */
function fieldIndicator(key: string, warmup: number, field: PriceField, make: () => { update(v: number): number | undefined }, batch?: (values: ArrayLike<number>) => Float64Array): IndicatorSpec {
  return {
    key,
    warmup,
    batch: (bars) => {
      const values = bars[field];
      if (batch) return batch(values);
      const indicator = make();
      return streamSeries(bars.length, (i) => indicator.update(values[i]));
    },
    stream: () => {
      const indicator = make();
      return { update: (bar) => indicator.update(bar[field]) ?? NaN };
    },
  };
}

const checkField = (field: PriceField) => {
  if (!priceFields.includes(field)) throw new RangeError(`source must be one of ${priceFields.join(', ')}, got ${JSON.stringify(field)}`);
};

/** A rolling extreme of one field (libs/indicators Highest, Lowest). */
function extreme(kind: 'highest' | 'lowest', source: PriceField, period: number): IndicatorSpec {
  checkField(source);
  checkPeriod(period);
  return fieldIndicator(`${kind}(${source},${period})`, period, source, () => (kind === 'highest' ? new Highest(period) : new Lowest(period)));
}

/** Bands of a Bollinger indicator, lines of a MACD. */
export type BollingerBand = 'middle' | 'upper' | 'lower';
export type MacdLine = 'line' | 'signal' | 'histogram';

/**
 * The indicators a strategy can declare (`indicators: (q, i) => ({ ... })`). Each validates its
 * arguments where it is declared, so a bad period is reported with the indicator's name.
 */
export const indicatorCatalog = {
  /** Simple moving average. Warm-up: period. */
  sma: (source: PriceField, period: number): IndicatorSpec => {
    checkField(source);
    checkPeriod(period);
    return fieldIndicator(`sma(${source},${period})`, period, source, () => new Sma(period), (v) => smaSeries(v, period));
  },
  /** Exponential moving average, seeded with the SMA of its first `period` values. Warm-up: period. */
  ema: (source: PriceField, period: number): IndicatorSpec => {
    checkField(source);
    checkPeriod(period);
    return fieldIndicator(`ema(${source},${period})`, period, source, () => new Ema(period));
  },
  /** Rate of change as a fraction (0.05 = +5 %) over `period` bars. Warm-up: period + 1. */
  roc: (source: PriceField, period: number): IndicatorSpec => {
    checkField(source);
    checkPeriod(period);
    return fieldIndicator(`roc(${source},${period})`, period + 1, source, () => new Roc(period), (v) => rocSeries(v, period));
  },
  /** Relative strength index (Wilder), 0..100. Warm-up: period + 1. */
  rsi: (source: PriceField, period = 14): IndicatorSpec => {
    checkField(source);
    checkPeriod(period);
    return fieldIndicator(`rsi(${source},${period})`, period + 1, source, () => new Rsi(period));
  },
  /** Highest value of the last `period` bars, this one included. Warm-up: period. */
  highest: (source: PriceField, period: number): IndicatorSpec => extreme('highest', source, period),
  /** Lowest value of the last `period` bars, this one included. Warm-up: period. */
  lowest: (source: PriceField, period: number): IndicatorSpec => extreme('lowest', source, period),
  /** One band of Bollinger bands: SMA(period) ± multiplier × population standard deviation. Warm-up: period. */
  bollinger: (source: PriceField, period = 20, multiplier = 2, band: BollingerBand = 'middle'): IndicatorSpec => {
    checkField(source);
    checkPeriod(period);
    if (!(Number.isFinite(multiplier) && multiplier > 0)) throw new RangeError(`multiplier must be a number above 0, got ${multiplier}`);
    if (!['middle', 'upper', 'lower'].includes(band)) throw new RangeError(`band must be one of middle, upper, lower, got ${JSON.stringify(band)}`);
    return fieldIndicator(`bollinger(${source},${period},${multiplier},${band})`, period, source, () => {
      const bands = new Bollinger(period, multiplier);
      return { update: (v: number) => (bands.update(v) === undefined ? undefined : bands[band]) };
    });
  },
  /** One line of MACD (EMA(fast) − EMA(slow), its EMA(signal), their difference). Warm-up: slow; signal and histogram slow + signal − 1. */
  macd: (source: PriceField, fast = 12, slow = 26, signal = 9, line: MacdLine = 'line'): IndicatorSpec => {
    checkField(source);
    for (const [name, period] of [['fast', fast], ['slow', slow], ['signal', signal]] as const) checkPeriod(period, name);
    if (fast >= slow) throw new RangeError(`fast must be shorter than slow, got ${fast} and ${slow}`);
    if (!['line', 'signal', 'histogram'].includes(line)) throw new RangeError(`line must be one of line, signal, histogram, got ${JSON.stringify(line)}`);
    return fieldIndicator(`macd(${source},${fast},${slow},${signal},${line})`, line === 'line' ? slow : slow + signal - 1, source, () => {
      const macd = new Macd(fast, slow, signal);
      return { update: (v: number) => (macd.update(v) === undefined ? undefined : (macd[line] ?? undefined)) };
    });
  },
  /** Average true range (Wilder) over high, low and close. Warm-up: period. */
  atr: (period = 14): IndicatorSpec => {
    checkPeriod(period);
    const make = () => new Atr(period);
    return {
      key: `atr(${period})`,
      warmup: period,
      batch: (bars) => {
        const atr = make();
        return streamSeries(bars.length, (i) => atr.update(bars.high[i], bars.low[i], bars.close[i]));
      },
      stream: () => {
        const atr = make();
        return { update: (bar) => atr.update(bar.high, bar.low, bar.close) ?? NaN };
      },
    };
  },
};

export type IndicatorCatalog = typeof indicatorCatalog;
export type IndicatorDecls = Readonly<Record<string, IndicatorSpec>>;
