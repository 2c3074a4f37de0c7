import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CostModel } from '@tradeyard/fill-engine';
import { createStrategy, issueText, smaCrossName, strategySpecSchema, type StrategySpecInput } from '@tradeyard/strategies';
import { z } from 'zod';
import { type BarColumns, shareColumns } from './columns';
import { type BacktestSummary, runBacktest, runCosts, summarize } from './engine';
import { backtestOptionsSchema, type BacktestSettings } from './options';
import { sharedSmaCross } from './sma-grid';

/** One backtest of a grid: a strategy spec over one of the grid's datasets. */
export interface GridJob {
  dataset: number;
  /** A strategy spec as received; each job validates its own, so one bad combination fails alone. */
  strategy: Record<string, unknown>;
}

export interface GridInput {
  datasets: BarColumns[];
  jobs: GridJob[];
  options?: Partial<BacktestSettings>;
}

export interface GridOutcome {
  job: number;
  strategy: Record<string, unknown>;
  /** The metrics, or an error saying why this job could not run. */
  summary?: BacktestSummary;
  error?: string;
}

export interface GridRunOptions extends GridPoolOptions {
  onProgress?: (done: number, total: number) => void;
}

const WORKER_KIND = 'tradeyard-backtest-grid';
/** What a pool's worker receives: a grid's datasets and options (once per grid), then batches of its jobs. */
type WorkerMessage = { grid: number; datasets: BarColumns[]; options: Partial<BacktestSettings> } | { grid: number; batch: Batch };
type Batch = Array<{ index: number; job: GridJob }>;

/**
 * One grid run's metrics: sma-cross on the dataset's shared indicator series (sma-grid.ts, equal
 * to a single backtest), anything else (or data the shared series cannot sum exactly) through runBacktest.
 */
export function runGridJob(data: BarColumns, spec: StrategySpecInput, options: Partial<BacktestSettings>): BacktestSummary {
  const parsed = strategySpecSchema.parse(spec);
  if (parsed.name === 'sma-cross') {
    const { settings, costs } = gridSettings(options);
    const shared = sharedSmaCross(smaCrossName(parsed.fast, parsed.slow), data, parsed.fast, parsed.slow, settings, costs);
    if (shared) return shared;
  }
  return summarize(runBacktest(data, createStrategy(parsed), options));
}

/** A grid's options parsed once for all its runs (they share one options object). */
const parsedOptions = new WeakMap<Partial<BacktestSettings>, { settings: BacktestSettings; costs: CostModel }>();
function gridSettings(options: Partial<BacktestSettings>) {
  let parsed = parsedOptions.get(options);
  if (!parsed) {
    const settings = backtestOptionsSchema.parse(options);
    parsed = { settings, costs: runCosts(settings) };
    parsedOptions.set(options, parsed);
  }
  return parsed;
}

/** Runs one job; a bad spec or dataset becomes the outcome's error, never a crashed worker. */
function runJob(datasets: BarColumns[], options: Partial<BacktestSettings>, index: number, job: GridJob): GridOutcome {
  try {
    const data = datasets[job.dataset];
    if (!data) throw new RangeError(`dataset ${job.dataset} does not exist`);
    return { job: index, strategy: job.strategy, summary: runGridJob(data, job.strategy as StrategySpecInput, options) };
  } catch (err) {
    return { job: index, strategy: job.strategy, error: err instanceof z.ZodError ? issueText(err) : err instanceof Error ? err.message : String(err) };
  }
}

/** True inside a worker thread started by a GridPool. */
export const isGridWorker = () => !isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND;

/** The worker side: keeps the current grid's datasets and runs each batch the pool sends, posting the outcomes back. */
export function serveGridWorker(): void {
  const port = parentPort;
  if (!isGridWorker() || !port) throw new Error('serveGridWorker must run inside a worker thread started by a GridPool');
  let current: { grid: number; datasets: BarColumns[]; options: Partial<BacktestSettings> } | undefined;
  port.on('message', (message: WorkerMessage | null) => {
    if (message === null) return port.close();
    if ('datasets' in message) current = message;
    else if (current?.grid === message.grid) port.postMessage(message.batch.map(({ index, job }) => runJob(current!.datasets, current!.options, index, job)));
  });
}

/** Runs a grid on the current thread (small grids, and the reference the parallel run must match). */
export function runGridInline(input: GridInput): GridOutcome[] {
  return input.jobs.map((job, index) => runJob(input.datasets, input.options ?? {}, index, job));
}

