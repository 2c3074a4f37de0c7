/*
 * Planted warm-up bugs. `far-back` compares today's close with the close 100 bars ago but
 * declares no warm-up (it derives 0 from its indicators: none): with a short history that close
 * is NaN and it stays flat, where a long history buys. `declared-short` declares 20 bars and
 * reads a 50-bar average.
 */
import { defineStrategy } from '@tradeyard/strategy';

export const farBack = defineStrategy({
  name: 'far-back',
  decide: (ctx) => ctx.targets(Object.fromEntries(ctx.universe.map((s) => [s, ctx.bars(s).close() > ctx.bars(s).close(100) / 2 ? 1 / ctx.symbols.length : 0]))),
});

export const declaredShort = defineStrategy({
  name: 'declared-short',
  warmup: 20,
  indicators: (_q, i) => ({ trend: i.sma('close', 50) }),
  decide: (ctx) => ctx.targets(Object.fromEntries(ctx.universe.map((s) => [s, ctx.bars(s).close() > ctx.ind.trend(s) ? 1 / ctx.symbols.length : 0]))),
});
