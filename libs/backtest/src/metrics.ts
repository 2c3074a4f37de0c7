// The curve metrics live in @tradeyard/performance (one copy for backtests, arena runs and reports).
export { drawdownSeries, equityMetrics, type EquityMetrics } from '@tradeyard/performance';
