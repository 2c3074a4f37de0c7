/*
 * Bracket breakout: when a symbol closes above the highest high of the `entry` bars before it, buy
 * `size` of equity worth of whole shares at the next open with a bracket: a take-profit limit
 * `takeProfit` above the close and a stop-loss stop `stopLoss` below it. The broker-side exits
 * rest from the bar after the entry fills and cancel each other, so the strategy never has to
 * manage the exit itself; it only skips symbols it already holds or has orders for.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'bracket-breakout',
  params: {
    entry: p.int(5, 100, 20, { step: 5 }),
    takeProfit: p.float(0.02, 0.3, 0.08, { step: 0.02 }),
    stopLoss: p.float(0.01, 0.2, 0.04, { step: 0.01 }),
    size: p.float(0.05, 1, 0.2, { step: 0.05 }),
  },
  rebalance: 'bar',
  // The channel of the bars before this one is read one bar back: one bar more than the indicator needs.
  warmup: (q) => q.entry + 1,
  indicators: (q, i) => ({ high: i.highest('high', q.entry) }),
  decide(ctx) {
    const busy = new Set(ctx.portfolio.openOrders.map((o) => o.symbol));
    const orders = ctx.universe
      .filter((s) => !ctx.portfolio.positions[s] && !busy.has(s))
      // The channel of the bars before this one.
      .filter((s) => ctx.bars(s).close() > ctx.ind.high(s, 1))
      .map((s) => {
        const close = ctx.bars(s).close();
        const quantity = Math.floor((ctx.portfolio.equity * ctx.params.size) / close);
        return { symbol: s, side: 'buy' as const, quantity, takeProfit: close * (1 + ctx.params.takeProfit), stopLoss: close * (1 - ctx.params.stopLoss) };
      })
      .filter((o) => o.quantity >= 1);
    if (orders.length) return ctx.orders(orders, { reason: 'breakout' });
  },
});
