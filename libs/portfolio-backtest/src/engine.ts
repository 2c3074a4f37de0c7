import { BACKTEST_ACCOUNT, backtestOptionsSchema, sizeToTarget } from '@tradeyard/backtest';
import { costModel, DEFAULT_SHORT_MARGIN, orderIdFor, quoteBar, type CostModel, type PriceBar } from '@tradeyard/fill-engine';
import { isoDate } from '@tradeyard/market-data';
import { fromMicros, toMicros } from '@tradeyard/money';
import { equityMetrics, type EquityMetrics } from '@tradeyard/performance';
import {
  MarketHistory,
  StrategyDriver,
  StrategyRuntimeError,
  type CompiledStrategy,
  type Decision,
  type JsonObject,
  type PortfolioView,
  type PositionView,
  type ValidOrder,
} from '@tradeyard/strategy';
import { z } from 'zod';
import { microPrices, priceMicros, selectSymbols, SeriesCache, type PortfolioData } from './data';
import { lazyRecord } from './lazy-record';
import { averagePriceOf, PortfolioLedger, type PortfolioFill, type PortfolioTrade } from './ledger';
import { newOrder, OrderBook, orderRecord, type PortfolioOrder } from './orders';

const marginFraction = (field: string, fallback: number) =>
  z.number({ error: `${field} must be a number` }).finite(`${field} must be finite`).min(0, `${field} must be 0 or more`).default(fallback);

/**
 * Options of a portfolio backtest: those of the single-symbol backtester, the fill engine's
 * volume terms, and short selling (off by default) with the paper broker's margin terms
 * (its SHORT_INITIAL_MARGIN and SHORT_MAINTENANCE_MARGIN, as fractions of the short value).
 */
export const portfolioOptionsSchema = backtestOptionsSchema.extend({
  volumeLimit: z.number({ error: 'volumeLimit must be a number' }).min(0, 'volumeLimit must be 0 or more').max(1, 'volumeLimit must be at most 1').default(0),
  priceImpact: z.number({ error: 'priceImpact must be a number' }).finite('priceImpact must be finite').min(0, 'priceImpact must be 0 or more').default(0),
  allowShort: z.boolean({ error: 'allowShort must be true or false' }).default(false),
  shortInitialMargin: marginFraction('shortInitialMargin', DEFAULT_SHORT_MARGIN.initial),
  shortMaintenanceMargin: marginFraction('shortMaintenanceMargin', DEFAULT_SHORT_MARGIN.maintenance),
});
export type PortfolioSettings = z.infer<typeof portfolioOptionsSchema>;

