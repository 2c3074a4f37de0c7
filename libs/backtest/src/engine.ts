import { affordableQuantity, arrive, costModel, orderIdFor, quoteBar, type CostModel, type EngineFill, type EngineOrder } from '@tradeyard/fill-engine';
import type { Bar } from '@tradeyard/market-data';
import { isoDate } from '@tradeyard/market-data';
import { divRound, fromMicros, MICROS, notional, toMicros } from '@tradeyard/money';
import type { Strategy } from '@tradeyard/strategies';
import { type BarColumns, isColumns, toColumns } from './columns';
import { equityMetrics, type EquityMetrics } from '@tradeyard/performance';
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
  /** Every fill, exact (micro-units), as the fill engine made it: ids, prices, quantities, fees. */
  fills: EngineFill[];
  /** The exact ledger at the end: cash and shares in micro-units, equity at the last close. */
  ledger: { cash: bigint; shares: bigint; equity: bigint };
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

/** The account the backtest's orders are named in (libs/fill-engine orderIdFor), as the paper broker names them. */
export const BACKTEST_ACCOUNT = 'backtest';

/** The client key of the order a strategy decides at the close of the bar at `time`. */
export const decisionKey = (strategy: string, time: number) => `${strategy}@${time}`;

/**
 * The order that takes a position of `shares` to a target exposure at market price `price`
 * (README "Sizing at the fill"), or undefined when none is needed. Exact: micro-units throughout.
 */
export function sizeOrder(
  target: number,
  cash: bigint,
  shares: bigint,
  price: bigint,
  costs: CostModel,
  wholeShares: boolean,
): { side: 'buy' | 'sell'; quantity: bigint } | undefined {
  let desired = divRound(toMicros(target) * (cash + notional(shares, price)), price);
  if (wholeShares) desired -= desired % MICROS;
  if (desired > shares) {
    // Never spend more cash than there is: the largest buy whose cost and fees fit.
    const affordable = affordableQuantity(costs, cash, price, wholeShares ? MICROS : 1n);
    const quantity = desired - shares < affordable ? desired - shares : affordable;
    return quantity > 0n ? { side: 'buy', quantity } : undefined;
  }
  if (desired < shares) return { side: 'sell', quantity: target === 0 ? shares : shares - desired };
  return undefined;
}

/** A market order accepted for the fill engine. */
export const marketOrder = (id: string, side: 'buy' | 'sell', quantity: bigint): EngineOrder => ({
  id, status: 'accepted', reasonCode: null, reason: null, side, type: 'market', timeInForce: 'gtc', quantity, filledQuantity: 0n,
  filledNotional: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null, trailAmount: null, trailPercent: null, trailAnchor: null,
  triggered: false, arrivalTime: null, evaluatedThrough: null,
});

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
  const { initialCash, wholeShares } = settings;
  const costs = costModel({ feeFixed: settings.feePerTrade, feeBps: settings.feeBps, feePerShare: settings.feePerShare, feeMinimum: settings.feeMinimum, slippageBps: settings.slippageBps });
  const { time, open, high, low, close, volume } = data;

  const equity = new Float64Array(n);
  const tradeLog: Trade[] = [];
  const view: Bar = { symbol: data.symbol, time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  // The ledger is exact (micro-units, as the broker keeps it); the curve is marked in numbers.
  let cash = toMicros(initialCash);
  let shares = 0n;
  let fees = 0n;
  const fills: EngineFill[] = [];
  let exposedBars = 0;
  let lastTarget = 0;
  let pending = -1; // target exposure to fill at the next open; -1 = none
  let trade: OpenTrade | undefined;
  let cashNumber = initialCash;
  let sharesNumber = 0;

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
      // The decision of the previous close goes out now and arrives at this open (the fill engine).
      const price = toMicros(open[i]);
      const order = sizeOrder(pending, cash, shares, price, costs, wholeShares);
      if (order) {
        const id = orderIdFor(BACKTEST_ACCOUNT, decisionKey(strategy.name, time[i - 1]));
        const outcome = arrive(marketOrder(id, order.side, order.quantity), quoteBar(time[i], price), costs);
        for (const f of outcome.fills) {
          const fillNotional = fromMicros(notional(f.quantity, f.price));
          const quantity = fromMicros(f.quantity);
          const fee = fromMicros(f.fee);
          fills.push(f);
          fees += f.fee;
          if (f.side === 'buy') {
            cash -= notional(f.quantity, f.price) + f.fee;
            shares += f.quantity;
            trade ??= { entryIndex: i, bought: 0, boughtCost: 0, boughtNotional: 0, sold: 0, soldProceeds: 0, soldNotional: 0, maxQuantity: 0 };
            trade.bought += quantity;
            trade.boughtCost += fillNotional + fee;
            trade.boughtNotional += fillNotional;
            if (fromMicros(shares) > trade.maxQuantity) trade.maxQuantity = fromMicros(shares);
          } else {
            cash += notional(f.quantity, f.price) - f.fee;
            shares -= f.quantity;
            if (trade) {
              trade.sold += quantity;
              trade.soldProceeds += fillNotional - fee;
              trade.soldNotional += fillNotional;
              if (shares === 0n) {
                closeTrade(trade, i, 0, false);
                trade = undefined;
              }
            }
          }
        }
      }
      pending = -1;
      cashNumber = fromMicros(cash);
      sharesNumber = fromMicros(shares);
    }
    const c = close[i];
    equity[i] = cashNumber + sharesNumber * c;
    if (shares > 0n) exposedBars++;
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
  if (trade) closeTrade(trade, n - 1, sharesNumber * close[n - 1], true);
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
    fees: fromMicros(fees),
    settings,
    tradeLog,
    fills,
    ledger: { cash, shares, equity: cash + notional(shares, toMicros(close[n - 1])) },
    equity,
    time,
  };
}

/** The JSON-friendly part of a result: every metric, without the curves and the trade log. */
export function summarize(result: BacktestResult): BacktestSummary {
  const { tradeLog: _tradeLog, equity: _equity, time: _time, fills: _fills, ledger: _ledger, ...summary } = result;
  return summary;
}
