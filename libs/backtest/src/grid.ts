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

export interface GridRunOptions {
  /**
   * The script each worker thread starts: it must call serveGridWorker() when isGridWorker()
   * is true. In the app bundle that is the bundle itself (__filename), so no extra file ships.
   */
  workerFile: string;
  /** Worker threads; default: the machine's available parallelism, never more than jobs. */
  workers?: number;
  /** Node options for the workers, e.g. ['--import', 'tsx'] to run TypeScript sources. */
  execArgv?: string[];
  onProgress?: (done: number, total: number) => void;
}

const WORKER_KIND = 'tradeyard-backtest-grid';
interface WorkerInit {
  kind: typeof WORKER_KIND;
  datasets: BarColumns[];
  options: Partial<BacktestSettings>;
}
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

/** True inside a worker thread started by runGrid. */
export const isGridWorker = () => !isMainThread && (workerData as Partial<WorkerInit> | null)?.kind === WORKER_KIND;

/** The worker side: runs each batch the main thread sends and posts the outcomes back. */
export function serveGridWorker(): void {
  const init = workerData as WorkerInit;
  const port = parentPort;
  if (!isGridWorker() || !port) throw new Error('serveGridWorker must run inside a worker thread started by runGrid');
  port.on('message', (batch: Batch | null) => {
    if (batch === null) return port.close();
    port.postMessage(batch.map(({ index, job }) => runJob(init.datasets, init.options, index, job)));
  });
}

/** Runs a grid on the current thread (small grids, and the reference the parallel run must match). */
export function runGridInline(input: GridInput): GridOutcome[] {
  return input.jobs.map((job, index) => runJob(input.datasets, input.options ?? {}, index, job));
}

/**
 * Runs a grid on worker threads. Datasets go to every worker once, on SharedArrayBuffers (no
 * copies); jobs go out in small batches to whichever worker is free, so uneven jobs balance.
 * Outcomes come back in job order.
 */
export function runGrid(input: GridInput, run: GridRunOptions): Promise<GridOutcome[]> {
  const total = input.jobs.length;
  const outcomes: GridOutcome[] = new Array(total);
  if (total === 0) return Promise.resolve(outcomes);
  const count = Math.max(1, Math.min(run.workers ?? availableParallelism(), total));
  const batchSize = Math.max(1, Math.ceil(total / (count * 8)));
  const init: WorkerInit = { kind: WORKER_KIND, datasets: input.datasets.map(shareColumns), options: input.options ?? {} };
  let next = 0;
  let done = 0;

  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    const fail = (err: Error) => {
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const feed = (worker: Worker) => {
      if (next >= total) return worker.postMessage(null);
      const batch: Batch = [];
      for (; next < total && batch.length < batchSize; next++) batch.push({ index: next, job: input.jobs[next] });
      worker.postMessage(batch);
    };
    for (let w = 0; w < count; w++) {
      const worker = new Worker(run.workerFile, { workerData: init, execArgv: run.execArgv });
      workers.push(worker);
      worker.on('message', (results: GridOutcome[]) => {
        for (const outcome of results) outcomes[outcome.job] = outcome;
        done += results.length;
        run.onProgress?.(done, total);
        if (done === total) {
          for (const other of workers) other.postMessage(null);
          resolve(outcomes);
        } else feed(worker);
      });
      worker.on('error', (err) => fail(new Error(`backtest worker failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0 && done < total) fail(new Error(`backtest worker exited with code ${code}`));
      });
      feed(worker);
    }
  });
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
