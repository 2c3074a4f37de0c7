import { isoDate } from '@tradeyard/market-data';
import { equityMetrics, type EquityMetrics } from '@tradeyard/performance';
import { createStrategy, issueText, strategySpecSchema, type Strategy, type StrategySpecInput } from '@tradeyard/strategies';
import { z } from 'zod';
import { type BarColumns, sliceColumns } from './columns';
import { type BacktestSummary, runBacktest } from './engine';
import { runGridJob } from './grid';
import { backtestOptionsSchema, type BacktestSettings } from './options';

/** Metrics a walk-forward can choose parameters by; all higher-is-better but maxDrawdown. */
export const walkForwardMetrics = ['sharpe', 'sortino', 'totalReturn', 'cagr', 'maxDrawdown', 'winRate'] as const;
export type WalkForwardMetric = (typeof walkForwardMetrics)[number];

const bars = (what: string, least: number) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(least, `${what} must be at least ${least}`).max(1_000_000, `${what} must be at most 1000000`);

/** The windows of a walk-forward, validated wherever they come from outside (CLI, HTTP). */
export const walkForwardSchema = z
  .strictObject({
    trainBars: bars('trainBars', 2),
    testBars: bars('testBars', 1),
    /** Bars the windows move by; default testBars, so the test windows tile the data. */
    stepBars: bars('stepBars', 1).optional(),
    metric: z.enum(walkForwardMetrics, { error: `metric must be one of ${walkForwardMetrics.join(', ')}` }).default('sharpe'),
  })
  .refine((w) => w.stepBars === undefined || w.stepBars >= w.testBars, { message: 'stepBars must be at least testBars, so test windows do not overlap', path: ['stepBars'] });
export type WalkForwardSettings = z.infer<typeof walkForwardSchema>;

export interface WalkForwardInput {
  data: BarColumns;
  /** The parameter grid: expanded strategy specs (expandStrategyGrid); invalid ones are never chosen. */
  strategies: Array<Record<string, unknown>>;
  options?: Partial<BacktestSettings>;
  walk: z.input<typeof walkForwardSchema>;
  /** Runs done of the total (every train run and every test run). */
  onProgress?: (done: number, total: number) => void;
}

export interface BarRange {
  from: string;
  to: string;
  bars: number;
}

export interface WalkForwardWindow {
  train: BarRange;
  test: BarRange;
  /** The spec with the best train metric (the first of equals, in grid order). */
  chosen: Record<string, unknown>;
  /** Its train metric. */
  trainScore: number;
  /** The chosen spec traded on the test window alone: flat at its start, its indicators warmed on the train bars. */
  testResult: Pick<BacktestSummary, 'totalReturn' | 'sharpe' | 'maxDrawdown' | 'trades' | 'winRate' | 'fees' | 'finalEquity'>;
}

// A type rather than an interface so that it fits a JSON record (the trading agent's job results).
export type WalkForwardResult = {
  symbol: string;
  metric: WalkForwardMetric;
  trainBars: number;
  testBars: number;
  stepBars: number;
  /** Specs in the grid, and those that failed validation (never chosen). */
  candidates: number;
  invalid: Array<{ strategy: Record<string, unknown>; error: string }>;
  windows: WalkForwardWindow[];
  /** The test windows stitched in order: each starts from the equity the previous ended with. */
  outOfSample: EquityMetrics & BarRange & { initialCash: number; trades: number; fees: number };
  /** The stitched out-of-sample equity: initialCash at the close before the first test bar, then each test bar's close. */
  equity: number[];
};

/** Which way a metric is better: lower for maxDrawdown, higher for the others. */
export const metricDirection = (metric: WalkForwardMetric): 'higher' | 'lower' => (metric === 'maxDrawdown' ? 'lower' : 'higher');
const better = (metric: WalkForwardMetric, a: number, b: number) => (metricDirection(metric) === 'lower' ? a < b : a > b);

/**
 * A strategy that sees every bar (its indicators warm up) but stays flat until the close of bar
 * `from`: the decision there fills at the next open, the first bar of the test window.
 */
function flatUntil(strategy: Strategy, from: number): Strategy {
  let bar = 0;
  return {
    name: strategy.name,
    onBar(view) {
      const target = strategy.onBar(view);
      return bar++ >= from ? target : 0;
    },
  };
}

/** A candidate's run on the test window of a walk-forward: its equity from the close before the window, and its trades. */
export interface WalkForwardTestRun {
  /** Equity at the close of the last train bar (initialCash: flat there), then at each test bar's close. */
  equity: Float64Array;
  trades: number;
  winRate: number;
  fees: number;
}

