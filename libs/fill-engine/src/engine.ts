import { createHash } from 'node:crypto';
import { divRound, MICROS } from '@tradeyard/money';
import { fillTerms, volumeCap, type CostModel, type Side } from './costs';
import { filledValueOf, fillValue } from './average';
import { transition, type OrderJournalEntry, type OrderState, type ReasonCode } from './order';

/** market_on_open / market_on_close: auction orders that fill at the next session's open / the next bar's close (README "Timing"). */
export const orderTypes = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_on_open', 'market_on_close'] as const;
export type OrderType = (typeof orderTypes)[number];
/** Which price fields each order type takes: the required ones; every other one must be omitted. */
export const priceFieldsOf: Readonly<Record<OrderType, readonly ('limitPrice' | 'stopPrice')[]>> = {
  market: [],
  limit: ['limitPrice'],
  stop: ['stopPrice'],
  stop_limit: ['stopPrice', 'limitPrice'],
  trailing_stop: [],
  market_on_open: [],
  market_on_close: [],
};
/** gtd: good till the market date in `goodTillDate`. */
export const timesInForce = ['day', 'gtc', 'ioc', 'fok', 'gtd'] as const;
export type TimeInForce = (typeof timesInForce)[number];

/**
 * An order as the fill engine sees it; amounts in micro-units. The broker and the backtester
 * hold more (account, symbol, reservations), which the engine passes through untouched.
 */
export interface EngineOrder extends OrderState {
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  quantity: bigint;
  filledQuantity: bigint;
  /** Σ of its fills' notionals, each rounded to micro-units as cash moved. */
  filledNotional: bigint;
  /**
   * Σ quantity × price of its fills, exact (micro-units squared, fillValue): its average fill price
   * is averageFillPrice(filledValue, filledQuantity). Optional so that orders built before it
   * existed still type-check; the engine keeps it from the order's first fill on.
   */
  filledValue?: bigint;
  fees: bigint;
  fillCount: number;
  /** limit and stop_limit: the worst price it fills at. */
  limitPrice: bigint | null;
  /** stop and stop_limit: the trigger; trailing_stop: the current trigger, moved by the trail. */
  stopPrice: bigint | null;
  /** trailing_stop: the trail, as an amount of price or a percent (micro-units of a percent). */
  trailAmount: bigint | null;
  trailPercent: bigint | null;
  /** trailing_stop: the best price seen since arrival (highest for a sell, lowest for a buy). */
  trailAnchor: bigint | null;
  /** stop and stop_limit: whether the trigger was reached (a triggered stop_limit rests as a limit). */
  triggered: boolean;
  /** The time of the quote it arrived at, and of the last bar it was evaluated against. */
  arrivalTime: number | null;
  evaluatedThrough: number | null;
  /**
   * gtd: the last market date it is good for, as the time (ms) that UTC date starts; it expires on
   * the first bar of a later date. Optional, as the fields below: orders built before they existed
   * still type-check.
   */
  goodTillDate?: number | null;
  /** One-cancels-other: the group it belongs to (src/oco.ts); once one order of a group trades or closes, the others are cancelled. */
  ocoGroupId?: string | null;
}

/** A price point: a bar (open, high, low, close) or a quote (all four equal). Volume null: unknown. */
export interface PriceBar {
  time: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint | null;
}

export interface EngineFill {
  id: string;
  orderId: string;
  fillNumber: number;
  side: Side;
  quantity: bigint;
  price: bigint;
  fee: bigint;
  time: number;
}

export interface MatchResult<T extends EngineOrder> {
  /** The order after the evaluation (status changed only through the transition table). */
  order: T;
  fills: EngineFill[];
  journal: OrderJournalEntry[];
}

/** A quote as a bar: one price, open = high = low = close. */
export const quoteBar = (time: number, price: bigint, volume: bigint | null = null): PriceBar => ({ time, open: price, high: price, low: price, close: price, volume });

/** A UUID (version 5 layout over SHA-1) of a name: the same name always gives the same id. */
function nameUuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A fill's id from its order and its number within the order: the same fill recorded twice
 * (a retried match) has the same id, so it counts once.
 */
export const fillId = (orderId: string, fillNumber: number): string => nameUuid(`${orderId}/fill/${fillNumber}`);

/**
 * An order's id from its account and the client's key for it (an idempotency key): a replay of
 * the same decisions (a backtest and the paper broker driven on the same bars) names its orders,
 * and hence its fills, the same.
 */
export const orderIdFor = (accountId: string, clientKey: string): string => nameUuid(`${accountId}/order/${clientKey}`);

const isBuy = (o: EngineOrder) => o.side === 'buy';
const utcDay = (time: number) => Math.floor(time / 86_400_000);

