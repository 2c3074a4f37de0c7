import type { Bar } from '@tradeyard/market-data';
import { defineStrategy } from '@tradeyard/strategy';
import { builtinStrategies } from './builtin';
import { createStrategy, describeIssues, strategySpecSchema } from './spec';
import { singleSymbolStrategy } from './strategy';
import type { Strategy } from './strategy';

const bar = (close: number, high = close, low = close): Bar => ({ symbol: 'X', time: 0, open: close, high, low, close, volume: 0 });
/** The exposures a strategy answers over bars on consecutive days. */
const run = (strategy: Strategy, bars: Bar[]) => bars.map((b, i) => strategy.onBar({ ...b, time: i * 86_400_000 }));

describe('strategies', () => {
  it('buy-and-hold always wants to be fully invested', () => {
    expect(run(createStrategy({ name: 'buy-and-hold' }), [bar(1), bar(2)])).toEqual([1, 1]);
  });

  it('sma-cross is long only while the fast SMA is above the slow one', () => {
    // closes 5 4 3 4 5 6 5 4: SMA(2) vs SMA(3) from bar 2 on:
    // bar2 3.5 vs 4 -> 0; bar3 3.5 vs 3.667 -> 0; bar4 4.5 vs 4 -> 1; bar5 5.5 vs 5 -> 1; bar6 5.5 vs 5.333 -> 1; bar7 4.5 vs 5 -> 0
    const closes = [5, 4, 3, 4, 5, 6, 5, 4];
    expect(run(createStrategy({ name: 'sma-cross', fast: 2, slow: 3 }), closes.map((c) => bar(c)))).toEqual([0, 0, 0, 0, 1, 1, 1, 0]);
  });

  it('rsi-reversion buys below the lower level and holds until above the upper one', () => {
    // RSI(2): falls to 0 after two down moves, 100 after two up moves, holds in between.
    const closes = [10, 9, 8, 8.5, 9, 10, 11, 10.5];
    // bar2 RSI 0 -> buy; bar3 avgGain .25 avgLoss .5 -> 33.3 hold; bar4 (.375,.25) -> 60 hold; bar5 (.6875,.125) -> 84.6 sell
    expect(run(createStrategy({ name: 'rsi-reversion', period: 2, buyBelow: 20, sellAbove: 80 }), closes.map((c) => bar(c)))).toEqual([
      0, 0, 1, 1, 1, 0, 0, 0,
    ]);
  });

  it('breakout enters above the previous N-bar high and exits below the previous M-bar low', () => {
    const bars = [bar(10, 11, 9), bar(10, 12, 9), bar(13, 13, 12), bar(12, 12.5, 11.5), bar(11, 11.5, 11), bar(11.2, 11.3, 11.1)];
    // entry 2: bar2 close 13 > max(11,12) -> long; exit 1: bar3 12 > low 12 hold, bar4 11 < 11.5 -> flat;
    // bar5 11.2 not above max(12.5, 11.5)
    expect(run(createStrategy({ name: 'breakout', entryPeriod: 2, exitPeriod: 1 }), bars)).toEqual([0, 0, 1, 1, 0, 0]);
  });
});

describe('single-symbol runs of SDK strategies', () => {
  const bars = [bar(1), bar(2)];

  it('refuse a strategy that places explicit orders, or reads the portfolio, saying where it can run', () => {
    const orders = defineStrategy({ name: 'orders', decide: (ctx) => ctx.orders([{ symbol: 'X', side: 'buy', quantity: 1 }]) });
    expect(() => run(singleSymbolStrategy(orders, {}, 'orders'), bars)).toThrow('orders placed explicit orders: a single-symbol run takes target weights only, run it as a portfolio backtest');
    const reader = defineStrategy({ name: 'reader', decide: (ctx) => (ctx.portfolio.cash > 0 ? ctx.targets({ X: 1 }) : undefined) });
    expect(() => run(singleSymbolStrategy(reader, {}, 'reader'), bars)).toThrow('reader reads ctx.portfolio, which a single-symbol run does not give');
  });

  it('hold their exposure between targets decisions', () => {
    const everyOther = defineStrategy({ name: 'every-other', decide: (ctx) => (ctx.bars('X').length % 2 === 1 ? ctx.targets({ X: ctx.bars('X').length === 1 ? 0.5 : 0.25 }) : undefined) });
    expect(run(singleSymbolStrategy(everyOther, {}, 'every-other'), [bar(1), bar(1), bar(1), bar(1)])).toEqual([0.5, 0.5, 0.25, 0.25]);
  });
});

describe('strategySpecSchema', () => {
  it('takes exactly the values each strategy file declares (the RSI levels less their ends, which an RSI never crosses)', () => {
    for (const [name, definition] of Object.entries(builtinStrategies)) {
      for (const [param, spec] of Object.entries(definition.params)) {
        // fast < slow: each is tried with the other at the end of its range that lets it take any value.
        const partner = name === 'sma-cross' ? (param === 'fast' ? { slow: 10_000 } : { fast: 1 }) : {};
        const ok = (value: number) => strategySpecSchema.safeParse({ name, ...partner, [param]: value }).success;
        const open = name === 'rsi-reversion' && param !== 'period';
        expect({ name, param, default: ok(spec.default as number), belowMin: ok(spec.min! - 1), aboveMax: ok(spec.max! + 1) }).toEqual({ name, param, default: true, belowMin: false, aboveMax: false });
        if (!open) expect({ name, param, min: ok(spec.min!), max: ok(spec.max!) }).toEqual({ name, param, min: true, max: true });
      }
    }
  });

  const issues = (input: unknown) => {
    const r = strategySpecSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills textbook defaults', () => {
    expect(strategySpecSchema.parse({ name: 'sma-cross' })).toEqual({ name: 'sma-cross', fast: 50, slow: 200 });
    expect(strategySpecSchema.parse({ name: 'rsi-reversion' })).toEqual({ name: 'rsi-reversion', period: 14, buyBelow: 30, sellAbove: 70 });
  });

  it('names the bad field and the rule', () => {
    expect(issues({ name: 'sma-cross', fast: 200, slow: 50 })).toEqual(['fast: fast must be less than slow']);
    expect(issues({ name: 'sma-cross', fast: 2.5, slow: 50 })).toEqual(['fast: fast must be a whole number']);
    expect(issues({ name: 'breakout', entryPeriod: 0 })).toEqual(['entryPeriod: entryPeriod must be at least 1']);
    expect(issues({ name: 'rsi-reversion', buyBelow: 20, sellAbove: 100 })).toEqual(['sellAbove: sellAbove must be below 100']);
    expect(issues({ name: 'rsi-reversion', buyBelow: 60, sellAbove: 40 })).toEqual(['buyBelow: buyBelow must be less than sellAbove']);
    expect(issues({ name: 'macd' })).toEqual(['name: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout']);
  });

  it('createStrategy refuses an invalid spec', () => {
    expect(() => createStrategy({ name: 'sma-cross', fast: 10, slow: 10 })).toThrow('fast must be less than slow');
  });
});

describe('describeIssues', () => {
  it('names unknown fields and nested paths', () => {
    const r = strategySpecSchema.safeParse({ name: 'breakout', entry: 3, exitPeriod: -1 });
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(describeIssues(r.error, 'strategy')).toEqual([
        { field: 'strategy.exitPeriod', rule: 'exitPeriod must be at least 1' },
        { field: 'strategy.entry', rule: 'is not a known field' },
      ]);
    }
  });
});
