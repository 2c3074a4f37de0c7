/* A planted warm-up bug: it declares 20 bars and reads a 50-bar average. */
import { defineStrategy } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'declared-short',
  warmup: 20,
  indicators: (_q, i) => ({ trend: i.sma('close', 50) }),
  decide: (ctx) => ctx.targets(Object.fromEntries(ctx.universe.map((s) => [s, ctx.bars(s).close() > ctx.ind.trend(s) ? 1 / ctx.symbols.length : 0]))),
});
