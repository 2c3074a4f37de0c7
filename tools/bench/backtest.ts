// Backtest speed, measured against a baseline in the same run (prints; not a test):
//   1. bars/second of one strategy (sma-cross 50/200) over the S&P 500 history, median of
//      repeated samples, single thread;
//   2. total time of 500 synthetic symbols x 2,520 daily bars (seeded GBM), on one core and
//      on worker threads (worker start-up included).
// Baseline: the usual way to write it in JS: signals from `technicalindicators` SMA.calculate,
// then a loop over Bar objects that allocates an equity point per bar; same fill convention,
// and the bench checks it reaches the same final equity.
// Run: npx tsx tools/bench/backtest.ts
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { SMA } from 'technicalindicators';
import { workspaceLibs } from './workspace-libs';
import type { Bar } from '@tradeyard/market-data';

const lib = workspaceLibs('bench-backtest');
const bt = lib<typeof import('@tradeyard/backtest')>('../../libs/backtest/src/index.ts');
const md = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const st = lib<typeof import('@tradeyard/strategies')>('../../libs/strategies/src/index.ts');

const FAST = 50;
const SLOW = 200;
const SYMBOLS = 500;
const BARS = 2520;

/** The baseline backtest: precomputed indicator arrays, then a per-bar loop allocating objects. */
function baselineSmaCross(bars: readonly Bar[], initialCash = 100_000): number {
  const closes = bars.map((b) => b.close);
  const fast = SMA.calculate({ period: FAST, values: closes });
  const slow = SMA.calculate({ period: SLOW, values: closes });
  const curve: Array<{ time: number; equity: number }> = [];
  let cash = initialCash;
  let shares = 0;
  let last = 0;
  let order: { target: number } | undefined;
  bars.forEach((bar, i) => {
    if (order) {
      const value = cash + shares * bar.open;
      const want = (order.target * value) / bar.open;
      cash -= (want - shares) * bar.open;
      shares = order.target === 0 ? 0 : want;
      order = undefined;
    }
    curve.push({ time: bar.time, equity: cash + shares * bar.close });
    const f = fast[i - (FAST - 1)];
    const s = slow[i - (SLOW - 1)];
    const target = f !== undefined && s !== undefined && f > s ? 1 : 0;
    if (target !== last) order = { target };
    last = target;
  });
  return curve[curve.length - 1].equity;
}

