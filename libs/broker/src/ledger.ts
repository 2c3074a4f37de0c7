/** Amounts are kept in micro-units: every stored number is rounded here first. */
export const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export interface PositionState {
  quantity: number;
  avgPrice: number;
  realizedPnl: number;
}

export const flat = (): PositionState => ({ quantity: 0, avgPrice: 0, realizedPnl: 0 });

/**
 * A position after one fill. Adding to a position averages its price; reducing it realizes
 * (price - avg) per unit closed; crossing zero opens the remainder at the fill price.
 * The live path and the recomputation from fills both use this one function.
 */
export function applyFill(position: PositionState, side: 'buy' | 'sell', quantity: number, price: number): PositionState {
  const signed = side === 'buy' ? quantity : -quantity;
  const held = position.quantity;
  const next = round6(held + signed);
  if (held === 0 || Math.sign(held) === Math.sign(signed)) {
    const avgPrice = round6((Math.abs(held) * position.avgPrice + quantity * price) / Math.abs(next));
    return { quantity: next, avgPrice, realizedPnl: position.realizedPnl };
  }
  const closed = Math.min(quantity, Math.abs(held));
  const realizedPnl = round6(position.realizedPnl + closed * (price - position.avgPrice) * Math.sign(held));
  const avgPrice = next === 0 ? 0 : Math.sign(next) === Math.sign(held) ? position.avgPrice : round6(price);
  return { quantity: next, avgPrice, realizedPnl };
}

/** Cash after one fill: a buy pays notional plus fee, a sell receives notional minus fee. */
export const cashAfterFill = (cash: number, side: 'buy' | 'sell', quantity: number, price: number, fee: number) =>
  round6(cash - (side === 'buy' ? 1 : -1) * round6(quantity * price) - fee);
