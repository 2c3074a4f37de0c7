import type { Bar } from '@tradeyard/market-data';
import type { Strategy } from '@tradeyard/strategies';
import { runBacktest } from './engine';
import { drawdownSeries, equityMetrics } from '@tradeyard/performance';

const day = (i: number) => Date.UTC(2024, 0, 1 + i);
const bars = (rows: Array<[open: number, close: number]>): Bar[] =>
  rows.map(([open, close], i) => ({ symbol: 'TEN', time: day(i), open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 1 }));

/** A strategy that answers a fixed script of targets, one per bar. */
const scripted = (targets: number[]): Strategy => {
  let i = 0;
  return { name: 'scripted', onBar: () => targets[i++] };
};

/*
 * The 10-bar series every formula is checked on, starting cash 1000, no fees.
 *   bar  open close  decision(at close)  fill at this bar's open        shares  cash   close equity
 *   0    10   10     1                   -                               0      1000   1000
 *   1    10   11     1                   buy 100 @ 10 (1000/10)          100    0      1100
 *   2    11   12     1                   -                               100    0      1200
 *   3    12   10     0                   -                               100    0      1000
 *   4    11   11     0                   sell 100 @ 11 -> trade 1 +100   0      1100   1100
 *   5    11   12     1                   -                               0      1100   1100
 *   6    11    9     1                   buy 100 @ 11 (1100/11)          100    0      900
 *   7     9   10     0                   -                               100    0      1000
 *   8    10   12     1                   sell 100 @ 10 -> trade 2 -100   0      1000   1000
 *   9    10   11     1                   buy 100 @ 10 (trade 3, open)    100    0      1100
 * The decision at the close of bar 9 has no next bar and never fills.
 */
const series = bars([[10, 10], [10, 11], [11, 12], [12, 10], [11, 11], [11, 12], [11, 9], [9, 10], [10, 12], [10, 11]]);
const targets = [1, 1, 1, 0, 0, 1, 1, 0, 1, 1];
const expectedEquity = [1000, 1100, 1200, 1000, 1100, 1100, 900, 1000, 1000, 1100];

describe('backtest conventions on a hand-checked 10-bar series', () => {
  const result = runBacktest(series, scripted(targets), { initialCash: 1000 });

  it('fills a close-of-bar decision at the next open and marks equity at each close', () => {
    expect(Array.from(result.equity)).toEqual(expectedEquity);
    expect(result.finalEquity).toBe(1100);
  });

  it('total return = final / initial - 1 = 1100 / 1000 - 1 = 0.1', () => {
    expect(result.totalReturn).toBeCloseTo(0.1, 12);
  });

  it('CAGR = (final / initial)^(252 / returns) - 1 with 9 close-to-close returns: 1.1^28 - 1', () => {
    // 1.1^28 = 14.420993610649957 (1.1^4 = 1.4641, ^7 of that), so CAGR = 13.420993610649957.
    expect(result.cagr).toBeCloseTo(13.420993610649957, 9);
  });

  it('Sharpe = mean / sample std of the daily returns x sqrt(252)', () => {
    // r = 0.1, 1/11, -1/6, 0.1, 0, -2/11, 1/9, 0, 0.1 (r_t = E_t / E_{t-1} - 1)
    // sum = 0.1535353535, mean = sum / 9 = 0.0170594837
    // squared deviations: .0068791292 .0054537645 .0337552983 .0068791292 .0002910260
    //                     .0395523259 .0088457086 .0002910260 .0068791292 -> sum .1088265370
    // sample variance = .1088265370 / 8 = .0136033171, std = .1166332591
    // Sharpe = .0170594837 / .1166332591 x 15.8745078664 = 2.3219012378
    expect(result.sharpe).toBeCloseTo(2.3219012378, 8);
    expect(result.volatility).toBeCloseTo(0.1166332591 * Math.sqrt(252), 8);
  });

  it('Sortino = mean / downside deviation x sqrt(252), downside deviation = sqrt(sum(min(r, 0)^2) / all returns)', () => {
    // negative returns -1/6 and -2/11: squares .0277777778 + .0330578512 = .0608356290
    // over all 9 returns: .0067595143, sqrt = .0822162656
    // Sortino = .0170594837 / .0822162656 x 15.8745078664 = 3.2938848111
    expect(result.sortino).toBeCloseTo(3.2938848111, 8);
  });

  it('max drawdown = largest 1 - E_t / running peak of close equity: 900 / 1200 -> 0.25', () => {
    expect(result.maxDrawdown).toBeCloseTo(0.25, 12);
    // peaks 1000 1100 1200 1200 1200 1200 1200 1200 1200 1200
    const expected = [0, 0, 0, 1 / 6, 1 / 12, 1 / 12, 0.25, 1 / 6, 1 / 6, 1 / 12];
    drawdownSeries(result.equity, 1000).forEach((d, i) => expect(d).toBeCloseTo(expected[i], 12));
  });

  it('trades are round trips with the open one counted; win rate = winners / trades', () => {
    // trade 1: 1000 -> 1100 (+100), trade 2: 1100 -> 1000 (-100), trade 3 open: 1000 -> 100 x 11 (+100)
    expect(result.trades).toBe(3);
    expect(result.tradeLog.map((t) => [t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.pnl, t.open])).toEqual([
      ['2024-01-02', '2024-01-05', 10, 11, 100, false],
      ['2024-01-07', '2024-01-09', 11, 10, -100, false],
      ['2024-01-10', '2024-01-10', 10, 11, 100, true],
    ]);
    expect(result.winRate).toBeCloseTo(2 / 3, 12);
  });

  it('exposure = bars holding a position at the close / all bars = bars 1,2,3,6,7,9 -> 6 / 10', () => {
    expect(result.exposure).toBe(0.6);
  });

  it('equityMetrics gives the same figures from the curve alone', () => {
    const m = equityMetrics(Float64Array.from(expectedEquity), 1000);
    expect([m.totalReturn, m.sharpe, m.sortino, m.maxDrawdown]).toEqual([result.totalReturn, result.sharpe, result.sortino, result.maxDrawdown]);
    expect(equityMetrics(Float64Array.from([1000]), 1000)).toMatchObject({ cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0 });
  });
});

