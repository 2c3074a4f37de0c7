import { type Breakdown, breakdownHtml, breakdownText, type ClosedTrade, tradeBreakdown } from './breakdowns';
import {
  type MoneyAmount,
  type MoneySeries,
  monteCarloHtml,
  type MonteCarloResult,
  monteCarloText,
  returnsMonteCarlo,
  type ReturnsMonteCarloOptions,
  tradesMonteCarlo,
  type TradesMonteCarloOptions,
} from './monte-carlo';

/** One run as the robustness section takes it: its curve and its closed trades. */
export interface RobustnessInput {
  initialCash: MoneyAmount;
  /** Equity at each bar close. */
  equity: MoneySeries;
  /** 252 for daily bars (default). */
  barsPerYear?: number;
  trades: readonly ClosedTrade[];
}

export interface RobustnessOptions extends ReturnsMonteCarloOptions {
  /** How the trade simulation draws the trades; default resample. */
  tradeMethod?: TradesMonteCarloOptions['method'];
}

/** Monte Carlo of the bar returns and of the trades (null without trades), and the trades by symbol and by reason tag. */
export interface RobustnessReport {
  monteCarlo: { returns: MonteCarloResult; trades: MonteCarloResult | null };
  bySymbol: Breakdown;
  byReason: Breakdown;
}

/**
 * The robustness section of a run's report. Both simulations share runs and seed (without
 * `runs`, each takes monteCarloRuns of its own length); the trade simulation's CAGR is over the
 * curve's span ((bars − 1) / barsPerYear years), as the run's own.
 */
export function robustnessReport(input: RobustnessInput, options: RobustnessOptions = {}): RobustnessReport {
  const { tradeMethod, blockLength, ...common } = options;
  const barsPerYear = input.barsPerYear ?? 252;
  const returns = returnsMonteCarlo({ initialCash: input.initialCash, equity: input.equity, barsPerYear }, { ...common, blockLength });
  const trades =
    input.trades.length > 0
      ? tradesMonteCarlo({ initialCash: input.initialCash, pnl: input.trades.map((t) => t.pnl), years: returns.years }, { ...common, method: tradeMethod })
      : null;
  return { monteCarlo: { returns, trades }, bySymbol: tradeBreakdown(input.trades, 'symbol'), byReason: tradeBreakdown(input.trades, 'reason') };
}

/** The section as plain text, for a terminal. */
export function robustnessText(r: RobustnessReport): string {
  const monteCarlo = [r.monteCarlo.returns, r.monteCarlo.trades].filter((m): m is MonteCarloResult => m !== null).map(monteCarloText);
  return [...monteCarlo, breakdownText(r.bySymbol), breakdownText(r.byReason)].join('\n\n') + '\n';
}

/** The section as HTML, for a standalone report; every string escaped. */
export function robustnessHtml(r: RobustnessReport): string {
  const monteCarlo = [r.monteCarlo.returns, r.monteCarlo.trades].filter((m): m is MonteCarloResult => m !== null).map(monteCarloHtml);
  return [
    '<h2>Monte Carlo</h2>',
    '<p>Resampled paths from the same returns and trades: where the actual run sits among them shows how much of it is the order luck dealt. For max drawdown the 95th percentile is the deep one.</p>',
    ...monteCarlo,
    breakdownHtml(r.bySymbol),
    breakdownHtml(r.byReason),
  ].join('\n');
}
