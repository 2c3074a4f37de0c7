import { costModel, type CostModel, type CostSettings } from '@tradeyard/fill-engine';
import type { ClockDto, Order, Portfolio } from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';
import { MarketHistory, StrategyDriver, type CompiledStrategy, type Decision, type OpenOrderView, type PortfolioView } from '@tradeyard/strategy';
import { executePlan, planOf, type PlacedOrder, type StrategyTools, type TimedDecision } from './strategy-orders';
import type { LiveStrategyState, StrategyStateStore } from './strategy-state';

/** Bars get_history answers at most. */
const MAX_HISTORY_BARS = 2000;
/** History a live strategy starts from: at least this many bars, so recursive indicators (EMA, RSI, ATR) settle past their warm-up. */
export const MIN_HISTORY_BARS = 500;
/** Bars of each symbol a live strategy reads when it starts: its warm-up (four times over, at least MIN_HISTORY_BARS), as get_history serves them. */
export const strategyHistoryBars = (strategy: Pick<CompiledStrategy, 'warmup'>) => Math.min(MAX_HISTORY_BARS, Math.max(MIN_HISTORY_BARS, 4 * strategy.warmup));

const OPEN: ReadonlySet<Order['status']> = new Set(['accepted', 'partially_filled']);
/** Orders get_orders answers at most: the account's open ones are among its latest. */
const ORDERS_READ = 1000;

export interface LiveStrategyOptions {
  strategy: CompiledStrategy;
  /** The universe: the strategy's declared one, or the market's symbols it was given. */
  symbols: readonly string[];
  tools: StrategyTools;
  store: StrategyStateStore;
  /** The costs targets are sized with (the gateway's, when known); default none. */
  costs?: Partial<CostSettings>;
  /** Run-log events: a decision made; an error (`stage`: clock, get_history, bars, decide, order; `stopped` when the strategy failed). */
  record(type: 'decision' | 'error', fields: Record<string, unknown>): void;
}

export interface LiveCycle {
  /** The bar times stepped this cycle (none: no new bar on the clock). */
  steps: number[];
  orders: PlacedOrder[];
  /** The account as read before deciding (undefined when nothing was stepped). */
  portfolio?: Portfolio;
}

/**
 * An SDK strategy trading live through the MCP tools: each cycle it reads the market clock and,
 * when it moved, each symbol's new bars; steps the SDK's StrategyDriver over streaming indicators at
 * every new bar time (the decisions a backtest makes over the same bars); and places what the
 * decisions come to. The first cycle reads history to warm up and decides at the latest bar only;
 * after a restart, at each bar after the last step it saved. A decision that breaks a rule (or a
 * strategy that throws) stops it: `failure` says why and every later cycle does nothing.
 */
export class LiveStrategy {
  failure: string | undefined;
  /** Steps decided on since this process started. */
  steps = 0;
  private market!: MarketHistory;
  private driver!: StrategyDriver;
  private lastBarTime = new Map<string, number>();
  private lateWarned = new Set<string>();
  private view: PortfolioView = { cash: 0, equity: 0, positions: {}, openOrders: [] };
  private readonly costs: CostModel;
  private readonly saved: LiveStrategyState;
  /** The clock's epoch and time last seen, and the time of the last step taken. */
  private seen: { epoch: number; time: number } | undefined;
  private lastStep: number | undefined;

  constructor(private readonly options: LiveStrategyOptions) {
    this.costs = costModel(options.costs ?? {});
    this.saved = options.store.load();
    this.reset(this.saved.decidedAt ?? undefined);
  }

  get instance(): string {
    return this.saved.instance;
  }

  /** Fresh histories (the clock went back, or the start): warmed up again from the next bars read. */
  private reset(decidedAt?: number) {
    this.market = MarketHistory.streaming(this.options.symbols, this.options.strategy);
    this.driver = new StrategyDriver(this.options.strategy, this.market, () => this.view, this.saved.state, decidedAt);
    this.lastBarTime = new Map();
  }