export interface GridPoolOptions {
  /**
   * The script each worker thread starts: it must call serveGridWorker() when isGridWorker()
   * is true. In the app bundle that is the bundle itself (__filename), so no extra file ships.
   */
  workerFile: string;
  /** Worker threads; default: the machine's available parallelism. */
  workers?: number;
  /** Node options for the workers, e.g. ['--import', 'tsx'] to run TypeScript sources. */
  execArgv?: string[];
}

/**
 * Worker threads that run grids, one grid at a time, and stay up between grids: a process that
 * runs many grids (a service, a walk-forward, a benchmark) pays the threads' start and the JIT's
 * warm-up once. Datasets go to every worker once per grid, on SharedArrayBuffers (no copies);
 * jobs go out in small batches to whichever worker is free, so uneven jobs balance. A worker that
 * fails fails the grid in flight and closes the pool.
 */
export class GridPool {
  private readonly workers: Worker[];
  private grids = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private onFailure: ((err: Error) => void) | undefined;

  constructor(options: GridPoolOptions) {
    const count = Math.max(1, options.workers ?? availableParallelism());
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(options.workerFile, { workerData: { kind: WORKER_KIND }, execArgv: options.execArgv });
      worker.on('error', (err) => this.fail(new Error(`backtest worker failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`backtest worker exited with code ${code}`));
      });
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs a grid once the grids before it are done; outcomes come back in job order. */
  run(input: GridInput, onProgress?: (done: number, total: number) => void): Promise<GridOutcome[]> {
    const result = this.queue.then(() => this.runNow(input, onProgress));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Lets the workers finish and exit. */
  async close(): Promise<void> {
    await this.queue;
    await Promise.all(this.workers.map((w) => (this.failure ? w.terminate() : new Promise((resolve) => w.once('exit', resolve).postMessage(null)))));
  }

  private fail(err: Error) {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.workers) void w.terminate();
    this.onFailure?.(err);
  }

  private runNow(input: GridInput, onProgress?: (done: number, total: number) => void): Promise<GridOutcome[]> {
    const total = input.jobs.length;
    const outcomes: GridOutcome[] = new Array(total);
    if (this.failure) return Promise.reject(this.failure);
    if (total === 0) return Promise.resolve(outcomes);
    const grid = ++this.grids;
    const workers = this.workers.slice(0, Math.min(this.workers.length, total));
    const batchSize = Math.max(1, Math.ceil(total / (workers.length * 8)));
    const datasets = input.datasets.map(shareColumns);
    let next = 0;
    let done = 0;
    return new Promise<GridOutcome[]>((resolve, reject) => {
      const listeners = new Map<Worker, (results: GridOutcome[]) => void>();
      const finish = () => {
        for (const [worker, listener] of listeners) worker.off('message', listener);
        this.onFailure = undefined;
      };
      this.onFailure = (err) => {
        finish();
        reject(err);
      };
      const feed = (worker: Worker) => {
        if (next >= total) return;
        const batch: Batch = [];
        for (; next < total && batch.length < batchSize; next++) batch.push({ index: next, job: input.jobs[next] });
        worker.postMessage({ grid, batch } satisfies WorkerMessage);
      };
      for (const worker of workers) {
        const listener = (results: GridOutcome[]) => {
          for (const outcome of results) outcomes[outcome.job] = outcome;
          done += results.length;
          onProgress?.(done, total);
          if (done === total) {
            finish();
            resolve(outcomes);
          } else feed(worker);
        };
        listeners.set(worker, listener);
        worker.on('message', listener);
        worker.postMessage({ grid, datasets, options: input.options ?? {} } satisfies WorkerMessage);
        feed(worker);
      }
    });
  }
}

/** Runs one grid on worker threads started for it (a one-off grid: the command line). */
export async function runGrid(input: GridInput, run: GridRunOptions): Promise<GridOutcome[]> {
  const pool = new GridPool({ ...run, workers: Math.max(1, Math.min(run.workers ?? availableParallelism(), input.jobs.length)) });
  try {
    return await pool.run(input, run.onProgress);
  } finally {
    await pool.close();
  }
}

/**
 * A strategy spec whose parameters may be lists, expanded to one spec per combination
 * (cartesian product, in the order the parameters are written): {name, fast: [10, 20], slow: 200}
 * gives two specs.
 */
export function expandStrategyGrid(spec: Record<string, unknown>): Array<Record<string, unknown>> {
  return Object.entries(spec).reduce<Array<Record<string, unknown>>>(
    (specs, [key, value]) => specs.flatMap((partial) => (Array.isArray(value) ? value : [value]).map((v) => ({ ...partial, [key]: v }))),
    [{}],
  );
}
