/** What one item of a batch came to: its own result or its own error. */
export type Outcome<R> = { value: R } | { error: unknown };

export interface GroupCommitLimits {
  /** Most items one write takes. */
  maxBatch: number;
  /** Most items waiting for a write; beyond it `submit` fails at once with `overloaded()`. */
  maxQueued: number;
}

/**
 * Group commit: items submitted while a write is in flight wait, and the next write takes all of
 * them (at most maxBatch) in arrival order, so many callers share one transaction and one commit.
 * Writes run one at a time. When a write fails as a whole, each of its items is written alone,
 * so one bad item fails only its own caller — unless `retryAlone` says the failure is not an
 * item's (a database that is down fails every item at once instead of each after its timeout).
 * Hand-written: the batching libraries at hand (dataloader and the like) batch per event-loop
 * tick and cache by key; this batches by "while the previous write is in flight" and has no cache.
 */
export class GroupCommit<T, R> {
  private waiting: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  private draining = false;

  constructor(
    private readonly write: (items: T[]) => Promise<Outcome<R>[]>,
    private readonly limits: GroupCommitLimits,
    private readonly overloaded: (queued: number) => Error,
    private readonly retryAlone: (error: unknown) => boolean,
  ) {}

  /** Items waiting for a write (not counting the one in flight). */
  get queued(): number {
    return this.waiting.length;
  }

  submit(item: T): Promise<R> {
    if (this.waiting.length >= this.limits.maxQueued) return Promise.reject(this.overloaded(this.waiting.length));
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Started in the check phase, after every I/O callback of this event-loop turn: the
        // requests read together submit before the write starts. A microtask would start it at
        // the first submit, and on PGlite (which runs on this thread and finishes a transaction
        // without yielding to I/O) every write would then take one item: 1,000 orders from 50
        // clients took 26 s with a 13 s tail instead of 3 s (tools/bench/order-latency.ts).
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain() {
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, this.limits.maxBatch);
        const outcomes = await this.settle(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const outcome = outcomes[i];
          if ('value' in outcome) b.resolve(outcome.value);
          else b.reject(outcome.error);
        });
      }
    } finally {
      this.draining = false;
    }
  }

  private async settle(items: T[]): Promise<Outcome<R>[]> {
    try {
      return await this.write(items);
    } catch (error) {
      if (items.length === 1 || !this.retryAlone(error)) return items.map(() => ({ error }));
      const outcomes: Outcome<R>[] = [];
      for (const item of items) outcomes.push(...(await this.settle([item])));
      return outcomes;
    }
  }
}