  /** One cycle: new bars, steps, orders. Tool failures reject (the caller records them and tries again next cycle). */
  async cycle(): Promise<LiveCycle> {
    const idle: LiveCycle = { steps: [], orders: [] };
    if (this.failure) return idle;
    const clock = await this.options.tools.call<ClockDto>('get_clock');
    if (!this.clockMoved(clock)) return idle;
    const fresh = await this.newBars();
    this.seen = { epoch: clock.epoch, time: clock.time };
    const times = this.stepTimes(fresh);
    if (times.length === 0) return idle;
    const portfolio = await this.options.tools.call<Portfolio>('get_portfolio');
    const { orders: recent } = await this.options.tools.call<{ orders: Order[] }>('get_orders', { limit: ORDERS_READ });
    const open = recent.filter((o) => OPEN.has(o.status));
    this.view = this.portfolioView(portfolio, open);
    const decided = this.stepThrough(fresh, times);
    // The names of orders still open, and of the bracket entries of open exits, are kept; and those placed now.
    const keep = new Set(open.flatMap((o) => (o.parentId ? [o.id, o.parentId] : [o.id])));
    try {
      const placed = decided.length ? await this.execute(decided, portfolio, open) : [];
      for (const p of placed) if (p.order) keep.add(p.order.id);
      return { steps: times, orders: placed, portfolio };
    } finally {
      this.save(clock.epoch, keep);
    }
  }

  /**
   * Whether the clock shows a bar not seen yet. A clock that went back (a restart of the replay,
   * a new epoch) starts the histories afresh; a saved last step of another epoch does not count.
   */
  private clockMoved(clock: ClockDto): boolean {
    if (this.seen === undefined) {
      const { epoch, lastStep } = this.saved;
      if (epoch === clock.epoch && lastStep !== null && lastStep <= clock.time) this.lastStep = lastStep;
      else if (this.saved.decidedAt !== null) this.reset();
      return true;
    }
    if (clock.epoch === this.seen.epoch && clock.time === this.seen.time) return false;
    if (clock.epoch !== this.seen.epoch || clock.time < this.seen.time) {
      this.options.record('error', { stage: 'clock', message: `the market clock went back to ${clock.date} (epoch ${clock.epoch}): ${this.options.strategy.name} warms up again from the history there` });
      this.reset();
      this.lastStep = undefined;
    }
    return true;
  }

  /** Each symbol's bars after the last one it has, oldest first; a symbol whose read fails gets none this cycle (recorded). */
  private async newBars(): Promise<Map<string, Bar[]>> {
    const fresh = new Map<string, Bar[]>();
    for (const symbol of this.options.symbols) {
      const last = this.lastBarTime.get(symbol);
      const args = last === undefined ? { symbol, limit: strategyHistoryBars(this.options.strategy) } : { symbol, from: isoDate(last), limit: MAX_HISTORY_BARS };
      try {
        const { bars } = await this.options.tools.call<{ bars: Bar[] }>('get_history', args);
        fresh.set(symbol, bars.filter((b) => last === undefined || b.time > last));
      } catch (err) {
        this.options.record('error', { stage: 'get_history', symbol, message: (err as Error).message });
      }
    }
    return fresh;
  }

  /**
   * The bar times to decide at, oldest first: those after the last step (at the start, the latest
   * bar time only: what came before is history). Bars up to the last step are appended at once.
   */
  private stepTimes(fresh: Map<string, Bar[]>): number[] {
    const latest = Math.max(-Infinity, ...[...fresh.values()].map((bars) => bars.at(-1)?.time ?? -Infinity));
    if (latest === -Infinity) return [];
    const after = this.lastStep ?? latest - 1;
    const times = new Set<number>();
    for (const [symbol, bars] of fresh) {
      const history = this.market.history(symbol);
      // Bars up to the last step are history at the start; for a symbol read before, one came late.
      const late = history.length > 0;
      while (bars.length && bars[0].time <= after) {
        const bar = bars.shift()!;
        if (late && !this.lateWarned.has(symbol)) {
          this.lateWarned.add(symbol);
          this.options.record('error', {
            stage: 'bars', symbol,
            message: `${symbol}'s bar of ${isoDate(bar.time)} came after the clock had passed it (its interval is coarser than the clock's step): live, a symbol is in the ready set only on steps at its bars' times, so ${symbol} will not be`,
          });
        }
        history.append(bar);
        this.lastBarTime.set(symbol, bar.time);
      }
      for (const bar of bars) times.add(bar.time);
    }
    return [...times].sort((a, b) => a - b);
  }

