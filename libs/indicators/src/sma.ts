import { checkPeriod } from './period';

/** The most decimals a value may have for the exact sum (scaled-integer arithmetic). */
const MAX_SCALE = 1e9;
// Bound once: a property lookup on the global `Math` on every update is slow where the global
// object is a proxy (Jest's vm contexts: 0.5 µs per call), and costs nothing here.
const { abs, round } = Math;

/**
 * Simple moving average over the last `period` values, O(1) per update (amortised): a ring buffer
 * and a running sum that does not drift. Returns undefined until `period` values have been seen.
 *
 * Why not a plain float running sum: adding and subtracting values for thousands of bars leaves
 * rounding residue in the sum, so two averages that are exactly equal (they are, on real price
 * series) compare as unequal. Prices are short decimals, so the sum is kept exact instead: every
 * value is an integer number of 1/scale units (scale = 10^decimals, grown as values need it) and
 * the sum of those integers stays below 2^53, where double arithmetic on integers is exact. The
 * average is then one correctly rounded division of the exact sum, so equal windows give
 * identical values and `>`/`<` order averages as exact arithmetic does (unless two different
 * averages lie within one double ulp, far below any price tick).
 *
 * A value that is not a decimal of at most 9 places (e.g. a computed (h + l + c) / 3), or one so
 * large that the sum could pass 2^53, switches the sum to Neumaier-compensated floats, re-summed
 * from the window every `period` updates so no error accumulates; the first re-sum after such
 * values have left the window (at most `period` updates later) makes it exact again.
 */
export class Sma {
  private readonly window: Float64Array;
  /** The window's values in 1/scale units, while exact. */
  private readonly scaled: Float64Array;
  /** Largest |units| one value may have so that the sum of a full window stays below 2^53. */
  private readonly unitLimit: number;
  private index = 0;
  private count = 0;
  /** True while `units` is the exact sum of the window in 1/scale units. */
  private exact = true;
  private scale = 1;
  /** period × scale: the average is units / divisor. */
  private divisor: number;
  private units = 0;
  /** Compensated float sum (sum + compensation), used while not exact. */
  private sum = 0;
  private compensation = 0;
  /** Updates left until the next re-sum, while not exact. */
  private untilResum = 0;
  value: number | undefined;

  constructor(readonly period: number) {
    checkPeriod(period);
    this.window = new Float64Array(period);
    this.scaled = new Float64Array(period);
    this.unitLimit = Math.floor(Number.MAX_SAFE_INTEGER / period);
    this.divisor = period;
  }

  update(value: number): number | undefined {
    const n = this.period;
    const i = this.index;
    // Slots not filled yet hold 0, so the value leaving the window can be subtracted unconditionally.
    const old = this.window[i];
    this.window[i] = value;
    this.index = i + 1 === n ? 0 : i + 1;
    if (this.count < n) this.count++;
    if (this.exact) {
      const scale = this.scale;
      const units = round(value * scale);
      // The common case: `value` is the double nearest to units / scale, i.e. a decimal at this scale.
      if (units / scale === value && abs(units) <= this.unitLimit) {
        this.units += units - this.scaled[i];
        this.scaled[i] = units;
      } else this.resum();
    } else {
      this.add(value);
      this.add(-old);
      if (--this.untilResum === 0) this.resum();
    }
    if (this.count < n) return (this.value = undefined);
    this.value = this.exact ? this.units / this.divisor : (this.sum + this.compensation) / n;
    return this.value;
  }

  /** Neumaier's compensated addition: `compensation` collects what rounding dropped from `sum`. */
  private add(x: number): void {
    const t = this.sum + x;
    this.compensation += abs(this.sum) >= abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }

  /** Recomputes the sum from the window: exactly at the smallest scale that fits, else compensated. */
  private resum(): void {
    const { count, window, scaled } = this;
    let scale = 1;
    for (let i = 0; i < count; i++) while (scale < MAX_SCALE && round(window[i] * scale) / scale !== window[i]) scale *= 10;
    let exact = this.period * scale <= Number.MAX_SAFE_INTEGER;
    let units = 0;
    for (let i = 0; i < count && exact; i++) {
      scaled[i] = round(window[i] * scale);
      exact = scaled[i] / scale === window[i] && abs(scaled[i]) <= this.unitLimit;
      units += scaled[i];
    }
    this.exact = exact;
    if (exact) {
      this.scale = scale;
      this.divisor = this.period * scale;
      this.units = units;
      return;
    }
    this.sum = 0;
    this.compensation = 0;
    for (let i = 0; i < count; i++) this.add(window[i]);
    this.untilResum = this.period;
  }
}
