import { loadSp500 } from '@tradeyard/market-data';
import { createStrategy } from '@tradeyard/strategies';
import { runBacktest, toColumns } from './index';
import { progressBar } from './progress';
import { backtestReport, renderHtmlReport } from './report';

describe('HTML report', () => {
  const result = runBacktest(toColumns(loadSp500()), createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }));
  const html = renderHtmlReport(result);

  it('is self-contained: inline SVG charts, no scripts, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|https?:\/\/|<link|<img/);
    expect(html.match(/<svg /g)).toHaveLength(2);
  });

  it('draws every close equity point of the S&P 500 run and lists every trade', () => {
    const line = /<polyline points="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(line.split(' ')).toHaveLength(5105);
    expect(html.match(/<tr><td>\d{4}-\d{2}-\d{2}<\/td><td>\d{4}-/g)).toHaveLength(result.trades);
    expect(html).toContain(`${(result.maxDrawdown * 100).toFixed(2)}%`);
  });

  it('reduces long series to bucket extremes, keeping the worst drawdown visible', () => {
    const n = 200_000;
    const time = Float64Array.from({ length: n }, (_, i) => i * 86_400_000);
    const equity = Float64Array.from({ length: n }, (_, i) => (i === 123_457 ? 50 : 100 + (i % 7)));
    const big = renderHtmlReport({ ...result, bars: n, equity, time, initialCash: 100, tradeLog: [] });
    const [equityLine, drawdownArea] = [...big.matchAll(/points="([^"]+)"/g)].map((m) => m[1].split(' '));
    expect(equityLine.length).toBeLessThanOrEqual(6001);
    const ys = equityLine.map((p) => Number(p.split(',')[1]));
    // The dip to 50 is the lowest point, so the largest SVG y.
    expect(Math.max(...ys)).toBeGreaterThan(200);
    expect(drawdownArea.length).toBeLessThanOrEqual(6001);
  });

  it('escapes names into the markup', () => {
    expect(renderHtmlReport({ ...result, strategy: '<b>x</b>' })).toContain('&#60;b&#62;x&#60;/b&#62;');
  });
});

describe('backtestReport', () => {
  const bars = toColumns(loadSp500());
  const result = runBacktest(bars, createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }), { feeBps: 1 });
  const report = backtestReport(result, { bars, trials: 4 });
  const s = report.statistics;

  it('agrees with the engine on every figure both compute', () => {
    expect([s.totalReturn, s.cagr, s.sharpe, s.sortino, s.maxDrawdown, s.volatility]).toEqual([result.totalReturn, result.cagr, result.sharpe, result.sortino, result.maxDrawdown, result.volatility]);
    expect([s.trades, s.winRate, s.fees]).toEqual([result.trades, result.winRate, result.fees]);
    // exposure rebuilt from the trades' bars matches the engine's count of bars held at the close
    expect(s.exposure).toBe(result.exposure);
  });

  it('adds what the engine does not: MAE/MFE from the bars, buy and hold, deflated Sharpe, crises', () => {
    expect(report.name).toBe('sma-cross(50,200) on SPX');
    expect(report.benchmarkName).toBe('SPX buy and hold');
    expect(s.averageMae).toBeGreaterThan(0);
    expect(s.averageMfe).toBeGreaterThan(0);
    expect(s.beta).toBeGreaterThan(0);
    expect(s.beta).toBeLessThan(1);
    expect(s.deflatedSharpe).toBeLessThan(s.probabilisticSharpe ?? 0);
    expect(report.crisisWindows).toHaveLength(5);
    const without = backtestReport(result).statistics;
    expect([without.averageMae, without.beta, without.deflatedSharpe]).toEqual([null, null, null]);
  });
});

describe('progressBar', () => {
  const sink = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 80, write: (s: string) => writes.push(s) } };
  };

  it('draws on a terminal once a run lasts over 100 ms, at most every 100 ms, and ends the line', () => {
    const { writes, stream } = sink(true);
    let clock = 0;
    const bar = progressBar('grid', stream, () => clock);
    bar.update(1, 10);
    expect(writes).toEqual([]);
    clock = 150;
    bar.update(5, 10);
    clock = 200;
    bar.update(6, 10);
    expect(writes).toEqual([expect.stringMatching(/^\rgrid \[#+-+\]  50% 5\/10 0\.1s$/)]);
    bar.done(10);
    expect(writes.slice(1)).toEqual([expect.stringMatching(/100% 10\/10/), '\n']);
  });

  it('writes nothing for short runs or when output is not a terminal', () => {
    for (const [isTTY, later] of [[true, 50], [false, 500]] as const) {
      const { writes, stream } = sink(isTTY);
      let clock = 0;
      const bar = progressBar('grid', stream, () => clock);
      clock = later;
      bar.update(5, 10);
      bar.done(10);
      expect(writes).toEqual([]);
    }
  });
});