/** The trigger of a trailing stop: the anchor moved back by the trail. */
function trailingTrigger(order: EngineOrder, anchor: bigint): bigint {
  const trail = order.trailAmount ?? divRound(anchor * order.trailPercent!, 100n * MICROS);
  return isBuy(order) ? anchor + trail : anchor - trail;
}

/** The first price of `bar` at which a trigger is reached: the open when it gapped through, else the trigger. */
function triggerPrice(buy: boolean, trigger: bigint, bar: PriceBar): bigint | undefined {
  if (buy) return bar.open >= trigger ? bar.open : bar.high >= trigger ? trigger : undefined;
  return bar.open <= trigger ? bar.open : bar.low <= trigger ? trigger : undefined;
}

/** The first price of `bar` at which a limit is marketable: the open when it is, else the limit. */
function limitTouch(buy: boolean, limit: bigint, bar: PriceBar): bigint | undefined {
  if (buy) return bar.open <= limit ? bar.open : bar.low <= limit ? limit : undefined;
  return bar.open >= limit ? bar.open : bar.high >= limit ? limit : undefined;
}

/**
 * Where the order becomes executable within the bar (the market price it fills at, before
 * slippage), with the trigger state it leaves. Prices inside a bar are assumed to go open →
 * (high, low) → close in an unknown order, so: a gap at the open fills at the open; otherwise a
 * limit fills at its limit and a stop at its trigger when the range reaches them. A stop_limit
 * triggered inside the bar fills in that bar only if its trigger price is within its limit;
 * otherwise it rests as a limit from the next bar.
 */
function execution(order: EngineOrder, bar: PriceBar): { price?: bigint; triggered: boolean } {
  const buy = isBuy(order);
  switch (order.type) {
    case 'market':
      return { price: bar.open, triggered: false };
    case 'limit':
      return { price: limitTouch(buy, order.limitPrice!, bar), triggered: false };
    case 'stop':
    case 'trailing_stop': {
      const at = order.triggered ? bar.open : triggerPrice(buy, order.stopPrice!, bar);
      return { price: at, triggered: at !== undefined };
    }
    case 'stop_limit': {
      if (order.triggered) return { price: limitTouch(buy, order.limitPrice!, bar), triggered: true };
      const at = triggerPrice(buy, order.stopPrice!, bar);
      if (at === undefined) return { triggered: false };
      const within = buy ? at <= order.limitPrice! : at >= order.limitPrice!;
      return { price: within ? at : undefined, triggered: true };
    }
    // Auctions never trade at the quote they arrive at (a close already past): market-on-open at
    // the open of the first bar of a later UTC date (the next session), market-on-close at the
    // close of the first bar after arrival (the next close the clock reveals).
    case 'market_on_open':
      return { price: order.arrivalTime === null || utcDay(bar.time) > utcDay(order.arrivalTime) ? bar.open : undefined, triggered: false };
    case 'market_on_close':
      return { price: order.arrivalTime === null || bar.time > order.arrivalTime ? bar.close : undefined, triggered: false };
  }
}

/** The auction an order type trades in, and the reason code of a remainder it leaves (the volume limit): it expires with the auction. */
const auctions: Partial<Record<OrderType, { code: ReasonCode; reason: string }>> = {
  market_on_open: { code: 'expired_at_open', reason: 'market-on-open: the quantity the volume limit left at the open was cancelled' },
  market_on_close: { code: 'expired_at_close', reason: 'market-on-close: the quantity the volume limit left at the close was cancelled' },
};

/**
 * Why an order's time in force ends it before the bar at `time` trades, if it does: a day order on
 * the first bar of a later UTC date than its arrival, a good-till-date order on the first bar of a
 * later date than its own.
 */
function expiry(order: EngineOrder, time: number): { code: ReasonCode; reason: string } | undefined {
  if (order.timeInForce === 'day' && order.arrivalTime !== null && utcDay(time) > utcDay(order.arrivalTime)) {
    return { code: 'expired_day', reason: 'a day order expires at the end of the trading day it was placed on' };
  }
  const until = order.goodTillDate;
  if (order.timeInForce === 'gtd' && until !== null && until !== undefined && utcDay(time) > utcDay(until)) {
    return { code: 'expired_gtd', reason: `a good-till-date order expires after its date, ${new Date(until).toISOString().slice(0, 10)}` };
  }
  return undefined;
}

/** Closed orders are passed through unchanged. */
const isOpen = (o: EngineOrder) => o.status === 'accepted' || o.status === 'partially_filled';

function expire<T extends EngineOrder>(order: T, journal: OrderJournalEntry[], reasonCode: ReasonCode, reason: string): T {
  const step = transition(order, 'expire', { reasonCode, reason });
  journal.push(step.entry);
  return step.order;
}

