import { mulberry32 } from '@tradeyard/runtime-util';
import type { PerformanceReport } from './report';
import { bootstrapIndices } from './resample';
import { statisticInfo, type StatisticKey } from './statistics';
import { quantileSorted } from './stats';
import { readableNumber } from './svg';

export interface RankingOptions {
  /** The statistic to rank by; default sharpe. */
  statistic?: StatisticKey;
  /** PRNG seed: the same seed gives the same intervals. Default 1. */
  seed?: number;
  /** Bootstrap resamples per comparison, 100 to 10,000; default 2,000. */
  iterations?: number;
  /** Mean block length of the stationary bootstrap, in bars, 1 to 10,000; default 10 (two weeks of days). */
  blockLength?: number;
  /** Confidence of the interval, in (0, 1); default 0.95. */
  confidence?: number;
}

export interface RankedRun {
  /** 1 for the best; null for the benchmark, which is not ranked. */
  rank: number | null;
  name: string;
  value: number | null;
  sharpe: number | null;
  probabilisticSharpe: number | null;
}

export interface LuckComparison {
  /** The run ranked higher (or the run, against the benchmark). */
  first: string;
  second: string;
  /** Annualised Sharpe of first minus second, on the bars both have. */
  sharpeDifference: number;
  /** null when the runs share fewer than 3 bar returns: nothing to resample. */
  interval: [number, number] | null;
  /** Bar returns both runs have, which the bootstrap resamples. */
  sharedBars: number;
  distinguishable: boolean;
  verdict: string;
}

export interface Ranking {
  statistic: StatisticKey;
  seed: number;
  iterations: number;
  blockLength: number;
  confidence: number;
  runs: RankedRun[];
  benchmark: RankedRun | null;
  /** Each adjacent pair of the ranking, then each run against the benchmark. */
  comparisons: LuckComparison[];
}

/** The bar returns two reports share, paired by the time each return ends at. */
function pairedReturns(a: PerformanceReport, b: PerformanceReport): [Float64Array, Float64Array] {
  const byTime = new Map<number, number>();
  for (let k = 0; k < b.series.returns.length; k++) byTime.set(b.series.time[k + 1], b.series.returns[k]);
  const left: number[] = [];
  const right: number[] = [];
  for (let k = 0; k < a.series.returns.length; k++) {
    const other = byTime.get(a.series.time[k + 1]);
    if (other === undefined) continue;
    left.push(a.series.returns[k]);
    right.push(other);
  }
  return [Float64Array.from(left), Float64Array.from(right)];
}

const sharpeOf = (sum: number, sumSq: number, n: number) => {
  const variance = (sumSq - (sum * sum) / n) / (n - 1);
  return variance > 0 ? sum / n / Math.sqrt(variance) : 0;
};

/**
 * Paired stationary bootstrap (Politis & Romano 1994) of the annualised Sharpe difference a − b:
 * both series are resampled with the same blocks (keeping their correlation and, within blocks,
 * their serial dependence); block lengths are geometric with the given mean.
 */
export function sharpeDifferenceInterval(a: Float64Array, b: Float64Array, barsPerYear: number, options: Required<Omit<RankingOptions, 'statistic'>>): { difference: number; interval: [number, number] | null } {
  const n = a.length;
  const annualise = Math.sqrt(barsPerYear);
  // Sums and sums of squares: one pass per resample, no allocation; daily returns are small, so
  // Σr² − (Σr)²/n loses nothing that matters to a confidence interval.
  let sa = 0;
  let qa = 0;
  let sb = 0;
  let qb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    qa += a[i] * a[i];
    sb += b[i];
    qb += b[i] * b[i];
  }
  const difference = n > 2 ? (sharpeOf(sa, qa, n) - sharpeOf(sb, qb, n)) * annualise : 0;
  if (n < 3) return { difference, interval: null };
  const random = mulberry32(options.seed);
  const indices = new Int32Array(n);
  const differences = new Float64Array(options.iterations);
  for (let it = 0; it < options.iterations; it++) {
    bootstrapIndices(random, n, options.blockLength, indices);
    sa = qa = sb = qb = 0;
    for (let k = 0; k < n; k++) {
      const i = indices[k];
      sa += a[i];
      qa += a[i] * a[i];
      sb += b[i];
      qb += b[i] * b[i];
    }
    differences[it] = (sharpeOf(sa, qa, n) - sharpeOf(sb, qb, n)) * annualise;
  }
  differences.sort();
  const tail = (1 - options.confidence) / 2;
  return { difference, interval: [quantileSorted(differences, tail), quantileSorted(differences, 1 - tail)] };
}

