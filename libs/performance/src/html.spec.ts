import { loadSp500 } from '@tradeyard/market-data';
import { renderComparisonHtml } from './html';
import { buyAndHold } from './input';
import { rankRuns } from './ranking';
import { performanceReport } from './report';
import { STATISTICS } from './statistics';
import { escapeHtml } from './svg';

describe('standalone comparison HTML', () => {
  const bars = loadSp500();
  const time = bars.map((b) => b.time);
  const closes = bars.map((b) => b.close);
  // Three runs over the S&P 500 history: the index, half in it (half cash), and a run named to break markup.
  const full = performanceReport(buyAndHold('full', time, closes, 100_000));
  const half = performanceReport({ name: 'half', time, equity: closes.map((c) => 50_000 + (50_000 * c) / closes[0]) });
  const hostile = '<script>alert("x")</script> & co';
  const odd = performanceReport({ name: hostile, time, equity: closes.map((c, i) => 100_000 * (c / closes[0]) * (1 + 0.00002 * i)) });
  const benchmark = performanceReport(buyAndHold('SPX buy and hold', time, closes, 100_000));
  const ranking = rankRuns([full, half, odd], benchmark, { iterations: 200, seed: 3 });
  const html = renderComparisonHtml({ title: 'Three runs', reports: [full, half, odd], benchmark, ranking });

  it('is self-contained: inline SVG, no scripts, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|https?:\/\/|<link|<img|<iframe/);
    // equity, drawdown, rolling Sharpe
    expect(html.match(/<svg /g)).toHaveLength(3);
    // one line per run and the benchmark in each chart; the benchmark dashed
    expect(html.match(/<polyline /g)).toHaveLength(12);
    expect(html.match(/stroke-dasharray/g)).toHaveLength(3);
  });

  it('escapes every name it prints', () => {
    expect(html).toContain(escapeHtml(hostile));
    expect(html).not.toContain(hostile);
  });

  it('has every statistic as a row with one column per run and the benchmark', () => {
    for (const s of STATISTICS) expect(html).toContain(`<tr><td>${escapeHtml(s.label)}</td>`);
    const maxDrawdownRow = new RegExp(`<tr><td>Max drawdown</td>${'<td>[^<]+</td>'.repeat(4)}</tr>`);
    expect(html).toMatch(maxDrawdownRow);
    expect(html).toContain(`<td>${(full.statistics.maxDrawdown! * 100).toFixed(2)}%</td>`);
  });

  it('shows the ranking with its luck verdicts: the index and its buy and hold are not distinguishable', () => {
    expect(html).toContain('Ranking by Sharpe');
    const verdict = ranking.comparisons.find((c) => c.first === 'full' && c.second === 'SPX buy and hold');
    expect(verdict?.distinguishable).toBe(false);
    expect(html).toContain(escapeHtml(verdict!.verdict));
    expect(html).toContain('not distinguishable from luck');
  });

  it('has a monthly heatmap and drawdown episodes per run, and the five crisis windows', () => {
    // 4 runs x (heatmap + episodes)
    expect(html.match(/<h3>/g)).toHaveLength(8);
    // 21 years (2000..2020) per heatmap
    expect(html.match(/<tr><td>20\d\d<\/td>/g)).toHaveLength(4 * 21);
    expect(html.match(/<td>2007-10-09<\/td><td>2009-03-09<\/td><td>2013-03-28<\/td>/g)?.length).toBeGreaterThanOrEqual(2);
    for (const name of ['Dot-com crash', '9/11', 'Global financial crisis', 'Flash crash', 'COVID-19 crash']) expect(html).toContain(escapeHtml(name));
  });

  it('stays small: three runs and a benchmark over 20 years of days in under 600 kB', () => {
    expect(Buffer.byteLength(html)).toBeLessThan(600_000);
  });

  it('needs at least one run', () => {
    expect(() => renderComparisonHtml({ reports: [] })).toThrow('reports must hold at least one run');
  });
});