export interface PortfolioRunOptions extends Partial<PortfolioSettings> {
  /**
   * Steps of the data's calendar to trade, [start, end): bars before `start` are history (the
   * indicators warm on them, nothing trades); equity is marked from the close of `start`. Default: all.
   */
  start?: number;
  end?: number;
  /** The strategy's state at the start (default {}); the result carries it at the end. */
  state?: JsonObject;
  /** Called with every decision the strategy makes, at the close it makes it (a look-ahead check compares them across truncated data). */
  onDecision?: (time: number, decisions: readonly Decision[]) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface PortfolioSummary extends EquityMetrics {
  strategy: string;
  params: Record<string, unknown>;
  symbols: string[];
  /** Steps of the union calendar traded, and their first and last dates. */
  steps: number;
  from: string;
  to: string;
  warmup: number;
  initialCash: number;
  /** Round trips over all symbols, an open position at the end counted. */
  trades: number;
  winRate: number;
  /** Fraction of steps with a position held at the close. */
  exposure: number;
  fees: number;
  settings: PortfolioSettings;
}

export interface PortfolioResult extends PortfolioSummary {
  tradeLog: PortfolioTrade[];
  fills: PortfolioFill[];
  orders: PortfolioOrder[];
  /** The exact account at the end (micro-units): cash, shares by symbol, equity at the last closes. */
  ledger: { cash: bigint; shares: Record<string, bigint>; equity: bigint };
  /** Equity marked at each step's close: cash + Σ shares × each symbol's latest close, exact to the micro-unit. */
  equity: Float64Array;
  time: Float64Array;
  state: JsonObject;
}

/** The order ids of a decision (libs/fill-engine orderIdFor on the backtest account), as a live run names them. */
export const orderKey = (strategy: string, time: number, symbol: string, index?: number, clientId?: string) =>
  clientId !== undefined ? `${strategy}#${clientId}` : `${strategy}@${time}/${symbol}${index === undefined ? '' : `/${index}`}`;

/**
 * One run's moving parts: the revealed market, the strategy driver, the exact ledger and the
 * order book, and what each step does with them (README "Convention").
 */
class PortfolioRun {
  readonly ledger: PortfolioLedger;
  readonly book: OrderBook;
  readonly market: MarketHistory;
  readonly driver: StrategyDriver;
  private readonly prices;
  /** A target weight per symbol waiting for its next open (NaN: none), and its reason tag. */
  private readonly pendingTarget: Float64Array;
  private readonly pendingTag: (string | null)[];
  private readonly pendingDecidedAt: Float64Array;
  private pendingTargets = 0;
  /** Symbols whose target buys wait for the step's sells (reused every step). */
  private readonly buys: number[] = [];
  private lastEquity = 0;
  private readonly clientIds = new Set<string>();
  /** Symbol k's latest close in micro-units: how equity marks it (one function for every step). */
  readonly latestClose = (k: number): bigint => this.prices.close(k, this.market.histories[k].count - 1);

  constructor(
    readonly data: PortfolioData,
    readonly strategy: CompiledStrategy,
    readonly settings: PortfolioSettings,
    readonly costs: CostModel,
    state: JsonObject,
  ) {
    const { symbols, columns } = data;
    const cache = SeriesCache.of(data);
    const series = strategy.indicators.map(({ spec }) => cache.get(spec));
    this.market = MarketHistory.revealing(symbols, columns, columns.map((_, k) => series.map((s) => s[k])));
    this.ledger = new PortfolioLedger(settings.initialCash, symbols, columns.map((c) => c.time));
    const shortMargin = settings.allowShort ? { initial: settings.shortInitialMargin, maintenance: settings.shortMaintenanceMargin } : null;
    this.book = new OrderBook(symbols, this.ledger, costs, shortMargin);
    this.prices = microPrices(data);
    this.driver = new StrategyDriver(strategy, this.market, () => this.portfolioView(), state, undefined, { allowShort: settings.allowShort });
    this.pendingTarget = new Float64Array(symbols.length).fill(NaN);
    this.pendingTag = symbols.map(() => null);
    this.pendingDecidedAt = new Float64Array(symbols.length);
  }

  /** Reveals step s's bars without trading (history before the traded range). */
  reveal(s: number): void {
    const { start, symbolAt } = this.data.calendar;
    for (let at = start[s]; at < start[s + 1]; at++) this.market.histories[symbolAt[at]].reveal();
    this.market.clock.now = this.data.calendar.times[s];
  }

  /** One traded step: the open (orders arrive, rest, fill), the close (bars revealed, equity marked), the decision. */
  step(s: number, onDecision?: PortfolioRunOptions['onDecision']): number {
    if (this.pendingTargets > 0 || this.book.active > 0) this.open(s);
    this.reveal(s);
    this.lastEquity = fromMicros(this.ledger.equity(this.latestClose));
    const decisions = this.driver.step();
    if (decisions.length > 0) onDecision?.(this.market.clock.now, decisions);
    for (const decision of decisions) this.apply(decision);
    return this.lastEquity;
  }

