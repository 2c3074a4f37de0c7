import { groupBySymbol, isoDate, loadSp500, loadStocks } from '@tradeyard/market-data';
import { portfolioData } from '@tradeyard/portfolio-backtest';
import nextClose from './__fixtures__/next-close-indicator';
import tomorrowCache from './__fixtures__/tomorrow-cache';
import { cutSteps, lookaheadCheck, lookaheadText } from './index';

const sp500 = loadSp500();
const spx = portfolioData(new Map([['SPX', sp500]]));
const six = portfolioData(new Map([['SPX', sp500], ...groupBySymbol(loadStocks())]));

describe('lookaheadCheck', () => {
  it('cuts at 20 dates spread from the first decision (once every symbol has begun) and at each of the last 5 bars', () => {
    const steps = cutSteps(spx, 199, 20, 5);
    expect(steps).toHaveLength(24); // the last spread cut is also the bar before the last
    expect(steps[0]).toBe(199);
    expect(steps.slice(-5)).toEqual([5099, 5100, 5101, 5102, 5103]);
    // GOOG's monthly bars begin on 2004-08-01: a cut before it would drop GOOG from the run.
    expect(isoDate(six.calendar.times[cutSteps(six, 0, 20, 5)[0]])).toBe('2004-08-01');
  });

  it('catches a module-level cache that carries later bars from one run into the next, naming date, symbol and decision', () => {
    const report = lookaheadCheck({ data: spx, definition: tomorrowCache });
    expect(report.cuts).toHaveLength(24);
    // Every cut but the first: cut on the first day, the run decides once, and SPX fell the next day.
    expect(new Set(report.findings.map((f) => f.against)).size).toBe(report.cuts.length - 1);
    for (const f of report.findings) {
      expect(f).toMatchObject({ symbol: 'SPX', what: 'decision', against: expect.stringMatching(/^the data cut at \d{4}-\d\d-\d\d$/) });
      expect(f.date <= f.against.slice(-10)).toBe(true);
    }
    // The first run (all the data) had no tomorrow yet on its first day; every cut run had it.
    expect(report.findings[0]).toMatchObject({ date: '2000-01-04', reference: 'no decision', other: 'target 1' });
    expect(lookaheadText(report)).toMatch(/LOOK-AHEAD: \d+ findings[^\n]*\n {2}2000-01-04 SPX decision: no decision with the long run, target 1 with the data cut at /);
  });

  it('catches an indicator whose batch form reads the next bar: at every cut, its value at the cut changes', () => {
    const report = lookaheadCheck({ data: six, definition: nextClose }, { cuts: 6, lastBars: 2 });
    const spxIndicator = report.findings.filter((f) => f.what === 'indicator tomorrow' && f.symbol === 'SPX');
    // At SPX's last bar in each cut (2004-08-01, a cut at GOOG's first monthly bar, is a Sunday: SPX's last bar is 2004-07-30).
    const lastSpxBar = (cut: string) => isoDate(sp500.filter((b) => isoDate(b.time) <= cut).at(-1)!.time);
    expect(spxIndicator.map((f) => f.date)).toEqual(report.cuts.map(lastSpxBar));
    expect(spxIndicator[0].date).toBe('2004-07-30');
    for (const f of spxIndicator) expect(f.other).toBe('NaN (not warm)');
    const spxClose = (date: string) => sp500[sp500.findIndex((b) => isoDate(b.time) === date) + 1].close;
    expect(spxIndicator[0].reference).toBe(String(spxClose(spxIndicator[0].date)));
    expect(report.findings.some((f) => f.what === 'decision')).toBe(true);
  });
});
