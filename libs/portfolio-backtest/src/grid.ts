import { expandStrategyGrid, walkForward, walkForwardSchema, type WalkForwardResult } from '@tradeyard/backtest';
import { compileStrategy, gridValues, ParamsError, StrategyDefinitionError, type AnyStrategyDefinition, type CompiledStrategy } from '@tradeyard/strategy';
import type { z } from 'zod';
import { SeriesCache, type PortfolioData } from './data';
import { portfolioOptionsSchema, runPortfolio, strategyData, summarizePortfolio, type PortfolioSettings, type PortfolioSummary } from './engine';

/** Parameter values of a sweep: a list sweeps the parameter, a single value fixes it. */
export type ParamGrid = Readonly<Record<string, unknown>>;

/** A swept parameter the strategy never read: swept no further, reported. */
export interface UnreadParam {
  param: string;
  /** The values it was asked to take. */
  values: unknown[];
  /** The one value it was run with. */
  kept: unknown;
}

/**
 * A grid over declared parameters: `'*'` for a parameter stands for every value of its declared
 * range (p.int/p.float by their step, both booleans, every choice).
 */
export function expandDeclared(definition: AnyStrategyDefinition, grid: ParamGrid): ParamGrid {
  return Object.fromEntries(
    Object.entries(grid).map(([name, value]) => {
      if (value !== '*') return [name, value];
      const spec = definition.params[name];
      if (!spec) throw new ParamsError(name, `is not a parameter of this strategy (it declares ${Object.keys(definition.params).join(', ') || 'none'})`);
      return [name, gridValues(spec)];
    }),
  );
}

/** Swept parameters: those given as lists of more than one value. */
const sweptOf = (grid: ParamGrid) => Object.entries(grid).filter((e): e is [string, unknown[]] => Array.isArray(e[1]) && e[1].length > 1);

/**
 * Which swept parameters the strategy reads: runs it (a probe, over the whole data) with each
 * parameter at its first value, and once more for every other value of each swept bool or choice
 * parameter (a switch may gate what else is read), recording every read of ctx.params and of the
 * indicators' `q`. A parameter read only under conditions none of these runs meets counts as
 * unread: sweep it with the switch that gates it fixed, or give it as a single value.
 */
