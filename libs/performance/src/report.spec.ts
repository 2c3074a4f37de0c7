import { loadSp500 } from '@tradeyard/market-data';
import fc from 'fast-check';
import { buyAndHold, type RunInput } from './input';
import { performanceReport } from './report';
import { STATISTICS } from './statistics';
import { deflatedSharpe, normalCdf, normalQuantile, probabilisticSharpe } from './stats';

const day = (i: number) => Date.UTC(2024, 0, 1 + i);
const times = (n: number) => Array.from({ length: n }, (_, i) => day(i));

/*
 * The 10-bar series of libs/backtest's metrics.spec.ts, starting cash 1000, daily bars in January 2024:
 *   equity      1000 1100 1200 1000 1100 1100  900 1000 1000 1100
 *   returns r        .1  1/11 -1/6   .1    0 -2/11  1/9    0   .1
 *   drawdown       0    0    0  1/6 1/12 1/12  .25  1/6  1/6 1/12   (peaks 1000 1100 1200 ... 1200)
 * Bars (open, close), highs = max(open, close), lows = min(open, close):
 *   open   10 10 11 12 11 11 11  9 10 10
 *   close  10 11 12 10 11 12  9 10 12 11
 * Trades (times are bar indices):
 *   1 long  bar 1 -> 4, 10 -> 11, 100 shares, fees 2:  pnl 100 - 2 = 98,   return 98 / 1000 = .098
 *   2 short bar 5 -> 6, 11 -> 9,   50 shares, fees 1:  pnl 100 - 1 = 99,   return 99 / 550 = .18
 *   3 long  bar 6 -> 8, 11 -> 10, 100 shares, fees 2:  pnl -100 - 2 = -102, return -102 / 1100 = -.0927...
 *   4 long  bar 9 -> 9 (open), 10 -> 11, 100 shares:   pnl 100,            return .1
 * (The trades are not the ones that made the curve; each statistic is checked on its own inputs.)
 */
const equity = [1000, 1100, 1200, 1000, 1100, 1100, 900, 1000, 1000, 1100];
const open = [10, 10, 11, 12, 11, 11, 11, 9, 10, 10];
const close = [10, 11, 12, 10, 11, 12, 9, 10, 12, 11];
const run: RunInput = {
  name: 'ten bars',
  time: times(10),
  equity,
  initialCash: 1000,
  trades: [
    { entryTime: day(1), exitTime: day(4), entryPrice: 10, exitPrice: 11, quantity: 100, side: 'long', fees: 2 },
    { entryTime: day(5), exitTime: day(6), entryPrice: 11, exitPrice: 9, quantity: 50, side: 'short', fees: 1 },
    { entryTime: day(6), exitTime: day(8), entryPrice: 11, exitPrice: 10, quantity: 100, side: 'long', fees: 2 },
    { entryTime: day(9), exitTime: day(9), entryPrice: 10, exitPrice: 11, quantity: 100, side: 'long', open: true },
  ],
  bars: { time: times(10), high: open.map((o, i) => Math.max(o, close[i])), low: open.map((o, i) => Math.min(o, close[i])) },
  // buy and hold of the closes: 1000 1100 1200 1000 1100 1200 900 1000 1200 1100
  benchmark: { name: 'hold', time: times(10), equity: close.map((c) => c * 100) },
  usage: { tokens: 12_000, inferenceCost: 3.5 },
  trials: { count: 10, sharpeVariance: 0.01 },
};