  /**
   * The open of step s, for each symbol with a bar: target sells sized at the open, then explicit
   * orders arrive, then target buys (sized on the same equity, capped by the cash left), then the
   * orders resting from before are matched against the whole bar.
   */
  private open(s: number): void {
    const { start, symbolAt } = this.data.calendar;
    let equity: bigint | undefined;
    this.book.mark = this.markAtOpen(s);
    const buys = this.buys;
    buys.length = 0;
    for (let at = start[s]; at < start[s + 1]; at++) {
      const k = symbolAt[at];
      if (Number.isNaN(this.pendingTarget[k])) continue;
      equity ??= this.ledger.equity(this.book.mark);
      if (!this.sendTarget(k, equity, 'sell')) buys.push(k);
    }
    for (let at = start[s]; at < start[s + 1]; at++) {
      const k = symbolAt[at];
      if (this.book.hasOrders(k)) this.book.arriveAll(k, this.market.histories[k].count, this.quote(k));
    }
    for (const k of buys) this.sendTarget(k, equity!, 'buy');
    for (let at = start[s]; at < start[s + 1]; at++) {
      const k = symbolAt[at];
      if (this.book.hasOrders(k)) this.book.matchAll(k, this.market.histories[k].count, this.bar(k));
    }
  }

  /** Each symbol's price at step s's open (equity and the short margin mark by it): its open when it has a bar at s, else its latest close. */
  private markAtOpen(s: number): (k: number) => bigint {
    const time = this.data.calendar.times[s];
    return (k) => {
      const next = this.market.histories[k].count;
      return this.data.columns[k].time[next] === time ? this.prices.open(k, next) : this.prices.close(k, next - 1);
    };
  }

  /**
   * Sizes symbol k's pending target at its open (exact, `sizeToTarget`) and sends it when it is a
   * `side` order; answers whether the target was dealt with (a buy waits for the sells).
   */
  private sendTarget(k: number, equity: bigint, side: 'buy' | 'sell'): boolean {
    const next = this.market.histories[k].count;
    const price = this.prices.open(k, next);
    const order = sizeToTarget(this.pendingTarget[k], equity, this.ledger.cash, this.ledger.shares[k], price, this.costs, this.settings.wholeShares);
    if (order && order.side !== side) return false;
    if (order) {
      const symbol = this.data.symbols[k];
      const id = orderIdFor(BACKTEST_ACCOUNT, orderKey(this.strategy.name, this.pendingDecidedAt[k], symbol));
      const placed = newOrder({ id, symbol: k, side: order.side, type: 'market', timeInForce: 'gtc', quantity: order.quantity, clientId: null, tag: this.pendingTag[k], target: true, decidedAt: this.pendingDecidedAt[k] });
      this.book.place(placed, next, this.quote(k));
    }
    this.pendingTarget[k] = NaN;
    this.pendingTargets--;
    return true;
  }

  /** Symbol k's next bar's open as a quote (the price orders arrive at), with the bar's volume (0: unknown). */
  private quote(k: number): PriceBar {
    const next = this.market.histories[k].count;
    const volume = this.data.columns[k].volume[next];
    return quoteBar(this.data.columns[k].time[next], this.prices.open(k, next), volume > 0 ? priceMicros(volume) : null);
  }

  /** Symbol k's next bar, for the orders resting on it. */
  private bar(k: number): PriceBar {
    const next = this.market.histories[k].count;
    const c = this.data.columns[k];
    const volume = c.volume[next];
    return { time: c.time[next], open: this.prices.open(k, next), high: priceMicros(c.high[next]), low: priceMicros(c.low[next]), close: this.prices.close(k, next), volume: volume > 0 ? priceMicros(volume) : null };
  }

