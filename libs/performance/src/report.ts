import { isoDate } from '@tradeyard/market-data';
import { drawdownEpisodes, drawdownSeries } from './drawdowns';
import { equityMetrics } from './equity';
import { parseRun, type Run, type RunInput } from './input';
import type { Statistics } from './statistics';
import { deflatedSharpe, mean, moments, probabilisticSharpe, quantileSorted, sampleStd } from './stats';

const DAY_MS = 86_400_000;

/** The market crises a report looks for; only those the data spans are reported. */
export const CRISIS_WINDOWS = [
  { name: 'Dot-com crash', from: '2000-03-10', to: '2002-10-09' },
  { name: '9/11', from: '2001-09-10', to: '2001-09-21' },
  { name: 'Global financial crisis', from: '2007-10-09', to: '2009-03-09' },
  { name: 'Flash crash', from: '2010-05-06', to: '2010-05-06' },
  { name: 'COVID-19 crash', from: '2020-02-19', to: '2020-03-23' },
] as const;

export interface MonthlyReturns {
  /** One row per calendar year the data touches; months[0] is January; null where the data has no bar. */
  rows: Array<{ year: number; months: Array<number | null>; total: number }>;
}

export interface DrawdownEpisodeReport {
  peak: string;
  trough: string;
  recovery: string;
  depth: number;
  /** Bars from the peak to the recovery (or to the last bar). */
  length: number;
}

export interface CrisisWindowReport {
  name: string;
  from: string;
  to: string;
  return: number;
  maxDrawdown: number;
  benchmarkReturn: number | null;
}

export interface PerformanceReport {
  name: string;
  benchmarkName: string | null;
  from: string;
  to: string;
  bars: number;
  barsPerYear: number;
  statistics: Statistics;
  monthlyReturns: MonthlyReturns;
  /** The largest drawdown episodes, deepest first. */
  drawdownEpisodes: DrawdownEpisodeReport[];
  rollingSharpe: { window: number; time: number[]; value: number[] };
  crisisWindows: CrisisWindowReport[];
  /** The curves the charts draw, and the bar returns the ranking resamples. */
  series: { time: Float64Array; equity: Float64Array; drawdown: Float64Array; returns: Float64Array };
}

export interface ReportOptions {
  /** Bars in each rolling Sharpe window; default 126 (half a year of days). */
  rollingWindow?: number;
  /** How many drawdown episodes to list; default 5. */
  drawdownEpisodes?: number;
}

/** Bar returns r_t = E_t / E_{t−1} − 1 for t ≥ 1 (0 after a bar at 0). */
export const returnsOf = (equity: ArrayLike<number>): Float64Array => {
  const out = new Float64Array(Math.max(0, equity.length - 1));
  for (let t = 1; t < equity.length; t++) out[t - 1] = equity[t - 1] === 0 ? 0 : equity[t] / equity[t - 1] - 1;
  return out;
};
const ratio = (a: number, b: number) => (b !== 0 ? a / b : null);

/** Each month's and year's return: last equity in the period over the last equity before it (the initial cash for the first). */
export function monthlyReturns(time: ArrayLike<number>, equity: ArrayLike<number>, initialCash: number): MonthlyReturns {
  const rows: MonthlyReturns['rows'] = [];
  let previousMonthEnd = initialCash;
  let previousYearEnd = initialCash;
  for (let t = 0; t < time.length; t++) {
    const date = new Date(time[t]);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    const lastOfMonth = t === time.length - 1 || new Date(time[t + 1]).getUTCMonth() !== month || new Date(time[t + 1]).getUTCFullYear() !== year;
    if (!lastOfMonth) continue;
    if (rows.length === 0 || rows[rows.length - 1].year !== year) rows.push({ year, months: Array(12).fill(null), total: 0 });
    const row = rows[rows.length - 1];
    row.months[month] = previousMonthEnd > 0 ? equity[t] / previousMonthEnd - 1 : 0;
    row.total = previousYearEnd > 0 ? equity[t] / previousYearEnd - 1 : 0;
    previousMonthEnd = equity[t];
    const lastOfYear = t === time.length - 1 || new Date(time[t + 1]).getUTCFullYear() !== year;
    if (lastOfYear) previousYearEnd = equity[t];
  }
  return { rows };
}

