import { ARENA_EQUITY_POINTS, type ArenaBoard } from '@tradeyard/gateway-contract';
import { performanceReport, rankRuns, renderComparisonHtml, sampleIndices, STATISTICS, type PerformanceReport, type StatisticKey, type TradeInput } from '@tradeyard/performance';

export interface ArenaFill {
  /** Market time of the fill (ms since the epoch). */
  time: number;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  fees: number;
}

/** What the runner observed of one agent: its equity at each step's clock and its fills. */
export interface AgentResult {
  name: string;
  kind: 'rule' | 'llm' | 'strategy';
  accountId: string;
  equity: Array<{ time: number; equity: number }>;
  fills: ArenaFill[];
  tokens?: number;
  inferenceCost?: number;
}

/** The market the benchmark holds: closes of each symbol at the board's times. */
export interface BenchmarkPrices {
  time: number[];
  /** One close series per symbol, each aligned with `time`. */
  closes: number[][];
}

export interface BoardInput {
  runId: string;
  name: string;
  status: ArenaBoard['status'];
  mode: ArenaBoard['mode'];
  from: string;
  to: string;
  currentDate: string | null;
  stepsDone: number;
  stepsTotal: number | null;
  symbols: string[];
  startingCash: number;
  seed: number;
  agents: AgentResult[];
  benchmark?: BenchmarkPrices;
  rankedBy?: StatisticKey;
  error?: string;
  now: number;
}

export const BENCHMARK_NAME = 'buy-and-hold';

/**
 * Round trips from fills, per symbol: a trade opens when the position leaves 0 and closes when it
 * returns to 0, at the quantity-weighted entry and exit prices; one still open is marked `open`
 * at the last price. The performance report's trade statistics read these.
 */
export function roundTrips(fills: ArenaFill[], lastPrice: (symbol: string) => number | undefined, lastTime: number): TradeInput[] {
  type Open = { entryTime: number; long: boolean; position: number; entryQty: number; entryValue: number; exitQty: number; exitValue: number; fees: number };
  const open = new Map<string, Open>();
  const trades: TradeInput[] = [];
  const close = (symbol: string, t: Open, exitTime: number, markPrice?: number) => {
    open.delete(symbol);
    // An open trade's unfilled exit is marked at the last price.
    const exitValue = t.exitValue + (markPrice === undefined ? 0 : (t.entryQty - t.exitQty) * markPrice);
    if (t.entryQty <= 0) return;
    trades.push({
      entryTime: t.entryTime, exitTime, entryPrice: t.entryValue / t.entryQty, exitPrice: exitValue / t.entryQty, quantity: t.entryQty,
      side: t.long ? 'long' : 'short', fees: t.fees, ...(markPrice !== undefined && { open: true }),
    });
  };
  for (const fill of fills) {
    const t = open.get(fill.symbol) ?? { entryTime: fill.time, long: fill.side === 'buy', position: 0, entryQty: 0, entryValue: 0, exitQty: 0, exitValue: 0, fees: 0 };
    open.set(fill.symbol, t);
    t.position += fill.side === 'buy' ? fill.quantity : -fill.quantity;
    t.fees += fill.fees;
    if ((fill.side === 'buy') === t.long) {
      t.entryQty += fill.quantity;
      t.entryValue += fill.quantity * fill.price;
    } else {
      t.exitQty += fill.quantity;
      t.exitValue += fill.quantity * fill.price;
    }
    // Positions are kept to 1e-6 (the broker's micro-units): below that the round trip is over.
    if (Math.abs(t.position) < 1e-9) close(fill.symbol, t, fill.time);
  }
  for (const [symbol, t] of [...open]) {
    const price = lastPrice(symbol);
    if (price !== undefined) close(symbol, t, lastTime, price);
  }
  return trades;
}

/** Buy-and-hold of the symbols in equal weights, marked at each time's closes. */
export function equalWeightBenchmark(prices: BenchmarkPrices, startingCash: number): number[] {
  const shares = prices.closes.map((series) => startingCash / prices.closes.length / series[0]);
  return prices.time.map((_, t) => prices.closes.reduce((sum, series, k) => sum + shares[k] * series[t], 0));
}

const columns = STATISTICS.map(({ key, label, format, better }) => ({ key, label, format, better }));

/**
 * A report's equity curve as the board carries it for charts: at most ARENA_EQUITY_POINTS points
 * (each bucket's first, lowest and highest, so no peak or trough disappears), in cents.
 */
const equityCurve = (report: PerformanceReport) =>
  sampleIndices(report.series.equity, ARENA_EQUITY_POINTS).map((i) => ({ time: report.series.time[i], equity: Math.round(report.series.equity[i] * 100) / 100 }));

