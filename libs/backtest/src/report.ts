import { isoDate } from '@tradeyard/market-data';
import { toMicros } from '@tradeyard/money';
import {
  buyAndHold,
  drawdownSeries,
  escapeHtml,
  formatNumber,
  formatPercent,
  type HeatmapOptions,
  performanceReport,
  type PerformanceReport,
  type ReportOptions,
  robustnessHtml,
  robustnessReport,
  type RobustnessOptions,
  type RobustnessReport,
  sensitivityHeatmap,
  type SensitivityHeatmap,
  svgLineChart,
  variedParameters,
} from '@tradeyard/performance';
import type { BarColumns } from './columns';
import type { BacktestResult } from './engine';
import type { GridOutcome } from './grid';
import { metricDirection, type WalkForwardMetric } from './walk-forward';

const pct = formatPercent;
const num = formatNumber;

/** What a self-contained run report shows: a title, a metrics table, the curves and a trade table. */
export interface RunHtml {
  title: string;
  metrics: Array<[string, string]>;
  time: ArrayLike<number>;
  equity: ArrayLike<number>;
  initialCash: number;
  /** Trade table: header cells, then one row of cells per trade (escaped here). */
  tradeColumns: string[];
  trades: string[][];
  /** The robustness section (backtestRobustness, portfolio runs alike), shown after the curves when given. */
  robustness?: RobustnessReport;
}

/**
 * A self-contained HTML report (no scripts, no network): metrics, the equity curve, the drawdown
 * curve (drawn as negative fractions below the running peak) and the trade log.
 */