/** Deterministic geometric Brownian motion bars (mulberry32 + Box-Muller), for the synthetic universe. */
function syntheticUniverse(symbols: number, bars: number, seed = 42): Bar[][] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const start = Date.UTC(2010, 0, 4);
  return Array.from({ length: symbols }, (_, k) => {
    const drift = 0.08 / 252;
    const vol = (0.15 + 0.25 * random()) / Math.sqrt(252);
    let price = 20 + 180 * random();
    return Array.from({ length: bars }, (_, i) => {
      const open = price * Math.exp(0.2 * vol * normal());
      const close = open * Math.exp(drift - (vol * vol) / 2 + vol * normal());
      price = close;
      const spread = Math.abs(vol * normal()) * open;
      return { symbol: `SYN${k}`, time: start + i * 86_400_000, open, high: Math.max(open, close) + spread, low: Math.max(0.01, Math.min(open, close) - spread), close, volume: 1e5 };
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e9;

/** Median throughput of `samples` timed samples, each repeating `fn` until at least 50 ms pass. */
function barsPerSecond(bars: number, fn: () => void, samples = 15): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up (JIT)
  const rates: number[] = [];
  for (let s = 0; s < samples; s++) {
    let reps = 0;
    const started = now();
    let elapsed = 0;
    do {
      fn();
      reps++;
      elapsed = now() - started;
    } while (elapsed < 0.05);
    rates.push((reps * bars) / elapsed);
  }
  return median(rates);
}

async function medianSeconds(fn: () => unknown, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = now();
    await fn();
    times.push(now() - started);
  }
  return median(times);
}

async function main() {
  const smaCross = () => st.createStrategy({ name: 'sma-cross', fast: FAST, slow: SLOW });
  const sp500 = md.loadSp500();
  const columns = bt.toColumns(sp500);
  const engineEquity = bt.runBacktest(columns, smaCross()).finalEquity;
  const baselineEquity = baselineSmaCross(sp500);
  const same = Math.abs(engineEquity - baselineEquity) < 1e-6 * engineEquity;

  const engineRate = barsPerSecond(columns.length, () => bt.runBacktest(columns, smaCross()));
  const engineArrayRate = barsPerSecond(columns.length, () => bt.runBacktest(sp500, smaCross()));
  const baselineRate = barsPerSecond(columns.length, () => baselineSmaCross(sp500));

  const universe = syntheticUniverse(SYMBOLS, BARS);
  // Shared memory up front, as a grid would hold it: worker threads then read it without a copy.
  const universeColumns = universe.map((bars) => bt.toColumns(bars, true));
  const spec = { name: 'sma-cross', fast: FAST, slow: SLOW };
  const workers = availableParallelism();
  const engineOneCore = await medianSeconds(() => universeColumns.forEach((c) => bt.runBacktest(c, smaCross())));
  const grid = { datasets: universeColumns, jobs: universeColumns.map((_, dataset) => ({ dataset, strategy: spec })) };
  const engineWorkers = await medianSeconds(() => bt.runGrid(grid, { workerFile: __filename, execArgv: ['--require', 'tsx/cjs'], workers }));
  // The production path: the app bundle re-entering itself as the worker (nx run trading-agent:build first).
  const bundle = resolve(__dirname, '../../dist/apps/trading-agent/main.js');
  const bundleWorkers = existsSync(bundle) ? await medianSeconds(() => bt.runGrid(grid, { workerFile: bundle, workers, execArgv: [] })) : undefined;
  const baselineOneCore = await medianSeconds(() => universe.forEach((bars) => baselineSmaCross(bars)));

  const m = (rate: number) => `${(rate / 1e6).toFixed(2)} M bars/s`;
  const s = (seconds: number) => `${seconds.toFixed(3)} s`;
  const rows: string[][] = [
    ['measure', 'this engine', 'baseline', 'speed-up'],
    [`S&P 500 sma-cross(${FAST},${SLOW}), ${columns.length} bars, 1 thread (median of 15)`, m(engineRate), m(baselineRate), `${(engineRate / baselineRate).toFixed(1)}x`],
    ['  same, engine fed Bar[] (column conversion included)', m(engineArrayRate), m(baselineRate), `${(engineArrayRate / baselineRate).toFixed(1)}x`],
    [`${SYMBOLS} synthetic x ${BARS} bars, 1 core (median of 5)`, s(engineOneCore), s(baselineOneCore), `${(baselineOneCore / engineOneCore).toFixed(1)}x`],
    [`  same on ${workers} worker threads (TypeScript via tsx), start-up included`, s(engineWorkers), s(baselineOneCore), `${(baselineOneCore / engineWorkers).toFixed(1)}x`],
    bundleWorkers === undefined
      ? ['  same on worker threads of the built bundle: dist/apps/trading-agent/main.js not built', '-', '-', '-']
      : [`  same on ${workers} worker threads of the built bundle, start-up included`, s(bundleWorkers), s(baselineOneCore), `${(baselineOneCore / bundleWorkers).toFixed(1)}x`],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log('backtest speed (baseline: technicalindicators SMA.calculate + per-bar object loop)');
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  console.log(`${(SYMBOLS * BARS).toLocaleString('en-US')} synthetic bars: ${((SYMBOLS * BARS) / engineOneCore / 1e6).toFixed(2)} M bars/s on one core`);
  console.log(`engine and baseline agree on the S&P 500 final equity: ${same ? 'yes' : 'NO'} (${engineEquity.toFixed(2)} vs ${baselineEquity.toFixed(2)})`);
  console.log(`goals: >= 2 M bars/s on one core: ${engineRate >= 2e6 ? 'met' : 'NOT met'}; 500 x 2,520 under 2 s on one core: ${engineOneCore < 2 ? 'met' : 'NOT met'}`);
}

if (bt.isGridWorker()) bt.serveGridWorker();
else void main();
