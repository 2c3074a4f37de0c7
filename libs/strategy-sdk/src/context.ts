import type { Bar } from '@tradeyard/market-data';
import type { Decision, OrderRequest } from './decision';
import type { IndicatorDecls, PriceField } from './indicators';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * One symbol's bars up to now, newest last. There is no forward index: `barsAgo` counts back from
 * the latest bar (0), a negative one throws, and one beyond the first bar answers NaN.
 */
export interface BarHistory {
  readonly symbol: string;
  /** Bars seen up to now. */
  readonly length: number;
  /** True when the symbol has a bar at the current time (false: its latest bar is older). */
  readonly current: boolean;
  time(barsAgo?: number): number;
  open(barsAgo?: number): number;
  high(barsAgo?: number): number;
  low(barsAgo?: number): number;
  close(barsAgo?: number): number;
  volume(barsAgo?: number): number;
  /** The bar `barsAgo` back as an object (undefined before the first bar). */
  bar(barsAgo?: number): Bar | undefined;
  /** The last `count` values of a field, oldest first (fewer when there are fewer bars): a copy. */
  series(field: PriceField, count: number): Float64Array;
}

/** An indicator's value for a symbol, `barsAgo` bars back (default 0: now); NaN while not warm. */
export type IndicatorReader = (symbol: string, barsAgo?: number) => number;
export type IndicatorReaders<I extends IndicatorDecls> = { readonly [K in keyof I]: IndicatorReader };

export interface PositionView {
  readonly symbol: string;
  /** Shares held; negative for a short (a run that allows them). */
  readonly quantity: number;
  /** Average price paid for the shares held, or received for a short's (fees excluded). */
  readonly avgPrice: number;
  /** The latest close. */
  readonly price: number;
  /** quantity × price: negative for a short. */
  readonly value: number;
  /** value / equity (negative for a short, as its target weight). */
  readonly weight: number;
}

export interface OpenOrderView {
  readonly id: string;
  readonly clientId: string | null;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string;
  readonly timeInForce: string;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
  readonly status: string;
  readonly reason: string | null;
  /** For a bracket exit, the entry's id. */
  readonly parentId: string | null;
  /** For an order of a one-cancels-other group, the group's id. */
  readonly ocoGroupId: string | null;
}

/** The account as of now: cash and equity marked at the latest closes, positions held, open orders. */
export interface PortfolioView {
  readonly cash: number;
  readonly equity: number;
  readonly positions: Readonly<Record<string, PositionView>>;
  readonly openOrders: readonly OpenOrderView[];
}

/**
 * What decide sees: the market and the account at one point in time, nothing later.
 * `universe` is the ready set: the symbols with a bar now whose warm-up is over, in declared
 * order. `symbols` is every symbol of the run.
 */
export interface StrategyContext<P, I extends IndicatorDecls> {
  /** The current bar's time (ms since the epoch, UTC), as Bar.time. */
  readonly time: number;
  /** The current date, YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly universe: readonly string[];
  readonly symbols: readonly string[];
  bars(symbol: string): BarHistory;
  readonly ind: IndicatorReaders<I>;
  readonly portfolio: PortfolioView;
  /** The strategy's own state, kept between decisions (and persisted live): JSON values only. */
  readonly state: JsonObject;
  readonly params: P;
  /** Target weights (fractions of equity, summing to at most 1; negative for a short, with Σ |weight| ≤ 1, when the run allows shorts); the engine sizes the orders. */
  targets(weights: Readonly<Record<string, number>>, options?: { reason?: string }): Decision;
  /** Explicit orders, after cancelling `cancel` (ids or clientIds of open orders, or 'all'). */
  orders(orders: readonly OrderRequest[], options?: { reason?: string; cancel?: readonly string[] | 'all' }): Decision;
  /** Cancels open orders (ids or clientIds, or 'all'). */
  cancel(ids: readonly string[] | 'all', options?: { reason?: string }): Decision;
}
