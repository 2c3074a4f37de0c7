import { isoDate } from '@tradeyard/market-data';
import type { CompiledStrategy } from './compile';
import type { BarHistory, IndicatorReader, JsonObject, PortfolioView, StrategyContext } from './context';
import { checkOrders, checkTargets, decisionsOf, DecisionError, HOLD, reasonSchema, type Decision, type DecisionRules, type OrderRequest } from './decision';
import type { IndicatorDecls, PriceField } from './indicators';
import type { MarketHistory, SymbolHistory } from './history';
import { RebalanceSchedule } from './schedule';

const checkReason = (reason: string | undefined): string | undefined => {
  if (reason === undefined) return undefined;
  const parsed = reasonSchema.safeParse(reason);
  if (!parsed.success) throw new DecisionError('reason', parsed.error.issues[0].message);
  return reason;
};

/**
 * What decide may read of a symbol's history: the BarHistory members and nothing else. The
 * history itself holds the backtester's whole columns (later bars included) and the count and
 * reveal that move the engine; JavaScript would let a strategy reach them past the type.
 */
function readOnly(history: SymbolHistory): BarHistory {
  return Object.freeze({
    symbol: history.symbol,
    get length() {
      return history.length;
    },
    get current() {
      return history.current;
    },
    time: history.time,
    open: history.open,
    high: history.high,
    low: history.low,
    close: history.close,
    volume: history.volume,
    bar: (barsAgo?: number) => history.bar(barsAgo),
    series: (field: PriceField, count: number) => history.series(field, count),
  });
}

/**
 * The point-in-time context decide sees, over a MarketHistory (batch series in a backtest,
 * streaming values live). One object per run: `at` moves it to the next decision; what it answers
 * is only ever the history's visible bars. The portfolio view is asked of the engine once per
 * decision, when the strategy first reads it.
 */
export class DecisionContext implements StrategyContext<Readonly<Record<string, unknown>>, IndicatorDecls> {
  time = -Infinity;
  universe: readonly string[] = [];
  readonly symbols: readonly string[];
  readonly ind: Readonly<Record<string, IndicatorReader>>;
  readonly params: Readonly<Record<string, unknown>>;
  private view: PortfolioView | undefined;
  /** The read-only view of each symbol's history decide gets (made on first use). */
  private readonly views: BarHistory[] = [];
  private readonly isSymbol: (symbol: string) => boolean;

  constructor(
    strategy: CompiledStrategy,
    private readonly market: MarketHistory,
    private readonly portfolioNow: () => PortfolioView,
    readonly state: JsonObject = {},
    /** What the run allows the decisions (short selling), checked as decide makes them. */
    private readonly rules: DecisionRules = {},
  ) {
    this.symbols = market.symbols;
    this.params = strategy.paramsForStrategy;
    this.isSymbol = (symbol) => market.indexOf(symbol) >= 0;
    this.ind = Object.freeze(
      Object.fromEntries(strategy.indicators.map(({ name }, j) => [name, (symbol: string, barsAgo = 0) => market.history(symbol).indicator(j, barsAgo)])),
    );
  }

  get date(): string {
    return isoDate(this.time);
  }

  get portfolio(): PortfolioView {
    return (this.view ??= this.portfolioNow());
  }

  bars(symbol: string): BarHistory {
    const history = this.market.history(symbol);
    const k = this.market.indexOf(symbol);
    return (this.views[k] ??= readOnly(history));
  }

  /** Moves the context to a decision at the market's current time with this ready set. */
  at(universe: readonly string[]): this {
    this.time = this.market.clock.now;
    this.universe = universe;
    this.view = undefined;
    return this;
  }

  targets(weights: Readonly<Record<string, number>>, options: { reason?: string } = {}): Decision {
    checkTargets(weights, this.isSymbol, this.rules);
    return { kind: 'targets', weights: { ...weights }, reason: checkReason(options.reason) };
  }

  orders(orders: readonly OrderRequest[], options: { reason?: string; cancel?: readonly string[] | 'all' } = {}): Decision {
    if (!Array.isArray(orders)) throw new DecisionError('orders', 'must be a list of orders');
    return { kind: 'orders', orders: checkOrders(orders, this.isSymbol), cancel: options.cancel ?? [], reason: checkReason(options.reason) };
  }