function agentReport(agent: AgentResult, input: BoardInput): PerformanceReport | undefined {
  if (agent.equity.length === 0) return undefined;
  const lastClose = new Map<string, number>();
  for (const fill of agent.fills) lastClose.set(fill.symbol, fill.price);
  if (input.benchmark) input.symbols.forEach((symbol, k) => lastClose.set(symbol, input.benchmark!.closes[k].at(-1)!));
  const lastTime = agent.equity.at(-1)!.time;
  return performanceReport({
    name: agent.name,
    time: agent.equity.map((p) => p.time),
    equity: agent.equity.map((p) => p.equity),
    initialCash: input.startingCash,
    trades: roundTrips(agent.fills, (symbol) => lastClose.get(symbol), lastTime),
    fees: agent.fills.reduce((sum, f) => sum + f.fees, 0),
    tradedNotional: agent.fills.reduce((sum, f) => sum + f.quantity * f.price, 0),
    ...(agent.kind === 'llm' && { usage: { tokens: agent.tokens ?? 0, inferenceCost: agent.inferenceCost ?? 0 } }),
  });
}

/** Each agent's PerformanceReport, buy-and-hold's and the ranking: what the board, the HTML report and the probe's gaps show. */
export function arenaReports(input: BoardInput) {
  const reports = input.agents.flatMap((agent) => {
    const report = agentReport(agent, input);
    return report ? [{ agent, report }] : [];
  });
  const benchmarkReport =
    input.benchmark && input.benchmark.time.length > 0
      ? performanceReport({
          name: BENCHMARK_NAME,
          time: input.benchmark.time,
          equity: equalWeightBenchmark(input.benchmark, input.startingCash),
          initialCash: input.startingCash,
        })
      : undefined;
  const ranking = reports.length > 0 ? rankRuns(reports.map((r) => r.report), benchmarkReport, { statistic: input.rankedBy ?? 'sharpe', seed: input.seed }) : undefined;
  return { reports, benchmarkReport, ranking };
}

/**
 * The run as one standalone HTML file (libs/performance renderComparisonHtml): the ranking with
 * its luck verdicts, every statistic per agent beside buy-and-hold, equity, drawdown and rolling
 * Sharpe charts, crisis windows, monthly heatmaps and drawdown episodes. Undefined before any turn.
 */
export function arenaReportHtml(input: BoardInput, sections?: string[]): string | undefined {
  const { reports, benchmarkReport, ranking } = arenaReports(input);
  if (reports.length === 0) return undefined;
  return renderComparisonHtml({ title: `Arena: ${input.name}`, reports: reports.map((r) => r.report), benchmark: benchmarkReport, ranking, sections });
}

/**
 * The leaderboard (gateway-contract's arenaBoardSchema) from each agent's equity and fills: a
 * PerformanceReport per agent and for buy-and-hold of the symbols, ranked by `rankedBy` (Sharpe
 * by default) with libs/performance's paired stationary bootstrap, each comparison saying whether
 * the difference is distinguishable from luck. Pure: the same input gives the same board.
 */
export function buildBoard(input: BoardInput): ArenaBoard {
  const rankedBy = input.rankedBy ?? 'sharpe';
  const { reports, benchmarkReport, ranking } = arenaReports(input);
  const rankOf = new Map(ranking?.runs.map((r) => [r.name, r.rank]));
  const statisticsOf = (report: PerformanceReport) => Object.fromEntries(columns.map(({ key }) => [key, finiteOrNull(report.statistics[key as StatisticKey])]));
  const rows: ArenaBoard['rows'] = [
    ...input.agents.map((agent) => {
      const report = reports.find((r) => r.agent === agent)?.report;
      return {
        rank: rankOf.get(agent.name) ?? null,
        agent: agent.name,
        kind: agent.kind,
        accountId: agent.accountId,
        statistics: report ? statisticsOf(report) : Object.fromEntries(columns.map(({ key }) => [key, null])),
        equity: report ? equityCurve(report) : [],
      };
    }),
    ...(benchmarkReport ? [{ rank: null, agent: BENCHMARK_NAME, kind: 'benchmark' as const, statistics: statisticsOf(benchmarkReport), equity: equityCurve(benchmarkReport) }] : []),
  ].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity));
  return {
    runId: input.runId,
    name: input.name,
    status: input.status,
    mode: input.mode,
    from: input.from,
    to: input.to,
    currentDate: input.currentDate,
    stepsDone: input.stepsDone,
    stepsTotal: input.stepsTotal,
    symbols: input.symbols,
    startingCash: input.startingCash,
    rankedBy,
    columns,
    rows,
    comparisons: (ranking?.comparisons ?? []).map((c) => ({
      first: c.first,
      second: c.second,
      method: `paired stationary bootstrap of the annualised Sharpe difference (${ranking!.iterations} resamples, mean block ${ranking!.blockLength} bars)`,
      difference: c.sharpeDifference,
      interval: c.interval,
      distinguishable: c.distinguishable,
      verdict: c.verdict,
    })),
    ...(input.error && { error: input.error.slice(0, 2000) }),
    updatedAt: input.now,
  };
}

const finiteOrNull = (value: number | null) => (value !== null && Number.isFinite(value) ? value : null);

/** A board without what differs between a run and its replay (run ids, account ids, time of update). */
export function comparableBoard(board: ArenaBoard) {
  const { runId: _runId, updatedAt: _updatedAt, probe, ...rest } = board;
  return {
    ...rest,
    rows: rest.rows.map(({ accountId: _accountId, ...row }) => row),
    ...(probe && { probe: { ...probe, legs: probe.legs.map(({ runId: _legRunId, ...leg }) => leg) } }),
  };
}
