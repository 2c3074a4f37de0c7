import { Ema } from './ema';

/**
 * MACD: line = EMA(fast) - EMA(slow), signal = EMA(signalPeriod) of the line (seeded like every
 * Ema, from the first line values), histogram = line - signal. The line is defined once the slow
 * EMA is; signal and histogram `signalPeriod - 1` values later.
 */
export class Macd {
  private readonly fastEma: Ema;
  private readonly slowEma: Ema;
  private readonly signalEma: Ema;
  line: number | undefined;
  signal: number | undefined;
  histogram: number | undefined;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signalPeriod = 9,
  ) {
    if (fast >= slow) throw new RangeError(`fast period must be shorter than the slow period, got ${fast} and ${slow}`);
    this.fastEma = new Ema(fast);
    this.slowEma = new Ema(slow);
    this.signalEma = new Ema(signalPeriod);
  }

  /** Returns the MACD line; `signal` and `histogram` are fields, so updating allocates nothing. */
  update(input: number): number | undefined {
    const fast = this.fastEma.update(input);
    const slow = this.slowEma.update(input);
    if (slow === undefined) return undefined;
    this.line = (fast as number) - slow;
    this.signal = this.signalEma.update(this.line);
    this.histogram = this.signal === undefined ? undefined : this.line - this.signal;
    return this.line;
  }
}
