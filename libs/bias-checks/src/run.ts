import { isoDate } from '@tradeyard/market-data';
import { runPortfolio, strategyData, type PortfolioData, type PortfolioSettings } from '@tradeyard/portfolio-backtest';
import { compileStrategy, type AnyStrategyDefinition, type CompiledStrategy, type Decision } from '@tradeyard/strategy';

/** What a check runs: a strategy with one set of parameters over some data, with a run's costs (decisions may read the portfolio). */
export interface CheckInput {
  data: PortfolioData;
  definition: AnyStrategyDefinition;
  params?: Readonly<Record<string, unknown>>;
  options?: Partial<PortfolioSettings>;
}

/**
 * Something a check found: a decision or an indicator value, of one symbol at one date, that is
 * not the same in two runs that should agree. `reference` is the run with all the data (or the
 * long history), `other` the run it was compared with, `against` says which.
 */
export interface Finding {
  date: string;
  /** The symbol, or `*` for a decision about no one symbol (cancelling orders). */
  symbol: string;
  /** `decision`, or `indicator NAME` (its name in ctx.ind). */
  what: string;
  reference: string;
  other: string;
  against: string;
  /** For a decision: the indicators of its symbol whose values differed there (the likely cause). */
  differing?: string[];
}

/** What a report says it checked: the strategy, its parameters, the symbols and the dates. */
export interface CheckedRun {
  strategy: string;
  params: Record<string, unknown>;
  symbols: string[];
  from: string;
  to: string;
}

export function checkedRun(strategy: CompiledStrategy, data: PortfolioData): CheckedRun {
  const { times } = data.calendar;
  return { strategy: strategy.name, params: { ...strategy.params }, symbols: [...data.symbols], from: isoDate(times[0]), to: isoDate(times[times.length - 1]) };
}

/** The strategy compiled for one run (each run compiles afresh, as a new process would; a file's module state is what it is). */
export const compiled = (input: CheckInput): CompiledStrategy => compileStrategy(input.definition, input.params ?? {});

/** The data a strategy trades: its declared universe, or every symbol. */
export const checkedData = (input: CheckInput, strategy: CompiledStrategy): PortfolioData => strategyData(input.data, strategy);

/** A run's decisions by the time they were made. */
export function runDecisions(data: PortfolioData, strategy: CompiledStrategy, options: Partial<PortfolioSettings> | undefined): Map<number, readonly Decision[]> {
  const decisions = new Map<number, readonly Decision[]>();
  runPortfolio(data, strategy, { ...options, onDecision: (time, made) => decisions.set(time, made) });
  return decisions;
}

/** A number as a check prints it. */
export const valueText = (value: number): string => (Number.isNaN(value) ? 'NaN (not warm)' : String(value));

