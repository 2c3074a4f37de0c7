import { groupBySymbol, loadSp500, loadStocks } from '@tradeyard/market-data';
import { portfolioData } from '@tradeyard/portfolio-backtest';
import { defineStrategy, p } from '@tradeyard/strategy';
import declaredShort from './__fixtures__/declared-short';
import farBack from './__fixtures__/far-back';
import { warmupCheck, warmupText } from './index';

const sp500 = loadSp500();
const spx = portfolioData(new Map([['SPX', sp500]]));
const six = portfolioData(new Map([['SPX', sp500], ...groupBySymbol(loadStocks())]));

describe('warmupCheck', () => {
  it('finds the warm-up a strategy that reads 100 bars back really needs: 101 bars, not the 0 it declares', () => {
    const report = warmupCheck({ data: spx, definition: farBack });
    expect(report).toMatchObject({ declared: 0, needed: 101, starts: ['2003-05-27', '2006-10-10', '2010-03-01', '2013-07-16', '2016-11-29'] });
    // One finding per short history: its first day, flat where the long history is long.
    expect(report.findings).toEqual(
      report.starts.map((start) => ({ date: start, symbol: 'SPX', what: 'decision', reference: 'target 1', other: 'target 0 after 1 bars', against: `history from ${start}` })),
    );
    expect(warmupText(report)).toContain('warm-up: declared 0 bars, needed 101\nWARM-UP TOO SHORT: 5 findings');
  });

  it('names an indicator still not warm once its symbol is ready, and the decisions it changes', () => {
    const report = warmupCheck({ data: six, definition: declaredShort });
    expect(report.declared).toBe(20);
    const notWarm = report.findings.filter((f) => f.what === 'indicator trend');
    expect(notWarm.length).toBeGreaterThan(0);
    expect(notWarm[0].other).toBe('NaN (not warm) after 20 bars, the warm-up being 20');
    const decisions = report.findings.filter((f) => f.what === 'decision');
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((f) => f.differing?.includes('trend'))).toBe(true);
    expect(report.needed).toBeGreaterThan(20);
    expect(report.needed).toBeLessThanOrEqual(50);
    expect(report.indicators).toEqual([{ name: 'trend', key: 'sma(close,50)', firstValue: 50, agreesFrom: 50 }]);
  });

  it('reports how long a recursive indicator takes to agree with a long history, beyond its first value', () => {
    const rsi = defineStrategy({ name: 'rsi-watch', params: { period: p.int(2, 50, 14) }, indicators: (q, i) => ({ rsi: i.rsi('close', q.period) }), decide: () => undefined });
    const [indicator] = warmupCheck({ data: spx, definition: rsi }).indicators;
    expect(indicator.firstValue).toBe(15);
    // Wilder's smoothing keeps (13/14)^n of the seed's error: about 280 bars to within 1e-9.
    expect(indicator.agreesFrom).toBeGreaterThan(200);
    expect(indicator.agreesFrom).toBeLessThan(400);
  });

  it('replays a short-selling run with shorts allowed, as the run had them', () => {
    const hedge = defineStrategy({ name: 'hedge', indicators: (_q, i) => ({ trend: i.sma('close', 20) }), warmup: 20, decide: (ctx) => ctx.targets({ SPX: ctx.bars('SPX').close() > ctx.ind.trend('SPX') ? 0.5 : -0.5 }) });
    const report = warmupCheck({ data: spx, definition: hedge, options: { allowShort: true } });
    expect(report.compared).toBeGreaterThan(0);
    expect(report.findings).toEqual([]);
  });
});
