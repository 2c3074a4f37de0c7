import { divRound, MICROS, notional } from '@tradeyard/money';

/**
 * A position in micro-units. `cost` is the signed cost basis of the open quantity (what was paid
 * for a long, minus what was received for a short); `realizedPnl` includes every fee paid on the
 * symbol. The paper broker's positions and the portfolio backtester's ledger both move by applyFill.
 * With both exact, the account identity holds to the micro-unit:
 *   cash = initial cash + Σ realizedPnl − Σ cost, so equity = initial cash + realized + unrealized
 * where unrealized = market value − cost.
 */
export interface PositionState {
  quantity: bigint;
  cost: bigint;
  realizedPnl: bigint;
}

export const flat = (): PositionState => ({ quantity: 0n, cost: 0n, realizedPnl: 0n });

/** The size of a signed quantity or amount. */
export const magnitude = (x: bigint): bigint => (x < 0n ? -x : x);

/**
 * A position after one fill. Adding to a position adds the fill's notional to the cost basis;
 * reducing it releases the closed share of the cost basis and realizes the difference; crossing
 * zero closes the whole position and opens the remainder at the fill price. The fee is realized
 * at once. The live path and the recomputation from fills both use this one function.
 */
export function applyFill(position: PositionState, side: 'buy' | 'sell', quantity: bigint, price: bigint, fee: bigint): PositionState {
  const sign = side === 'buy' ? 1n : -1n;
  const fillNotional = notional(quantity, price);
  const held = position.quantity;
  if (held === 0n || held < 0n === sign < 0n) {
    return { quantity: held + sign * quantity, cost: position.cost + sign * fillNotional, realizedPnl: position.realizedPnl - fee };
  }
  const closed = quantity < magnitude(held) ? quantity : magnitude(held);
  const closingNotional = closed === quantity ? fillNotional : notional(closed, price);
  const released = closed === magnitude(held) ? position.cost : divRound(position.cost * closed, magnitude(held));
  const openingNotional = fillNotional - closingNotional;
  return {
    quantity: held + sign * quantity,
    cost: position.cost - released + sign * openingNotional,
    realizedPnl: position.realizedPnl - sign * closingNotional - released - fee,
  };
}

/** Cash after one fill: a buy pays notional plus fee, a sell receives notional minus fee. */
export const cashAfterFill = (cash: bigint, side: 'buy' | 'sell', quantity: bigint, price: bigint, fee: bigint) =>
  cash - (side === 'buy' ? 1n : -1n) * notional(quantity, price) - fee;

/** The average price of an open position (its cost basis per unit), for display. */
export const averagePrice = (position: PositionState) => (position.quantity === 0n ? 0n : divRound(position.cost * MICROS, position.quantity));