/** Annualised Sharpe over each trailing window of `window` bar returns, dated at the window's last bar. */
export function rollingSharpe(time: ArrayLike<number>, returns: ArrayLike<number>, window: number, barsPerYear: number) {
  const out = { window, time: [] as number[], value: [] as number[] };
  const annualise = Math.sqrt(barsPerYear);
  // Two passes per window (mean, then squared deviations) rather than running sums: exact like the
  // whole-run Sharpe, and O(bars × window) is a few milliseconds for decades of days.
  for (let end = window; end <= returns.length; end++) {
    let sum = 0;
    for (let k = end - window; k < end; k++) sum += returns[k];
    const m = sum / window;
    let squares = 0;
    for (let k = end - window; k < end; k++) squares += (returns[k] - m) ** 2;
    const std = Math.sqrt(squares / (window - 1));
    out.time.push(time[end]); // returns[k] ends at bar k + 1
    out.value.push(std > 0 ? (m / std) * annualise : 0);
  }
  return out;
}

/** Index of the last time on or before `limit` (ms), or -1. */
const lastAtOrBefore = (time: ArrayLike<number>, limit: number) => {
  let lo = 0;
  let hi = time.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (time[mid] <= limit) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
};

/**
 * The return over each crisis window the data spans (a bar before the window's first day and one
 * on or after its last): equity at the last bar on or before the last day over equity at the last
 * bar before the first day, and the deepest drawdown from that starting equity inside the window.
 */
export function crisisWindows(time: ArrayLike<number>, equity: ArrayLike<number>, benchmark?: { time: ArrayLike<number>; equity: ArrayLike<number> }): CrisisWindowReport[] {
  const out: CrisisWindowReport[] = [];
  const windowReturn = (t: ArrayLike<number>, e: ArrayLike<number>, from: number, to: number) => {
    const start = lastAtOrBefore(t, from - 1);
    const end = lastAtOrBefore(t, to + DAY_MS - 1);
    if (start < 0 || t[t.length - 1] < to || end <= start) return null;
    const inside = Array.prototype.slice.call(e, start, end + 1) as number[];
    const drawdown = drawdownSeries(inside, inside[0]);
    return { ret: e[start] > 0 ? e[end] / e[start] - 1 : 0, maxDrawdown: Math.max(...drawdown) };
  };
  for (const crisis of CRISIS_WINDOWS) {
    const from = Date.parse(`${crisis.from}T00:00:00Z`);
    const to = Date.parse(`${crisis.to}T00:00:00Z`);
    const run = windowReturn(time, equity, from, to);
    if (!run) continue;
    const bench = benchmark ? windowReturn(benchmark.time, benchmark.equity, from, to) : null;
    out.push({ name: crisis.name, from: crisis.from, to: crisis.to, return: run.ret, maxDrawdown: run.maxDrawdown, benchmarkReturn: bench ? bench.ret : null });
  }
  return out;
}

