import { metricRows, renderRunHtml } from '@tradeyard/backtest';
import { formatNumber as num, formatPercent as pct, performanceReport, type PerformanceReport, type ReportOptions, type TradeInput } from '@tradeyard/performance';
import type { PortfolioResult } from './engine';
import type { PortfolioTrade } from './ledger';

/** The self-contained HTML report of a portfolio backtest: metrics, curves, and the trades with their symbol and reason. */
export function renderPortfolioHtml(result: PortfolioResult): string {
  const params = Object.entries(result.params).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'defaults';
  return renderRunHtml({
    title: `${result.strategy} on ${result.symbols.length} symbol${result.symbols.length === 1 ? '' : 's'}`,
    metrics: [
      ['Strategy', `${result.strategy} (${params})`],
      ['Symbols', result.symbols.join(', ')],
      ['Period', `${result.from} to ${result.to} (${result.steps} steps, warm-up ${result.warmup} bars)`],
      ...metricRows(result),
    ],
    time: result.time,
    equity: result.equity,
    initialCash: result.initialCash,
    tradeColumns: ['Symbol', 'Side', 'Entry', 'Exit', 'Entry price', 'Exit price', 'Quantity', 'P&L', 'Return', 'Bars', 'Reason'],
    trades: result.tradeLog.map((t) => [
      t.symbol, t.side, t.entryTime, `${t.exitTime}${t.open ? ' (open)' : ''}`, num(t.entryPrice), num(t.exitPrice), num(t.quantity, 4), num(t.pnl), pct(t.return), String(t.bars), t.reason ?? '',
    ]),
  });
}

/** A trade as libs/performance takes it, with the symbol and reason tag it was made for (its breakdowns group by them). */
export type PortfolioTradeInput = TradeInput & Pick<PortfolioTrade, 'symbol' | 'reason' | 'exitReason'>;

const dayTime = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** The trades of a result as libs/performance's report takes them (pnl with fees, times of their days). */
export const reportTrades = (result: PortfolioResult): PortfolioTradeInput[] =>
  result.tradeLog.map((t) => ({
    entryTime: dayTime(t.entryTime),
    exitTime: dayTime(t.exitTime),
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    quantity: t.quantity,
    side: t.side,
    pnl: t.pnl,
    open: t.open,
    symbol: t.symbol,
    reason: t.reason,
    exitReason: t.exitReason,
  }));

/** The full performance report (libs/performance) of a portfolio backtest. */
export function portfolioReport(result: PortfolioResult, options: ReportOptions & { trials?: number } = {}): PerformanceReport {
  const { trials, ...reportOptions } = options;
  return performanceReport(
    {
      name: `${result.strategy} on ${result.symbols.join(', ')}`,
      time: result.time,
      equity: result.equity,
      initialCash: result.initialCash,
      barsPerYear: result.settings.barsPerYear,
      trades: reportTrades(result),
      fees: result.fees,
      trials: trials === undefined ? undefined : { count: trials },
    },
    reportOptions,
  );
}
