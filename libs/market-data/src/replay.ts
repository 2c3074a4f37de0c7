import type { Bar } from './bar';

export interface ReplayOptions {
  /** Bars released per second of wall time; Infinity releases the whole history at once. */
  barsPerSecond: number;
  /** How many bars are already history when the replay starts. */
  startIndex?: number;
  now?: () => number;
  /** When the replay started (ms); replicas sharing a start show the same market. Default: now. */
  startedAt?: number;
}

/**
 * Replays a recorded series against the wall clock: `cursor()` is the index of the latest
 * bar released so far. Stateless between calls, so every reader sees the same market.
 */
export class ReplayClock {
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(
    private readonly bars: readonly Bar[],
    private readonly options: ReplayOptions,
  ) {
    if (bars.length === 0) throw new RangeError('a replay needs at least one bar');
    if (!(options.barsPerSecond > 0)) throw new RangeError('barsPerSecond must be greater than 0');
    this.now = options.now ?? Date.now;
    this.startedAt = options.startedAt ?? this.now();
  }

  cursor(): number {
    const start = Math.min(this.options.startIndex ?? 0, this.bars.length - 1);
    if (this.options.barsPerSecond === Infinity) return this.bars.length - 1;
    const released = Math.floor(((this.now() - this.startedAt) / 1000) * this.options.barsPerSecond);
    return Math.min(start + released, this.bars.length - 1);
  }

  current(): Bar {
    return this.bars[this.cursor()];
  }

  /** The last `limit` released bars, oldest first. */
  history(limit: number): Bar[] {
    const end = this.cursor() + 1;
    return this.bars.slice(Math.max(0, end - limit), end);
  }
}
