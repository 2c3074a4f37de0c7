import type { Ranking } from './ranking';
import type { PerformanceReport } from './report';
import { STATISTICS, type StatisticFormat } from './statistics';
import { escapeHtml, formatNumber, formatPercent, svgLineChart } from './svg';
import { htmlTable } from './tables';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const BENCHMARK_COLOUR = '#555';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Comparison charts hold several series: fewer points each keeps the file small. */
const MAX_POINTS = 3000;

/** A statistic as the report shows it, by its format; – where it is undefined. */
export const formatValue = (value: number | null, format: StatisticFormat) => {
  if (value === null) return '–';
  switch (format) {
    case 'percent':
      return formatPercent(value);
    case 'money':
      return formatNumber(value);
    case 'count':
      return formatNumber(value, 0);
    case 'days':
      return formatNumber(value, 1);
    case 'ratio':
      return formatNumber(value, 3);
  }
};

/** A heatmap cell colour: green for gains, red for losses, full strength at ±10 % a month. */
export const heat = (r: number) => {
  const strength = Math.min(1, Math.abs(r) / 0.1);
  const fade = Math.round(255 - 150 * strength);
  return r >= 0 ? `rgb(${fade},255,${fade})` : `rgb(255,${fade},${fade})`;
};

function monthlyHeatmap(report: PerformanceReport): string {
  const rows = report.monthlyReturns.rows.map((row) => [
    String(row.year),
    ...row.months.map((m) => (m === null ? '' : `<span style="background:${heat(m)}">${formatPercent(m)}</span>`)),
    `<b>${formatPercent(row.total)}</b>`,
  ]);
  return `<h3>${escapeHtml(report.name)}</h3>\n${htmlTable(['Year', ...MONTHS, 'Year'], rows)}`;
}

function episodesTable(report: PerformanceReport): string {
  const rows = report.drawdownEpisodes.map((e) => [escapeHtml(e.peak), escapeHtml(e.trough), escapeHtml(e.recovery), formatPercent(e.depth), String(e.length)]);
  return `<h3>${escapeHtml(report.name)}</h3>\n${rows.length > 0 ? htmlTable(['Peak', 'Trough', 'Recovery', 'Depth', 'Bars'], rows) : '<p>No drawdown.</p>'}`;
}

function rankingSection(ranking: Ranking): string {
  const info = STATISTICS.find((s) => s.key === ranking.statistic);
  const format = info?.format ?? 'ratio';
  // Ranked by Sharpe, the value column would repeat the Sharpe column.
  const bySharpe = ranking.statistic === 'sharpe';
  const rows = [...ranking.runs, ...(ranking.benchmark ? [ranking.benchmark] : [])].map((r) => [
    r.rank === null ? 'benchmark' : String(r.rank),
    escapeHtml(r.name),
    ...(bySharpe ? [] : [formatValue(r.value, format)]),
    formatValue(r.sharpe, 'ratio'),
    formatValue(r.probabilisticSharpe, 'percent'),
  ]);
  const verdicts = ranking.comparisons.map((c) => `<li class="${c.distinguishable ? 'yes' : 'no'}">${escapeHtml(c.verdict)}</li>`).join('\n');
  return `<h2>Ranking by ${escapeHtml(info?.label ?? ranking.statistic)}</h2>
${htmlTable(['Rank', 'Run', ...(bySharpe ? [] : [info?.label ?? ranking.statistic]), 'Sharpe', 'PSR (SR > 0)'], rows)}
<p>Is each difference more than luck? A paired stationary bootstrap of the Sharpe difference (${ranking.iterations} resamples, mean block ${ranking.blockLength} bars, seed ${ranking.seed}); an interval containing 0 is not distinguishable from luck.</p>
<ul>
${verdicts}
</ul>`;
}

export interface ComparisonPage {
  title?: string;
  reports: PerformanceReport[];
  /** Drawn as a dashed line and as the last column. */
  benchmark?: PerformanceReport;
  ranking?: Ranking;
  /** More sections (HTML, their text already escaped), after the ranking: e.g. memorizationGapHtml. */
  sections?: string[];
}

/**
 * One standalone HTML file comparing several runs: no scripts, nothing fetched, inline SVG; every
 * string from the input escaped. Sections: ranking and luck verdicts, statistics (runs as
 * columns), equity, drawdown and rolling Sharpe charts, crisis windows, monthly heatmaps and
 * drawdown episodes per run.
 */
export function renderComparisonHtml(page: ComparisonPage): string {
  if (page.reports.length === 0) throw new RangeError('reports must hold at least one run');
  const title = page.title ?? 'Performance comparison';
  const all = [...page.reports, ...(page.benchmark ? [page.benchmark] : [])];
  const colour = (k: number) => (page.benchmark && k === all.length - 1 ? BENCHMARK_COLOUR : PALETTE[k % PALETTE.length]);
  const series = (pick: (r: PerformanceReport) => { time: ArrayLike<number>; values: ArrayLike<number> }) =>
    all.map((r, k) => ({ label: r.name, colour: colour(k), dashed: page.benchmark !== undefined && k === all.length - 1, ...pick(r) }));

  const statRows = STATISTICS.map((s) => [escapeHtml(s.label), ...all.map((r) => formatValue(r.statistics[s.key], s.format))]);
  const crisisNames = [...new Set(all.flatMap((r) => r.crisisWindows.map((c) => `${c.name} (${c.from} to ${c.to})`)))];
  const crisisRows = crisisNames.map((name) => [
    escapeHtml(name),
    ...all.map((r) => {
      const c = r.crisisWindows.find((w) => `${w.name} (${w.from} to ${w.to})` === name);
      return c ? `${formatPercent(c.return)} (max drawdown ${formatPercent(c.maxDrawdown)})` : '–';
    }),
  ]);
  const window = page.reports[0].rollingSharpe.window;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin-bottom:1em}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;font-size:13px}td:first-child,th:first-child{text-align:left}li.no{color:#a15c00}li.yes{color:#116611}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${all.map((r) => `${escapeHtml(r.name)}: ${escapeHtml(r.from)} to ${escapeHtml(r.to)} (${r.bars} bars)`).join('; ')}</p>
${page.ranking ? rankingSection(page.ranking) : ''}
${(page.sections ?? []).join('\n')}
<h2>Statistics</h2>
${htmlTable(['Statistic', ...all.map((r) => r.name)], statRows)}
${svgLineChart('Equity', series((r) => ({ time: r.series.time, values: r.series.equity })), (v) => formatNumber(v, 0), { maxPoints: MAX_POINTS })}
${svgLineChart('Drawdown', series((r) => ({ time: r.series.time, values: r.series.drawdown.map((d) => -d) })), formatPercent, { maxPoints: MAX_POINTS })}
${svgLineChart(`Rolling Sharpe (${window} bars)`, series((r) => ({ time: r.rollingSharpe.time, values: r.rollingSharpe.value })), (v) => formatNumber(v, 2), { maxPoints: MAX_POINTS })}
<h2>Crisis windows</h2>
${crisisRows.length > 0 ? htmlTable(['Window', ...all.map((r) => r.name)], crisisRows) : '<p>The data spans none of the crisis windows.</p>'}
<h2>Monthly returns</h2>
${all.map(monthlyHeatmap).join('\n')}
<h2>Largest drawdowns</h2>
${all.map(episodesTable).join('\n')}
</body></html>
`;
}
