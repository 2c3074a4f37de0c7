/*
 * A planted look-ahead bug in an indicator: its batch form (the backtester's whole series) reads
 * the next bar's close, as a vectorised `close.shift(-1)` does; its streaming form (live) cannot,
 * and answers NaN. The backtest looks brilliant; live it never trades.
 */
import { defineStrategy, type IndicatorSpec } from '@tradeyard/strategy';

const nextClose: IndicatorSpec = {
  key: 'next-close',
  warmup: 1,
  batch: (bars) => Float64Array.from({ length: bars.length }, (_, i) => (i + 1 < bars.length ? bars.close[i + 1] : NaN)),
  stream: () => ({ update: () => NaN }),
};

export default defineStrategy({
  name: 'next-close',
  indicators: () => ({ tomorrow: nextClose }),
  decide(ctx) {
    const rising = ctx.universe.filter((s) => ctx.ind.tomorrow(s) > ctx.bars(s).close());
    return ctx.targets(Object.fromEntries(rising.map((s) => [s, 1 / ctx.symbols.length])));
  },
});
