import type { Order } from '@tradeyard/gateway-contract';
import { averageFillPrice } from '@tradeyard/fill-engine';
import { fromMicros } from '@tradeyard/money';
import { CURRENCY } from './context';
import type { OrderRecord } from './unit-of-work';

const optionalNumber = (v: bigint | null) => (v === null ? null : fromMicros(v));

/** The UTC date (YYYY-MM-DD) of a market time: the market date. */
export const utcDate = (time: number) => new Date(time).toISOString().slice(0, 10);

/** An order as the broker answers it (the contract's Order) from the order as it is stored. */
export function toOrder(o: OrderRecord): Order {
  return {
    id: o.id,
    accountId: o.accountId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    quantity: fromMicros(o.quantity),
    limitPrice: optionalNumber(o.limitPrice),
    stopPrice: optionalNumber(o.stopPrice),
    trailAmount: optionalNumber(o.trailAmount),
    trailPercent: optionalNumber(o.trailPercent),
    timeInForce: o.timeInForce,
    takeProfitPrice: optionalNumber(o.takeProfitPrice),
    stopLossPrice: optionalNumber(o.stopLossPrice),
    parentId: o.parentId,
    expireDate: o.goodTillDate === null ? null : utcDate(o.goodTillDate),
    ocoGroupId: o.ocoGroupId,
    status: o.status as Order['status'],
    reasonCode: o.reasonCode,
    reason: o.reason,
    filledQuantity: fromMicros(o.filledQuantity),
    avgFillPrice: optionalNumber(averageFillPrice(o.filledValue, o.filledQuantity)),
    fees: fromMicros(o.fees),
    currency: CURRENCY,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}