describe('fees, slippage and whole shares', () => {
  it('buys the largest whole quantity whose cost and fees fit, and charges both ways', () => {
    // cash 1000; buy at open 10 + 100 bps slippage = 10.1; fee 1 + 10 bps of notional.
    // affordable = (1000 - 1) / (10.1 x 1.001) = 98.81 -> 98 shares; notional 989.8, fee 1 + 0.9898 = 1.9898
    // cash = 1000 - 989.8 - 1.9898 = 8.2102; close 11: equity 8.2102 + 98 x 11 = 1086.2102
    // sell at open 12 - 1% = 11.88: notional 1164.24, fee 1 + 1.16424 = 2.16424; cash = 1170.28596
    const result = runBacktest(bars([[10, 10], [10, 11], [12, 12]]), scripted([1, 0, 0]), {
      initialCash: 1000,
      wholeShares: true,
      feePerTrade: 1,
      feeBps: 10,
      slippageBps: 100,
    });
    expect(result.equity[1]).toBeCloseTo(1086.2102, 9);
    expect(result.finalEquity).toBeCloseTo(1170.28596, 9);
    expect(result.fees).toBeCloseTo(1.9898 + 2.16424, 9);
    expect(result.tradeLog[0]).toMatchObject({ quantity: 98, entryPrice: 10.1, exitPrice: 11.88, open: false });
    expect(result.tradeLog[0].pnl).toBeCloseTo(1170.28596 - 1000, 9);
  });

  it('gives a trade the exact average price of its fills: a fractional buy at 1,403.449951 entered at exactly that', () => {
    // 1000 / 1,403.449951 = 0.712530… shares: their notional, rounded to micro-units, over the quantity is not the price.
    const result = runBacktest(bars([[1403.449951, 1403.449951], [1403.449951, 1500], [1511.123457, 1500]]), scripted([1, 0, 0]), { initialCash: 1000 });
    expect(result.tradeLog[0]).toMatchObject({ entryPrice: 1403.449951, exitPrice: 1511.123457, open: false });
  });

  it('rejects a target outside [0, 1] naming the strategy and the bar', () => {
    expect(() => runBacktest(series, scripted([0, 1.5]))).toThrow('strategy scripted answered 1.5 at bar 1: target exposure must be between 0 and 1');
  });
});
