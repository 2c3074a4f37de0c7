import { formatValue } from './html';
import { bootstrapSettings, sharpeDifferenceInterval, sharpeVerdict, type RankingOptions } from './ranking';
import type { PerformanceReport } from './report';
import { statisticInfo, type StatisticKey } from './statistics';
import { escapeHtml } from './svg';
import { htmlTable, textTable } from './tables';

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
  /**
   * The annualised Sharpe of the real run minus the disguised one's, with the paired stationary
   * bootstrap interval of the ranking (rankRuns). The two runs see the same prices on different
   * dates, so their bar returns are paired by position, not by time; null interval below 3 pairs.
   */
  recall: { sharpeDifference: number; interval: [number, number] | null; sharedBars: number; distinguishable: boolean };
  /** The recall test in plain words: whether the real − disguised gap is distinguishable from luck. */
  verdict: string;
}

/** The bootstrap of the recall test; the defaults are rankRuns'. */
export type MemorizationOptions = Omit<RankingOptions, 'statistic'>;

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/**
 * The gaps between one agent's runs on the real history, on a synthetic path of the same drift and
 * volatility, and on the real path under shifted dates and a disguised ticker. The disguised run
 * sees the same prices as the real one: an agent that trades what it sees scores the same on
 * both, so a gap there is recall of the history; the synthetic gap shows how much of the result
 * this particular path gave.
 */
export function memorizationGap(real: PerformanceReport, synthetic: PerformanceReport, disguised: PerformanceReport, options: MemorizationOptions = {}): MemorizationGap {
  const settings = bootstrapSettings(options);
  const shared = Math.min(real.series.returns.length, disguised.series.returns.length);
  const { difference, interval } = sharpeDifferenceInterval(real.series.returns.subarray(0, shared), disguised.series.returns.subarray(0, shared), real.barsPerYear, settings);
  const distinguishable = interval !== null && (interval[0] > 0 || interval[1] < 0);
  const verdict =
    interval === null
      ? `${real.name} vs ${disguised.name}: not distinguishable from luck (only ${shared} paired bar returns): no sign of recall`
      : `${sharpeVerdict(real.name, disguised.name, difference, interval, settings.confidence)}: ${
          distinguishable ? 'the agent trades the same prices differently under the real name and dates, a sign it recalls the history' : 'no sign it recalls the history'
        }`;
  return {
    names: { real: real.name, synthetic: synthetic.name, disguised: disguised.name },
    rows: MEMORIZATION_STATISTICS.map((key) => {
      const [r, s, d] = [real, synthetic, disguised].map((report) => report.statistics[key]);
      return { key, label: statisticInfo(key).label, real: r, synthetic: s, disguised: d, realMinusSynthetic: minus(r, s), realMinusDisguised: minus(r, d) };
    }),
    recall: { sharpeDifference: difference, interval, sharedBars: shared, distinguishable },
    verdict,
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
  return ['Memorization probe', textTable([heads(gap), ...cells(gap)]), gap.verdict, EXPLANATION].join('\n');
}

/** The gap as an HTML section for the standalone report, under `title`; every string escaped. */
export function memorizationGapHtml(gap: MemorizationGap, title = 'Memorization probe'): string {
  const table = htmlTable(heads(gap), cells(gap).map((r) => r.map(escapeHtml)));
  return `<h2>${escapeHtml(title)}</h2>\n${table}\n<p class="${gap.recall.distinguishable ? 'no' : 'yes'}">${escapeHtml(gap.verdict)}</p>\n<p>${escapeHtml(EXPLANATION)}</p>`;
}