  /** Registers a decision made at the current close: it acts from each symbol's next bar. */
  private apply(decision: Decision): void {
    const time = this.market.clock.now;
    if (decision.kind === 'targets') {
      // Every symbol with a bar now takes its weight (0 when left out); one without a bar keeps its position unless named.
      this.market.histories.forEach((history, k) => {
        const weight = decision.weights[history.symbol];
        if (weight === undefined && !history.current) return;
        this.book.cancelTargets(k);
        if (Number.isNaN(this.pendingTarget[k])) this.pendingTargets++;
        this.pendingTarget[k] = weight ?? 0;
        this.pendingTag[k] = decision.reason ?? null;
        this.pendingDecidedAt[k] = time;
      });
      return;
    }
    if (decision.cancel === 'all') {
      this.pendingTargets = 0;
      this.pendingTarget.fill(NaN);
    }
    this.book.cancel(decision.cancel, 'cancelled by the strategy');
    // A one-cancels-other group is named after its first order, as the broker names it.
    const groups = new Map<string, string>();
    decision.orders.forEach((order, index) => {
      const placed = this.explicitOrder(order, index, decision.reason ?? null, time);
      if (order.ocoGroup !== undefined) {
        if (!groups.has(order.ocoGroup)) groups.set(order.ocoGroup, orderIdFor(placed.id, 'oco'));
        placed.ocoGroupId = groups.get(order.ocoGroup)!;
      }
      this.book.submit(placed);
    });
  }

  private explicitOrder(order: ValidOrder, index: number, reason: string | null, time: number) {
    const quantity = toMicros(order.quantity);
    if (this.settings.wholeShares && quantity % 1_000_000n !== 0n) {
      throw new StrategyRuntimeError(this.strategy.name, time, new RangeError(`orders[${index}].quantity: must be whole shares (the run trades whole shares), got ${order.quantity}`));
    }
    if (order.clientId !== undefined) {
      if (this.clientIds.has(order.clientId)) throw new StrategyRuntimeError(this.strategy.name, time, new RangeError(`orders[${index}].clientId: ${order.clientId} was used before (clientIds are unique in a run)`));
      this.clientIds.add(order.clientId);
    }
    const optional = (v: number | undefined) => (v === undefined ? null : toMicros(v));
    return newOrder({
      id: orderIdFor(BACKTEST_ACCOUNT, orderKey(this.strategy.name, time, order.symbol, index, order.clientId)), symbol: this.market.indexOf(order.symbol), side: order.side,
      type: order.type, timeInForce: order.timeInForce, quantity, clientId: order.clientId ?? null, tag: order.reason ?? reason, target: false, decidedAt: time,
      limitPrice: optional(order.limitPrice), stopPrice: optional(order.stopPrice), trailAmount: optional(order.trailAmount), trailPercent: optional(order.trailPercent),
      takeProfit: optional(order.takeProfit), stopLoss: optional(order.stopLoss),
      goodTillDate: order.expireDate === undefined ? null : Date.parse(`${order.expireDate}T00:00:00Z`),
    });
  }

  /**
   * The account as the strategy sees it at the current close. Positions are made when read, from
   * what each needs copied now, so a view kept and read later (the warm-up check replays them)
   * still answers as of its close; a strategy that reads only the equity (to size an order) no
   * longer pays for a view of every position at each decision.
   */
  private portfolioView(): PortfolioView {
    return { cash: fromMicros(this.ledger.cash), equity: this.lastEquity, positions: this.positionsView(this.lastEquity), openOrders: this.book.openOrders() };
  }

