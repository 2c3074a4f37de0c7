import { checkPeriod } from './period';

/**
 * Rate of change over `period` values, as a fraction: (value − value `period` ago) / value
 * `period` ago, so 0.05 is +5 %. Undefined until `period` + 1 values are seen. A ring buffer of
 * the last `period` values: updating allocates nothing.
 */
export class Roc {
  private readonly window: Float64Array;
  private index = 0;
  private seen = 0;
  value: number | undefined;

  constructor(readonly period: number) {
    checkPeriod(period);
    this.window = new Float64Array(period);
  }

  update(input: number): number | undefined {
    const then = this.window[this.index];
    this.window[this.index] = input;
    this.index = this.index + 1 === this.period ? 0 : this.index + 1;
    this.value = this.seen++ < this.period ? undefined : rateOfChange(input, then);
    return this.value;
  }
}

/** The one formula both forms use, so they agree to the last bit. */
const rateOfChange = (now: number, then: number) => (now - then) / then;

/** Rate of change of a whole series (the batch form of Roc): NaN for the first `period` values. */
export function rocSeries(values: ArrayLike<number>, period: number): Float64Array {
  checkPeriod(period);
  const out = new Float64Array(values.length).fill(NaN);
  for (let i = period; i < values.length; i++) out[i] = rateOfChange(values[i], values[i - period]);
  return out;
}
