/*
 * Range entry: each month, buy each symbol on whichever comes first, a breakout above the highest
 * high of the last `lookback` bars or a dip to their lowest low. The two entries are a
 * one-cancels-other group: a buy stop above and a buy limit below, so once one of them trades the
 * broker cancels the other and the strategy never holds the symbol twice. At the next month's
 * decision it sells what it bought, cancels the entries still resting and places new ones.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'range-entry',
  params: {
    lookback: p.int(5, 100, 20, { step: 5 }),
    size: p.float(0.05, 0.5, 0.15, { step: 0.05 }),
  },
  rebalance: 'monthly',
  indicators: (q, i) => ({ high: i.highest('high', q.lookback), low: i.lowest('low', q.lookback) }),
  decide(ctx) {
    const { positions, equity } = ctx.portfolio;
    const exits = Object.values(positions).map((held) => ({ symbol: held.symbol, side: 'sell' as const, quantity: held.quantity }));
    const entries = ctx.universe.flatMap((s) => {
      const quantity = Math.floor((equity * ctx.params.size) / ctx.bars(s).close());
      if (quantity < 1) return [];
      return [
        { symbol: s, side: 'buy' as const, quantity, type: 'stop' as const, stopPrice: ctx.ind.high(s), ocoGroup: `range-${s}` },
        { symbol: s, side: 'buy' as const, quantity, type: 'limit' as const, limitPrice: ctx.ind.low(s), ocoGroup: `range-${s}` },
      ];
    });
    return ctx.orders([...exits, ...entries], { cancel: 'all', reason: 'range' });
  },
});
