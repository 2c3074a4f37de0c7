import { sliceColumns } from '@tradeyard/backtest';
import { isoDate } from '@tradeyard/market-data';
import { runPortfolio, SeriesCache, type PortfolioData } from '@tradeyard/portfolio-backtest';
import { DecisionContext, decisionsOf, MarketHistory, type CompiledStrategy, type Decision, type DecisionRules, type PortfolioView } from '@tradeyard/strategy';
import { agree, bySymbol, decisionText, namedSymbols, sameDecision, ACCOUNT } from './decisions';
import { checkedData, checkedRun, compiled, valueText, type CheckedRun, type CheckInput, type Finding } from './run';

export interface WarmupOptions {
  /** Short histories: each starts this many evenly spaced steps into the data (default 5). */
  starts?: number;
  /** Numbers agree within this fraction of the larger one (at least 1): default 1e-9. */
  tolerance?: number;
}

export interface IndicatorWarmup {
  name: string;
  key: string;
  /** Bars until its first value: its warm-up as declared. */
  firstValue: number;
  /** Bars of history from which its values agree with the long history's, at every start (0: always). */
  agreesFrom: number;
}

export interface WarmupReport extends CheckedRun {
  check: 'warmup';
  tolerance: number;
  /** The bars a symbol needs before it is ready, as declared (or derived from the indicators). */
  declared: number;
  /** The bars after which every decision agrees with the long history's: the warm-up it really needs (`declared` when none differs). */
  needed: number;
  /** Where the short histories start. */
  starts: string[];
  /** Decisions compared, over every start. */
  compared: number;
  indicators: IndicatorWarmup[];
  findings: Finding[];
}

/** What the long run's strategy saw and answered at one decision. */
interface Recorded {
  universe: readonly string[];
  portfolio: PortfolioView;
  /** The state before the decision, as JSON. */
  state: string;
  decisions: readonly Decision[];
}

/** The strategy, recording each decision's inputs and answer by its time. */
function recording(strategy: CompiledStrategy, records: Map<number, Recorded>): CompiledStrategy {
  return {
    ...strategy,
    decide(ctx) {
      const state = JSON.stringify(ctx.state);
      const portfolio = ctx.portfolio;
      const result = strategy.decide(ctx);
      records.set(ctx.time, { universe: [...ctx.universe], portfolio, state, decisions: decisionsOf(result) });
      return result;
    },
  };
}

