import { formatValue } from './html';
import type { PerformanceReport } from './report';
import { statisticInfo, type StatisticKey } from './statistics';
import { escapeHtml } from './svg';

/** The statistics the memorization probe compares. */
export const MEMORIZATION_STATISTICS = ['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'winRate', 'trades'] as const satisfies readonly StatisticKey[];

export interface MemorizationGapRow {
  key: StatisticKey;
  label: string;
  real: number | null;
  synthetic: number | null;
  disguised: number | null;
  /** real − synthetic and real − disguised; null where either side is undefined. */
  realMinusSynthetic: number | null;
  realMinusDisguised: number | null;
}

export interface MemorizationGap {
  names: { real: string; synthetic: string; disguised: string };
  rows: MemorizationGapRow[];
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/**
 * The gaps between one agent's runs on the real history, on a synthetic path of the same drift and
 * volatility, and on the real path under shifted dates and a disguised ticker. The disguised run
 * sees the same prices as the real one: an agent that trades what it sees scores the same on
 * both, so a gap there is recall of the history; the synthetic gap shows how much of the result
 * this particular path gave.
 */
export function memorizationGap(real: PerformanceReport, synthetic: PerformanceReport, disguised: PerformanceReport): MemorizationGap {
  return {
    names: { real: real.name, synthetic: synthetic.name, disguised: disguised.name },
    rows: MEMORIZATION_STATISTICS.map((key) => {
      const [r, s, d] = [real, synthetic, disguised].map((report) => report.statistics[key]);
      return { key, label: statisticInfo(key).label, real: r, synthetic: s, disguised: d, realMinusSynthetic: minus(r, s), realMinusDisguised: minus(r, d) };
    }),
  };
}

const cells = (gap: MemorizationGap) =>
  gap.rows.map((row) => {
    const { format } = statisticInfo(row.key);
    // A gap in a count is still a count; a gap in a fraction is in percentage points.
    return [row.label, ...[row.real, row.synthetic, row.disguised, row.realMinusSynthetic, row.realMinusDisguised].map((v) => formatValue(v, format))];
  });
const heads = (gap: MemorizationGap) => ['Statistic', gap.names.real, gap.names.synthetic, gap.names.disguised, 'Real − synthetic', 'Real − disguised'];
const EXPLANATION =
  'The disguised run trades the real prices under shifted dates and another ticker: an agent that trades what it sees scores the same as on the real history, so a gap there means it recalls the history. The synthetic run has the same drift and volatility on a path of its own.';

/** The gap as a plain-text table, for a terminal or a model. */
export function memorizationGapText(gap: MemorizationGap): string {
  const rows = [heads(gap), ...cells(gap)];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return ['Memorization probe', line(rows[0]), ...rows.slice(1).map(line), EXPLANATION].join('\n');
}

/** The gap as an HTML section for the standalone report; every string escaped. */
export function memorizationGapHtml(gap: MemorizationGap): string {
  const head = heads(gap).map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = cells(gap).map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>Memorization probe</h2>\n<table><tr>${head}</tr>\n${body}\n</table>\n<p>${escapeHtml(EXPLANATION)}</p>`;
}
