import { isoDate } from '@tradeyard/market-data';
import type { CompiledStrategy } from './compile';
import type { IndicatorReader, JsonObject, PortfolioView, StrategyContext } from './context';
import { checkOrders, checkTargets, decisionsOf, DecisionError, reasonSchema, type Decision, type OrderRequest } from './decision';
import type { IndicatorDecls } from './indicators';
import type { MarketHistory } from './history';
import { RebalanceSchedule } from './schedule';

const checkReason = (reason: string | undefined): string | undefined => {
  if (reason === undefined) return undefined;
  const parsed = reasonSchema.safeParse(reason);
  if (!parsed.success) throw new DecisionError('reason', parsed.error.issues[0].message);
  return reason;
};

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
  private readonly isSymbol: (symbol: string) => boolean;

  constructor(
    strategy: CompiledStrategy,
    private readonly market: MarketHistory,
    private readonly portfolioNow: () => PortfolioView,
    readonly state: JsonObject = {},
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

  bars(symbol: string) {
    return this.market.history(symbol);
  }

  /** Moves the context to a decision at the market's current time with this ready set. */
  at(universe: readonly string[]): this {
    this.time = this.market.clock.now;
    this.universe = universe;
    this.view = undefined;
    return this;
  }

  targets(weights: Readonly<Record<string, number>>, options: { reason?: string } = {}): Decision {
    checkTargets(weights, this.isSymbol);
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

/** What is not JSON in a state (a path and why), or undefined: live runs persist the state as JSON after each decision. */
function notJson(value: unknown, path: string, seen: Set<unknown>): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
  if (typeof value !== 'object') return `${path}: ${value === undefined ? 'undefined' : `a ${typeof value}`} is not a JSON value`;
  if (seen.has(value)) return `${path}: refers back to itself`;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return `${path}: a ${proto?.constructor?.name ?? 'class'} object is not a JSON value`;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    const problem = notJson(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

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

  /** `decidedAt`: when the strategy last decided, for a live run resuming after a restart (its period does not decide again). */
  constructor(
    readonly strategy: CompiledStrategy,
    readonly market: MarketHistory,
    portfolio: () => PortfolioView,
    state: JsonObject = {},
    decidedAt?: number,
  ) {
    this.context = new DecisionContext(strategy, market, portfolio, state);
    this.schedule = new RebalanceSchedule(strategy.rebalance);
    if (decidedAt !== undefined) this.schedule.done(decidedAt);
  }

  /** When the strategy last decided (undefined: not yet). */
  get decidedAt(): number | undefined {
    return this.schedule.decidedAt;
  }

  step(): readonly Decision[] {
    const now = this.market.clock.now;
    if (!this.schedule.due(now)) return [];
    const ready = this.market.ready(this.strategy.warmup);
    if (ready.length === 0) return [];
    this.schedule.done(now);
    try {
      const decisions = decisionsOf(this.strategy.decide(this.context.at(ready)));
      for (const d of decisions) if (typeof d !== 'object' || d === null || (d.kind !== 'targets' && d.kind !== 'orders')) throw new DecisionError('decide', 'must return ctx.targets(...), ctx.orders(...), ctx.cancel(...), a list of them, or nothing');
      const problem = notJson(this.context.state, 'state', new Set());
      if (problem) throw new DecisionError(`ctx.${problem.slice(0, problem.indexOf(':'))}`, `${problem.slice(problem.indexOf(':') + 2)} (the state must hold JSON values only)`);
      return decisions;
    } catch (err) {
      throw new StrategyRuntimeError(this.strategy.name, now, err);
    }
  }
}