/** The bootstrap's settings with their defaults, checked; a bad one is a RangeError naming it. */
export function bootstrapSettings(options: Omit<RankingOptions, 'statistic'>): Required<Omit<RankingOptions, 'statistic'>> {
  const settings = { seed: options.seed ?? 1, iterations: options.iterations ?? 2000, blockLength: options.blockLength ?? 10, confidence: options.confidence ?? 0.95 };
  if (!Number.isInteger(settings.seed)) throw new RangeError(`seed must be a whole number, got ${settings.seed}`);
  if (!(Number.isInteger(settings.iterations) && settings.iterations >= 100 && settings.iterations <= 10_000)) throw new RangeError(`iterations must be a whole number from 100 to 10000, got ${settings.iterations}`);
  if (!(settings.blockLength >= 1 && settings.blockLength <= 10_000)) throw new RangeError(`blockLength must be from 1 to 10000, got ${settings.blockLength}`);
  if (!(settings.confidence > 0 && settings.confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${settings.confidence}`);
  return settings;
}

/**
 * A luck verdict on two runs' Sharpe difference, written once with its numbers rounded as people
 * read them: "a vs b: Sharpe difference 0.0014 (95% interval −0.88 to 0.91): not distinguishable
 * from luck". The raw numbers stay in the comparison beside it.
 */
export function sharpeVerdict(first: string, second: string, difference: number, interval: [number, number], confidence: number): string {
  const distinguishable = interval[0] > 0 || interval[1] < 0;
  const level = `${Math.round(confidence * 100)}%`;
  return `${first} vs ${second}: Sharpe difference ${readableNumber(difference)} (${level} interval ${readableNumber(interval[0])} to ${readableNumber(interval[1])}): ${
    distinguishable ? 'distinguishable from luck' : 'not distinguishable from luck'
  }`;
}

/**
 * Ranks runs by a statistic (best first; ties and missing values last, in input order) and says
 * for each adjacent pair, and for each run against the benchmark, whether their Sharpe ratios are
 * distinguishable from luck: "not distinguishable" when the bootstrap interval of the difference
 * contains 0. Deterministic for a seed; the work is bounded by iterations × bars per comparison.
 */
export function rankRuns(reports: PerformanceReport[], benchmark?: PerformanceReport, options: RankingOptions = {}): Ranking {
  const statistic = options.statistic ?? 'sharpe';
  const info = statisticInfo(statistic);
  const settings = bootstrapSettings(options);
  if (reports.length === 0) throw new RangeError('reports must hold at least one run');

  const sign = info.better === 'higher' ? 1 : -1;
  const order = reports
    .map((report, index) => ({ report, index, value: report.statistics[statistic] }))
    .sort((x, y) => (x.value === null ? (y.value === null ? x.index - y.index : 1) : y.value === null ? -1 : sign * (y.value - x.value) || x.index - y.index));
  const row = (report: PerformanceReport, rank: number | null): RankedRun => ({
    rank,
    name: report.name,
    value: report.statistics[statistic],
    sharpe: report.statistics.sharpe,
    probabilisticSharpe: report.statistics.probabilisticSharpe,
  });
  const compare = (first: PerformanceReport, second: PerformanceReport): LuckComparison => {
    const [a, b] = pairedReturns(first, second);
    const { difference, interval } = sharpeDifferenceInterval(a, b, first.barsPerYear, settings);
    const distinguishable = interval !== null && (interval[0] > 0 || interval[1] < 0);
    const verdict =
      interval === null
        ? `${first.name} vs ${second.name}: not distinguishable from luck (only ${a.length} shared bar returns)`
        : sharpeVerdict(first.name, second.name, difference, interval, settings.confidence);
    return { first: first.name, second: second.name, sharpeDifference: difference, interval, sharedBars: a.length, distinguishable, verdict };
  };
  const comparisons: LuckComparison[] = [];
  for (let k = 1; k < order.length; k++) comparisons.push(compare(order[k - 1].report, order[k].report));
  if (benchmark) for (const { report } of order) comparisons.push(compare(report, benchmark));
  return {
    statistic,
    ...settings,
    runs: order.map(({ report }, k) => row(report, k + 1)),
    benchmark: benchmark ? row(benchmark, null) : null,
    comparisons,
  };
}