export function renderRunHtml(run: RunHtml): string {
  const drawdown = drawdownSeries(Float64Array.from(run.equity), run.initialCash).map((d) => -d);
  const cells = (tag: string, values: string[]) => values.map((v) => `<${tag}>${escapeHtml(v)}</${tag}>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${escapeHtml(run.title)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>Backtest: ${escapeHtml(run.title)}</h1>
<p>Decisions at a bar's close fill at the next bar's open; equity marked at each close.</p>
<table>${run.metrics.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${svgLineChart('Equity', [{ label: 'Equity', time: run.time, values: run.equity, colour: '#1f77b4' }], (v) => num(v, 0))}
${svgLineChart('Drawdown', [{ label: 'Drawdown', time: run.time, values: drawdown, colour: '#d62728' }], (v) => pct(v), { area: true })}
${run.robustness ? robustnessHtml(run.robustness) : ''}
<h2>Trades</h2>
<table><tr>${cells('th', run.tradeColumns)}</tr>
${run.trades.map((row) => `<tr>${cells('td', row)}</tr>`).join('\n')}
</table>
</body></html>
`;
}

/** The metrics every run report lists, from a run's summary. */
export function metricRows(s: { initialCash: number; finalEquity: number; totalReturn: number; cagr: number; sharpe: number; sortino: number; volatility: number; maxDrawdown: number; trades: number; winRate: number; exposure: number; fees: number }): Array<[string, string]> {
  return [
    ['Initial cash', num(s.initialCash)],
    ['Final equity', num(s.finalEquity)],
    ['Total return', pct(s.totalReturn)],
    ['CAGR', pct(s.cagr)],
    ['Sharpe', num(s.sharpe, 3)],
    ['Sortino', num(s.sortino, 3)],
    ['Annualised volatility', pct(s.volatility)],
    ['Max drawdown', pct(s.maxDrawdown)],
    ['Trades', String(s.trades)],
    ['Win rate', pct(s.winRate)],
    ['Exposure', pct(s.exposure)],
    ['Fees paid', num(s.fees)],
  ];
}

/** The HTML report of a single-symbol backtest (renderRunHtml), with its robustness section when given (backtestRobustness). */
export function renderHtmlReport(result: BacktestResult, robustness?: RobustnessReport): string {
  return renderRunHtml({
    title: `${result.strategy} on ${result.symbol}`,
    metrics: [['Strategy', result.strategy], ['Symbol', result.symbol], ['Period', `${result.from} to ${result.to} (${result.bars} bars)`], ...metricRows(result)],
    time: result.time,
    equity: result.equity,
    initialCash: result.initialCash,
    tradeColumns: ['Entry', 'Exit', 'Entry price', 'Exit price', 'Quantity', 'P&L', 'Return', 'Bars'],
    trades: result.tradeLog.map((t) => [t.entryTime, `${t.exitTime}${t.open ? ' (open)' : ''}`, num(t.entryPrice), num(t.exitPrice), num(t.quantity, 4), num(t.pnl), pct(t.return), String(t.bars)]),
    robustness,
  });
}

export interface BacktestReportOptions extends ReportOptions {
  /** The bars the backtest ran on: their highs and lows give each trade's MAE and MFE, their closes a buy-and-hold benchmark. */
  bars?: BarColumns;
  /** Runs tried to find this one (a grid's size), for the deflated Sharpe ratio. */
  trials?: number;
}

/** Each trade's entry and exit as the times of its first and last bar (the log gives dates; a day may hold several bars). */
function tradeTimes(result: BacktestResult): Array<{ entryTime: number; exitTime: number }> {
  const firstBarOfDay = new Map<string, number>();
  for (let i = result.time.length - 1; i >= 0; i--) firstBarOfDay.set(isoDate(result.time[i]), i);
  return result.tradeLog.map((t) => {
    const entry = firstBarOfDay.get(t.entryTime);
    if (entry === undefined) throw new RangeError(`trade entry ${t.entryTime} is not a bar of the result`);
    return { entryTime: result.time[entry], exitTime: result.time[entry + t.bars - 1] };
  });
}

/**
 * The robustness section (libs/performance robustnessReport) of a backtest: Monte Carlo of its
 * bar returns and of its trades, and its trades by symbol and by reason tag. The engine books
 * each trade's P&L from micro-unit fills as a number; it is taken back to micro-units once
 * (toMicros) so the breakdowns sum exactly.
 */
export function backtestRobustness(result: BacktestResult, options: RobustnessOptions = {}): RobustnessReport {
  const times = tradeTimes(result);
  const trades = result.tradeLog.map((t, k) => ({ symbol: result.symbol, reason: t.reason, ...times[k], pnl: toMicros(t.pnl), return: t.return }));
  return robustnessReport({ initialCash: result.initialCash, equity: result.equity, barsPerYear: result.settings.barsPerYear, trades }, options);
}

export interface GridHeatmapOptions extends Pick<HeatmapOptions, 'aggregate'> {
  /** The metric the map shows; default sharpe. */
  metric?: WalkForwardMetric;
  /** The parameters along the columns and the rows; default the first two the grid varies. */
  x?: string;
  y?: string;
}

/**
 * A grid's parameter-sensitivity heatmap (libs/performance sensitivityHeatmap) over its runs'
 * strategy specs; runs that failed are left out. Null when the runs that ran vary fewer than
 * two parameters and none are named.
 */
export function gridHeatmap(runs: readonly GridOutcome[], options: GridHeatmapOptions = {}): SensitivityHeatmap | null {
  const metric = options.metric ?? 'sharpe';
  const points = runs.flatMap((r) => (r.summary ? [{ params: r.strategy, value: r.summary[metric] }] : []));
  const free = variedParameters(points).filter((p) => p !== options.x && p !== options.y);
  const x = options.x ?? free.shift();
  const y = options.y ?? free.shift();
  if (x === undefined || y === undefined) return null;
  return sensitivityHeatmap(points, { x, y, metric, better: metricDirection(metric), aggregate: options.aggregate });
}

/**
 * The full performance report (libs/performance) of a backtest. Trades keep the engine's pnl
 * (fees included) and span the bars they were held; the total fees are the engine's.
 */
export function backtestReport(result: BacktestResult, options: BacktestReportOptions = {}): PerformanceReport {
  const { bars, trials, ...reportOptions } = options;
  const times = tradeTimes(result);
  const trades = result.tradeLog.map((t, k) => ({
    ...times[k],
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    quantity: t.quantity,
    side: 'long' as const,
    pnl: t.pnl,
    open: t.open,
  }));
  const benchmark = bars ? buyAndHold(`${bars.symbol} buy and hold`, bars.time, bars.close, result.initialCash) : undefined;
  return performanceReport(
    {
      name: `${result.strategy} on ${result.symbol}`,
      time: result.time,
      equity: result.equity,
      initialCash: result.initialCash,
      barsPerYear: result.settings.barsPerYear,
      trades,
      fees: result.fees,
      bars: bars ? { time: bars.time, high: bars.high, low: bars.low } : undefined,
      benchmark: benchmark ? { name: benchmark.name, time: benchmark.time, equity: benchmark.equity } : undefined,
      trials: trials === undefined ? undefined : { count: trials },
    },
    reportOptions,
  );
}