/** What a walk-forward needs of an engine: the bars' times, and train and test runs of a candidate. */
export interface WalkForwardEngine<C> {
  /** Bar (or step) times of the data. */
  time: ArrayLike<number>;
  candidates: Array<{ raw: Record<string, unknown>; value: C }>;
  invalid: WalkForwardResult['invalid'];
  settings: Pick<BacktestSettings, 'initialCash' | 'barsPerYear'>;
  walk: WalkForwardSettings;
  /** The candidate's metrics trading bars [start, end) from flat. */
  train(candidate: C, start: number, end: number): Record<WalkForwardMetric, number>;
  /** The candidate trading the test window [trainEnd, end) from flat, its first order filled at trainEnd's open. */
  test(candidate: C, start: number, trainEnd: number, end: number): WalkForwardTestRun;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Walk-forward optimisation over rolling windows, for any engine: on each train window every
 * candidate runs and the best by `metric` is chosen; that candidate then trades the following test
 * window out of sample. The train window starts at bar s, the test window follows it, and s moves
 * by stepBars while a whole test window fits. A position open at a test window's end is valued at
 * its last close (as a backtest's last bar), and the next window starts from that equity; with
 * stepBars > testBars the bars between test windows are not traded.
 */
export function walkForward<C>(engine: WalkForwardEngine<C>): Omit<WalkForwardResult, 'symbol'> {
  const { time, candidates, walk, settings } = engine;
  const { trainBars, testBars, metric } = walk;
  const stepBars = walk.stepBars ?? testBars;
  if (trainBars + testBars > time.length) {
    throw new RangeError(`trainBars + testBars (${trainBars + testBars}) must be at most the bars of the data (${time.length})`);
  }
  if (candidates.length === 0) throw new RangeError('strategies: no valid strategy spec to choose from');
  const starts: number[] = [];
  for (let s = 0; s + trainBars + testBars <= time.length; s += stepBars) starts.push(s);
  const total = starts.length * (candidates.length + 1);
  let done = 0;
  const windows: WalkForwardWindow[] = [];
  const equity: number[] = [settings.initialCash];
  let carried = settings.initialCash;
  let trades = 0;
  let fees = 0;
  const range = (start: number, end: number): BarRange => ({ from: isoDate(time[start]), to: isoDate(time[end - 1]), bars: end - start });
  for (const s of starts) {
    const trainEnd = s + trainBars;
    const testEnd = trainEnd + testBars;
    let best: { raw: Record<string, unknown>; value: C; score: number } | undefined;
    for (const candidate of candidates) {
      const score = engine.train(candidate.value, s, trainEnd)[metric];
      if (!best || better(metric, score, best.score)) best = { ...candidate, score };
      engine.onProgress?.(++done, total);
    }
    const chosen = best!;
    const run = engine.test(chosen.value, s, trainEnd, testEnd);
    engine.onProgress?.(++done, total);
    const testMetrics = equityMetrics(run.equity, settings.initialCash, settings.barsPerYear);
    const scale = carried / settings.initialCash;
    for (let t = 1; t < run.equity.length; t++) equity.push(run.equity[t] * scale);
    carried = equity[equity.length - 1];
    trades += run.trades;
    fees += run.fees;
    windows.push({
      train: range(s, trainEnd),
      test: range(trainEnd, testEnd),
      chosen: chosen.raw,
      trainScore: chosen.score,
      testResult: {
        totalReturn: testMetrics.totalReturn,
        sharpe: testMetrics.sharpe,
        maxDrawdown: testMetrics.maxDrawdown,
        finalEquity: testMetrics.finalEquity,
        trades: run.trades,
        winRate: run.winRate,
        fees: run.fees,
      },
    });
  }
  const first = starts[0] + trainBars;
  const last = starts[starts.length - 1] + trainBars + testBars;
  return {
    metric,
    trainBars,
    testBars,
    stepBars,
    candidates: candidates.length,
    invalid: engine.invalid,
    windows,
    outOfSample: {
      ...equityMetrics(Float64Array.from(equity), settings.initialCash, settings.barsPerYear),
      from: isoDate(time[first]),
      to: isoDate(time[last - 1]),
      bars: equity.length - 1,
      initialCash: settings.initialCash,
      trades,
      fees,
    },
    equity,
  };
}

/**
 * Walk-forward of the built-in strategies over one symbol (walkForward): train runs use a grid on
 * shared series where they can (grid.ts runGridJob) and start flat on the train bars alone; a test
 * run starts flat with initialCash and its strategy sees the train bars first (warm indicators, no
 * trades), so its first fill can come at the test window's first open.
 */
export function runWalkForward(input: WalkForwardInput): WalkForwardResult {
  const walk = walkForwardSchema.parse(input.walk);
  const settings = backtestOptionsSchema.parse(input.options ?? {});
  const { data } = input;
  const candidates: Array<{ raw: Record<string, unknown>; value: StrategySpecInput }> = [];
  const invalid: WalkForwardResult['invalid'] = [];
  for (const raw of input.strategies) {
    const parsed = strategySpecSchema.safeParse(raw);
    if (parsed.success) candidates.push({ raw, value: parsed.data });
    else invalid.push({ strategy: raw, error: issueText(parsed.error) });
  }
  const result = walkForward({
    time: data.time,
    candidates,
    invalid,
    settings,
    walk,
    onProgress: input.onProgress,
    train: (spec, start, end) => runGridJob(sliceColumns(data, start, end), spec, settings),
    test(spec, start, trainEnd, end) {
      // Train and test bars in one run, flat until the close of the last train bar.
      const run = runBacktest(sliceColumns(data, start, end), flatUntil(createStrategy(strategySpecSchema.parse(spec)), trainEnd - start - 1), settings);
      return { equity: run.equity.subarray(trainEnd - start - 1), trades: run.trades, winRate: run.winRate, fees: run.fees };
    },
  });
  return { symbol: data.symbol, ...result };
}
