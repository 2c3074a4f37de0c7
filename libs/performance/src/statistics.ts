/** How a statistic is shown: a fraction as a percentage, money, a count, or a plain ratio. */
export type StatisticFormat = 'percent' | 'money' | 'count' | 'ratio' | 'days';

export interface StatisticInfo {
  key: string;
  label: string;
  format: StatisticFormat;
  /** Which way is better when ranking by this statistic. */
  better: 'higher' | 'lower';
}

/**
 * Every statistic of a report, in display order. Their definitions are written once, in
 * README.md; this list carries what the table and the ranking need: label, format, direction.
 */
export const STATISTICS = [
  { key: 'startEquity', label: 'Start equity', format: 'money', better: 'higher' },
  { key: 'finalEquity', label: 'Final equity', format: 'money', better: 'higher' },
  { key: 'pnl', label: 'P&L', format: 'money', better: 'higher' },
  { key: 'totalReturn', label: 'Total return', format: 'percent', better: 'higher' },
  { key: 'cagr', label: 'CAGR', format: 'percent', better: 'higher' },
  { key: 'volatility', label: 'Volatility (annualised)', format: 'percent', better: 'lower' },
  { key: 'sharpe', label: 'Sharpe', format: 'ratio', better: 'higher' },
  { key: 'sortino', label: 'Sortino', format: 'ratio', better: 'higher' },
  { key: 'calmar', label: 'Calmar', format: 'ratio', better: 'higher' },
  { key: 'probabilisticSharpe', label: 'Probabilistic Sharpe (vs 0)', format: 'percent', better: 'higher' },
  { key: 'deflatedSharpe', label: 'Deflated Sharpe', format: 'percent', better: 'higher' },
  { key: 'maxDrawdown', label: 'Max drawdown', format: 'percent', better: 'lower' },
  { key: 'maxDrawdownDuration', label: 'Max drawdown duration (bars)', format: 'count', better: 'lower' },
  { key: 'averageDrawdown', label: 'Average drawdown', format: 'percent', better: 'lower' },
  { key: 'ulcerIndex', label: 'Ulcer index', format: 'percent', better: 'lower' },
  { key: 'skewness', label: 'Skewness', format: 'ratio', better: 'higher' },
  { key: 'kurtosis', label: 'Kurtosis', format: 'ratio', better: 'lower' },
  { key: 'bestDay', label: 'Best day', format: 'percent', better: 'higher' },
  { key: 'worstDay', label: 'Worst day', format: 'percent', better: 'higher' },
  { key: 'bestMonth', label: 'Best month', format: 'percent', better: 'higher' },
  { key: 'worstMonth', label: 'Worst month', format: 'percent', better: 'higher' },
  { key: 'positiveMonths', label: 'Positive months', format: 'percent', better: 'higher' },
  { key: 'valueAtRisk95', label: 'VaR 95 (daily, historical)', format: 'percent', better: 'higher' },
  { key: 'conditionalValueAtRisk95', label: 'CVaR 95 (daily, historical)', format: 'percent', better: 'higher' },
  { key: 'tailRatio', label: 'Tail ratio', format: 'ratio', better: 'higher' },
  { key: 'trades', label: 'Trades', format: 'count', better: 'higher' },
  { key: 'winRate', label: 'Win rate', format: 'percent', better: 'higher' },
  { key: 'profitFactor', label: 'Profit factor', format: 'ratio', better: 'higher' },
  { key: 'expectancy', label: 'Expectancy per trade', format: 'money', better: 'higher' },
  { key: 'expectancyPercent', label: 'Expectancy per trade (%)', format: 'percent', better: 'higher' },
  { key: 'averageWin', label: 'Average win', format: 'money', better: 'higher' },
  { key: 'averageLoss', label: 'Average loss', format: 'money', better: 'higher' },
  { key: 'payoffRatio', label: 'Payoff ratio', format: 'ratio', better: 'higher' },
  { key: 'largestWin', label: 'Largest win', format: 'money', better: 'higher' },
  { key: 'largestLoss', label: 'Largest loss', format: 'money', better: 'higher' },
  { key: 'longestWinningStreak', label: 'Longest winning streak', format: 'count', better: 'higher' },
  { key: 'longestLosingStreak', label: 'Longest losing streak', format: 'count', better: 'lower' },
  { key: 'averageHoldingDays', label: 'Average holding period (days)', format: 'days', better: 'lower' },
  { key: 'exposure', label: 'Exposure', format: 'percent', better: 'lower' },
  { key: 'turnover', label: 'Turnover (annual)', format: 'ratio', better: 'lower' },
  { key: 'fees', label: 'Fees paid', format: 'money', better: 'lower' },
  { key: 'feesShareOfGrossProfit', label: 'Fees / profit before fees', format: 'percent', better: 'lower' },
  { key: 'averageMae', label: 'Average MAE', format: 'percent', better: 'lower' },
  { key: 'averageMfe', label: 'Average MFE', format: 'percent', better: 'higher' },
  { key: 'alpha', label: 'Alpha (annualised)', format: 'percent', better: 'higher' },
  { key: 'beta', label: 'Beta', format: 'ratio', better: 'lower' },
  { key: 'correlation', label: 'Correlation with benchmark', format: 'ratio', better: 'lower' },
  { key: 'informationRatio', label: 'Information ratio', format: 'ratio', better: 'higher' },
  { key: 'tokens', label: 'Tokens', format: 'count', better: 'lower' },
  { key: 'inferenceCost', label: 'Inference cost', format: 'money', better: 'lower' },
  { key: 'pnlAfterInferenceCost', label: 'P&L after inference cost', format: 'money', better: 'higher' },
] as const satisfies readonly StatisticInfo[];

export type StatisticKey = (typeof STATISTICS)[number]['key'];

/** Each statistic's value; null where it is undefined (no trades, no benchmark, no usage...). */
export type Statistics = Record<StatisticKey, number | null>;

export const statisticInfo = (key: StatisticKey): StatisticInfo => {
  const info = STATISTICS.find((s) => s.key === key);
  if (!info) throw new RangeError(`statistic must be one of ${STATISTICS.map((s) => s.key).join(', ')}, got ${String(key)}`);
  return info;
};