describe('report statistics on the hand-checked 10-bar series', () => {
  const report = performanceReport(run, { rollingWindow: 3 });
  const s = report.statistics;

  it('reports at least 35 named statistics, every one a number or null', () => {
    expect(STATISTICS.length).toBeGreaterThanOrEqual(35);
    expect(Object.keys(s).sort()).toEqual(STATISTICS.map((x) => x.key).sort());
    for (const value of Object.values(s)) expect(value === null || Number.isFinite(value)).toBe(true);
  });

  it('returns, CAGR, volatility, Sharpe and Sortino as libs/backtest defines them', () => {
    expect(s.startEquity).toBe(1000);
    expect(s.finalEquity).toBe(1100);
    expect(s.pnl).toBeCloseTo(100, 9);
    expect(s.totalReturn).toBeCloseTo(0.1, 12);
    // 1.1^(252 / 9) - 1 = 1.1^28 - 1
    expect(s.cagr).toBeCloseTo(13.420993610649957, 9);
    // mean .0170594837, sample std .1166332591, x sqrt(252) = 15.8745078664
    expect(s.volatility).toBeCloseTo(0.1166332591 * 15.8745078664, 8);
    expect(s.sharpe).toBeCloseTo(2.3219012378, 8);
    expect(s.sortino).toBeCloseTo(3.2938848111, 8);
  });

  it('Calmar = CAGR / max drawdown; drawdown statistics from the episodes', () => {
    expect(s.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(s.calmar).toBeCloseTo(13.420993610649957 / 0.25, 8);
    // One episode: peak bar 2 (1200), trough bar 6 (900), never back at 1200: 7 bars to the last bar.
    expect(s.maxDrawdownDuration).toBe(7);
    expect(s.averageDrawdown).toBeCloseTo(0.25, 12);
    expect(report.drawdownEpisodes).toEqual([{ peak: '2024-01-03', trough: '2024-01-07', recovery: 'not recovered', depth: 0.25, length: 7 }]);
    // Ulcer = sqrt(mean(dd^2)) = sqrt((3/36 + 3/144 + 1/16) / 10) = sqrt((1/6) / 10) = sqrt(1/60)
    expect(s.ulcerIndex).toBeCloseTo(Math.sqrt(1 / 60), 12);
  });

  it('skewness and kurtosis from population moments; PSR and deflated Sharpe', () => {
    // central moments of r (mean .0170594837): m2 .0120918374, m3 -.0012368164, m4 .0003282148
    // skewness = m3 / m2^1.5 = -.9301795380, kurtosis = m4 / m2^2 = 2.2447789976
    expect(s.skewness).toBeCloseTo(-0.9301795380404759, 9);
    expect(s.kurtosis).toBeCloseTo(2.2447789976358954, 9);
    // per-bar SR = .0170594837 / .1166332591 = .1462660296
    // Var[SR] = (1 - skew SR + (kurt - 1)/4 SR^2) / (n - 1) = (1 + .1360528 + .0066560) / 8 = .1428389114
    // PSR = Phi(.1462660296 / sqrt(.1428389114)) = Phi(.3870082355) = .6506249445
    expect(s.probabilisticSharpe).toBeCloseTo(0.650624944458891, 7);
    // SR0 = sqrt(.01) ((1 - .5772157) Phi^-1(.9) + .5772157 Phi^-1(1 - 1/(10e)))
    //     = .1 (.4227843 x 1.2815516 + .5772157 x 1.7892418) = .1574598301
    // DSR = Phi((.1462660296 - .1574598301) / sqrt(.1428389114)) = .4881858938
    expect(s.deflatedSharpe).toBeCloseTo(0.48818589377432414, 7);
  });

  it('best and worst day and month, positive months, VaR, CVaR and tail ratio', () => {
    expect(s.bestDay).toBeCloseTo(1 / 9, 12);
    expect(s.worstDay).toBeCloseTo(-2 / 11, 12);
    // every bar is in January 2024: one month, 1100 / 1000 - 1
    expect(s.bestMonth).toBeCloseTo(0.1, 12);
    expect(s.worstMonth).toBeCloseTo(0.1, 12);
    expect(s.positiveMonths).toBe(1);
    // sorted r: -2/11 -1/6 0 0 1/11 .1 .1 .1 1/9; 5% quantile at rank 8 x .05 = .4:
    // -2/11 + .4 (-1/6 + 2/11) = -.1757575758; only -2/11 lies at or below it
    expect(s.valueAtRisk95).toBeCloseTo(-2 / 11 + 0.4 * (2 / 11 - 1 / 6), 12);
    expect(s.conditionalValueAtRisk95).toBeCloseTo(-2 / 11, 12);
    // 95% quantile at rank 7.6: .1 + .6 (1/9 - .1) = .1066666667; tail ratio = .1066666667 / .1757575758
    expect(s.tailRatio).toBeCloseTo((0.1 + 0.6 * (1 / 9 - 0.1)) / (2 / 11 - 0.4 * (2 / 11 - 1 / 6)), 12);
  });

  it('trade statistics: count, win rate, profit factor, expectancy, wins, losses, streaks, holding', () => {
    expect(s.trades).toBe(4);
    expect(s.winRate).toBe(0.75);
    // (98 + 99 + 100) / 102
    expect(s.profitFactor).toBeCloseTo(297 / 102, 12);
    expect(s.expectancy).toBeCloseTo(195 / 4, 12);
    expect(s.expectancyPercent).toBeCloseTo((0.098 + 99 / 550 - 102 / 1100 + 0.1) / 4, 12);
    expect(s.averageWin).toBeCloseTo(99, 12);
    expect(s.averageLoss).toBeCloseTo(-102, 12);
    expect(s.payoffRatio).toBeCloseTo(99 / 102, 12);
    expect(s.largestWin).toBe(100);
    expect(s.largestLoss).toBe(-102);
    // win win loss win
    expect(s.longestWinningStreak).toBe(2);
    expect(s.longestLosingStreak).toBe(1);
    // 3, 1, 2 and 0 days
    expect(s.averageHoldingDays).toBe(1.5);
  });

  it('exposure, turnover, fees and their share of the profit before fees', () => {
    // held at the close of bars 1 2 3 (trade 1), 5 (2), 6 7 (3), 9 (4, open): 7 of 10
    expect(s.exposure).toBe(0.7);
    // traded notional 100 x 21 + 50 x 20 + 100 x 21 + 100 x 10 (open: entry only) = 6200;
    // mean equity 1050; years 9 / 252: 6200 / 1050 x 28 = 165.33
    expect(s.turnover).toBeCloseTo((6200 / 1050) * 28, 9);
    expect(s.fees).toBe(5);
    // pnl 100 + fees 5 before fees: 5 / 105
    expect(s.feesShareOfGrossProfit).toBeCloseTo(5 / 105, 12);
  });

  it('MAE and MFE from the bar highs and lows a trade is held through, its entry and exit prices', () => {
    // A fill is at a bar's open, so a closed trade spans its entry bar up to the bar before its exit:
    // 1 long 10, bars 1-3 (lows 10 11 10, highs 11 12 12), exit 11 -> MAE 0, MFE 12/10 - 1 = .2
    // 2 short 11, bar 5 (low 11, high 12), exit 9 -> MAE 12/11 - 1 = 1/11, MFE 1 - 9/11 = 2/11
    // 3 long 11, bars 6-7 (lows 9 9, highs 11 10), exit 10 -> MAE 1 - 9/11 = 2/11, MFE 0
    //   (bar 8's high of 12 comes after the exit at its open)
    // 4 long 10, still open: bar 9 (low 10, high 11) -> MAE 0, MFE .1
    expect(s.averageMae).toBeCloseTo((1 / 11 + 2 / 11) / 4, 12);
    expect(s.averageMfe).toBeCloseTo((0.2 + 2 / 11 + 0.1) / 4, 12);
  });

  it('alpha, beta, correlation and information ratio against the benchmark', () => {
    // benchmark returns b: .1 1/11 -1/6 .1 1/11 -.25 1/9 .2 -1/12, mean .0214365881
    // Σ(r - mr)(b - mb) = .1022178576, Σ(b - mb)^2 = .1819610811, Σ(r - mr)^2 = .1088265370
    // beta = .1022178576 / .1819610811 = .5617567064
    expect(s.beta).toBeCloseTo(0.561756706367143, 9);
    // alpha = (.0170594837 - .5617567064 x .0214365881) x 252 = 1.2643688226
    expect(s.alpha).toBeCloseTo(1.2643688225742704, 8);
    expect(s.correlation).toBeCloseTo(0.1022178576 / Math.sqrt(0.1819610811 * 0.108826537), 8);
    // active r - b: 0 0 0 0 -1/11 3/44 0 -.2 11/60, mean -.0043771044, sample std .1038941185
    expect(s.informationRatio).toBeCloseTo((-0.004377104377104344 / 0.10389411849754442) * Math.sqrt(252), 8);
  });

  it('tokens, inference cost and the P&L after it', () => {
    expect([s.tokens, s.inferenceCost, s.pnlAfterInferenceCost]).toEqual([12_000, 3.5, 96.5]);
  });

  it('rolling Sharpe over 3 returns, dated at the window end', () => {
    // first window .1 1/11 -1/6: mean .0080808081, std .1514039996 -> .0533724 x sqrt(252) = .8472619730
    // last window 1/9 0 .1: mean .0703703704, std .0611952283 -> 18.2546095338
    expect(report.rollingSharpe.time).toEqual(times(10).slice(3));
    expect(report.rollingSharpe.value[0]).toBeCloseTo(0.8472619729740697, 9);
    expect(report.rollingSharpe.value[6]).toBeCloseTo(18.254609533779934, 8);
  });

  it('statistics that need missing inputs are null, not made up', () => {
    const bare = performanceReport({ name: 'bare', time: times(10), equity }).statistics;
    expect([bare.trades, bare.winRate, bare.profitFactor, bare.averageMae, bare.beta, bare.tokens, bare.deflatedSharpe]).toEqual([0, null, null, null, null, null, null]);
    expect(bare.pnlAfterInferenceCost).toBe(100);
  });
});

describe('monthly returns, drawdown episodes and crisis windows', () => {
  it('each month from the last equity of the month before (the initial cash for the first)', () => {
    // Jan 30 1000, Jan 31 1100, Feb 29 990, Mar 1 1089: Jan .1, Feb -.1, Mar .1; 2024 total .089
    const time = [Date.UTC(2024, 0, 30), Date.UTC(2024, 0, 31), Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1)];
    const report = performanceReport({ name: 'months', time, equity: [1000, 1100, 990, 1089], initialCash: 1000 });
    const [row] = report.monthlyReturns.rows;
    expect(row.year).toBe(2024);
    expect(row.months.slice(0, 4).map((m) => (m === null ? null : Number(m.toFixed(12))))).toEqual([0.1, -0.1, 0.1, null]);
    expect(row.total).toBeCloseTo(0.089, 12);
    expect(report.statistics.bestMonth).toBeCloseTo(0.1, 12);
    expect(report.statistics.worstMonth).toBeCloseTo(-0.1, 12);
    expect(report.statistics.positiveMonths).toBeCloseTo(2 / 3, 12);
  });

  it('lists episodes deepest first with peak, trough, recovery and length', () => {
    // 100 90 100 80 120 110: -10% recovered at bar 2, -20% recovered at bar 4, -1/12 not recovered
    const report = performanceReport({ name: 'dips', time: times(6), equity: [100, 90, 100, 80, 120, 110] }, { drawdownEpisodes: 2 });
    expect(report.drawdownEpisodes).toEqual([
      { peak: '2024-01-03', trough: '2024-01-04', recovery: '2024-01-05', depth: expect.closeTo(0.2, 12), length: 2 },
      { peak: '2024-01-01', trough: '2024-01-02', recovery: '2024-01-03', depth: expect.closeTo(0.1, 12), length: 2 },
    ]);
    expect(report.statistics.averageDrawdown).toBeCloseTo((0.1 + 0.2 + 1 / 12) / 3, 12);
    expect(report.statistics.maxDrawdownDuration).toBe(2);
  });

  it('reports only the crisis windows the data spans, from the last close before the window', () => {
    // 2010-05-04 100, 05-05 100, 05-06 90, 05-07 99: the flash crash day -10%; 9/11 etc. not covered
    const time = [Date.UTC(2010, 4, 4), Date.UTC(2010, 4, 5), Date.UTC(2010, 4, 6), Date.UTC(2010, 4, 7)];
    const report = performanceReport({ name: 'flash', time, equity: [100, 100, 90, 99], benchmark: { name: 'b', time, equity: [100, 100, 95, 96] } });
    expect(report.crisisWindows).toEqual([{ name: 'Flash crash', from: '2010-05-06', to: '2010-05-06', return: expect.closeTo(-0.1, 12), maxDrawdown: expect.closeTo(0.1, 12), benchmarkReturn: expect.closeTo(-0.05, 12) }]);
  });

  it('finds all five crises in the S&P 500 history, each return from the closes around it', () => {
    const bars = loadSp500();
    const time = bars.map((b) => b.time);
    const closes = bars.map((b) => b.close);
    const report = performanceReport(buyAndHold('SPX', time, closes, 100_000));
    expect(report.crisisWindows.map((c) => c.name)).toEqual(['Dot-com crash', '9/11', 'Global financial crisis', 'Flash crash', 'COVID-19 crash']);
    const closeOn = (date: string) => closes[time.indexOf(Date.parse(`${date}T00:00:00Z`))];
    // COVID: last close before 2020-02-19 is 02-18; the window ends at the 03-23 close
    expect(report.crisisWindows[4].return).toBeCloseTo(closeOn('2020-03-23') / closeOn('2020-02-18') - 1, 12);
    expect(report.statistics.exposure).toBe(1);
    expect(report.drawdownEpisodes[0]).toMatchObject({ peak: '2007-10-09', trough: '2009-03-09', recovery: '2013-03-28' });
  });
});