  cancel(ids: readonly string[] | 'all', options: { reason?: string } = {}): Decision {
    if (ids !== 'all' && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) throw new DecisionError('cancel', "must be a list of order ids or 'all'");
    return { kind: 'orders', orders: [], cancel: ids, reason: checkReason(options.reason) };
  }
}

/** null, a string, a boolean or a finite number (checked inline: most of a state is these). */
const isJsonScalar = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/**
 * Why a value is not JSON, and where below it (`.when`, `.list[1]`), or undefined: live runs
 * persist the state as JSON after each decision. It runs after every decision, so it allocates
 * nothing on the way down (`ancestors` is the path of objects, for cycles) and builds the place
 * only for a failure.
 */
function notJson(value: unknown, ancestors: unknown[]): { at: string; why: string } | undefined {
  if (isJsonScalar(value)) return undefined;
  if (typeof value === 'number') return { at: '', why: `${value} is not a JSON number` };
  if (typeof value !== 'object') return { at: '', why: `${value === undefined ? 'undefined' : `a ${typeof value}`} is not a JSON value` };
  if (ancestors.includes(value)) return { at: '', why: 'refers back to itself' };
  const isArray = Array.isArray(value);
  const proto = Object.getPrototypeOf(value);
  if (!isArray && proto !== Object.prototype && proto !== null) return { at: '', why: `a ${proto?.constructor?.name ?? 'class'} object is not a JSON value` };
  ancestors.push(value);
  let problem: { at: string; why: string } | undefined;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (isJsonScalar(item)) continue;
    problem = notJson(item, ancestors);
    if (problem) {
      problem = { at: `${isArray ? `[${key}]` : `.${key}`}${problem.at}`, why: problem.why };
      break;
    }
  }
  ancestors.pop();
  return problem;
}

/** What ctx.targets, ctx.orders and ctx.cancel make (decide may return anything). */
const isDecision = (d: unknown): boolean => typeof d === 'object' && d !== null && ((d as Decision).kind === 'targets' || (d as Decision).kind === 'orders');

/** A decision that breaks a rule (or decide threw): when, and what. */
export class StrategyRuntimeError extends Error {
  constructor(
    readonly strategy: string,
    readonly time: number,
    cause: unknown,
  ) {
    super(`strategy ${strategy} at ${isoDate(time)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StrategyRuntimeError';
  }
}

/**
 * Drives one strategy over a market history, the same way in every runtime: at each step the
 * engine has revealed (or appended) the step's bars and set the clock; `step` decides when the
 * rebalance schedule says so and some symbol is ready, and answers the decisions (none: hold).
 */
export class StrategyDriver {
  readonly context: DecisionContext;
  private readonly schedule: RebalanceSchedule;
  /** notJson's stack of objects, reused by every check. */
  private readonly ancestors: unknown[] = [];

  /**
   * `decidedAt`: when the strategy last decided, for a live run resuming after a restart (its
   * period does not decide again). `rules`: what the run allows the decisions (short selling).
   */
  constructor(
    readonly strategy: CompiledStrategy,
    readonly market: MarketHistory,
    portfolio: () => PortfolioView,
    state: JsonObject = {},
    decidedAt?: number,
    rules: DecisionRules = {},
  ) {
    this.context = new DecisionContext(strategy, market, portfolio, state, rules);
    this.schedule = new RebalanceSchedule(strategy.rebalance);
    if (decidedAt !== undefined) this.schedule.done(decidedAt);
  }

  /** When the strategy last decided (undefined: not yet). */
  get decidedAt(): number | undefined {
    return this.schedule.decidedAt;
  }

  step(): readonly Decision[] {
    const now = this.market.clock.now;
    if (!this.schedule.due(now)) return HOLD;
    const ready = this.market.ready(this.strategy.warmup);
    if (ready.length === 0) return HOLD;
    this.schedule.done(now);
    try {
      const decisions = decisionsOf(this.strategy.decide(this.context.at(ready)));
      // Indexed, not for-of: an iterator per step is garbage a long backtest feels.
      for (let k = 0; k < decisions.length; k++) if (!isDecision(decisions[k])) throw new DecisionError('decide', 'must return ctx.targets(...), ctx.orders(...), ctx.cancel(...), a list of them, or nothing');
      const problem = notJson(this.context.state, this.ancestors);
      if (problem) throw new DecisionError(`ctx.state${problem.at}`, `${problem.why} (the state must hold JSON values only)`);
      return decisions;
    } catch (err) {
      throw new StrategyRuntimeError(this.strategy.name, now, err);
    }
  }
}