/** Trade statistics (README.md, "Statistics"): P&L per trade, streaks, holding, MAE/MFE, exposure, turnover. */
function tradeStatistics(run: Run, initialCash: number, finalEquity: number, meanEquity: number, years: number) {
  const trades = run.trades;
  const pnls = trades.map((t) => t.pnl ?? (t.side === 'long' ? 1 : -1) * (t.exitPrice - t.entryPrice) * t.quantity - (t.fees ?? 0));
  const wins = pnls.filter((p) => p > 0);
  const losses = pnls.filter((p) => p < 0);
  const grossWin = wins.reduce((a, b) => a + b, 0);
  const grossLoss = losses.reduce((a, b) => a + b, 0);
  let winStreak = 0;
  let lossStreak = 0;
  let longestWin = 0;
  let longestLoss = 0;
  for (const p of pnls) {
    winStreak = p > 0 ? winStreak + 1 : 0;
    lossStreak = p < 0 ? lossStreak + 1 : 0;
    longestWin = Math.max(longestWin, winStreak);
    longestLoss = Math.max(longestLoss, lossStreak);
  }
  const averageWin = wins.length > 0 ? grossWin / wins.length : null;
  const averageLoss = losses.length > 0 ? grossLoss / losses.length : null;

  // Exposure: bars whose close falls while a trade is held, [entry, exit) or [entry, end] if still open.
  const { time } = run;
  const held = new Uint8Array(time.length);
  for (const t of trades) {
    const first = lastAtOrBefore(time, t.entryTime - 1) + 1;
    const last = t.open ? time.length - 1 : lastAtOrBefore(time, t.exitTime - 1);
    for (let i = first; i <= last; i++) held[i] = 1;
  }
  const heldBars = held.reduce((a, b) => a + b, 0);

  let mae: number | null = null;
  let mfe: number | null = null;
  if (run.bars && trades.length > 0) {
    const { time: barTime, high, low } = run.bars;
    let maeSum = 0;
    let mfeSum = 0;
    for (const t of trades) {
      // Fills happen at a bar's open (the project's convention): the exit bar's range after its
      // open is not part of the trade, so a closed trade spans [entry bar, exit bar) and its exit price.
      const first = lastAtOrBefore(barTime, t.entryTime - 1) + 1;
      const last = t.open ? barTime.length - 1 : lastAtOrBefore(barTime, t.exitTime - 1);
      let lowest = Math.min(t.entryPrice, t.exitPrice);
      let highest = Math.max(t.entryPrice, t.exitPrice);
      for (let i = first; i <= last; i++) {
        lowest = Math.min(lowest, low[i]);
        highest = Math.max(highest, high[i]);
      }
      const down = 1 - lowest / t.entryPrice;
      const up = highest / t.entryPrice - 1;
      maeSum += t.side === 'long' ? down : up;
      mfeSum += t.side === 'long' ? up : down;
    }
    mae = maeSum / trades.length;
    mfe = mfeSum / trades.length;
  }

  const fees = run.fees ?? trades.reduce((a, t) => a + (t.fees ?? 0), 0);
  const tradedNotional = run.tradedNotional ?? trades.reduce((a, t) => a + t.quantity * (t.entryPrice + (t.open ? 0 : t.exitPrice)), 0);
  const profitBeforeFees = finalEquity - initialCash + fees;
  return {
    trades: trades.length,
    winRate: trades.length > 0 ? wins.length / trades.length : null,
    profitFactor: losses.length > 0 ? grossWin / -grossLoss : null,
    expectancy: trades.length > 0 ? mean(pnls) : null,
    expectancyPercent: trades.length > 0 ? mean(trades.map((t, i) => pnls[i] / (t.entryPrice * t.quantity))) : null,
    averageWin,
    averageLoss,
    payoffRatio: averageWin !== null && averageLoss !== null ? averageWin / -averageLoss : null,
    largestWin: wins.length > 0 ? Math.max(...wins) : null,
    largestLoss: losses.length > 0 ? Math.min(...losses) : null,
    longestWinningStreak: longestWin,
    longestLosingStreak: longestLoss,
    averageHoldingDays: trades.length > 0 ? mean(trades.map((t) => (t.exitTime - t.entryTime) / DAY_MS)) : null,
    exposure: heldBars / time.length,
    turnover: years > 0 && meanEquity > 0 ? tradedNotional / meanEquity / years : null,
    fees,
    feesShareOfGrossProfit: profitBeforeFees > 0 ? fees / profitBeforeFees : null,
    averageMae: mae,
    averageMfe: mfe,
  };
}

/** Alpha, beta, correlation and information ratio against the benchmark, over the bar returns both curves share. */
function benchmarkStatistics(run: Run, barsPerYear: number) {
  const none = { alpha: null, beta: null, correlation: null, informationRatio: null };
  if (!run.benchmark) return none;
  const marks = new Map<number, number>();
  for (let i = 0; i < run.benchmark.time.length; i++) marks.set(run.benchmark.time[i], run.benchmark.equity[i]);
  const r: number[] = [];
  const b: number[] = [];
  for (let t = 1; t < run.time.length; t++) {
    const b0 = marks.get(run.time[t - 1]);
    const b1 = marks.get(run.time[t]);
    if (b0 === undefined || b1 === undefined || b0 === 0 || run.equity[t - 1] === 0) continue;
    r.push(run.equity[t] / run.equity[t - 1] - 1);
    b.push(b1 / b0 - 1);
  }
  if (r.length < 2) return none;
  const mr = mean(r);
  const mb = mean(b);
  let cov = 0;
  let varB = 0;
  let varR = 0;
  for (let i = 0; i < r.length; i++) {
    cov += (r[i] - mr) * (b[i] - mb);
    varB += (b[i] - mb) ** 2;
    varR += (r[i] - mr) ** 2;
  }
  const beta = ratio(cov, varB);
  const active = r.map((x, i) => x - b[i]);
  const activeStd = sampleStd(active);
  return {
    alpha: beta === null ? null : (mr - beta * mb) * barsPerYear,
    beta,
    correlation: varB > 0 && varR > 0 ? cov / Math.sqrt(varB * varR) : null,
    informationRatio: activeStd > 0 ? (mean(active) / activeStd) * Math.sqrt(barsPerYear) : null,
  };
}

/**
 * The full report of one run: every statistic of README.md, the monthly returns table, the
 * largest drawdown episodes, the rolling Sharpe and the crisis windows. Throws a RangeError
 * naming the field when the input is invalid.
 */
