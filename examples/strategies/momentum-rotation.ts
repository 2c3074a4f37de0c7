/*
 * Momentum rotation: once a month, rank every ready symbol by its rate of change over `lookback`
 * bars and hold the `top` strongest with an equal weight each, as long as their momentum is
 * positive (cash otherwise). The file of issue 22, as written: copy it anywhere and run
 * `npx nx run trading-agent:backtest --strategy=./momentum-rotation.ts --symbols=SPX,AAPL,AMZN,GOOG,IBM,MSFT --params='{"lookback":90}'`.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'momentum-rotation',
  params: { lookback: p.int(20, 250, 120), top: p.int(1, 5, 2) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ mom: i.roc('close', q.lookback) }),
  decide(ctx) {
    const ranked = ctx.universe
      .filter((s) => ctx.ind.mom(s) > 0)
      .sort((a, b) => ctx.ind.mom(b) - ctx.ind.mom(a))
      .slice(0, ctx.params.top);
    return ctx.targets(Object.fromEntries(ranked.map((s) => [s, 1 / ctx.params.top])));
  },
});
