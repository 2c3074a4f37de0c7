import { calendarDateSchema, type PlaceOrder } from '@tradeyard/gateway-contract';
import { BrokerError, type OrderType, type TimeInForce } from '@tradeyard/fill-engine';
import { MICROS, toMicros } from '@tradeyard/money';
import type { BrokerContext } from './context';
import { utcDate } from './order-view';
import { optionalText, type OrderRecord } from './unit-of-work';

/** What a request sets of an order, checked and rounded as the broker stores it. */
export type OrderFields = Pick<
  OrderRecord,
  'symbol' | 'side' | 'type' | 'timeInForce' | 'quantity' | 'limitPrice' | 'stopPrice' | 'trailAmount' | 'trailPercent' | 'takeProfitPrice' | 'stopLossPrice' | 'goodTillDate'
>;
export type Quote = { price: number; time: number; volume?: number };

/** Auction order types: they trade once, in their auction, so they take no time in force but gtc. */
const auctionTypes: readonly OrderType[] = ['market_on_open', 'market_on_close'];

/**
 * An order request checked and rounded as the broker stores it (a bad field refused naming it,
 * after `prefix`: an order of a group is `orders.N.`), and its normalized form for the request
 * hash of an idempotency key.
 */
export function orderFields(input: PlaceOrder, prefix = ''): { fields: OrderFields; hashed: unknown[] } {
  const invalid = (field: string, rule: string) => new BrokerError('invalid', 'validation_failed', `${prefix}${field}: ${rule}`, `${prefix}${field}`);
  const type: OrderType = input.type ?? 'market';
  const timeInForce: TimeInForce = input.timeInForce ?? 'gtc';
  const amount = (value: number | undefined, field: string) => storedAmount(value, `${prefix}${field}`);
  const quantity = amount(input.quantity, 'quantity')!;
  const limitPrice = amount(input.limitPrice, 'limitPrice');
  const stopPrice = amount(input.stopPrice, 'stopPrice');
  const trailAmount = amount(input.trailAmount, 'trailAmount');
  const trailPercent = amount(input.trailPercent, 'trailPercent');
  if (trailPercent !== null && trailPercent >= 100n * MICROS) {
    throw new BrokerError('invalid', 'validation_failed', `${prefix}trailPercent ${input.trailPercent} must be below 100`, `${prefix}trailPercent`);
  }
  const takeProfitPrice = amount(input.takeProfitPrice, 'takeProfitPrice');
  const stopLossPrice = amount(input.stopLossPrice, 'stopLossPrice');
  if (takeProfitPrice !== null && stopLossPrice !== null && (input.side === 'buy' ? takeProfitPrice <= stopLossPrice : takeProfitPrice >= stopLossPrice)) {
    const rule = input.side === 'buy' ? 'above' : 'below';
    throw new BrokerError('invalid', 'validation_failed', `${prefix}takeProfitPrice ${input.takeProfitPrice} must be ${rule} stopLossPrice ${input.stopLossPrice} for a ${input.side} entry`, `${prefix}takeProfitPrice`);
  }
  if (auctionTypes.includes(type) && timeInForce !== 'gtc') throw invalid('timeInForce', `must be gtc or omitted for a ${type} order: it trades once, in its auction`);
  if (timeInForce !== 'gtd' && input.expireDate !== undefined) throw invalid('expireDate', 'must be omitted unless timeInForce is gtd');
  const goodTillDate = timeInForce === 'gtd' ? marketDate(input.expireDate, invalid) : null;
  const fields = { symbol: input.symbol, side: input.side, type, timeInForce, quantity, limitPrice, stopPrice, trailAmount, trailPercent, takeProfitPrice, stopLossPrice, goodTillDate };
  // A date only with gtd: the hash of every other request is what it was before dates existed.
  const prices = [quantity, limitPrice, stopPrice, trailAmount, trailPercent, takeProfitPrice, stopLossPrice].map(optionalText);
  return { fields, hashed: [input.symbol, input.side, type, timeInForce, ...prices, ...(goodTillDate === null ? [] : [goodTillDate])] };
}

/** The quote an order of `symbol` arrives at in `market`; a symbol unknown there is refused naming the field. */
export function quoteOf(ctx: BrokerContext, market: string, symbol: string, field: string): Quote {
  const quote = ctx.pricesIn(market).price(symbol);
  if (!quote) throw new BrokerError('invalid', 'unknown_symbol', `symbol ${symbol} is not traded here`, field);
  return quote;
}

/** A new order, initialized: in memory only, until the broker accepts or denies it. */
export function newOrder(id: string, accountId: string, fields: OrderFields, createdAt: string, ocoGroupId: string | null): OrderRecord {
  return {
    id, accountId, ...fields, trailAnchor: null, triggered: false, arrivalTime: null, evaluatedThrough: null, parentId: null, ocoGroupId, status: 'initialized',
    reasonCode: null, reason: null, filledQuantity: 0n, filledNotional: 0n, filledValue: 0n, fees: 0n, fillCount: 0, reservedCash: 0n, reservedQuantity: 0n, createdAt, updatedAt: createdAt,
  };
}

/** Refuses, naming the field, a good-till-date before the market date (the UTC date of the quote the order arrives at). */
export function refuseLapsedDate(fields: OrderFields, quote: Quote, field: string) {
  if (fields.goodTillDate === null || fields.goodTillDate >= Date.parse(`${utcDate(quote.time)}T00:00:00Z`)) return;
  const rule = `${utcDate(fields.goodTillDate)} is before the market date ${utcDate(quote.time)}: a good-till-date order must be good through the market's current date or later`;
  throw new BrokerError('invalid', 'validation_failed', `${field}: ${rule}`, field);
}

/** A gtd order's expireDate (YYYY-MM-DD) as the time (ms) its UTC date starts; missing or not a real date, refused. */
function marketDate(date: string | undefined, invalid: (field: string, rule: string) => BrokerError): number {
  if (date === undefined) throw invalid('expireDate', 'is required for timeInForce gtd');
  const parsed = calendarDateSchema.safeParse(date);
  if (!parsed.success) throw invalid('expireDate', parsed.error.issues[0].message);
  return Date.parse(`${date}T00:00:00Z`);
}

/** An optional amount as the broker will store it: rounded to micro-units, refused (naming the field) when that is 0 or less. */
function storedAmount(value: number | undefined, field: string): bigint | null {
  if (value === undefined) return null;
  const micros = toMicros(value);
  if (micros <= 0n) throw new BrokerError('invalid', 'validation_failed', `${field} ${value} rounds to 0 at the broker's precision; it must be at least 0.000001`, field);
  return micros;
}
