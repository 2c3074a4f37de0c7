import type { Bar } from '@tradeyard/market-data';
import { isoDate } from '@tradeyard/market-data';
import type { Strategy } from '@tradeyard/strategies';
import { type BarColumns, isColumns, toColumns } from './columns';
import { equityMetrics, type EquityMetrics } from './metrics';
import { type BacktestOptions, backtestOptionsSchema, type BacktestSettings } from './options';

/** One round trip: from the fill that opens a position to the fill that closes it (or the last bar). */
export interface Trade {
  entryTime: string;
  exitTime: string;
  /** Average fill price of the buys, slippage included. */
  entryPrice: number;
  /** Average fill price of the sells; for a trade still open, the last close. */
  exitPrice: number;
  /** Largest position held during the trade. */
  quantity: number;
  /** Sell proceeds (net of fees) plus the open position at the last close, minus buy costs (fees included). */
  pnl: number;
  /** pnl / buy costs. */
  return: number;
  bars: number;
  open: boolean;
}

export interface BacktestSummary extends EquityMetrics {
  strategy: string;
  symbol: string;
  bars: number;
  from: string;
  to: string;
  initialCash: number;
  /** Round trips, an open position at the end counted. */
  trades: number;
  /** Fraction of trades with pnl > 0. */
  winRate: number;
  /** Fraction of bars with a position held at the close. */
  exposure: number;
  fees: number;
  settings: BacktestSettings;
}

export interface BacktestResult extends BacktestSummary {
  tradeLog: Trade[];
  /** Equity marked at each close. */
  equity: Float64Array;
  time: Float64Array;
}

interface OpenTrade {
  entryIndex: number;
  bought: number;
  boughtCost: number;
  boughtNotional: number;
  sold: number;
  soldProceeds: number;
  soldNotional: number;
  maxQuantity: number;
}

/**
 * Event-driven backtest over one symbol's bars (README.md, "Convention"): the strategy sees
 * each bar at its close and answers a target exposure in [0, 1]; when that target changes,
 * the order fills at the next bar's open, at the open price moved against the trade by the
 * slippage, minus fees; equity is marked at each close. Bars may be an array or columns; the
 * loop itself allocates nothing per bar (one reused bar object is handed to the strategy).
 */
export function runBacktest(bars: readonly Bar[] | BarColumns, strategy: Strategy, options: BacktestOptions = {}): BacktestResult {
  const data = isColumns(bars) ? bars : toColumns(bars);
  const n = data.length;
  if (n === 0) throw new RangeError('bars must hold at least one bar');
  const { onProgress, ...rest } = options;
  const settings = backtestOptionsSchema.parse(rest);
  const { initialCash, wholeShares, feePerTrade } = settings;
  const feeRate = settings.feeBps / 10_000;
  const slip = settings.slippageBps / 10_000;
  const { time, open, high, low, close, volume } = data;

  const equity = new Float64Array(n);
  const tradeLog: Trade[] = [];
  const view: Bar = { symbol: data.symbol, time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  let cash = initialCash;
  let shares = 0;
  let fees = 0;
  let exposedBars = 0;
  let lastTarget = 0;
  let pending = -1; // target exposure to fill at the next open; -1 = none
  let trade: OpenTrade | undefined;

  const closeTrade = (t: OpenTrade, exitIndex: number, markValue: number, isOpen: boolean) => {
    const pnl = t.soldProceeds + markValue - t.boughtCost;
    tradeLog.push({
      entryTime: isoDate(time[t.entryIndex]),
      exitTime: isoDate(time[exitIndex]),
      entryPrice: t.boughtNotional / t.bought,
      exitPrice: isOpen ? close[exitIndex] : t.soldNotional / t.sold,
      quantity: t.maxQuantity,
      pnl,
      return: pnl / t.boughtCost,
      bars: exitIndex - t.entryIndex + 1,
      open: isOpen,
    });
  };

  for (let i = 0; i < n; i++) {
    if (pending >= 0) {
      const o = open[i];
      let desired = (pending * (cash + shares * o)) / o;
      if (wholeShares) desired = Math.floor(desired + 1e-9);
      if (desired > shares) {
        const price = o * (1 + slip);
        // Never spend more cash than there is: the largest buy whose cost and fees fit.
        let affordable = (cash - feePerTrade) / (price * (1 + feeRate));
        if (wholeShares) affordable = Math.floor(affordable + 1e-9);
        const quantity = Math.min(desired - shares, affordable);
        if (quantity > 0) {
          const notional = quantity * price;
          const fee = feePerTrade + notional * feeRate;
          cash -= notional + fee;
          fees += fee;
          shares += quantity;
          trade ??= { entryIndex: i, bought: 0, boughtCost: 0, boughtNotional: 0, sold: 0, soldProceeds: 0, soldNotional: 0, maxQuantity: 0 };
          trade.bought += quantity;
          trade.boughtCost += notional + fee;
          trade.boughtNotional += notional;
          if (shares > trade.maxQuantity) trade.maxQuantity = shares;
        }
      } else if (desired < shares) {
        const quantity = pending === 0 ? shares : shares - desired;
        const price = o * (1 - slip);
        const notional = quantity * price;
        const fee = feePerTrade + notional * feeRate;
        cash += notional - fee;
        fees += fee;
        shares = pending === 0 ? 0 : shares - quantity;
        if (trade) {
          trade.sold += quantity;
          trade.soldProceeds += notional - fee;
          trade.soldNotional += notional;
          if (shares === 0) {
            closeTrade(trade, i, 0, false);
            trade = undefined;
          }
        }
      }
      pending = -1;
    }
    const c = close[i];
    equity[i] = cash + shares * c;
    if (shares > 0) exposedBars++;
    view.time = time[i];
    view.open = open[i];
    view.high = high[i];
    view.low = low[i];
    view.close = c;
    view.volume = volume[i];
    const target = strategy.onBar(view);
    if (!(target >= 0 && target <= 1)) throw new RangeError(`strategy ${strategy.name} answered ${target} at bar ${i}: target exposure must be between 0 and 1`);
    if (target !== lastTarget) {
      pending = target;
      lastTarget = target;
    }
    if (onProgress !== undefined && (i & 0xffff) === 0xffff) onProgress(i + 1, n);
  }
  if (trade) closeTrade(trade, n - 1, shares * close[n - 1], true);
  onProgress?.(n, n);

  const wins = tradeLog.reduce((count, t) => count + (t.pnl > 0 ? 1 : 0), 0);
  return {
    strategy: strategy.name,
    symbol: data.symbol,
    bars: n,
    from: isoDate(time[0]),
    to: isoDate(time[n - 1]),
    initialCash,
    ...equityMetrics(equity, initialCash, settings.barsPerYear),
    trades: tradeLog.length,
    winRate: tradeLog.length > 0 ? wins / tradeLog.length : 0,
    exposure: exposedBars / n,
    fees,
    settings,
    tradeLog,
    equity,
    time,
  };
}

/** The JSON-friendly part of a result: every metric, without the curves and the trade log. */
export function summarize(result: BacktestResult): BacktestSummary {
  const { tradeLog: _tradeLog, equity: _equity, time: _time, ...summary } = result;
  return summary;
}
