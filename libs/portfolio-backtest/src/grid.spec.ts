import { groupBySymbol, loadSp500, loadStocks, type Bar } from '@tradeyard/market-data';
import { compileStrategy, defineStrategy, p } from '@tradeyard/strategy';
import { portfolioData, runPortfolio, runPortfolioGrid, runPortfolioWalkForward, summarizePortfolio, unreadParams } from './index';

const data = portfolioData(new Map<string, Bar[]>([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]));
const costs = { feeBps: 1, slippageBps: 2 };

const rotation = defineStrategy({
  name: 'rotation',
  params: { lookback: p.int(20, 250, 120), top: p.int(1, 5, 2), unused: p.int(1, 9, 1), filter: p.bool(false), floor: p.float(-0.5, 0.5, 0, { step: 0.25 }) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ mom: i.roc('close', q.lookback) }),
  decide(ctx) {
    // `floor` matters only with the filter on: a sweep of it must not be called unread.
    const floor = ctx.params.filter ? ctx.params.floor : 0;
    const ranked = ctx.universe
      .filter((s) => ctx.ind.mom(s) > floor)
      .sort((a, b) => ctx.ind.mom(b) - ctx.ind.mom(a))
      .slice(0, ctx.params.top);
    return ctx.targets(Object.fromEntries(ranked.map((s) => [s, 1 / ctx.params.top])));
  },
});

describe('portfolio grid', () => {
  it('computes each distinct indicator series once and gives every run the result of a run alone', () => {
    const result = runPortfolioGrid({ data, definition: rotation, grid: { lookback: [60, 20, 60, 120], top: [1, 2] }, options: costs });
    expect(result.runs).toHaveLength(8);
    expect(result.seriesComputed).toBeLessThanOrEqual(3); // roc(close,20), (60), (120); fewer if an earlier test kept them
    for (const run of [result.runs[0], result.runs[3], result.runs[7]]) {
      expect(run.summary).toEqual(summarizePortfolio(runPortfolio(data, compileStrategy(rotation, run.params), costs)));
    }
    expect(result.best!.summary!.sharpe).toBe(Math.max(...result.runs.map((r) => r.summary!.sharpe)));
    expect(result.unread).toEqual([]);
  });

  it('reports a swept parameter the strategy never reads and does not sweep it', () => {
    const result = runPortfolioGrid({ data, definition: rotation, grid: { lookback: [20, 60], unused: [1, 2, 3] }, options: costs });
    expect(result.unread).toEqual([{ param: 'unused', values: [1, 2, 3], kept: 1 }]);
    expect(result.runs.map((r) => r.params)).toEqual([
      { lookback: 20, unused: 1 },
      { lookback: 60, unused: 1 },
    ]);
  });

  it('counts a parameter read only behind a swept switch as read', () => {
    expect(unreadParams(data, rotation, { filter: [false, true], floor: [-0.25, 0, 0.25] })).toEqual([]);
    expect(unreadParams(data, rotation, { filter: false, floor: [-0.25, 0, 0.25] })).toEqual([{ param: 'floor', values: [-0.25, 0, 0.25], kept: -0.25 }]);
  });

  it("sweeps a declared range with '*' and keeps invalid combinations as errors", () => {
    const result = runPortfolioGrid({ data, definition: rotation, grid: { top: '*', lookback: [20, 300] }, options: costs });
    expect(result.runs).toHaveLength(10);
    expect(result.runs.filter((r) => r.error).map((r) => r.error)).toEqual(Array(5).fill('lookback: must be at most 250'));
    expect(result.runs.filter((r) => r.summary).map((r) => r.params.top)).toEqual([1, 2, 3, 4, 5]);
    expect(() => runPortfolioGrid({ data, definition: rotation, grid: { lookback: [300, 400] } })).toThrow('lookback: must be at most 250');
  });
});

describe('portfolio walk-forward', () => {
  it('chooses parameters on each train window and trades them on the next test window from flat', () => {
    const result = runPortfolioWalkForward({ data, definition: rotation, grid: { lookback: [20, 60], top: [1, 2] }, options: costs, walk: { trainBars: 1500, testBars: 1000, metric: 'totalReturn' } });
    expect(result.candidates).toBe(4);
    expect(result.windows.length).toBe(Math.floor((data.calendar.times.length - 1500) / 1000));
    expect(result.equity).toHaveLength(result.windows.length * 1000 + 1);
    // The first test window is the chosen parameters run alone from the close before it.
    const [first] = result.windows;
    const alone = runPortfolio(data, compileStrategy(rotation, first.chosen), { ...costs, start: 1499, end: 2500 });
    expect(result.equity.slice(0, 1001)).toEqual(Array.from(alone.equity));
    expect(first.testResult.finalEquity).toBe(alone.finalEquity);
  });
});