/**
 * One evaluation of an open order against a price point. `arrival` is the quote the order
 * arrives at (time in force ioc and fok act there; a trailing stop takes its anchor there);
 * otherwise it is a later bar (day and gtd orders expire on the first bar after their date; a bar
 * at or before the last one evaluated is skipped, so evaluating the same bar twice is harmless).
 */
function evaluate<T extends EngineOrder>(input: T, bar: PriceBar, costs: CostModel, arrival: boolean): MatchResult<T> {
  const journal: OrderJournalEntry[] = [];
  const fills: EngineFill[] = [];
  let order = input;
  if (!isOpen(order)) return { order, fills, journal };
  if (!arrival) {
    if (order.evaluatedThrough !== null && bar.time <= order.evaluatedThrough) return { order, fills, journal };
    const ended = expiry(order, bar.time);
    if (ended) return { order: expire(order, journal, ended.code, ended.reason), fills, journal };
  } else {
    order = { ...order, arrivalTime: bar.time };
    if (order.type === 'trailing_stop') order = { ...order, trailAnchor: bar.close, stopPrice: trailingTrigger(order, bar.close) };
  }
  order = { ...order, evaluatedThrough: bar.time };

  const { price, triggered } = execution(order, bar);
  if (triggered !== order.triggered) order = { ...order, triggered };
  const open = order.quantity - order.filledQuantity;
  const cap = volumeCap(costs, bar.volume);
  const quantity = price === undefined ? 0n : cap !== null && cap < open ? cap : open;

  if (arrival && order.timeInForce === 'fok' && quantity < open) {
    const why = price === undefined ? 'it was not marketable on arrival' : `only ${quantity} of ${open} micro-units could fill within the volume limit`;
    return { order: expire(order, journal, 'expired_fok', `fill-or-kill: ${why}`), fills, journal };
  }
  if (quantity > 0n) {
    const limit = order.type === 'limit' || order.type === 'stop_limit' ? order.limitPrice : null;
    const { price: at, notional: fillNotional, fee } = fillTerms(costs, order.side, price!, quantity, bar.volume, limit);
    const fillNumber = order.fillCount + 1;
    const id = fillId(order.id, fillNumber);
    const filledQuantity = order.filledQuantity + quantity;
    const step = transition(order, filledQuantity === order.quantity ? 'fill' : 'partial_fill', { fillId: id });
    journal.push(step.entry);
    order = {
      ...step.order, filledQuantity, filledNotional: order.filledNotional + fillNotional, filledValue: filledValueOf(order) + fillValue(quantity, at), fees: order.fees + fee, fillCount: fillNumber,
    };
    fills.push({ id, orderId: order.id, fillNumber, side: order.side, quantity, price: at, fee, time: bar.time });
  }
  if (arrival && order.timeInForce === 'ioc' && isOpen(order)) {
    order = expire(order, journal, 'expired_ioc', 'immediate-or-cancel: the quantity not filled on arrival was cancelled');
  }
  const auction = auctions[order.type];
  if (auction && price !== undefined && isOpen(order)) order = expire(order, journal, auction.code, auction.reason);
  // A trailing stop that did not fire follows the market: the anchor takes the bar's best price.
  if (order.type === 'trailing_stop' && isOpen(order) && !order.triggered) {
    const best = isBuy(order) ? (bar.low < order.trailAnchor! ? bar.low : order.trailAnchor!) : bar.high > order.trailAnchor! ? bar.high : order.trailAnchor!;
    if (best !== order.trailAnchor) order = { ...order, trailAnchor: best, stopPrice: trailingTrigger(order, best) };
  }
  return { order, fills, journal };
}

/**
 * An accepted order at the quote it arrives at (the latest price when it is placed): a market
 * order or a marketable limit fills there, a stop whose trigger is already passed fires there;
 * ioc and fok act; whatever is left rests for later bars.
 */
export const arrive = <T extends EngineOrder>(order: T, quote: PriceBar, costs: CostModel): MatchResult<T> => evaluate(order, quote, costs, true);

/** A resting order against the next bar after its arrival. */
export const matchBar = <T extends EngineOrder>(order: T, bar: PriceBar, costs: CostModel): MatchResult<T> => evaluate(order, bar, costs, false);

/**
 * The price a resting order's reservation is computed at: the worst price it can fill at when
 * it is bounded (a limit), else its trigger (a stop or trailing stop may gap past it: the broker
 * checks again at the fill), else the quote (a market order held back by the volume limit).
 */
export function restingPrice(order: EngineOrder, quote: bigint): bigint {
  if (order.type === 'limit' || order.type === 'stop_limit') return order.limitPrice!;
  if (order.type === 'stop' || order.type === 'trailing_stop') return order.stopPrice ?? quote;
  return quote;
}
