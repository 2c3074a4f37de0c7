import { affordableQuantity, arrive, averageFillPrice, costModel, fillValue, orderIdFor, quoteBar, type CostModel, type EngineFill, type EngineOrder } from '@tradeyard/fill-engine';
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
  /** Average fill price of the buys, slippage included (libs/fill-engine averageFillPrice: exact, rounded once). */
  entryPrice: number;
  /** Average fill price of the sells, as entryPrice; for a trade still open, the last close. */
  exitPrice: number;
  /** Largest position held during the trade. */
  quantity: number;
  /** Sell proceeds (net of fees) plus the open position at the last close, minus buy costs (fees included). */
  pnl: number;
  /** pnl / buy costs. */
  return: number;
  bars: number;
  open: boolean;
  /** The reason tag of the decision that opened the trade, when its strategy gives one (the shipped strategies give none). */
  reason?: string;
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

/**
 * The round trip in progress: what was bought and sold since the position opened. Quantities and
 * values (quantity × price, libs/fill-engine fillValue) are exact, for the average prices.
 */
export interface OpenTrade {
  entryIndex: number;
  bought: bigint;
  boughtCost: number;
  boughtValue: bigint;
  sold: bigint;
  soldProceeds: number;
  soldValue: bigint;
  maxQuantity: number;
}

/** A round trip opened at bar `entryIndex`, nothing booked yet. */
export const openTrade = (entryIndex: number): OpenTrade => ({ entryIndex, bought: 0n, boughtCost: 0, boughtValue: 0n, sold: 0n, soldProceeds: 0, soldValue: 0n, maxQuantity: 0 });

/**
 * Books a fill into its round trip: buys add to its cost, sells to its proceeds; `position` is
 * the shares held after the fill (negative: short, a portfolio run that allows it), whose size
 * is the trade's largest quantity when it grows.
 */
export function bookIntoTrade(trade: OpenTrade, fill: { side: 'buy' | 'sell'; quantity: bigint; price: bigint; fee: bigint }, position: bigint): void {
  const amount = fromMicros(notional(fill.quantity, fill.price));
  const value = fillValue(fill.quantity, fill.price);
  const fee = fromMicros(fill.fee);
  trade.maxQuantity = Math.max(trade.maxQuantity, Math.abs(fromMicros(position)));
  if (fill.side === 'buy') {
    trade.bought += fill.quantity;
    trade.boughtCost += amount + fee;
    trade.boughtValue += value;
  } else {
    trade.sold += fill.quantity;
    trade.soldProceeds += amount - fee;
    trade.soldValue += value;
  }
}

/**
 * A round trip's average entry and exit prices (exact, rounded once): a long enters by buying and
 * exits by selling, a short the other way round; a trade still open exits at `lastClose`.
 */
export function tradePrices(trade: OpenTrade, lastClose?: number, side: 'long' | 'short' = 'long'): { entryPrice: number; exitPrice: number } {
  const bought = fromMicros(averageFillPrice(trade.boughtValue, trade.bought) ?? 0n);
  const sold = fromMicros(averageFillPrice(trade.soldValue, trade.sold) ?? 0n);
  return side === 'long' ? { entryPrice: bought, exitPrice: lastClose ?? sold } : { entryPrice: sold, exitPrice: lastClose ?? bought };
}

/** What a round trip put in, its return's base: a long's buy costs, a short's sale proceeds. */
export const tradeBasis = (trade: OpenTrade, side: 'long' | 'short' = 'long'): number => (side === 'long' ? trade.boughtCost : trade.soldProceeds);

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
  return sizeToTarget(target, cash + notional(shares, price), cash, shares, price, costs, wholeShares);
}

/**
 * The order that takes a position of `shares` to `target` × `equity` at market price `price`: a
 * portfolio's sizing, where equity counts every position. A buy never spends more than `cash`
 * (fees and slippage included); a target of 0 closes the whole position. Signed: a negative
 * target (a portfolio run that allows shorts) is a short of that size, so a sell may cross
 * through zero into it and a buy covers; whole shares round toward zero, never beyond the target.
 */
export function sizeToTarget(
  target: number,
  equity: bigint,
  cash: bigint,
  shares: bigint,
  price: bigint,
  costs: CostModel,
  wholeShares: boolean,
): { side: 'buy' | 'sell'; quantity: bigint } | undefined {
  // 0 and 1 (every signal strategy's targets) skip the decimal parse: a grid sizes hundreds of thousands of orders.
  const targetMicros = target === 1 ? MICROS : target === 0 ? 0n : toMicros(target);
  let desired = divRound(targetMicros * equity, price);
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
  filledNotional: 0n, filledValue: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null, trailAmount: null, trailPercent: null, trailAnchor: null,
  triggered: false, arrivalTime: null, evaluatedThrough: null,
});

