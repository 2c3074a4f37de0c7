import { randomUUID } from 'node:crypto';
import type { WorkerPool } from './worker-pool';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** One job as a client sees it: where it is, how far it got, and its outcome once there is one. */
export interface Job<K extends string, O> {
  id: string;
  kind: K;
  status: JobStatus;
  /** Units done of total, when the work reports them (a grid's runs, a backtest's bars). */
  progress?: { done: number; total: number };
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: O;
  /** Why the job failed: its own error, or the bound it ran into. */
  error?: string;
}

export interface JobQueueOptions {
  /** Jobs queued or running at once; one more is refused with JobQueueFullError (default 8). */
  maxActive?: number;
  /** Finished jobs kept with their results; the oldest go first (default 50). */
  keepFinished?: number;
}

/** Refused at submission because `maxActive` jobs are queued or running: come back in `retryAfterSeconds`. */
export class JobQueueFullError extends Error {
  constructor(
    readonly maxActive: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`${maxActive} jobs are already queued or running; retry in ${retryAfterSeconds} s`);
  }
}

/**
 * Jobs run on a WorkerPool, off the caller's thread: submit() answers at once with the job, whose
 * status, progress and result the caller reads later by id. Bounded in count (maxActive, then
 * JobQueueFullError), in time (the pool's deadline per job) and in memory (the pool's heap cap
 * per worker, and only the last keepFinished results kept).
 */
export class JobQueue<K extends string, I, O> {
  private readonly jobs = new Map<string, Job<K, O>>();
  private readonly finished: string[] = [];
  private active = 0;
  readonly maxActive: number;
  readonly keepFinished: number;

  constructor(
    private readonly pool: WorkerPool<I, O>,
    options: JobQueueOptions = {},
  ) {
    this.maxActive = options.maxActive ?? 8;
    this.keepFinished = options.keepFinished ?? 50;
  }

  submit(kind: K, input: I): Job<K, O> {
    if (this.active >= this.maxActive) throw new JobQueueFullError(this.maxActive, this.retryAfterSeconds());
    const job: Job<K, O> = { id: randomUUID(), kind, status: 'queued', createdAt: new Date().toISOString() };
    this.jobs.set(job.id, job);
    this.active++;
    const finish = (outcome: Pick<Job<K, O>, 'status' | 'result' | 'error'>) => {
      Object.assign(job, outcome, { finishedAt: new Date().toISOString() });
      this.active--;
      this.finished.push(job.id);
      while (this.finished.length > this.keepFinished) this.jobs.delete(this.finished.shift()!);
    };
    this.pool
      .run(input, {
        onStart: () => Object.assign(job, { status: 'running', startedAt: new Date().toISOString() }),
        onProgress: (done, total) => (job.progress = { done, total }),
      })
      .then(
        (result) => finish({ status: 'done', result }),
        (err: Error) => finish({ status: 'failed', error: err.message }),
      );
    return job;
  }

  get(id: string): Job<K, O> | undefined {
    return this.jobs.get(id);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** A wait after which a slot is likely free: one job's deadline at most, at least a second. */
  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.pool.timeoutMs / 1000 / 4));
  }
}
