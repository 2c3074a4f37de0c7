import { fillFee, restingPrice, type PositionState } from '@tradeyard/fill-engine';
import { notional, toMicros } from '@tradeyard/money';
import type { BrokerContext } from './context';
import type { AccountBook, OrderRecord } from './unit-of-work';

/** The fee of a fill of `quantity` with this notional (libs/fill-engine's cost model). */
export function fee(ctx: BrokerContext, quantity: bigint, fillNotional: bigint): bigint {
  return fillFee(ctx.costs, quantity, fillNotional);
}

/** The price of a symbol in a market, in micro-units, or undefined when it has none. */
export function marketPrice(ctx: BrokerContext, market: string, symbol: string): bigint | undefined {
  const quote = ctx.pricesIn(market).price(symbol);
  return quote ? toMicros(quote.price) : undefined;
}

/** A position of an account of `market` at that market's price (at cost when it has none). */
export function marketValue(ctx: BrokerContext, market: string, symbol: string, position: PositionState): bigint {
  const price = marketPrice(ctx, market, symbol);
  return price === undefined ? position.cost : notional(position.quantity, price);
}

/** Cash plus the market value of every position (a position without a price counts at cost). */
export function equityOf(ctx: BrokerContext, book: AccountBook): bigint {
  return book.allPositions().reduce((sum, [symbol, position]) => sum + marketValue(ctx, book.account.market, symbol, position), book.account.cash);
}

/** The market value of every short position of the account, as a positive amount. */
export function shortValueOf(ctx: BrokerContext, book: AccountBook): bigint {
  return book.allPositions().reduce((sum, [symbol, position]) => (position.quantity < 0n ? sum - marketValue(ctx, book.account.market, symbol, position) : sum), 0n);
}

/** The cash a fill takes from the account: a buy's notional and fee, a sell's fee beyond its proceeds. */
export function cashNeeded(ctx: BrokerContext, side: 'buy' | 'sell', quantity: bigint, fillNotional: bigint): bigint {
  const paid = fee(ctx, quantity, fillNotional);
  if (side === 'buy') return fillNotional + paid;
  return paid > fillNotional ? paid - fillNotional : 0n;
}

/**
 * What a resting order holds back: a buy the cash for its open quantity at its resting price
 * (libs/fill-engine `restingPrice`: the limit when it has one, else its trigger or the quote)
 * and the fee; a sell its shares, and the part of its fee its proceeds would not cover (a
 * fixed fee on a tiny sale). A limit is the worst price the order fills at, so the reservation
 * covers every fill; a stop or trailing stop without a limit can gap past its trigger, and is
 * checked again when it fills.
 */
export function reservation(ctx: BrokerContext, order: OrderRecord, market: bigint, allowShort: boolean): { reservedCash: bigint; reservedQuantity: bigint } {
  const open = order.quantity - order.filledQuantity;
  const reservedCash = cashNeeded(ctx, order.side, open, notional(open, restingPrice(order, market)));
  return { reservedCash, reservedQuantity: order.side === 'sell' && !allowShort ? open : 0n };
}
