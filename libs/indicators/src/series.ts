import { checkPeriod } from './period';
import { Sma } from './sma';

/** The most decimals a value may have for the exact window sums (as Sma). */
const MAX_SCALE = 1e9;

/**
 * A streaming indicator run over a whole series: `update(i)` feeds the i-th input and answers the
 * indicator's value, undefined (NaN in the series) until it is defined. The batch form of every
 * recursive indicator (EMA, RSI, ATR, MACD, Bollinger, rolling extremes): each value depends on the
 * one before, so the streaming update is already the fastest whole-series computation, and the
 * series equals what the live form answers bar by bar.
 */
export function streamSeries(length: number, update: (i: number) => number | undefined): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = update(i) ?? NaN;
  return out;
}

/**
 * Simple moving average of a whole series (the batch form of Sma): NaN for the first `period` − 1
 * values. Prices are short decimals, so every value is an integer number of 1/scale units at one
 * scale for the whole series and each window's sum is an exact integer below 2^53, slid along the
 * series; the average is one correctly rounded division of that exact sum, which is the value the
 * streaming Sma answers (it keeps the same exact sum, at a scale that may grow as it goes). A series
 * outside that range (values that are not decimals of at most 9 places, or too large) is streamed
 * through Sma, so both forms agree there too.
 */
export function smaSeries(values: ArrayLike<number>, period: number): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const exact = scaledUnits(values, period);
  if (!exact) {
    const sma = new Sma(period);
    return streamSeries(n, (i) => sma.update(values[i]));
  }
  const { units, divisor } = exact;
  const out = new Float64Array(n).fill(NaN);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += i >= period ? units[i] - units[i - period] : units[i];
    if (i >= period - 1) out[i] = sum / divisor;
  }
  return out;
}

/**
 * Every value as an integer of 1/scale units at the smallest power of ten (up to 10^9) that makes
 * them all integers, and period × scale, the divisor of a window's sum; undefined when the sums of
 * a window could leave the exact range of doubles (or some value is not such a decimal).
 */
function scaledUnits(values: ArrayLike<number>, period: number): { units: Float64Array; divisor: number } | undefined {
  let scale = 1;
  for (let i = 0; i < values.length; i++) while (scale < MAX_SCALE && Math.round(values[i] * scale) / scale !== values[i]) scale *= 10;
  if (period * scale > Number.MAX_SAFE_INTEGER) return undefined;
  const unitLimit = Math.floor(Number.MAX_SAFE_INTEGER / period);
  const units = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    units[i] = Math.round(values[i] * scale);
    if (units[i] / scale !== values[i] || Math.abs(units[i]) > unitLimit) return undefined;
  }
  return { units, divisor: period * scale };
}
