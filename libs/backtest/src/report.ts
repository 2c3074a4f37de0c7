import { isoDate } from '@tradeyard/market-data';
import {
  buyAndHold,
  drawdownSeries,
  escapeHtml,
  formatNumber,
  formatPercent,
  performanceReport,
  type PerformanceReport,
  type ReportOptions,
  svgLineChart,
} from '@tradeyard/performance';
import type { BarColumns } from './columns';
import type { BacktestResult } from './engine';

const pct = formatPercent;
const num = formatNumber;

/**
 * A self-contained HTML report (no scripts, no network): metrics, the equity curve, the
 * drawdown curve (drawn as negative fractions below the running peak) and the trade log.
 */
export function renderHtmlReport(result: BacktestResult): string {
  const drawdown = drawdownSeries(result.equity, result.initialCash).map((d) => -d);
  const rows: Array<[string, string]> = [
    ['Strategy', result.strategy],
    ['Symbol', result.symbol],
    ['Period', `${result.from} to ${result.to} (${result.bars} bars)`],
    ['Initial cash', num(result.initialCash)],
    ['Final equity', num(result.finalEquity)],
    ['Total return', pct(result.totalReturn)],
    ['CAGR', pct(result.cagr)],
    ['Sharpe', num(result.sharpe, 3)],
    ['Sortino', num(result.sortino, 3)],
    ['Annualised volatility', pct(result.volatility)],
    ['Max drawdown', pct(result.maxDrawdown)],
    ['Trades', String(result.trades)],
    ['Win rate', pct(result.winRate)],
    ['Exposure', pct(result.exposure)],
    ['Fees paid', num(result.fees)],
  ];
  const trades = result.tradeLog
    .map(
      (t) =>
        `<tr><td>${t.entryTime}</td><td>${t.exitTime}${t.open ? ' (open)' : ''}</td><td>${num(t.entryPrice)}</td><td>${num(t.exitPrice)}</td><td>${num(t.quantity, 4)}</td><td>${num(t.pnl)}</td><td>${pct(t.return)}</td><td>${t.bars}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest ${escapeHtml(result.strategy)} on ${escapeHtml(result.symbol)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>Backtest: ${escapeHtml(result.strategy)} on ${escapeHtml(result.symbol)}</h1>
<p>Decisions at a bar's close fill at the next bar's open; equity marked at each close.</p>
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${svgLineChart('Equity', [{ label: 'Equity', time: result.time, values: result.equity, colour: '#1f77b4' }], (v) => num(v, 0))}
${svgLineChart('Drawdown', [{ label: 'Drawdown', time: result.time, values: drawdown, colour: '#d62728' }], (v) => pct(v), { area: true })}
<h2>Trades</h2>
<table><tr><th>Entry</th><th>Exit</th><th>Entry price</th><th>Exit price</th><th>Quantity</th><th>P&amp;L</th><th>Return</th><th>Bars</th></tr>
${trades}
</table>
</body></html>
`;
}

export interface BacktestReportOptions extends ReportOptions {
  /** The bars the backtest ran on: their highs and lows give each trade's MAE and MFE, their closes a buy-and-hold benchmark. */
  bars?: BarColumns;
  /** Runs tried to find this one (a grid's size), for the deflated Sharpe ratio. */
  trials?: number;
}

/**
 * The full performance report (libs/performance) of a backtest. Trades keep the engine's pnl
 * (fees included) and span the bars they were held; the total fees are the engine's.
 */
export function backtestReport(result: BacktestResult, options: BacktestReportOptions = {}): PerformanceReport {
  const { bars, trials, ...reportOptions } = options;
  const firstBarOfDay = new Map<string, number>();
  for (let i = result.time.length - 1; i >= 0; i--) firstBarOfDay.set(isoDate(result.time[i]), i);
  const trades = result.tradeLog.map((t) => {
    const entry = firstBarOfDay.get(t.entryTime);
    if (entry === undefined) throw new RangeError(`trade entry ${t.entryTime} is not a bar of the result`);
    return {
      entryTime: result.time[entry],
      exitTime: result.time[entry + t.bars - 1],
      entryPrice: t.entryPrice,
      exitPrice: t.exitPrice,
      quantity: t.quantity,
      side: 'long' as const,
      pnl: t.pnl,
      open: t.open,
    };
  });
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
