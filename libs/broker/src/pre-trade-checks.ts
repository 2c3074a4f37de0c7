import { DEFAULT_SHORT_MARGIN, increasesShort, marginDenial, marginInputs, openStatuses, reduces, restingPrice, type EngineOrder, type MatchResult, type PositionState } from '@tradeyard/fill-engine';
import { fromMicros, notional } from '@tradeyard/money';
import type { BrokerContext } from './context';
import { anyProtection, protectionDenial, protectionsOf } from './protections';
import type { AccountBook, OrderRecord } from './unit-of-work';
import { cashNeeded, equityOf, fee, marketValue, shortValueOf } from './valuation';

const shown = (micros: bigint) => fromMicros(micros).toFixed(2);

/**
 * The price the pre-trade checks use: a fill's price when the evaluation filled, else the
 * price the resting order reserves at (for a buy, the higher of the two when both apply).
 */
export function checkPrice(outcome: MatchResult<EngineOrder>, market: bigint): bigint {
  const resting = restingPrice(outcome.order, market);
  const filled = outcome.fills[0]?.price;
  if (filled === undefined) return resting;
  return outcome.order.side === 'buy' && resting > filled && openStatuses.includes(outcome.order.status) ? resting : filled;
}

/**
 * Why an order may not trade at `price`, or undefined when it may. Cash and shares reserved by
 * the account's other open orders are not available to it.
 */
export function riskCheck(
  ctx: BrokerContext,
  book: AccountBook,
  order: OrderRecord,
  position: PositionState,
  price: bigint,
): { code: 'order_notional' | 'position_notional' | 'buying_power' | 'insufficient_position'; reason: string } | undefined {
  const { cash, allowShort } = book.account;
  const quantity = order.quantity - order.filledQuantity;
  const orderNotional = notional(quantity, price);
  if (ctx.maxOrderNotional > 0n && orderNotional > ctx.maxOrderNotional) {
    return { code: 'order_notional', reason: `order notional ${shown(orderNotional)} exceeds the limit of ${ctx.settings.maxOrderNotional}` };
  }
  const held = position.quantity;
  const reserved = book.reservedBesides(order);
  const available = cash - reserved.cash;
  const needed = cashNeeded(ctx, order.side, quantity, orderNotional);
  if (needed > available) return { code: 'buying_power', reason: `insufficient buying power: needs ${shown(needed)}, available ${shown(available)}` };
  if (order.side === 'sell' && !allowShort) {
    const free = held - reserved.quantity;
    if (quantity > free) {
      return { code: 'insufficient_position', reason: `selling ${fromMicros(quantity)} ${order.symbol} but ${fromMicros(free)} of ${fromMicros(held)} held are free (short selling is not enabled)` };
    }
  }
  const after = held + (order.side === 'buy' ? quantity : -quantity);
  const afterNotional = notional(after < 0n ? -after : after, price);
  if (ctx.maxPositionNotional > 0n && afterNotional > ctx.maxPositionNotional) {
    return { code: 'position_notional', reason: `position notional ${shown(afterNotional)} would exceed the limit of ${ctx.settings.maxPositionNotional}` };
  }
  return undefined;
}

/**
 * The short-margin rule (src/margin.ts) for an order at `price`: equity and short value now at
 * market prices, and after the order's open quantity filled at `price` with its fee. Accounts
 * without shorts skip it unless the order opens or adds to one.
 */
export function marginCheck(ctx: BrokerContext, book: AccountBook, order: OrderRecord, position: PositionState, price: bigint) {
  const held = position.quantity;
  const quantity = order.quantity - order.filledQuantity;
  const signed = order.side === 'buy' ? quantity : -quantity;
  const shortValue = shortValueOf(ctx, book);
  if (shortValue === 0n && !increasesShort(held, signed)) return undefined;
  const before = { equity: equityOf(ctx, book), shortValue, held, valueHere: marketValue(ctx, book.account.market, order.symbol, position) };
  const margin = ctx.settings.shortMargin ?? DEFAULT_SHORT_MARGIN;
  return marginDenial(margin, marginInputs(before, signed, price, fee(ctx, quantity, notional(quantity, price))));
}

/**
 * The account's protections (src/protections.ts) for an order that passed the risk checks.
 * The day's start is the equity at the account's first order of that market day (UTC date of
 * the quote).
 */
export function protectionCheck(ctx: BrokerContext, book: AccountBook, order: OrderRecord, position: PositionState, price: bigint, time: number) {
  const { account } = book;
  const protections = protectionsOf(account.config);
  if (!anyProtection(protections)) return undefined;
  const held = position.quantity;
  const signed = order.side === 'buy' ? order.quantity : -order.quantity;
  const reducing = reduces(held, signed);
  if (reducing) return undefined;
  const equity = equityOf(ctx, book);
  const peaks = [account.initialCash, book.peakEquity, equity];
  const day = Math.floor(time / 86_400_000);
  if (account.dayNumber !== day) {
    Object.assign(account, { dayNumber: day, dayStartEquity: equity });
    book.changed = true;
  }
  const after = held + signed;
  const denial = protectionDenial(protections, {
    reducing,
    equity,
    peakEquity: peaks.reduce((a, b) => (b > a ? b : a)),
    dayStartEquity: account.dayStartEquity,
    time,
    cooldownUntil: account.cooldownUntil,
    opensPosition: held === 0n,
    openPositions: book.allPositions().filter(([, p]) => p.quantity !== 0n).length,
    positionNotional: notional(after < 0n ? -after : after, price),
  });
  return denial && { code: denial.code, reason: denial.reason };
}
