import { isPoolWorker, serveWorkerTasks, WorkerPool } from '@tradeyard/runtime-util';

/** What a chunk run on the event loop is told: its job, and a signal that stops it (cancelled, or handed to another worker). */
export interface ChunkContext {
  jobId: string;
  signal: AbortSignal;
}

/**
 * One kind of job (a backtest, a grid, a walk-forward, an arena run): how its input splits into
 * chunks that any worker may take, how one chunk runs, and how the chunks' outputs make its result.
 * A chunk must be idempotent: a chunk whose worker died runs again elsewhere, from its input alone.
 * CPU-bound kinds run a chunk on a worker thread (`run`); I/O-bound ones (an arena run: MCP and
 * gateway calls) on the worker process's event loop (`runHere`), for as long as `timeoutSeconds`.
 */
export type JobKind<I = unknown, O = unknown> = JobPlan<I, O> &
  (
    | {
        /** Runs chunk `chunk` on a worker thread, reporting progress in units; throws to fail the job. */
        run(input: I, chunk: number, progress: (done: number, total: number) => void): O;
        runHere?: never;
      }
    | {
        /** Runs chunk `chunk` on this process's event loop until done or `context.signal` stops it; throws to fail the job. */
        runHere(input: I, chunk: number, progress: (done: number, total: number) => void, context: ChunkContext): Promise<O>;
        /** How long one chunk may run: the queue hands it to another worker only once its worker is silent. */
        timeoutSeconds: number;
        run?: never;
      }
  );

interface JobPlan<I, O> {
  /**
   * Units of work of each chunk, in order: its length is the chunk count. 0 for a chunk whose total
   * is known only once it runs (it reports it with its progress).
   */
  plan(input: I): number[];
  /** The job's result from every chunk's output in chunk order, on the worker that finished the last one. */
  merge(input: I, outputs: O[]): object;
}

export type JobKinds = Record<string, JobKind>;

/** What a worker thread is handed: one chunk of one job. */
export interface ChunkTask {
  kind: string;
  input: unknown;
  chunk: number;
}

const WORKER_KIND = 'tradeyard-job-chunks';

/** True inside a chunk worker thread (the bundle re-enters itself as one: see serveJobChunks). */
export const isJobChunkWorker = () => isPoolWorker(WORKER_KIND);

/** The worker-thread side: runs each chunk it is handed with its kind's run(). */
export function serveJobChunks(kinds: JobKinds): void {
  serveWorkerTasks<ChunkTask, unknown>(WORKER_KIND, ({ kind, input, chunk }, progress) => {
    const jobKind = kinds[kind];
    if (!jobKind?.run) throw new Error(`no job kind ${kind} runs on this worker thread`);
    return jobKind.run(input, chunk, progress);
  });
}

export interface ChunkPoolOptions {
  /** The script worker threads start: the bundle itself (it calls serveJobChunks when isJobChunkWorker()). */
  workerFile: string;
  /** Threads, so chunks run at once. */
  workers: number;
  timeoutMs: number;
  /** Heap of one thread: the S&P 500 history and a year of trade log fit well inside; a runaway grid does not. */
  maxHeapMb?: number;
}

/** Worker threads that run chunks, each with a deadline and a heap cap, off the event loop that heartbeats. */
export function createChunkPool(options: ChunkPoolOptions): WorkerPool<ChunkTask, unknown> {
  return new WorkerPool<ChunkTask, unknown>({
    kind: WORKER_KIND,
    names: { pool: 'job workers', task: 'chunk', waiting: 'chunks' },
    workerFile: options.workerFile,
    workers: options.workers,
    timeoutMs: options.timeoutMs,
    maxHeapMb: options.maxHeapMb ?? 512,
    // pg-boss hands this process at most `workers` chunks at once, so none ever waits long.
    maxQueue: options.workers,
    maxWaitMs: 60_000,
  });
}
