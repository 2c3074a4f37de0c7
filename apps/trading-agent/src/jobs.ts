import {
  type backtestOptionsSchema,
  backtestRobustness,
  type BacktestSummary,
  type GridOutcome,
  renderHtmlReport,
  runBacktest,
  runGridInline,
  runWalkForward,
  summarize,
  type WalkForwardResult,
  type WalkForwardSettings,
} from '@tradeyard/backtest';
import { type DataSource, gridOutput, loadDataSource } from '@tradeyard/backtest-runner';
import { type JobKind, type JobKinds, type JobState, MAX_CHUNKS } from '@tradeyard/jobs';
import type { RobustnessReport } from '@tradeyard/performance';
import { createStrategy, type StrategySpec } from '@tradeyard/strategies';
import type { z } from 'zod';

type Options = z.infer<typeof backtestOptionsSchema>;

export interface BacktestInput {
  strategy: StrategySpec;
  data: DataSource;
  options: Options;
}
/** A grid's already expanded strategy specs; `chunkRuns` of them make one chunk (the last may hold fewer). */
export interface GridInput {
  strategies: Array<Record<string, unknown>>;
  data: DataSource;
  options: Options;
  chunkRuns: number;
}
export interface WalkForwardInput {
  strategies: Array<Record<string, unknown>>;
  data: DataSource;
  options: Options;
  walk: WalkForwardSettings;
}

export type BacktestOutput = BacktestSummary & { tradeLog: ReturnType<typeof runBacktest>['tradeLog']; robustness: RobustnessReport; reportHtml: string };

/** Runs per grid chunk: at least `wanted`, and enough that a grid splits into at most MAX_CHUNKS chunks. */
export const gridChunkRuns = (runs: number, wanted: number) => Math.max(wanted, Math.ceil(runs / MAX_CHUNKS));

/** One backtest: one chunk, progress in bars. */
const backtestKind: JobKind<BacktestInput, BacktestOutput> = {
  plan: () => [0],
  run(input, _chunk, progress) {
    const result = runBacktest(loadDataSource(input.data), createStrategy(input.strategy), { ...input.options, onProgress: progress });
    const robustness = backtestRobustness(result);
    return { ...summarize(result), tradeLog: result.tradeLog, robustness, reportHtml: renderHtmlReport(result, robustness) };
  },
  merge: (_input, [output]) => output,
};

/** A grid: chunks of `chunkRuns` runs that any workers take; the runs keep their index in the whole grid. */
const gridKind: JobKind<GridInput, GridOutcome[]> = {
  plan: ({ strategies, chunkRuns }) => Array.from({ length: Math.ceil(strategies.length / chunkRuns) }, (_, k) => Math.min(chunkRuns, strategies.length - k * chunkRuns)),
  run(input, chunk, progress) {
    const columns = loadDataSource(input.data);
    const first = chunk * input.chunkRuns;
    const strategies = input.strategies.slice(first, first + input.chunkRuns);
    // One run at a time, so progress counts runs and a cancellation stops the chunk between two.
    return strategies.map((strategy, index) => {
      const [outcome] = runGridInline({ datasets: [columns], jobs: [{ dataset: 0, strategy }], options: input.options });
      progress(index + 1, strategies.length);
      return { ...outcome, job: first + index };
    });
  },
  merge: (input, outputs) => gridOutput(loadDataSource(input.data), outputs.flat()),
};

/** A walk-forward: one chunk (each window's choice needs the whole grid over its training bars). */
const walkForwardKind: JobKind<WalkForwardInput, WalkForwardResult> = {
  plan: () => [0],
  run: (input, _chunk, progress) => runWalkForward({ data: loadDataSource(input.data), strategies: input.strategies, options: input.options, walk: input.walk, onProgress: progress }),
  merge: (_input, [output]) => output,
};

/** The trading agent's job kinds, the same in the HTTP process and in every worker (thread). */
export const agentJobKinds: JobKinds = { backtest: backtestKind, grid: gridKind, 'walk-forward': walkForwardKind };

/** A job as clients read it: a backtest's report is a link, not HTML inside JSON. */
export function presentJob(job: JobState): JobState {
  if (job.kind !== 'backtest' || !job.result || !('reportHtml' in job.result)) return job;
  const { reportHtml: _html, ...summary } = job.result;
  return { ...job, result: { ...summary, report: `/api/v1/backtests/${job.id}/report` } };
}
