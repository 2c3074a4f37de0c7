import { loadSp500 } from '@tradeyard/market-data';
import { createStrategy } from '@tradeyard/strategies';
import { toColumns } from './columns';
import { runBacktest, summarize } from './engine';
import { runGridJob } from './grid';
import type { BacktestSettings } from './options';
import { SharedSeries } from './sma-grid';

const bars = loadSp500();
const sp500 = toColumns(bars);

/** The single backtest a grid run must equal. */
const single = (fast: number, slow: number, options: Partial<BacktestSettings>) =>
  summarize(runBacktest(sp500, createStrategy({ name: 'sma-cross', fast, slow }), options));

describe('sma-cross grid on shared indicator series', () => {
  // (1,2), (1,3), (2,4) and (2,5) have bars where both averages are exactly equal (checked in libs/fill-parity's sma-cross-exact.spec, which may import the indicators).
  const pairs: Array<[number, number]> = [[1, 2], [1, 3], [2, 4], [2, 5], [2, 3], [3, 7], [10, 50], [20, 100], [50, 200], [99, 100]];
  const costs: Array<Partial<BacktestSettings>> = [
    {},
    { feeBps: 10, slippageBps: 5 },
    { wholeShares: true, feePerTrade: 1, feePerShare: 0.005, feeMinimum: 2, slippageBps: 3 },
    { initialCash: 1234.56, feeBps: 25 },
  ];

  it.each(costs)('gives each pair exactly the summary of a single backtest of it (options %j)', (options) => {
    for (const [fast, slow] of pairs) {
      expect({ pair: [fast, slow], summary: runGridJob(sp500, { name: 'sma-cross', fast, slow }, options) }).toEqual({ pair: [fast, slow], summary: single(fast, slow, options) });
    }
  });

  it('computes each window series once per dataset and shares it', () => {
    const series = SharedSeries.of(sp500)!;
    expect(SharedSeries.of(sp500)).toBe(series);
    expect(series.windowSums(20)).toBe(series.windowSums(20));
    // Sums in 1/scale units of the closes (6 decimals): the window of bars 0..19 summed exactly.
    const exact = bars.slice(0, 20).reduce((sum, b) => sum + Math.round(b.close * 1e6), 0);
    expect(series.windowSums(20)[19]).toBe(exact);
  });

  it('falls back to the streaming strategy on closes it cannot sum exactly, with the same result', () => {
    const thirds = toColumns(bars.slice(0, 400).map((b, i) => ({ ...b, close: b.close + (i % 3) / 3 })));
    expect(SharedSeries.of(thirds)).toBeNull();
    const summary = runGridJob(thirds, { name: 'sma-cross', fast: 5, slow: 20 }, { feeBps: 10 });
    expect(summary).toEqual(summarize(runBacktest(thirds, createStrategy({ name: 'sma-cross', fast: 5, slow: 20 }), { feeBps: 10 })));
    expect(summary.trades).toBeGreaterThan(0);
  });
});