export function unreadParams(data: PortfolioData, definition: AnyStrategyDefinition, grid: ParamGrid, options: Partial<PortfolioSettings> = {}): UnreadParam[] {
  const swept = sweptOf(grid);
  if (swept.length === 0) return [];
  const first = Object.fromEntries(Object.entries(grid).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const probes = [first];
  for (const [name, values] of swept) if (['bool', 'choice'].includes(definition.params[name]?.kind)) for (const v of values.slice(1)) probes.push({ ...first, [name]: v });
  const reads = new Set<string>();
  for (const params of probes) {
    try {
      runPortfolio(data, compileStrategy(definition, params, { reads }), options);
    } catch (err) {
      // An invalid combination says nothing about reads; the grid reports it as a run's error.
      if (!(err instanceof ParamsError || err instanceof StrategyDefinitionError)) throw err;
    }
  }
  return swept.filter(([name]) => !reads.has(name)).map(([param, values]) => ({ param, values, kept: values[0] }));
}

export interface PortfolioGridRun {
  params: Record<string, unknown>;
  summary?: PortfolioSummary;
  /** Why this combination could not run (a parameter out of its range, an indicator it makes invalid). */
  error?: string;
}

// A type rather than an interface so that it fits a JSON record (the trading agent's job results).
export type PortfolioGridResult = {
  strategy: string;
  symbols: string[];
  steps: number;
  runs: PortfolioGridRun[];
  best: (PortfolioGridRun & { by: 'sharpe' }) | null;
  unread: UnreadParam[];
  /** Indicator series computed for the grid: each distinct indicator once per dataset, however many runs declare it. */
  seriesComputed: number;
};

export interface PortfolioGridInput {
  data: PortfolioData;
  definition: AnyStrategyDefinition;
  grid: ParamGrid;
  options?: Partial<PortfolioSettings>;
  onProgress?: (done: number, total: number) => void;
}

/** Compiles every combination, or the reason it cannot run. */
function compileAll(definition: AnyStrategyDefinition, combos: Array<Record<string, unknown>>) {
  return combos.map((params) => {
    try {
      return { params, strategy: compileStrategy(definition, params) };
    } catch (err) {
      if (err instanceof ParamsError || err instanceof StrategyDefinitionError) return { params, error: err.message };
      throw err;
    }
  });
}

/** The signature of a run's indicators: runs with equal ones go one after the other, so each series is computed once even when the cache is full. */
const indicatorSignature = (strategy?: CompiledStrategy) => (strategy ? strategy.indicators.map((i) => i.spec.key).join('|') : '');

/**
 * Every combination of a parameter grid over one dataset, on this thread. Swept parameters the
 * strategy never reads (unreadParams) are not swept: they keep their first value and the result
 * lists them. Runs with the same indicators run together and share the dataset's indicator
 * series (SeriesCache), so each distinct series is computed once.
 */
export function runPortfolioGrid(input: PortfolioGridInput): PortfolioGridResult {
  const options = portfolioOptionsSchema.parse(input.options ?? {});
  const grid = expandDeclared(input.definition, input.grid);
  const unread = unreadParams(input.data, input.definition, grid, options);
  const effective = { ...grid, ...Object.fromEntries(unread.map((u) => [u.param, u.kept])) };
  const jobs = compileAll(input.definition, expandStrategyGrid(effective));
  if (jobs.every((j) => j.error)) throw new RangeError(jobs[0].error);
  const cache = SeriesCache.of(strategyData(input.data, jobs.find((j) => j.strategy)!.strategy!));
  const computedBefore = cache.computed;
  const order = jobs.map((_, i) => i).sort((a, b) => indicatorSignature(jobs[a].strategy).localeCompare(indicatorSignature(jobs[b].strategy)));
  const runs: PortfolioGridRun[] = new Array(jobs.length);
  let done = 0;
  for (const i of order) {
    const job = jobs[i];
    runs[i] = job.strategy ? { params: job.params, summary: summarizePortfolio(runPortfolio(input.data, job.strategy, options)) } : { params: job.params, error: job.error };
    input.onProgress?.(++done, jobs.length);
  }
  const best = runs.filter((r) => r.summary).sort((a, b) => b.summary!.sharpe - a.summary!.sharpe)[0];
  const first = runs.find((r) => r.summary)!.summary!;
  return {
    strategy: input.definition.name,
    symbols: first.symbols,
    steps: first.steps,
    runs,
    best: best ? { by: 'sharpe', ...best } : null,
    unread,
    seriesComputed: cache.computed - computedBefore,
  };
}

export interface PortfolioWalkForwardInput extends Omit<PortfolioGridInput, 'onProgress'> {
  walk: z.input<typeof walkForwardSchema>;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Walk-forward over a parameter grid (libs/backtest walkForward) on the portfolio's union
 * calendar: train runs trade each train window from flat, the chosen parameters trade the next
 * test window from flat, the first order filling at its first open. Every run sees the bars before
 * its window as history (warm indicators), never the ones after.
 */
export function runPortfolioWalkForward(input: PortfolioWalkForwardInput): Omit<WalkForwardResult, 'symbol'> & { symbols: string[]; unread: UnreadParam[] } {
  const walk = walkForwardSchema.parse(input.walk);
  const options = portfolioOptionsSchema.parse(input.options ?? {});
  const grid = expandDeclared(input.definition, input.grid);
  const unread = unreadParams(input.data, input.definition, grid, options);
  const jobs = compileAll(input.definition, expandStrategyGrid({ ...grid, ...Object.fromEntries(unread.map((u) => [u.param, u.kept])) }));
  const valid = jobs.filter((j) => j.strategy);
  const data = valid.length ? strategyData(input.data, valid[0].strategy!) : input.data;
  const result = walkForward<CompiledStrategy>({
    time: data.calendar.times,
    candidates: valid.map((j) => ({ raw: j.params, value: j.strategy! })),
    invalid: jobs.filter((j) => j.error).map((j) => ({ strategy: j.params, error: j.error! })),
    settings: options,
    walk,
    onProgress: input.onProgress,
    train: (strategy, start, end) => runPortfolio(data, strategy, { ...options, start, end }),
    test(strategy, _start, trainEnd, end) {
      const run = runPortfolio(data, strategy, { ...options, start: trainEnd - 1, end });
      return { equity: run.equity, trades: run.trades, winRate: run.winRate, fees: run.fees };
    },
  });
  return { symbols: [...data.symbols], unread, ...result };
}
