/*
 * A planted warm-up bug: it compares today's close with the close 100 bars ago but declares no
 * warm-up (it derives 0 from its indicators: none). With a short history that close is NaN and it
 * stays flat, where a long history is long.
 */
import { defineStrategy } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'far-back',
  decide: (ctx) => ctx.targets(Object.fromEntries(ctx.universe.map((s) => [s, ctx.bars(s).close() > ctx.bars(s).close(100) / 2 ? 1 / ctx.symbols.length : 0]))),
});
