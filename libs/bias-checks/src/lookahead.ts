import { isoDate } from '@tradeyard/market-data';
import { SeriesCache, sliceByTime, type PortfolioData } from '@tradeyard/portfolio-backtest';
import type { CompiledStrategy, Decision } from '@tradeyard/strategy';
import { bySymbol, decisionText, namedSymbols, sameDecision, type SymbolDecision } from './decisions';
import { checkedData, checkedRun, compiled, runDecisions, valueText, type CheckedRun, type CheckInput, type Finding } from './run';

export interface LookaheadOptions {
  /** Cut dates spread evenly from the first decision to the bar before the last (default 20). */
  cuts?: number;
  /** The last bars, each a cut of its own: the data ends 1, 2, ... bars before its end (default 5). */
  lastBars?: number;
}

export interface LookaheadReport extends CheckedRun {
  check: 'lookahead';
  /** The dates the data was cut at (each a run that ends there). */
  cuts: string[];
  /** Decisions compared (a decision of the full run at or before a cut, once per cut). */
  compared: number;
  findings: Finding[];
}

/**
 * The steps to cut the data at: `cuts` spread evenly from the first step the strategy decided at
 * (and every symbol has begun, so a cut keeps every symbol) to the step before the last, and the
 * `lastBars` steps before the last one.
 */
export function cutSteps(data: PortfolioData, firstDecision: number, cuts: number, lastBars: number): number[] {
  const last = data.calendar.times.length - 1;
  const begun = Math.max(...data.columns.map((c) => data.calendar.times.indexOf(c.time[0])));
  const from = Math.max(firstDecision, begun);
  const steps = new Set<number>();
  if (from < last) {
    for (let k = 0; k < cuts; k++) steps.add(cuts === 1 ? from : Math.round(from + ((last - 1 - from) * k) / (cuts - 1)));
    for (let k = 1; k <= lastBars && last - k >= from; k++) steps.add(last - k);
  }
  return [...steps].sort((a, b) => a - b);
}

/** The run on all the data: its decisions by time, and by symbol. */
interface FullRun {
  decisions: ReadonlyMap<number, readonly Decision[]>;
  bySymbol: ReadonlyMap<number, ReadonlyMap<string, SymbolDecision>>;
}

const NOTHING: ReadonlyMap<string, SymbolDecision> = new Map();

/** The first step where each symbol's decision differs between the full run and a cut run, up to the cut. */
function decisionFindings(full: FullRun, cut: ReadonlyMap<number, readonly Decision[]>, times: Float64Array, step: number, against: string): { findings: Finding[]; compared: number } {
  const findings: Finding[] = [];
  const reported = new Set<string>();
  let compared = 0;
  for (let s = 0; s <= step; s++) {
    const time = times[s];
    const a = full.bySymbol.get(time) ?? NOTHING;
    const b = bySymbol(cut.get(time) ?? []);
    compared += full.decisions.get(time)?.length ?? 0;
    for (const symbol of namedSymbols(a, b)) {
      if (reported.has(symbol) || sameDecision(a.get(symbol), b.get(symbol), 0)) continue;
      reported.add(symbol);
      findings.push({ date: isoDate(time), symbol, what: 'decision', reference: decisionText(a.get(symbol)), other: decisionText(b.get(symbol)), against });
    }
  }
  return { findings, compared };
}

/** The first bar where each indicator of each symbol differs between its series over all the data and over the cut data. */
function indicatorFindings(strategy: CompiledStrategy, full: PortfolioData, cut: PortfolioData, against: string): Finding[] {
  const findings: Finding[] = [];
  for (const { name, spec } of strategy.indicators) {
    const whole = SeriesCache.of(full).get(spec);
    const part = SeriesCache.of(cut).get(spec);
    cut.symbols.forEach((symbol, k) => {
      const reference = whole[full.symbols.indexOf(symbol)];
      const values = part[k];
      const i = values.findIndex((v, j) => !Object.is(v, reference[j]));
      if (i >= 0) findings.push({ date: isoDate(cut.columns[k].time[i]), symbol, what: `indicator ${name}`, reference: valueText(reference[i]), other: valueText(values[i]), against });
    });
  }
  return findings;
}

/**
 * Look-ahead check: runs the strategy on all the data, then again on the data cut at many dates
 * (each run ends at its cut, as a live run on that day would see the market), and reports every
 * symbol whose decision at or before a cut changes when the bars after it are removed, and every
 * indicator whose value at or before a cut changes: the first date each time. A strategy that
 * only reads the past finds nothing, whatever the cut. Each run compiles the strategy afresh in
 * this process, so state a file keeps between runs (a module-level cache) shows up as what it is.
 */
export function lookaheadCheck(input: CheckInput, options: LookaheadOptions = {}): LookaheadReport {
  const strategy = compiled(input);
  const data = checkedData(input, strategy);
  const { times } = data.calendar;
  const decisions = runDecisions(data, strategy, input.options);
  const full: FullRun = { decisions, bySymbol: new Map([...decisions].map(([time, made]) => [time, bySymbol(made)])) };
  // Decisions are recorded in time order: the first key is the first decision.
  const firstDecision = decisions.size === 0 ? times.length - 1 : times.indexOf(decisions.keys().next().value!);
  const steps = cutSteps(data, firstDecision, options.cuts ?? 20, options.lastBars ?? 5);
  const findings: Finding[] = [];
  let compared = 0;
  for (const step of steps) {
    const against = `the data cut at ${isoDate(times[step])}`;
    const cutData = sliceByTime(data, -Infinity, times[step]);
    const rerun = compiled(input);
    const decided = decisionFindings(full, runDecisions(cutData, rerun, input.options), times, step, against);
    compared += decided.compared;
    findings.push(...decided.findings, ...indicatorFindings(rerun, data, cutData, against));
  }
  return {
    check: 'lookahead',
    ...checkedRun(strategy, data),
    cuts: steps.map((s) => isoDate(times[s])),
    compared,
    findings,
  };
}
