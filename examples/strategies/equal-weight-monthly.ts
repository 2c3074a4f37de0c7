/*
 * Equal-weight monthly rebalance: on the first bar of each month, every symbol that is ready (it
 * has a bar that day) gets the same share of equity, less a cash buffer that pays the costs, so
 * winners are trimmed and losers topped up; a symbol without a bar that day keeps its shares until
 * its next bar. The benchmark most rotation ideas should beat. Its orders carry the reason
 * `rebalance`, so its trades show up under that reason in the report.
 */
import { defineStrategy, p } from '@tradeyard/strategy';

export default defineStrategy({
  name: 'equal-weight-monthly',
  description: 'Every ready symbol at an equal weight, rebalanced monthly',
  params: { cashBuffer: p.float(0, 0.5, 0.02, { step: 0.02 }) },
  rebalance: 'monthly',
  decide(ctx) {
    const ready = ctx.universe;
    if (ready.length === 0) return;
    const weight = (1 - ctx.params.cashBuffer) / ready.length;
    return ctx.targets(Object.fromEntries(ready.map((s) => [s, weight])), { reason: 'rebalance' });
  },
});
