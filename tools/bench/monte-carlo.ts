// Monte Carlo speed, measured against a baseline in the same run (prints; not a test):
// 1,000 bootstrap paths of 5,000 daily returns (20 years), i.i.d. and in stationary blocks of
// mean 10, and 1,000 resamples of 2,000 trades, each the median of repeated samples.
// Baseline: the usual way to write it in JS: each path a fresh array of drawn returns, reduced
// into an array of equity points, then max drawdown over it; same PRNG and draws, so the bench
// checks that it reaches the same percentiles.
// Run: npx tsx tools/bench/monte-carlo.ts
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-monte-carlo');
const pf = lib<typeof import('@tradeyard/performance')>('../../libs/performance/src/index.ts');
const ru = lib<typeof import('@tradeyard/runtime-util')>('../../libs/runtime-util/src/index.ts');

const RUNS = 1000;
const DAYS = 5000;
const TRADES = 2000;

/** A seeded daily equity curve: drift 8 %/year, volatility 18 %/year. */
function dailyCurve(days: number): number[] {
  const random = ru.mulberry32(7);
  const equity = [100_000];
  for (let t = 0; t < days; t++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    equity.push(equity[t] * Math.exp(0.08 / 252 + (0.18 / Math.sqrt(252)) * normal));
  }
  return equity;
}

/** The baseline: a new array per path, an equity object per step, sorts with a comparator. */
function baseline(equity: number[], runs: number, seed: number) {
  const returns = equity.slice(1).map((e, t) => e / equity[t] - 1);
  const random = ru.mulberry32(seed);
  const paths = Array.from({ length: runs }, () => {
    const drawn = returns.map(() => returns[Math.floor(random() * returns.length)]);
    const points = [{ equity: equity[0] }];
    for (const r of drawn) points.push({ equity: points[points.length - 1].equity * (1 + r) });
    let peak = equity[0];
    const maxDrawdown = Math.max(...points.map((p) => ((peak = Math.max(peak, p.equity)), 1 - p.equity / peak)));
    return { final: points[points.length - 1].equity, maxDrawdown };
  });
  const percentile = (xs: number[], q: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    return sorted[lo] + (h - lo) * (sorted[Math.min(sorted.length - 1, lo + 1)] - sorted[lo]);
  };
  const finals = paths.map((p) => p.final);
  return { p5: percentile(finals, 0.05), p50: percentile(finals, 0.5), p95: percentile(finals, 0.95) };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
/** Median milliseconds of `samples` calls after a few warm-up calls (JIT). */
function medianMs(fn: () => unknown, samples = 9): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const started = now();
    fn();
    times.push(now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(samples / 2)];
}

function main() {
  const equity = dailyCurve(DAYS);
  const pnl = Array.from({ length: TRADES }, (_, k) => BigInt(Math.round(Math.sin(k * 1.7) * 1_500_000_000 + 200_000_000)));
  const ours = pf.returnsMonteCarlo({ initialCash: equity[0], equity }, { runs: RUNS, seed: 3 });
  const theirs = baseline(equity, RUNS, 3);
  const agree = (['p5', 'p50', 'p95'] as const).every((k) => Math.abs(ours.finalEquity[k] / theirs[k] - 1) < 1e-9);

  const iid = medianMs(() => pf.returnsMonteCarlo({ initialCash: equity[0], equity }, { runs: RUNS, seed: 3 }));
  const block = medianMs(() => pf.returnsMonteCarlo({ initialCash: equity[0], equity }, { runs: RUNS, seed: 3, blockLength: 10 }));
  const trades = medianMs(() => pf.tradesMonteCarlo({ initialCash: 100_000_000_000n, pnl, years: 8 }, { runs: RUNS, seed: 3 }));
  const naive = medianMs(() => baseline(equity, RUNS, 3), 3);

  const rows = [
    ['measure', 'this library', 'baseline', 'speed-up'],
    [`${RUNS} paths x ${DAYS} daily returns, i.i.d. (median)`, `${iid.toFixed(1)} ms`, `${naive.toFixed(1)} ms`, `${(naive / iid).toFixed(1)}x`],
    [`${RUNS} paths x ${DAYS} daily returns, blocks of mean 10`, `${block.toFixed(1)} ms`, '-', '-'],
    [`${RUNS} paths x ${TRADES} trades, resampled`, `${trades.toFixed(1)} ms`, '-', '-'],
  ];
  console.log('Monte Carlo speed (baseline: a new array per path and an object per step)');
  console.log(pf.textTable(rows));
  console.log(`${((RUNS * DAYS) / iid / 1e3).toFixed(1)} M samples/s i.i.d.; library and baseline agree on the final-equity percentiles: ${agree ? 'yes' : 'NO'}`);
}

main();
