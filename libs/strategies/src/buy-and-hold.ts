/*
 * buy-and-hold: fully invested from the first decision on, each symbol at an equal weight, and
 * never traded again (no rebalancing: weights drift with prices). A symbol without a bar on that
 * first day is bought at its next bar.
 */
import { defineStrategy } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'buy-and-hold',
  description: 'Fully invested at equal weights from the first bar, never rebalanced',
  decide(ctx) {
    if (ctx.state.invested === true) return;
    ctx.state.invested = true;
    return ctx.targets(Object.fromEntries(ctx.symbols.map((s) => [s, 1 / ctx.symbols.length])));
  },
});
