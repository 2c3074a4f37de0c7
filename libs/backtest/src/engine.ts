import type { Bar } from '@tradeyard/market-data';
import type { Strategy } from '@tradeyard/strategies';

export interface BacktestOptions {
  initialCash?: number;
}

export interface BacktestResult {
  strategy: string;
  symbol: string;
  bars: number;
  from: string;
  to: string;
  initialCash: number;
  finalEquity: number;
  totalReturn: number;
  equity: Float64Array;
}

/**
 * Event-driven backtest over one symbol's bars. Convention (one everywhere): a decision on
 * the close of bar t fills at the open of bar t+1; equity is marked at each close;
 * fractional shares; no fees or slippage in this slice.
 */
export function runBacktest(bars: readonly Bar[], strategy: Strategy, options: BacktestOptions = {}): BacktestResult {
  if (bars.length === 0) throw new RangeError('bars must hold at least one bar');
  const initialCash = options.initialCash ?? 100_000;
  let cash = initialCash;
  let shares = 0;
  let pendingTarget: number | undefined;
  const equity = new Float64Array(bars.length);
  for (let t = 0; t < bars.length; t++) {
    const bar = bars[t];
    if (pendingTarget !== undefined) {
      const value = cash + shares * bar.open;
      const targetShares = (value * pendingTarget) / bar.open;
      cash -= (targetShares - shares) * bar.open;
      shares = targetShares;
      pendingTarget = undefined;
    }
    equity[t] = cash + shares * bar.close;
    const target = strategy.onBar(bar);
    const current = equity[t] === 0 ? 0 : (shares * bar.close) / equity[t];
    if (Math.abs(target - current) > 1e-12) pendingTarget = target;
  }
  const finalEquity = equity[bars.length - 1];
  return {
    strategy: strategy.name,
    symbol: bars[0].symbol,
    bars: bars.length,
    from: new Date(bars[0].time).toISOString().slice(0, 10),
    to: new Date(bars[bars.length - 1].time).toISOString().slice(0, 10),
    initialCash,
    finalEquity,
    totalReturn: finalEquity / initialCash - 1,
    equity,
  };
}