/** One fill as the ledger books it. */
export type BookedFill = Pick<EngineFill, 'side' | 'quantity' | 'price' | 'fee'>;

/**
 * Sends the order a decision made at the close of bar `decidedAt` to the fill engine, arriving
 * at the open of bar `at` (`price`, micro-units), and returns its fills.
 */
export type SendOrder = (decidedAt: number, at: number, side: 'buy' | 'sell', quantity: bigint, price: bigint) => readonly BookedFill[];

/** A round trip as the ledger closes it, for a trade log. */
export type OnTrade = (trade: OpenTrade, exitIndex: number, pnl: number, open: boolean) => void;

/**
 * The exact ledger of one long-only run and its round trips. runBacktest and the shared-series
 * grid (sma-grid.ts) book every fill here, so a grid run and a single backtest agree exactly.
 */
export class BacktestLedger {
  cash: bigint;
  shares = 0n;
  fees = 0n;
  /** The ledger as numbers, for marking equity at each close. */
  cashNumber: number;
  sharesNumber = 0;
  trades = 0;
  wins = 0;
  private trade: OpenTrade | undefined;

  constructor(
    initialCash: number,
    private readonly onTrade?: OnTrade,
  ) {
    this.cash = toMicros(initialCash);
    this.cashNumber = initialCash;
  }

  book(i: number, f: BookedFill): void {
    const exactNotional = notional(f.quantity, f.price);
    this.fees += f.fee;
    if (f.side === 'buy') {
      this.cash -= exactNotional + f.fee;
      this.shares += f.quantity;
      bookIntoTrade((this.trade ??= openTrade(i)), f, this.shares);
    } else {
      this.cash += exactNotional - f.fee;
      this.shares -= f.quantity;
      if (this.trade) {
        bookIntoTrade(this.trade, f, this.shares);
        if (this.shares === 0n) this.close(i, 0, false);
      }
    }
  }

  /** Sizes the order that takes the position to `target` at the open of bar i (`price`), sends it and books its fills. */
  rebalance(i: number, target: number, price: bigint, costs: CostModel, wholeShares: boolean, send: SendOrder): void {
    const order = sizeOrder(target, this.cash, this.shares, price, costs, wholeShares);
    if (order) for (const f of send(i - 1, i, order.side, order.quantity, price)) this.book(i, f);
    this.cashNumber = fromMicros(this.cash);
    this.sharesNumber = fromMicros(this.shares);
  }

  /** Closes the trade still open at the last bar, valued at its close. */
  finish(lastIndex: number, lastClose: number): void {
    if (this.trade) this.close(lastIndex, this.sharesNumber * lastClose, true);
  }

  private close(exitIndex: number, markValue: number, open: boolean): void {
    const trade = this.trade!;
    const pnl = trade.soldProceeds + markValue - trade.boughtCost;
    this.trades++;
    if (pnl > 0) this.wins++;
    this.onTrade?.(trade, exitIndex, pnl, open);
    this.trade = undefined;
  }
}

/** What a run leaves: its ledger, equity marked at each close and the bars held at the close. */
export interface RunCore {
  ledger: BacktestLedger;
  equity: Float64Array;
  exposedBars: number;
}