export function performanceReport(input: RunInput, options: ReportOptions = {}): PerformanceReport {
  const run = parseRun(input);
  const window = options.rollingWindow ?? 126;
  const episodesWanted = options.drawdownEpisodes ?? 5;
  if (!(Number.isInteger(window) && window >= 2)) throw new RangeError(`rollingWindow must be a whole number of 2 or more, got ${window}`);
  if (!(Number.isInteger(episodesWanted) && episodesWanted >= 0)) throw new RangeError(`drawdownEpisodes must be a whole number of 0 or more, got ${episodesWanted}`);
  const time = Float64Array.from(run.time);
  const equity = Float64Array.from(run.equity);
  const n = equity.length;
  const initialCash = run.initialCash ?? equity[0];
  const { barsPerYear } = run;
  const core = equityMetrics(equity, initialCash, barsPerYear);
  const returns = returnsOf(equity);
  const drawdown = drawdownSeries(equity, initialCash);
  const episodes = drawdownEpisodes(equity, initialCash);
  const monthly = monthlyReturns(time, equity, initialCash);
  const months = monthly.rows.flatMap((row) => row.months.filter((m): m is number => m !== null));
  const sorted = Float64Array.from(returns).sort();
  const var95 = returns.length > 0 ? quantileSorted(sorted, 0.05) : null;
  const tail = sorted.filter((r) => var95 !== null && r <= var95);
  const p95 = quantileSorted(sorted, 0.95);
  const { skewness, kurtosis } = moments(returns);
  const years = (n - 1) / barsPerYear;
  const pnl = core.finalEquity - initialCash;

  const statistics: Statistics = {
    startEquity: initialCash,
    finalEquity: core.finalEquity,
    pnl,
    totalReturn: core.totalReturn,
    cagr: core.cagr,
    volatility: core.volatility,
    sharpe: core.sharpe,
    sortino: core.sortino,
    calmar: ratio(core.cagr, core.maxDrawdown),
    probabilisticSharpe: probabilisticSharpe(returns),
    deflatedSharpe: run.trials ? deflatedSharpe(returns, run.trials.count, run.trials.sharpeVariance) : null,
    maxDrawdown: core.maxDrawdown,
    maxDrawdownDuration: episodes.reduce((longest, e) => Math.max(longest, e.length), 0),
    averageDrawdown: episodes.length > 0 ? mean(episodes.map((e) => e.depth)) : 0,
    ulcerIndex: n > 0 ? Math.sqrt(mean(drawdown.map((d) => d * d))) : 0,
    skewness,
    kurtosis,
    bestDay: returns.length > 0 ? sorted[sorted.length - 1] : null,
    worstDay: returns.length > 0 ? sorted[0] : null,
    bestMonth: months.length > 0 ? Math.max(...months) : null,
    worstMonth: months.length > 0 ? Math.min(...months) : null,
    positiveMonths: months.length > 0 ? months.filter((m) => m > 0).length / months.length : null,
    valueAtRisk95: var95,
    conditionalValueAtRisk95: tail.length > 0 ? mean(tail) : null,
    tailRatio: var95 !== null && var95 !== 0 ? Math.abs(p95) / Math.abs(var95) : null,
    ...tradeStatistics(run, initialCash, core.finalEquity, mean(equity), years),
    ...benchmarkStatistics(run, barsPerYear),
    tokens: run.usage ? run.usage.tokens : null,
    inferenceCost: run.usage ? run.usage.inferenceCost : null,
    pnlAfterInferenceCost: pnl - (run.usage?.inferenceCost ?? 0),
  };

  return {
    name: run.name,
    benchmarkName: run.benchmark?.name ?? null,
    from: isoDate(time[0]),
    to: isoDate(time[n - 1]),
    bars: n,
    barsPerYear,
    statistics,
    monthlyReturns: monthly,
    drawdownEpisodes: [...episodes]
      .sort((a, b) => b.depth - a.depth || a.peakIndex - b.peakIndex)
      .slice(0, episodesWanted)
      .map((e) => ({
        peak: isoDate(time[e.peakIndex]),
        trough: isoDate(time[e.troughIndex]),
        recovery: e.recoveryIndex === null ? 'not recovered' : isoDate(time[e.recoveryIndex]),
        depth: e.depth,
        length: e.length,
      })),
    rollingSharpe: rollingSharpe(time, returns, window, barsPerYear),
    crisisWindows: crisisWindows(time, equity, run.benchmark),
    series: { time, equity, drawdown, returns },
  };
}