describe('input errors name the field and the rule', () => {
  it.each([
    [{ name: 'x', time: [1, 2], equity: [1] }, 'run.equity: must have one value per time (1 values, 2 times)'],
    [{ name: 'x', time: [2, 1], equity: [1, 1] }, 'run.time.1: times must increase strictly'],
    [{ name: 'x', time: [1], equity: [Number.NaN] }, 'run.equity: must be an array of finite numbers'],
    [{ name: 'x', time: [1], equity: [-1] }, 'run.equity.0: equity must be 0 or more'],
    [{ name: '', time: [1], equity: [1] }, 'run.name: name must not be empty'],
    [{ name: 'x', time: [1], equity: [1], trials: { count: 0 } }, 'run.trials.count: count must be 1 or more'],
    [{ name: 'x', time: [1], equity: [1], trades: [{ entryTime: 2, exitTime: 1, entryPrice: 1, exitPrice: 1, quantity: 1, side: 'long' }] }, 'run.trades.0.exitTime: exitTime must not precede entryTime'],
  ])('%j', (input, message) => {
    expect(() => performanceReport(input as RunInput)).toThrow(message);
  });

  it('rejects a rolling window below 2', () => {
    expect(() => performanceReport(run, { rollingWindow: 1 })).toThrow('rollingWindow must be a whole number of 2 or more, got 1');
  });
});

