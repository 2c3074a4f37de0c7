import { loadSp500 } from '@tradeyard/market-data';
import { createStrategy } from '@tradeyard/strategies';
import { fromMicros, toMicros } from '@tradeyard/money';
import { expandStrategyGrid, runGridInline } from './grid';
import { runBacktest, toColumns } from './index';
import { progressBar } from './progress';
import { backtestReport, backtestRobustness, gridHeatmap, renderHtmlReport } from './report';

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

describe('backtestRobustness', () => {
  const bars = toColumns(loadSp500());
  const result = runBacktest(bars, createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }), { feeBps: 1, slippageBps: 3 });
  const robustness = backtestRobustness(result);

  it("breaks the trades down by symbol with P&L exact to the micro-unit: their total is the ledger's gain", () => {
    const [row] = robustness.bySymbol.rows;
    expect(robustness.bySymbol.rows).toHaveLength(1);
    expect(row).toMatchObject({ key: 'SPX', trades: result.trades, winRate: result.winRate });
    expect(toMicros(row.totalPnl)).toBe(result.ledger.equity - toMicros(result.initialCash));
    expect(robustness.byReason.rows.map((r) => [r.key, r.trades])).toEqual([['(none)', result.trades]]);
  });

  it('groups by the reason tag a trade carries', () => {
    const tagged = { ...result, tradeLog: result.tradeLog.map((t, k) => (k % 3 === 0 ? { ...t, reason: 'golden cross' } : t)) };
    const byReason = backtestRobustness(tagged).byReason;
    expect(Object.fromEntries(byReason.rows.map((r) => [r.key, r.trades]))).toEqual({ 'golden cross': Math.ceil(result.trades / 3), '(none)': result.trades - Math.ceil(result.trades / 3) });
  });

  it("simulates the run's bar returns and its trades, reproducibly for a seed", () => {
    const { returns, trades } = robustness.monteCarlo;
    expect(returns).toMatchObject({ method: 'returns-iid', runs: 1000, seed: 1, steps: 5104, initialCash: result.initialCash, years: 5104 / 252 });
    expect(trades).toMatchObject({ method: 'trades-resample', steps: result.trades, years: 5104 / 252 });
    expect(returns.finalEquity.p5).toBeLessThan(result.finalEquity);
    expect(returns.finalEquity.p95).toBeGreaterThan(result.finalEquity);
    expect(backtestRobustness(result, { seed: 1 })).toEqual(robustness);
    // Shuffled, every path ends where the ledger did, to the micro-unit.
    const shuffled = backtestRobustness(result, { blockLength: 20, tradeMethod: 'shuffle' }).monteCarlo;
    expect(shuffled.trades?.finalEquity).toEqual({ p5: fromMicros(result.ledger.equity), p50: fromMicros(result.ledger.equity), p95: fromMicros(result.ledger.equity) });
    expect(shuffled.returns).toMatchObject({ method: 'returns-block', blockLength: 20 });
  });

  it('adds the section to the HTML report, tables only', () => {
    const html = renderHtmlReport(result, robustness);
    expect(html).toContain('<h2>Monte Carlo</h2>');
    expect(html).toContain('<h2>Trades by symbol</h2>');
    expect(html).toContain('<h2>Trades by reason</h2>');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(renderHtmlReport(result)).not.toContain('Monte Carlo');
  });
});

describe('gridHeatmap', () => {
  const runs = runGridInline({
    datasets: [toColumns(loadSp500())],
    jobs: [...expandStrategyGrid({ name: 'sma-cross', fast: [20, 50, 150], slow: [100, 200] }), { name: 'sma-cross', fast: 'x', slow: 100 }].map((strategy) => ({ dataset: 0, strategy })),
  });

  it('maps the metric over the two parameters the grid varies; invalid runs stay empty', () => {
    const h = gridHeatmap(runs)!;
    expect([h.x, h.y, h.metric, h.better]).toEqual(['fast', 'slow', 'sharpe', 'higher']);
    // fast 150 with slow 100 and fast 'x' are invalid: an empty cell, and no column for 'x'.
    expect(h.xValues).toEqual([20, 50, 150]);
    const sharpe = (fast: number, slow: number) => runs.find((r) => r.strategy.fast === fast && r.strategy.slow === slow)!.summary!.sharpe;
    expect(h.cells).toEqual([
      [sharpe(20, 100), sharpe(50, 100), null],
      [sharpe(20, 200), sharpe(50, 200), sharpe(150, 200)],
    ]);
  });

  it('takes the direction of the metric and the axes asked for; null for a grid of one parameter', () => {
    const h = gridHeatmap(runs, { metric: 'maxDrawdown', x: 'slow' })!;
    expect([h.x, h.y, h.better]).toEqual(['slow', 'fast', 'lower']);
    expect(h.best!.value).toBe(Math.min(...runs.filter((r) => r.summary).map((r) => r.summary!.maxDrawdown)));
    expect(gridHeatmap(runs.filter((r) => r.strategy.slow === 200))).toBeNull();
    expect(gridHeatmap(runs.filter((r) => r.error))).toBeNull();
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
