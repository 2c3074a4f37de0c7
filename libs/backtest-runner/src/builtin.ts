import {
  backtestRobustness,
  type BacktestSettings,
  type BarColumns,
  gridHeatmap,
  type GridOutcome,
  progressBar,
  type ProgressStream,
  renderHtmlReport,
  runBacktest,
  runGrid,
  runWalkForward,
  summarize,
  type WalkForwardSettings,
} from '@tradeyard/backtest';
import { heatmapText, robustnessText, type SensitivityHeatmap } from '@tradeyard/performance';
import { createStrategy, strategySpecSchema } from '@tradeyard/strategies';

/** What a backtest command produced: the JSON document, the line that says where it went, and a single run's HTML report. */
export interface RunOutput {
  json: unknown;
  /** The line printed when the JSON is written to `out`. */
  line(out: string): string;
  html?: string;
  /** Lines for stderr that do not stop the run (a parameter that changes nothing). */
  warnings: string[];
}

export interface RunIo {
  /** Where progress bars go (drawn only on a terminal). */
  stdout: ProgressStream;
  /** The script grid worker threads start: the bundle itself in production. */
  workerFile: string;
}

// A type rather than an interface so that it fits the job response schema's record.
export type GridOutput = {
  symbol: string;
  bars: number;
  runs: GridOutcome[];
  best: (GridOutcome & { by: 'sharpe' }) | null;
  /** Sharpe over the first two parameters the grid varies; null when it varies fewer. */
  heatmap: SensitivityHeatmap | null;
};

/** The best run of a grid by Sharpe, or null when no run could run. */
export function bestBySharpe(runs: GridOutcome[]): GridOutput['best'] {
  const best = runs.filter((r) => r.summary).sort((a, b) => b.summary!.sharpe - a.summary!.sharpe)[0];
  return best ? { by: 'sharpe', ...best } : null;
}

/** Grid output: every run's metrics (or why it could not run), the best run by Sharpe and the Sharpe heatmap of the first two parameters it varies. */
export const gridOutput = (columns: BarColumns, runs: GridOutcome[]): GridOutput => ({
  symbol: columns.symbol,
  bars: columns.length,
  runs,
  best: bestBySharpe(runs),
  heatmap: gridHeatmap(runs),
});

const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

/** A run's result in one line. */
export const summaryLine = (s: { strategy: string; symbol: string; bars: number; totalReturn: number; cagr: number; sharpe: number; maxDrawdown: number; trades: number }) =>
  `${s.strategy} on ${s.symbol} (${s.bars} bars): return ${percent(s.totalReturn)}, CAGR ${percent(s.cagr)}, ` +
  `Sharpe ${s.sharpe.toFixed(3)}, max drawdown ${percent(s.maxDrawdown)}, ${s.trades} trades\n`;

/** A walk-forward's out-of-sample result in one line. */
export const walkForwardLine = (r: { candidates: number; windows: unknown[]; outOfSample: { from: string; to: string; totalReturn: number; sharpe: number; maxDrawdown: number; trades: number } }, out: string) =>
  `walk-forward of ${r.candidates} candidates over ${r.windows.length} windows written to ${out}; out of sample ${r.outOfSample.from}..${r.outOfSample.to}: ` +
  `return ${percent(r.outOfSample.totalReturn)}, Sharpe ${r.outOfSample.sharpe.toFixed(3)}, max drawdown ${percent(r.outOfSample.maxDrawdown)}, ${r.outOfSample.trades} trades\n`;

/** Runs a built-in strategy's grid on worker threads, with a progress bar on a terminal. */
export async function runBuiltinGrid(columns: BarColumns, specs: Array<Record<string, unknown>>, options: BacktestSettings, workers: number | undefined, io: RunIo): Promise<GridOutcome[]> {
  const bar = progressBar(`grid ${specs.length} runs`, io.stdout);
  const runs = await runGrid({ datasets: [columns], jobs: specs.map((strategy) => ({ dataset: 0, strategy })), options }, { workerFile: io.workerFile, workers, onProgress: bar.update });
  bar.done(specs.length);
  return runs;
}

export interface BuiltinRequest {
  /** Expanded strategy specs (one: a single backtest; several: a grid); at least one is valid. */
  specs: Array<Record<string, unknown>>;
  columns: BarColumns;
  options: BacktestSettings;
  walk?: WalkForwardSettings;
  workers?: number;
}

/**
 * A built-in single-symbol strategy on one symbol's bars (libs/backtest): a walk-forward when
 * `walk` is given, a grid on worker threads for several specs, else one backtest with its report.
 */
export async function runBuiltin(request: BuiltinRequest, io: RunIo): Promise<RunOutput> {
  const { specs, columns, options, walk } = request;
  if (walk) {
    const bar = progressBar(`walk-forward ${specs.length} candidates`, io.stdout);
    const result = runWalkForward({ data: columns, strategies: specs, options, walk, onProgress: bar.update });
    bar.done(1);
    return { json: result, line: (out) => walkForwardLine(result, out), warnings: [] };
  }
  if (specs.length > 1) {
    const json = gridOutput(columns, await runBuiltinGrid(columns, specs, options, request.workers, io));
    const failed = json.runs.filter((r) => r.error).length;
    const heatmap = json.heatmap ? heatmapText(json.heatmap) + '\n' : '';
    return { json, line: (out) => `${json.runs.length} runs (${failed} invalid) written to ${out}; best by Sharpe: ${json.best ? summaryLine(json.best.summary!) : 'none\n'}${heatmap}`, warnings: [] };
  }
  const bar = progressBar('backtest', io.stdout);
  const result = runBacktest(columns, createStrategy(strategySpecSchema.parse(specs[0])), { ...options, onProgress: bar.update });
  bar.done(result.bars);
  const robustness = backtestRobustness(result);
  return {
    json: { ...summarize(result), tradeLog: result.tradeLog, robustness },
    line: () => summaryLine(result) + robustnessText(robustness),
    html: renderHtmlReport(result, robustness),
    warnings: [],
  };
}
