import type { Bar } from '@tradeyard/market-data';
import { toColumns } from './columns';
import { expandStrategyGrid } from './grid';
import { runWalkForward, walkForwardSchema } from './walk-forward';

/**
 * 800 synthetic daily bars in four 200-bar regimes: up, down, up, down. Up bars alternate
 * +1.5 % and -0.5 %, down bars -1.5 % and +0.5 % (opens at the previous close, cents).
 * On an up window buy-and-hold earns most; on a down window every sma-cross stays flat (0)
 * while buy-and-hold loses: the best parameter of each train window is known in advance.
 */
function regimes(): Bar[] {
  const bars: Bar[] = [];
  let price = 100;
  for (let i = 0; i < 800; i++) {
    const up = Math.floor(i / 200) % 2 === 0;
    const step = i % 2 === 0 ? (up ? 1.015 : 0.985) : up ? 0.995 : 1.005;
    const open = price;
    const close = Math.round(open * step * 100) / 100;
    bars.push({ symbol: 'SYN', time: Date.UTC(2001, 0, 1) + i * 86_400_000, open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 1000 });
    price = close;
  }
  return bars;
}

const bars = regimes();
const data = toColumns(bars);
const strategies = [{ name: 'buy-and-hold' }, ...expandStrategyGrid({ name: 'sma-cross', fast: [2, 3], slow: [10, 20] }), { name: 'sma-cross', fast: 30, slow: 5 }];
const hold = { name: 'buy-and-hold' };
const cross = { name: 'sma-cross', fast: 2, slow: 10 };

describe('walk-forward', () => {
  const result = runWalkForward({ data, strategies, walk: { trainBars: 100, testBars: 100, metric: 'totalReturn' } });

  it('chooses on each train window the parameter known to be best there', () => {
    expect(result.windows.map((w) => w.train.bars)).toEqual([100, 100, 100, 100, 100, 100, 100]);
    // Train windows: up, up, down, down, up, up, down.
    expect(result.windows.map((w) => w.chosen)).toEqual([hold, hold, cross, cross, hold, hold, cross]);
    expect(result.windows[2].trainScore).toBe(0);
    expect(result.candidates).toBe(5);
    expect(result.invalid).toEqual([{ strategy: { name: 'sma-cross', fast: 30, slow: 5 }, error: 'fast: fast must be less than slow' }]);
  });

  it('trades the choice out of sample on the next window, from its first open', () => {
    const [first, second, third] = result.windows;
    expect(first.test).toEqual({ from: '2001-04-11', to: '2001-07-19', bars: 100 });
    // Buy-and-hold bought at the first test open and held to the last test close (no costs).
    expect(first.testResult.totalReturn).toBeCloseTo(bars[199].close / bars[100].open - 1, 6);
    expect(second.testResult.totalReturn).toBeCloseTo(bars[299].close / bars[200].open - 1, 6);
    expect(second.testResult.totalReturn).toBeLessThan(0); // chosen in an up regime, traded in a down one
    // sma-cross, warm from its train bars, stays flat through a down test window.
    expect(third.testResult).toMatchObject({ totalReturn: 0, trades: 0 });
  });

  it('stitches the test windows into one out-of-sample curve', () => {
    const chained = result.windows.reduce((equity, w) => equity * (1 + w.testResult.totalReturn), 100_000);
    expect(result.equity).toHaveLength(1 + 7 * 100);
    expect(result.equity[0]).toBe(100_000);
    expect(result.outOfSample.finalEquity).toBeCloseTo(chained, 6);
    expect(result.outOfSample).toMatchObject({ from: '2001-04-11', to: isoDay(799), bars: 700, trades: result.windows.reduce((n, w) => n + w.testResult.trades, 0) });
  });

  it('moves the windows by stepBars and reports progress over every run', () => {
    const progress: number[] = [];
    const stepped = runWalkForward({ data, strategies, walk: { trainBars: 100, testBars: 50, stepBars: 150 }, onProgress: (done) => progress.push(done) });
    expect(stepped.windows.map((w) => w.train.from)).toEqual([0, 150, 300, 450, 600].map(isoDay));
    expect(stepped.metric).toBe('sharpe');
    expect(progress.at(-1)).toBe(5 * (5 + 1));
  });

  it('refuses windows that do not fit, overlapping test windows and a grid without a valid spec', () => {
    expect(() => runWalkForward({ data, strategies, walk: { trainBars: 700, testBars: 101 } })).toThrow('trainBars + testBars (801) must be at most the bars of the data (800)');
    expect(walkForwardSchema.safeParse({ trainBars: 100, testBars: 50, stepBars: 20 }).error?.issues[0]).toMatchObject({ path: ['stepBars'], message: 'stepBars must be at least testBars, so test windows do not overlap' });
    expect(walkForwardSchema.safeParse({ trainBars: 100, testBars: 50, metric: 'luck' }).error?.issues[0].message).toBe('metric must be one of sharpe, sortino, totalReturn, cagr, maxDrawdown, winRate');
    expect(() => runWalkForward({ data, strategies: [{ name: 'sma-cross', fast: 9, slow: 3 }], walk: { trainBars: 100, testBars: 50 } })).toThrow('strategies: no valid strategy spec to choose from');
  });
});

function isoDay(i: number) {
  return new Date(Date.UTC(2001, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
}
