import {
  type backtestOptionsSchema,
  backtestRobustness,
  type BacktestSummary,
  renderHtmlReport,
  runBacktest,
  runGridInline,
  runWalkForward,
  summarize,
  type WalkForwardResult,
  type WalkForwardSettings,
} from '@tradeyard/backtest';
import type { RobustnessReport } from '@tradeyard/performance';
import { isPoolWorker, JobQueue, serveWorkerTasks, WorkerPool } from '@tradeyard/runtime-util';
import { createStrategy, type StrategySpec } from '@tradeyard/strategies';
import type { z } from 'zod';
import { type DataSource, gridOutput, type GridOutput, loadDataSource } from '@tradeyard/backtest-runner';

type Options = z.infer<typeof backtestOptionsSchema>;

/** What the HTTP thread hands a job worker: one backtest, or a grid's already expanded strategy specs. */
export type AgentTask =
  | { kind: 'backtest'; strategy: StrategySpec; data: DataSource; options: Options }
  | { kind: 'grid'; strategies: Array<Record<string, unknown>>; data: DataSource; options: Options }
  | { kind: 'walk-forward'; strategies: Array<Record<string, unknown>>; data: DataSource; options: Options; walk: WalkForwardSettings };

export type BacktestOutput = BacktestSummary & { tradeLog: ReturnType<typeof runBacktest>['tradeLog']; robustness: RobustnessReport; reportHtml: string };
export type AgentTaskOutput = BacktestOutput | GridOutput | WalkForwardResult;

const WORKER_KIND = 'tradeyard-agent-jobs';

/** True inside a job worker thread of the trading agent. */
export const isAgentJobWorker = () => isPoolWorker(WORKER_KIND);

function runTask(task: AgentTask, progress: (done: number, total: number) => void): AgentTaskOutput {
  const columns = loadDataSource(task.data);
  if (task.kind === 'backtest') {
    const result = runBacktest(columns, createStrategy(task.strategy), { ...task.options, onProgress: progress });
    const robustness = backtestRobustness(result);
    return { ...summarize(result), tradeLog: result.tradeLog, robustness, reportHtml: renderHtmlReport(result, robustness) };
  }
  if (task.kind === 'walk-forward') {
    return runWalkForward({ data: columns, strategies: task.strategies, options: task.options, walk: task.walk, onProgress: progress });
  }
  // One run at a time on this worker, so progress counts runs and the pool's one deadline bounds the grid.
  const runs = task.strategies.map((strategy, index) => {
    const [outcome] = runGridInline({ datasets: [columns], jobs: [{ dataset: 0, strategy }], options: task.options });
    progress(index + 1, task.strategies.length);
    return { ...outcome, job: index };
  });
  return gridOutput(columns, runs);
}

/** The worker side: the bundle re-enters as a job worker (see main.ts). */
export function serveAgentJobWorker(): void {
  serveWorkerTasks<AgentTask, AgentTaskOutput>(WORKER_KIND, runTask);
}

export interface AgentJobOptions {
  /** The script job workers start: the bundle itself (main.js), or a test fixture. */
  workerFile: string;
  /** Worker threads (default 1: the live agent and the HTTP thread keep the other core). */
  workers?: number;
  /** Wall time of one job (default 120 s): past it the worker is ended and the job fails saying so. */
  timeoutMs?: number;
  /** Jobs queued or running at once before POST answers 429 (default 8). */
  maxActive?: number;
}

export type AgentJobs = JobQueue<AgentTask['kind'], AgentTask, AgentTaskOutput>;

export function createAgentJobs(options: AgentJobOptions): AgentJobs {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxActive = options.maxActive ?? 8;
  const pool = new WorkerPool<AgentTask, AgentTaskOutput>({
    kind: WORKER_KIND,
    names: { pool: 'backtest pool', task: 'job', waiting: 'jobs' },
    workerFile: options.workerFile,
    workers: options.workers ?? 1,
    timeoutMs,
    // The S&P 500 history and a year of trade log fit well inside this; a runaway grid does not.
    maxHeapMb: 512,
    maxQueue: maxActive,
    // A queued job waits at most for every job ahead of it to use its whole deadline, plus the
    // load of a fresh worker (one replaced after a deadline, or the first after a start).
    maxWaitMs: maxActive * timeoutMs + 30_000,
  });
  return new JobQueue(pool, { maxActive, keepFinished: 50 });
}
