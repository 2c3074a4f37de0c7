/*
 * rsi-reversion: goes long when the RSI of closes falls below `buyBelow`, exits when it rises
 * above `sellAbove`, and otherwise keeps its position. On several symbols each long one holds an
 * equal slice of equity. It decides only when a symbol's position changes.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'rsi-reversion',
  description: 'Long below one RSI level, flat above another',
  params: { period: p.int(1, 10_000, 14), buyBelow: p.float(0, 100, 30), sellAbove: p.float(0, 100, 70) },
  indicators: (q, i) => {
    if (q.buyBelow >= q.sellAbove) throw new RangeError('buyBelow must be less than sellAbove');
    return { rsi: i.rsi('close', q.period) };
  },
  decide(ctx) {
    let changed = false;
    for (const s of ctx.universe) {
      const rsi = ctx.ind.rsi(s);
      const long = rsi < ctx.params.buyBelow ? true : rsi > ctx.params.sellAbove ? false : ctx.state[s] === true;
      if (long !== (ctx.state[s] === true)) {
        ctx.state[s] = long;
        changed = true;
      }
    }
    if (!changed) return;
    const slice = 1 / ctx.symbols.length;
    return ctx.targets(Object.fromEntries(ctx.symbols.filter((s) => ctx.state[s] === true).map((s) => [s, slice])));
  },
});
