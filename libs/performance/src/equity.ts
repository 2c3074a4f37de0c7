/**
 * The core metrics of an equity curve marked at each bar's close, allocation-free for parameter
 * grids. The definitions are the ones in README.md; libs/backtest's metrics.spec.ts proves each
 * on a 10-bar series by hand.
 */
export interface EquityMetrics {
  finalEquity: number;
  totalReturn: number;
  cagr: number;
  sharpe: number;
  sortino: number;
  maxDrawdown: number;
  volatility: number;
}

/**
 * Two passes over the curve. Returns are close-to-close, r_t = E_t / E_{t-1} - 1 for t >= 1.
 * Sharpe and Sortino are 0 when undefined (fewer than two returns, or zero deviation).
 */
/** The returns of the last curve measured (grown as needed): the second pass reads them instead of dividing again. */
let returnsScratch = new Float64Array(0);

export function equityMetrics(equity: Float64Array, initialCash: number, barsPerYear = 252): EquityMetrics {
  const n = equity.length;
  const finalEquity = n > 0 ? equity[n - 1] : initialCash;
  let peak = initialCash;
  let maxDrawdown = 0;
  let sum = 0;
  let downSq = 0;
  if (returnsScratch.length < n) returnsScratch = new Float64Array(n);
  const rs = returnsScratch;
  // Divisions are skipped only where their result is known exactly (a new peak: drawdown 0; an
  // unchanged equity, as in every flat stretch: return 0), which halves a grid's metric time.
  for (let t = 0; t < n; t++) {
    const e = equity[t];
    if (e >= peak) peak = e;
    else if (peak > 0) {
      const drawdown = 1 - e / peak;
      if (drawdown > maxDrawdown) maxDrawdown = drawdown;
    }
    if (t > 0) {
      const previous = equity[t - 1];
      let r = 0;
      if (e !== previous) {
        r = previous === 0 ? 0 : e / previous - 1;
        sum += r;
        if (r < 0) downSq += r * r;
      }
      rs[t] = r;
    }
  }
  const returns = n - 1;
  const mean = returns > 0 ? sum / returns : 0;
  // Second pass for the sample variance: subtracting the mean first avoids the cancellation of Σr² - n·mean².
  let squares = 0;
  for (let t = 1; t < n; t++) {
    const d = rs[t] - mean;
    squares += d * d;
  }
  const std = returns > 1 ? Math.sqrt(squares / (returns - 1)) : 0;
  const downsideDeviation = returns > 0 ? Math.sqrt(downSq / returns) : 0;
  const annualise = Math.sqrt(barsPerYear);
  const growth = finalEquity / initialCash;
  const years = returns / barsPerYear;
  return {
    finalEquity,
    totalReturn: growth - 1,
    cagr: years > 0 ? (growth > 0 ? Math.pow(growth, 1 / years) - 1 : -1) : 0,
    sharpe: returns > 1 && std > 0 ? (mean / std) * annualise : 0,
    sortino: returns > 1 && downsideDeviation > 0 ? (mean / downsideDeviation) * annualise : 0,
    maxDrawdown,
    volatility: std * annualise,
  };
}
