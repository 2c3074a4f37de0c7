/*
 * breakout (Donchian channel): goes long on a close above the highest high of the `entryPeriod`
 * bars before it, exits on a close below the lowest low of the `exitPeriod` bars before it. The
 * channel leaves out the current bar (`ctx.ind.upper(s, 1)`: one bar back), otherwise a close could
 * never exceed it; so the entry needs `entryPeriod + 1` bars, its declared warm-up. On several
 * symbols each long one holds an equal slice of equity. It decides only when a position changes.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'breakout',
  description: 'Long above the previous N-bar high, flat below the previous M-bar low',
  params: { entryPeriod: p.int(1, 10_000, 20), exitPeriod: p.int(1, 10_000, 10) },
  warmup: (q) => q.entryPeriod + 1,
  indicators: (q, i) => ({ upper: i.highest('high', q.entryPeriod), lower: i.lowest('low', q.exitPeriod) }),
  decide(ctx) {
    let changed = false;
    for (const s of ctx.universe) {
      const close = ctx.bars(s).close();
      const held = ctx.state[s] === true;
      // NaN channels (too few bars yet) compare false: no entry, no exit.
      const long = held ? !(close < ctx.ind.lower(s, 1)) : close > ctx.ind.upper(s, 1);
      if (long !== held) {
        ctx.state[s] = long;
        changed = true;
      }
    }
    if (!changed) return;
    const slice = 1 / ctx.symbols.length;
    return ctx.targets(Object.fromEntries(ctx.symbols.filter((s) => ctx.state[s] === true).map((s) => [s, slice])));
  },
});