/** Each symbol's bars from the step `start` on (none for a symbol that ended before), and its indicators over them alone. */
function shortHistory(data: PortfolioData, strategy: CompiledStrategy, start: number) {
  const from = data.calendar.times[start];
  const offsets = data.columns.map((c) => {
    let i = 0;
    while (i < c.length && c.time[i] < from) i++;
    return i;
  });
  const columns = data.columns.map((c, k) => sliceColumns(c, offsets[k], c.length));
  const series = columns.map((c) => strategy.indicators.map(({ spec }) => spec.batch(c)));
  return { offsets, series, market: MarketHistory.revealing(data.symbols, columns, series) };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/** What one start found: findings, the decisions compared, the most bars a differing decision had, and the bars from which each indicator agrees. */
interface StartResult {
  findings: Finding[];
  compared: number;
  /** The most bars of history a decision that differed had (0: none differed). */
  differsUntil: number;
  indicatorsAgreeFrom: number[];
}

/** Indicator values of the short history against the long one: when each agrees, and where one is still not warm once the symbol is ready. */
function compareIndicators(data: PortfolioData, strategy: CompiledStrategy, short: ReturnType<typeof shortHistory>, tolerance: number, against: string, result: StartResult): void {
  strategy.indicators.forEach(({ name, spec }, j) => {
    const long = SeriesCache.of(data).get(spec);
    data.symbols.forEach((symbol, k) => {
      const values = short.series[k][j];
      let notWarm = false;
      for (let b = 0; b < values.length; b++) {
        const i = short.offsets[k] + b;
        if (agree(long[k][i], values[b], tolerance)) continue;
        result.indicatorsAgreeFrom[j] = Math.max(result.indicatorsAgreeFrom[j], b + 2);
        if (!notWarm && b + 1 >= strategy.warmup && Number.isNaN(values[b])) {
          notWarm = true;
          const date = isoDate(data.columns[k].time[i]);
          result.findings.push({ date, symbol, what: `indicator ${name}`, reference: valueText(long[k][i]), other: `${valueText(values[b])} after ${b + 1} bars, the warm-up being ${strategy.warmup}`, against });
        }
      }
    });
  });
}

/** The indicators of a symbol whose short and long values differ at its latest short bar. */
function differingIndicators(data: PortfolioData, strategy: CompiledStrategy, short: ReturnType<typeof shortHistory>, k: number, tolerance: number): string[] {
  const b = short.market.histories[k].count - 1;
  if (b < 0) return [];
  return strategy.indicators.filter(({ spec }, j) => !agree(SeriesCache.of(data).get(spec)[k][short.offsets[k] + b], short.series[k][j][b], tolerance)).map(({ name }) => name);
}

/**
 * One short history against the long run: walks the steps from `start`, and at each decision of
 * the long run whose ready set the short history shares, asks the strategy again with the same
 * portfolio and state but only the short history; what it answers differently is a finding.
 */
function compareStart(data: PortfolioData, strategy: CompiledStrategy, records: ReadonlyMap<number, Recorded>, start: number, tolerance: number, rules: DecisionRules): StartResult {
  const { times, start: stepStart, symbolAt } = data.calendar;
  const short = shortHistory(data, strategy, start);
  const against = `history from ${isoDate(times[start])}`;
  const result: StartResult = { findings: [], compared: 0, differsUntil: 0, indicatorsAgreeFrom: strategy.indicators.map(() => 0) };
  const reported = new Set<string>();
  for (let s = start; s < times.length; s++) {
    for (let at = stepStart[s]; at < stepStart[s + 1]; at++) short.market.histories[symbolAt[at]].reveal();
    short.market.clock.now = times[s];
    const record = records.get(times[s]);
    if (!record) continue;
    const ready = short.market.ready(strategy.warmup);
    if (!sameList(ready, record.universe)) continue;
    const context = new DecisionContext(strategy, short.market, () => record.portfolio, JSON.parse(record.state), rules);
    let answer: readonly Decision[];
    try {
      answer = decisionsOf(strategy.decide(context.at(ready)));
    } catch (err) {
      throw new Error(`with the history from ${isoDate(times[start])}, ${strategy.name} failed at ${isoDate(times[s])}: ${(err as Error).message}`, { cause: err });
    }
    result.compared += record.decisions.length;
    const long = bySymbol(record.decisions);
    const other = bySymbol(answer);
    for (const symbol of namedSymbols(long, other)) {
      if (sameDecision(long.get(symbol), other.get(symbol), tolerance)) continue;
      const k = symbol === ACCOUNT ? -1 : data.symbols.indexOf(symbol);
      const bars = k < 0 ? Math.max(...short.market.histories.map((h) => h.count)) : short.market.histories[k].count;
      result.differsUntil = Math.max(result.differsUntil, bars);
      if (reported.has(symbol)) continue;
      reported.add(symbol);
      const differing = k < 0 ? [] : differingIndicators(data, strategy, short, k, tolerance);
      result.findings.push({ date: isoDate(times[s]), symbol, what: 'decision', reference: decisionText(long.get(symbol)), other: `${decisionText(other.get(symbol))} after ${bars} bars`, against, ...(differing.length ? { differing } : {}) });
    }
  }
  compareIndicators(data, strategy, short, tolerance, against, result);
  return result;
}

/**
 * Warm-up check: runs the strategy over all the data (the long history), recording what each
 * decision saw; then, for short histories that start later (`starts` of them, evenly spaced),
 * asks the strategy again at each of those decisions with the same portfolio and state and only
 * the bars since the short start, once the short history has the same symbols ready. A decision
 * that differs means the declared warm-up is not enough: the report gives the bars after which
 * every decision agrees (the warm-up it really needs), and for each indicator the bars after
 * which its values agree with the long history's. An indicator that is still NaN once its
 * symbol is ready is a finding too (the declared warm-up is shorter than the indicator's).
 */
export function warmupCheck(input: CheckInput, options: WarmupOptions = {}): WarmupReport {
  const tolerance = options.tolerance ?? 1e-9;
  const starts = options.starts ?? 5;
  const strategy = compiled(input);
  const data = checkedData(input, strategy);
  const { times } = data.calendar;
  const records = new Map<number, Recorded>();
  runPortfolio(data, recording(strategy, records), input.options);
  const startSteps = [...new Set(Array.from({ length: starts }, (_, k) => Math.round(((k + 1) * times.length) / (starts + 1))))].filter((s) => s > 0 && s < times.length);
  // The replay allows what the run allowed (a short-selling run's negative weights).
  const rules = { allowShort: input.options?.allowShort };
  const results = startSteps.map((start) => compareStart(data, compiled(input), records, start, tolerance, rules));
  const differsUntil = Math.max(0, ...results.map((r) => r.differsUntil));
  return {
    check: 'warmup',
    ...checkedRun(strategy, data),
    tolerance,
    declared: strategy.warmup,
    needed: differsUntil > 0 ? Math.max(strategy.warmup, differsUntil + 1) : strategy.warmup,
    starts: startSteps.map((s) => isoDate(times[s])),
    compared: results.reduce((sum, r) => sum + r.compared, 0),
    indicators: strategy.indicators.map(({ name, spec }, j) => ({ name, key: spec.key, firstValue: spec.warmup, agreesFrom: Math.max(0, ...results.map((r) => r.indicatorsAgreeFrom[j])) })),
    findings: results.flatMap((r) => r.findings),
  };
}