describe('normal distribution helpers', () => {
  it('Phi and its inverse at known points', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263478740408408, 8);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('deflated Sharpe with one trial is the PSR', () => {
    const r = [0.01, -0.02, 0.015, 0.003, -0.004, 0.02];
    expect(deflatedSharpe(r, 1)).toBe(probabilisticSharpe(r));
    expect(deflatedSharpe(r, 100)).toBeLessThan(probabilisticSharpe(r));
  });
});

describe('properties', () => {
  const curve = fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 2, maxLength: 300 }).map((returns) => {
    const out = [1000];
    for (const r of returns) out.push(out[out.length - 1] * (1 + r));
    return out;
  });

  it('max drawdown and ulcer index lie in [0, 1], ulcer at most the max drawdown; PSR in [0, 1]', () => {
    fc.assert(
      fc.property(curve, (eq) => {
        const s = performanceReport({ name: 'p', time: times(eq.length), equity: eq }).statistics;
        expect(s.maxDrawdown).toBeGreaterThanOrEqual(0);
        expect(s.maxDrawdown).toBeLessThanOrEqual(1);
        expect(s.ulcerIndex).toBeLessThanOrEqual((s.maxDrawdown ?? 0) + 1e-12);
        expect(s.probabilisticSharpe).toBeGreaterThanOrEqual(0);
        expect(s.probabilisticSharpe).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('monthly returns compound to the total return', () => {
    fc.assert(
      fc.property(curve, (eq) => {
        // one bar every 5 days, so the curve crosses months
        const time = eq.map((_, i) => Date.UTC(2020, 0, 1 + 5 * i));
        const report = performanceReport({ name: 'p', time, equity: eq });
        const growth = report.monthlyReturns.rows.flatMap((r) => r.months).reduce<number>((g, m) => g * (1 + (m ?? 0)), 1);
        expect(growth).toBeCloseTo(1 + (report.statistics.totalReturn ?? 0), 6);
      }),
      { numRuns: 100 },
    );
  });
});
