/*
 * sma-cross: long while the fast simple moving average of closes is above the slow one, flat
 * otherwise (and flat until both exist). On several symbols each one whose fast average is above
 * its slow one holds an equal slice of equity. It decides only when that set of symbols changes,
 * so a position is not re-sized while its signal holds.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'sma-cross',
  description: 'Long while the fast SMA of closes is above the slow one',
  params: { fast: p.int(1, 9_999, 50), slow: p.int(2, 10_000, 200) },
  indicators: (q, i) => {
    if (q.fast >= q.slow) throw new RangeError('fast must be less than slow');
    return { fast: i.sma('close', q.fast), slow: i.sma('close', q.slow) };
  },
  decide(ctx) {
    // Each symbol's latest averages (NaN until both exist, which compares false: flat).
    const long = ctx.symbols.filter((s) => ctx.ind.fast(s) > ctx.ind.slow(s));
    if (long.join() === (ctx.state.long ?? '')) return;
    ctx.state.long = long.join();
    return ctx.targets(Object.fromEntries(long.map((s) => [s, 1 / ctx.symbols.length])));
  },
});