  private positionsView(equity: number): Readonly<Record<string, PositionView>> {
    const { held, shares: sharesNow, cost: costNow } = this.ledger;
    if (held.length === 0) return NO_POSITIONS;
    const symbols = held.map((k) => this.data.symbols[k]);
    const shares = held.map((k) => sharesNow[k]);
    const cost = held.map((k) => costNow[k]);
    const closes = held.map((k) => this.market.histories[k].close());
    return lazyRecord(
      () => symbols,
      (symbol) => {
        const j = symbols.indexOf(symbol);
        if (j < 0) return undefined;
        const quantity = fromMicros(shares[j]);
        const price = closes[j];
        return { symbol, quantity, avgPrice: averagePriceOf(cost[j], shares[j]), price, value: quantity * price, weight: equity > 0 ? (quantity * price) / equity : 0 };
      },
    );
  }
}

const NO_POSITIONS: Readonly<Record<string, PositionView>> = Object.freeze({});

/** The symbols a strategy trades in the data: its declared universe, or every symbol. */
export function strategyData(data: PortfolioData, strategy: Pick<CompiledStrategy, 'universe'>): PortfolioData {
  if (strategy.universe === 'all' || (strategy.universe.length === data.symbols.length && strategy.universe.every((s, k) => data.symbols[k] === s))) return data;
  return selectSymbols(data, strategy.universe);
}

/**
 * Backtests an SDK strategy over a portfolio (README.md, "Convention"): symbols on one union
 * calendar, one cash balance, decisions at a step's close acting from each symbol's next open,
 * every order through libs/fill-engine, an exact ledger, equity marked at every step.
 */
export function runPortfolio(input: PortfolioData, strategy: CompiledStrategy, options: PortfolioRunOptions = {}): PortfolioResult {
  const { start = 0, end, state = {}, onDecision, onProgress, ...rest } = options;
  const settings = portfolioOptionsSchema.parse(rest);
  const data = strategyData(input, strategy);
  const steps = data.calendar.times.length;
  const stop = Math.min(end ?? steps, steps);
  if (!(Number.isInteger(start) && start >= 0 && start < stop)) throw new RangeError(`start must be a step before the end (0..${stop - 1}), got ${start}`);
  const costs = costModel({ feeFixed: settings.feePerTrade, feeBps: settings.feeBps, feePerShare: settings.feePerShare, feeMinimum: settings.feeMinimum, slippageBps: settings.slippageBps, volumeLimit: settings.volumeLimit, priceImpact: settings.priceImpact });
  const run = new PortfolioRun(data, strategy, settings, costs, state);
  for (let s = 0; s < start; s++) run.reveal(s);
  const equity = new Float64Array(stop - start);
  let exposed = 0;
  for (let s = start; s < stop; s++) {
    equity[s - start] = run.step(s, onDecision);
    if (run.ledger.held.length > 0) exposed++;
    if (onProgress && (s - start) % 1024 === 1023) onProgress(s - start + 1, stop - start);
  }
  onProgress?.(stop - start, stop - start);
  return resultOf(run, data, settings, equity, exposed, start, stop, state);
}

function resultOf(run: PortfolioRun, data: PortfolioData, settings: PortfolioSettings, equity: Float64Array, exposed: number, start: number, stop: number, state: JsonObject): PortfolioResult {
  const { ledger, market, book, strategy } = run;
  const exact = ledger.equity(run.latestClose);
  ledger.finish(
    (k) => market.histories[k].count - 1,
    (k) => market.histories[k].close(),
  );
  const time = data.calendar.times.subarray(start, stop);
  return {
    strategy: strategy.name,
    params: { ...strategy.params },
    symbols: [...data.symbols],
    steps: stop - start,
    from: isoDate(time[0]),
    to: isoDate(time[time.length - 1]),
    warmup: strategy.warmup,
    initialCash: settings.initialCash,
    ...equityMetrics(equity, settings.initialCash, settings.barsPerYear),
    trades: ledger.trades,
    winRate: ledger.trades > 0 ? ledger.wins / ledger.trades : 0,
    exposure: exposed / (stop - start),
    fees: fromMicros(ledger.fees),
    settings,
    tradeLog: ledger.tradeLog,
    fills: book.fills,
    orders: book.done.map((o) => orderRecord(o, data.symbols, isoDate)),
    ledger: { cash: ledger.cash, shares: Object.fromEntries(data.symbols.map((s, k) => [s, ledger.shares[k]])), equity: exact },
    equity,
    time,
    state,
  };
}

/** The JSON-friendly part of a result: every metric, without the curves, fills and orders. */
export function summarizePortfolio(result: PortfolioResult): PortfolioSummary {
  const { tradeLog: _t, fills: _f, orders: _o, ledger: _l, equity: _e, time: _time, state: _s, ...summary } = result;
  return summary;
}
