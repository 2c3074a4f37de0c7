import { DirectSma } from '@tradeyard/indicators';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { createStrategy } from '@tradeyard/strategies';
import { runBacktest } from '@tradeyard/backtest';

/*
 * sma-cross backtested over the whole S&P 500 history trades on exactly the bars a direct,
 * exact window computation says it should: long from the open after a close where SMA(fast) >
 * SMA(slow), flat from the open after a close where it is not (equal averages included).
 */
const bars = loadSp500();
const direct = new DirectSma(bars.map((b) => b.close));

/** Round trips as the README convention derives them from the direct decisions. */
function expectedTrades(fast: number, slow: number): string[] {
  const order = direct.order(fast, slow);
  const trades: string[] = [];
  let previous = 0;
  let entry = -1;
  for (let i = 0; i + 1 < bars.length; i++) {
    const target = order[i] === 1 ? 1 : 0;
    if (target === previous) continue;
    previous = target;
    if (target === 1) entry = i + 1;
    else trades.push(`${isoDate(bars[entry].time)}..${isoDate(bars[i + 1].time)}`);
  }
  if (previous === 1) trades.push(`${isoDate(bars[entry].time)}..${isoDate(bars[bars.length - 1].time)} open`);
  return trades;
}

describe('sma-cross backtest over the whole S&P 500 series', () => {
  // The pairs libs/backtest's sma-grid.spec relies on for ties: both averages exactly equal on some bar.
  it('has bars where SMA(fast) and SMA(slow) tie for (1,2), (1,3), (2,4) and (2,5)', () => {
    for (const [fast, slow] of [[1, 2], [1, 3], [2, 4], [2, 5]]) {
      expect(direct.order(fast, slow).slice(slow - 1)).toContain(0);
    }
  });

  const pairs = [
    ...Array.from({ length: 24 }, (_, i) => i + 1).flatMap((fast) => Array.from({ length: 25 - fast }, (_, j): [number, number] => [fast, fast + 1 + j])),
    [5, 10],
    [10, 20],
    [20, 50],
    [50, 100],
    [50, 200],
    [100, 200],
  ] as [number, number][];

  it(`trades on the bars the direct computation decides, for ${pairs.length} window pairs`, () => {
    const wrong: string[] = [];
    for (const [fast, slow] of pairs) {
      const result = runBacktest(bars, createStrategy({ name: 'sma-cross', fast, slow }));
      const got = result.tradeLog.map((t) => `${t.entryTime}..${t.exitTime}${t.open ? ' open' : ''}`);
      const expected = expectedTrades(fast, slow);
      if (got.join() !== expected.join()) {
        const at = got.findIndex((g, k) => g !== expected[k]);
        wrong.push(`sma-cross(${fast},${slow}): trade ${at} is ${got[at]}, direct says ${expected[at]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