export interface RunCoreInput {
  data: BarColumns;
  /** The strategy's name, for errors. */
  name: string;
  /** The target exposure decided at the close of bar i, in [0, 1]. */
  decide: (i: number) => number;
  send: SendOrder;
  settings: BacktestSettings;
  costs: CostModel;
  /** The opens in micro-units, when a grid converts them once for all its runs. */
  openMicros?: readonly bigint[];
  /** Where the equity curve goes (length >= bars): a grid reuses one buffer for every run. */
  equity: Float64Array;
  onTrade?: OnTrade;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The one backtest loop (README.md, "Convention"): decisions at each close, a changed target
 * sized at the next open (`sizeOrder`) and sent to the fill engine, equity marked at each close.
 */
export function runCore({ data, name, decide, send, settings, costs, openMicros, equity, onTrade, onProgress }: RunCoreInput): RunCore {
  const n = data.length;
  const { open, close } = data;
  const ledger = new BacktestLedger(settings.initialCash, onTrade);
  let exposedBars = 0;
  let lastTarget = 0;
  let pending = -1; // target exposure to fill at the next open; -1 = none
  let { cashNumber, sharesNumber } = ledger;
  for (let i = 0; i < n; i++) {
    if (pending >= 0) {
      // The decision of the previous close goes out now and arrives at this open (the fill engine).
      ledger.rebalance(i, pending, openMicros ? openMicros[i] : toMicros(open[i]), costs, settings.wholeShares, send);
      pending = -1;
      ({ cashNumber, sharesNumber } = ledger);
    }
    equity[i] = cashNumber + sharesNumber * close[i];
    if (sharesNumber > 0) exposedBars++;
    const target = decide(i);
    if (!(target >= 0 && target <= 1)) throw new RangeError(`strategy ${name} answered ${target} at bar ${i}: target exposure must be between 0 and 1`);
    if (target !== lastTarget) {
      pending = target;
      lastTarget = target;
    }
    if (onProgress !== undefined && (i & 0xffff) === 0xffff) onProgress(i + 1, n);
  }
  ledger.finish(n - 1, close[n - 1]);
  onProgress?.(n, n);
  return { ledger, equity, exposedBars };
}

/** The costs of a run's settings as the fill engine takes them. */
export const runCosts = (settings: BacktestSettings): CostModel =>
  costModel({ feeFixed: settings.feePerTrade, feeBps: settings.feeBps, feePerShare: settings.feePerShare, feeMinimum: settings.feeMinimum, slippageBps: settings.slippageBps });

/** A run's metrics (the curve is read up to the data's length). */
export function summaryOf(name: string, data: BarColumns, settings: BacktestSettings, core: RunCore): BacktestSummary {
  const n = data.length;
  const { ledger } = core;
  const equity = core.equity.length === n ? core.equity : core.equity.subarray(0, n);
  return {
    strategy: name,
    symbol: data.symbol,
    bars: n,
    from: isoDate(data.time[0]),
    to: isoDate(data.time[n - 1]),
    initialCash: settings.initialCash,
    ...equityMetrics(equity, settings.initialCash, settings.barsPerYear),
    trades: ledger.trades,
    winRate: ledger.trades > 0 ? ledger.wins / ledger.trades : 0,
    exposure: core.exposedBars / n,
    fees: fromMicros(ledger.fees),
    settings,
  };
}

/** A strategy's decide(i) through onBar, with one reused bar object (no allocation per bar). */
function barByBar(data: BarColumns, strategy: Strategy): (i: number) => number {
  const { time, open, high, low, close, volume } = data;
  const view: Bar = { symbol: data.symbol, time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  return (i) => {
    view.time = time[i];
    view.open = open[i];
    view.high = high[i];
    view.low = low[i];
    view.close = close[i];
    view.volume = volume[i];
    return strategy.onBar(view);
  };
}

/**
 * Event-driven backtest over one symbol's bars (README.md, "Convention"): the strategy sees
 * each bar at its close and answers a target exposure in [0, 1]; when that target changes,
 * the order fills at the next bar's open, at the open price moved against the trade by the
 * slippage, minus fees; equity is marked at each close. Bars may be an array or columns; the
 * loop itself allocates nothing per bar (one reused bar object is handed to the strategy).
 * Orders go through the fill engine's order lifecycle, named as the paper broker names them.
 */
export function runBacktest(bars: readonly Bar[] | BarColumns, strategy: Strategy, options: BacktestOptions = {}): BacktestResult {
  const data = isColumns(bars) ? bars : toColumns(bars);
  const n = data.length;
  if (n === 0) throw new RangeError('bars must hold at least one bar');
  const { onProgress, ...rest } = options;
  const settings = backtestOptionsSchema.parse(rest);
  const costs = runCosts(settings);
  const { time, close } = data;

  const tradeLog: Trade[] = [];
  const fills: EngineFill[] = [];
  const core = runCore({
    data,
    name: strategy.name,
    settings,
    costs,
    equity: new Float64Array(n),
    onProgress,
    decide: strategy.overColumns?.(data) ?? barByBar(data, strategy),
    send(decidedAt, at, side, quantity, price) {
      const id = orderIdFor(BACKTEST_ACCOUNT, decisionKey(strategy.name, time[decidedAt]));
      const outcome = arrive(marketOrder(id, side, quantity), quoteBar(time[at], price), costs);
      fills.push(...outcome.fills);
      return outcome.fills;
    },
    onTrade(t, exitIndex, pnl, isOpen) {
      tradeLog.push({
        entryTime: isoDate(time[t.entryIndex]),
        exitTime: isoDate(time[exitIndex]),
        ...tradePrices(t, isOpen ? close[exitIndex] : undefined),
        quantity: t.maxQuantity,
        pnl,
        return: pnl / tradeBasis(t),
        bars: exitIndex - t.entryIndex + 1,
        open: isOpen,
      });
    },
  });
  const { ledger } = core;
  return {
    ...summaryOf(strategy.name, data, settings, core),
    tradeLog,
    fills,
    ledger: { cash: ledger.cash, shares: ledger.shares, equity: ledger.cash + notional(ledger.shares, toMicros(close[n - 1])) },
    equity: core.equity,
    time,
  };
}

/** The JSON-friendly part of a result: every metric, without the curves and the trade log. */
export function summarize(result: BacktestResult): BacktestSummary {
  const { tradeLog: _tradeLog, equity: _equity, time: _time, fills: _fills, ledger: _ledger, ...summary } = result;
  return summary;
}
