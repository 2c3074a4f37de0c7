import fc from 'fast-check';
import { mulberry32 } from '@tradeyard/runtime-util';
import { rankRuns, sharpeVerdict } from './ranking';
import { performanceReport, type PerformanceReport } from './report';

const day = (i: number) => Date.UTC(2015, 0, 1 + i);

/** A run whose bar returns are drift + volatility × (uniform noise from a seeded PRNG, mean 0). */
const runFrom = (name: string, drift: number, volatility: number, seed: number, bars = 1000): PerformanceReport => {
  const random = mulberry32(seed);
  const equity = [100];
  for (let i = 1; i < bars; i++) equity.push(equity[i - 1] * (1 + drift + volatility * (random() - 0.5)));
  return performanceReport({ name, time: equity.map((_, i) => day(i)), equity });
};

describe('rankRuns', () => {
  const strong = runFrom('strong', 0.004, 0.01, 1);
  const weak = runFrom('weak', 0.0002, 0.02, 2);
  const twin = runFrom('weak twin', 0.0002, 0.02, 3);

  it('ranks by the chosen statistic, each in its better direction', () => {
    expect(rankRuns([weak, strong], undefined, { statistic: 'sharpe', iterations: 100 }).runs.map((r) => [r.rank, r.name])).toEqual([[1, 'strong'], [2, 'weak']]);
    // lower max drawdown ranks first
    const byDrawdown = rankRuns([weak, strong], undefined, { statistic: 'maxDrawdown', iterations: 100 }).runs;
    expect(byDrawdown[0].value).toBeLessThanOrEqual(byDrawdown[1].value ?? 0);
    expect(byDrawdown[0].name).toBe('strong');
  });

  it('says a large Sharpe gap is distinguishable and two draws of the same process are not', () => {
    const ranking = rankRuns([weak, strong, twin], undefined, { seed: 7, iterations: 500 });
    const [first, second] = ranking.comparisons;
    expect(first).toMatchObject({ first: 'strong', distinguishable: true });
    expect(first.interval![0]).toBeGreaterThan(0);
    expect(first.verdict).toMatch(/^strong vs weak( twin)?: Sharpe difference \d+\.\d\d \(95% interval \d+\.\d\d to \d+\.\d\d\): distinguishable from luck$/);
    expect(second.distinguishable).toBe(false);
    expect(second.interval![0]).toBeLessThan(0);
    expect(second.interval![1]).toBeGreaterThan(0);
    expect(second.verdict).toContain('not distinguishable');
  });

  it('writes each verdict once, its numbers rounded as people read them', () => {
    expect(sharpeVerdict('a', 'b', 0.0013853549236125832, [-0.8787422506815571, 0.9113853549236125], 0.95)).toBe(
      'a vs b: Sharpe difference 0.0014 (95% interval \u22120.88 to 0.91): not distinguishable from luck',
    );
    expect(sharpeVerdict('a', 'b', 1.23456, [0.04321, 2.5], 0.9)).toBe('a vs b: Sharpe difference 1.23 (90% interval 0.043 to 2.50): distinguishable from luck');
    // What rounds to zero is written without a sign.
    expect(sharpeVerdict('a', 'b', -1e-9, [-12.345, -0.00001], 0.95)).toBe('a vs b: Sharpe difference 0.0000 (95% interval \u221212.35 to 0.0000): distinguishable from luck');
    const { comparisons } = rankRuns([strong, weak, twin], undefined, { seed: 7, iterations: 500 });
    for (const c of comparisons) {
      expect(c.verdict).toBe(sharpeVerdict(c.first, c.second, c.sharpeDifference, c.interval!, 0.95));
      // Each number once, none with more than four decimals.
      expect(c.verdict.match(/\d+\.\d+/g)).toHaveLength(3);
      expect(c.verdict).not.toMatch(/\d\.\d{5}/);
    }
  });

  it('a run against itself differs by exactly 0 and is not distinguishable', () => {
    const [comparison] = rankRuns([weak, { ...weak, name: 'copy' }], undefined, { iterations: 100 }).comparisons;
    expect(comparison.sharpeDifference).toBe(0);
    expect(comparison.interval).toEqual([0, 0]);
    expect(comparison.verdict).toContain('not distinguishable from luck');
  });

  it('compares every run with the benchmark and carries each PSR', () => {
    const ranking = rankRuns([weak, strong], twin, { iterations: 200 });
    expect(ranking.comparisons.map((c) => `${c.first}/${c.second}`)).toEqual(['strong/weak', 'strong/weak twin', 'weak/weak twin']);
    expect(ranking.benchmark).toMatchObject({ rank: null, name: 'weak twin' });
    expect(ranking.runs[0].probabilisticSharpe).toBe(strong.statistics.probabilisticSharpe);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const a = rankRuns([weak, twin], undefined, { seed, iterations: 100 });
        const b = rankRuns([weak, twin], undefined, { seed, iterations: 100 });
        expect(a).toEqual(b);
      }),
      { numRuns: 5 },
    );
    const one = rankRuns([weak, twin], undefined, { seed: 1, iterations: 100 }).comparisons[0].interval;
    const two = rankRuns([weak, twin], undefined, { seed: 2, iterations: 100 }).comparisons[0].interval;
    expect(one).not.toBeNull();
    expect(one).not.toEqual(two);
  });

  it('pairs returns by time: a run over part of the period is compared on the bars both have', () => {
    const short = performanceReport({ name: 'short', time: strong.series.time.slice(500), equity: strong.series.equity.slice(500) });
    const [comparison] = rankRuns([short, strong], undefined, { iterations: 100 }).comparisons;
    // the same returns over the shared bars: no difference at all
    expect(comparison.sharedBars).toBe(499);
    expect(comparison.sharpeDifference).toBeCloseTo(0, 12);
    expect(comparison.interval![0]).toBeCloseTo(0, 12);
    expect(comparison.interval![1]).toBeCloseTo(0, 12);
  });

  it('runs that share too few bars are not distinguishable, with no interval', () => {
    const early = performanceReport({ name: 'early', time: strong.series.time.slice(0, 10), equity: strong.series.equity.slice(0, 10) });
    const late = performanceReport({ name: 'late', time: strong.series.time.slice(900), equity: strong.series.equity.slice(900) });
    const [comparison] = rankRuns([early, late], undefined, { iterations: 100 }).comparisons;
    expect(comparison).toMatchObject({ interval: null, sharedBars: 0, distinguishable: false, verdict: 'early vs late: not distinguishable from luck (only 0 shared bar returns)' });
  });

  it('is calibrated: two draws of one process are told apart about 5% of the time', () => {
    // 40 pairs of independent 250-bar runs with the same drift and volatility: the true Sharpe
    // difference is 0, so a 95% interval should exclude 0 in about 2 of them (binomial 40 x .05,
    // standard deviation 1.4); more than 7 would mean the interval is far too narrow.
    let distinguished = 0;
    for (let k = 0; k < 40; k++) {
      const a = runFrom('a', 0.0005, 0.02, 1000 + 2 * k, 250);
      const b = runFrom('b', 0.0005, 0.02, 1001 + 2 * k, 250);
      if (rankRuns([a, b], undefined, { iterations: 200, seed: k, blockLength: 5 }).comparisons[0].distinguishable) distinguished++;
    }
    expect(distinguished).toBeLessThanOrEqual(7);
  });

  it('bounds its work and names a bad option', () => {
    expect(() => rankRuns([weak], undefined, { iterations: 1_000_000 })).toThrow('iterations must be a whole number from 100 to 10000, got 1000000');
    expect(() => rankRuns([weak], undefined, { blockLength: 0 })).toThrow('blockLength must be from 1 to 10000, got 0');
    expect(() => rankRuns([weak], undefined, { confidence: 1 })).toThrow('confidence must be between 0 and 1, got 1');
    expect(() => rankRuns([], undefined)).toThrow('reports must hold at least one run');
    expect(() => rankRuns([weak], undefined, { statistic: 'luck' as never })).toThrow(/statistic must be one of startEquity, .*, got luck/);
  });
});