  /** Appends each step's bars and steps the driver at each time; a strategy that fails stops here. */
  private stepThrough(fresh: Map<string, Bar[]>, times: number[]): TimedDecision[] {
    const decided: TimedDecision[] = [];
    for (const time of times) {
      for (const [symbol, bars] of fresh) {
        while (bars.length && bars[0].time <= time) {
          const bar = bars.shift()!;
          this.market.history(symbol).append(bar);
          this.lastBarTime.set(symbol, bar.time);
        }
      }
      this.market.clock.now = time;
      this.lastStep = time;
      this.steps++;
      let decisions: readonly Decision[];
      try {
        decisions = this.driver.step();
      } catch (err) {
        this.failure = (err as Error).message;
        this.options.record('error', { stage: 'decide', date: isoDate(time), message: this.failure, stopped: true });
        return [];
      }
      if (decisions.length === 0) continue;
      const current = new Set(this.market.histories.filter((h) => h.current).map((h) => h.symbol));
      this.options.record('decision', { date: isoDate(time), barTime: time, universe: this.driver.context.universe, decisions });
      for (const decision of decisions) decided.push({ time, current, decision });
    }
    return decided;
  }

  private async execute(decided: TimedDecision[], portfolio: Portfolio, open: Order[]): Promise<PlacedOrder[]> {
    const placed = await executePlan({
      plan: planOf(decided, this.options.symbols),
      tools: this.options.tools,
      prefix: this.saved.instance,
      portfolio,
      openOrders: open,
      names: this.saved.orders,
      price: (symbol) => this.market.history(symbol).close(),
      costs: this.costs,
    });
    for (const p of placed) {
      if (p.order) this.saved.orders[p.order.id] = { clientId: p.clientId, reason: p.reason };
      if (p.error) this.options.record('error', { stage: 'order', message: p.error, args: p.args });
    }
    return placed;
  }

  /** Saves the state: the last step, the strategy's own state, the names of the orders in `keep`. */
  private save(epoch: number, keep: ReadonlySet<string>) {
    this.saved.orders = Object.fromEntries(Object.entries(this.saved.orders).filter(([id]) => keep.has(id)));
    Object.assign(this.saved, { epoch, lastStep: this.lastStep ?? null, decidedAt: this.driver.decidedAt ?? null });
    this.options.store.save(this.saved);
  }

  /** The account as the strategy sees it: the gateway's equity and positions (marked at the latest closes), the open orders with the strategy's names. */
  private portfolioView(portfolio: Portfolio, open: Order[]): PortfolioView {
    const positions = Object.fromEntries(
      portfolio.positions.map((p) => [p.symbol, { symbol: p.symbol, quantity: p.quantity, avgPrice: p.avgPrice, price: p.marketPrice, value: p.marketValue, weight: portfolio.equity > 0 ? p.marketValue / portfolio.equity : 0 }]),
    );
    const named = this.saved.orders;
    const openOrders = open.map((o): OpenOrderView => ({
      id: o.id, clientId: named[o.id]?.clientId ?? null, symbol: o.symbol, side: o.side, type: o.type, timeInForce: o.timeInForce ?? 'gtc', quantity: o.quantity,
      filledQuantity: o.filledQuantity, limitPrice: o.limitPrice, stopPrice: o.stopPrice ?? null, status: o.status,
      reason: named[o.id]?.reason ?? (o.parentId ? named[o.parentId]?.reason : null) ?? null, parentId: o.parentId ?? null, ocoGroupId: o.ocoGroupId ?? null,
    }));
    return { cash: portfolio.cash, equity: portfolio.equity, positions, openOrders };
  }
}
