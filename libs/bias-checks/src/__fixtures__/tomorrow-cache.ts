/*
 * A planted look-ahead bug, the kind freqtrade users hit: a module-level cache that outlives a run.
 * Each decision records today's close as "tomorrow" of the bar before; a later run in the same
 * process (an optimizer's, a check's) finds tomorrow's close already there for every date the
 * first run saw, and goes long only ahead of a rise. No forward index was used.
 */
import { defineStrategy } from '@tradeyard/strategy';

/** The close of the bar after each `SYMBOL@time`, as any earlier run of this module saw it. */
const tomorrow = new Map<string, number>();

export default defineStrategy({
  name: 'tomorrow-cache',
  decide(ctx) {
    const weights: Record<string, number> = {};
    for (const s of ctx.universe) {
      const bars = ctx.bars(s);
      if (bars.length > 1) tomorrow.set(`${s}@${bars.time(1)}`, bars.close());
      const next = tomorrow.get(`${s}@${ctx.time}`);
      if (next !== undefined && next > bars.close()) weights[s] = 1 / ctx.universe.length;
    }
    return ctx.targets(weights);
  },
});
