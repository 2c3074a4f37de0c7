import { divRound, MICROS } from '@tradeyard/money';
import type { EngineOrder } from './engine';

/**
 * The exact value of a fill: quantity × price in micro-units squared, not rounded, so a sum of
 * values is exact. An order keeps the sum of its fills' values (`filledValue`).
 */
export const fillValue = (quantity: bigint, price: bigint): bigint => quantity * price;

/**
 * The average price of fills whose values (fillValue) sum to `value` over `quantity` in all: their
 * exact quantity-weighted average, rounded once to micro-units by the one rule (libs/money); null
 * when nothing filled. Every average fill price (the broker's orders, the backtester's trades, the
 * REST contract, what is stored) is this one.
 */
export const averageFillPrice = (value: bigint, quantity: bigint): bigint | null => (quantity === 0n ? null : divRound(value, quantity));

/**
 * The exact value of an order's fills so far. An order built before `filledValue` existed carries
 * only its rounded notional, which is exact while nothing has filled.
 */
export const filledValueOf = (order: Pick<EngineOrder, 'filledValue' | 'filledNotional'>): bigint => order.filledValue ?? order.filledNotional * MICROS;

/** An order's average fill price (averageFillPrice of its fills), null before its first fill. */
export const orderAverageFillPrice = (order: Pick<EngineOrder, 'filledValue' | 'filledNotional' | 'filledQuantity'>): bigint | null =>
  averageFillPrice(filledValueOf(order), order.filledQuantity);
