// Speed and memory of user strategies (@tradeyard/strategy on libs/portfolio-backtest), each
// printed beside a baseline measured in the same run (prints; not a test). Issue 22's goals:
//   1. rotation: examples/strategies/momentum-rotation.ts, loaded as a user's file, over the
//      106-symbol default market x 5,105 days, beside the built-in columnar sma-cross over the
//      same bars (libs/backtest runBacktest per symbol); goal: within 3x of it;
//   2. two indicators: a user strategy reading a fast and a slow SMA of each of 500 synthetic
//      symbols x 20 years (2.5 M bars), now and a bar ago, trading their crosses with explicit
//      orders; beside the same loop written by hand over plain arrays; goal: >= 3 M bars/s;
//   3. grid: 1,000 combinations of the rotation (200 lookbacks x 5 tops) in a child process, with
//      the distinct indicator series it computed and its peak memory; goal: under 1 GB.
// Run: npx tsx tools/bench/strategy.ts   (--part=rotation|two-indicators|grid for one part)
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-strategy');
const bt = lib<typeof import('@tradeyard/backtest')>('../../libs/backtest/src/index.ts');
const md = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const st = lib<typeof import('@tradeyard/strategies')>('../../libs/strategies/src/index.ts');
const sdk = lib<typeof import('@tradeyard/strategy')>('../../libs/strategy-sdk/src/index.ts');
const pb = lib<typeof import('@tradeyard/portfolio-backtest')>('../../libs/portfolio-backtest/src/index.ts');
const loader = lib<typeof import('@tradeyard/strategy-loader')>('../../libs/strategy-loader/src/index.ts');
const indicators = lib<typeof import('@tradeyard/indicators')>('../../libs/indicators/src/index.ts');

const ROTATION_FILE = resolve(__dirname, '../../examples/strategies/momentum-rotation.ts');
const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median seconds of `runs` calls after `warm` unmeasured ones (the JIT's); each call gets its index. */
function seconds(fn: (call: number) => unknown, runs = 5, warm = 2): number {
  for (let i = 0; i < warm; i++) fn(i);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = now();
    fn(warm + r);
    times.push(now() - started);
  }
  return median(times);
}

type PortfolioData = import('@tradeyard/portfolio-backtest').PortfolioData;

/**
 * Copies of the data sharing its bars, one per call: indicator series are cached per data object
 * (a grid's runs share them), so a fresh copy makes each timed backtest compute its own, as a
 * user's single backtest does.
 */
const freshCopies = (data: PortfolioData, count: number) => Array.from({ length: count }, () => pb.portfolioData(data.columns));

const rate = (bars: number, s: number) => `${(bars / s / 1e6).toFixed(2)} M bars/s`;
const barsOf = (data: PortfolioData) => data.columns.reduce((n, c) => n + c.length, 0);

function table(title: string, rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`\n${title}`);
  for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}

async function rotation(): Promise<void> {
  const { definition } = await loader.loadStrategyFile(ROTATION_FILE);
  const data = pb.portfolioData(md.defaultMarketBars());
  const bars = barsOf(data);
  const strategy = sdk.compileStrategy(definition, {});
  const copies = freshCopies(data, 7);
  const sdkSeconds = seconds((call) => pb.runPortfolio(copies[call], strategy));
  const smaCross = () => st.createStrategy({ name: 'sma-cross', fast: 50, slow: 200 });
  const builtinSeconds = seconds(() => data.columns.forEach((c) => bt.runBacktest(c, smaCross())));
  const ratio = sdkSeconds / builtinSeconds;
  table(`1. momentum-rotation (user file) over the default market: ${data.symbols.length} symbols, ${bars.toLocaleString('en-US')} bars, 1 thread, median of 5`, [
    ['run', 'seconds', 'throughput'],
    ['momentum-rotation, one portfolio backtest (its indicators included)', sdkSeconds.toFixed(3), rate(bars, sdkSeconds)],
    ['baseline: built-in columnar sma-cross(50,200), every symbol', builtinSeconds.toFixed(3), rate(bars, builtinSeconds)],
  ]);
  console.log(`rotation / baseline time: ${ratio.toFixed(2)}x (goal: within 3x): ${ratio <= 3 ? 'met' : 'NOT met'}`);
}

const SYMBOLS = 500;
const DAYS = 5040;
const FAST = 20;
const SLOW = 100;

/**
 * The user strategy of part 2: each symbol a trend signal from two indicators, read now and a bar
 * ago; on a cross up it buys 1/SYMBOLS of equity in whole shares at the next open, on a cross down
 * it sells what it holds. Every bar decides; orders go only where a signal crossed.
 */
const trendDefinition = () =>
  sdk.defineStrategy({
    name: 'two-sma-cross',
    params: { fast: sdk.p.int(2, 100, FAST), slow: sdk.p.int(10, 400, SLOW) },
    rebalance: 'bar',
    indicators: (q, i) => ({ fast: i.sma('close', q.fast), slow: i.sma('close', q.slow) }),
    decide(ctx) {
      const orders: Array<{ symbol: string; side: 'buy' | 'sell'; quantity: number }> = [];
      for (const s of ctx.universe) {
        const above = ctx.ind.fast(s) > ctx.ind.slow(s);
        const wasAbove = ctx.ind.fast(s, 1) > ctx.ind.slow(s, 1);
        if (above && !wasAbove) {
          const quantity = Math.floor(ctx.portfolio.equity / ctx.symbols.length / ctx.bars(s).close());
          if (quantity > 0) orders.push({ symbol: s, side: 'buy', quantity });
        } else if (!above && wasAbove) {
          const held = ctx.portfolio.positions[s]?.quantity ?? 0;
          if (held > 0) orders.push({ symbol: s, side: 'sell', quantity: held });
        }
      }
      return orders.length > 0 ? ctx.orders(orders) : undefined;
    },
  });

/**
 * The same strategy by hand over plain arrays (the floor for this loop in JavaScript): SMA arrays
 * given, float cash, whole shares, market orders at the next open; no costs, no cash check.
 */
function handWritten(opens: Float64Array[], closes: Float64Array[], fast: Float64Array[], slow: Float64Array[], cash = 100_000): number {
  const n = opens.length;
  const shares = new Float64Array(n);
  const pending = new Float64Array(n); // signed shares to trade at the next open
  let orders = 0;
  for (let t = 0; t < opens[0].length; t++) {
    if (orders > 0) {
      for (let k = 0; k < n; k++) {
        if (pending[k] === 0) continue;
        cash -= pending[k] * opens[k][t];
        shares[k] += pending[k];
        pending[k] = 0;
      }
      orders = 0;
    }
    let equity = cash;
    for (let k = 0; k < n; k++) equity += shares[k] * closes[k][t];
    if (t === 0) continue;
    for (let k = 0; k < n; k++) {
      const above = fast[k][t] > slow[k][t];
      const wasAbove = fast[k][t - 1] > slow[k][t - 1];
      if (above && !wasAbove) pending[k] = Math.floor(equity / n / closes[k][t]);
      else if (!above && wasAbove) pending[k] = -shares[k];
      if (pending[k] !== 0) orders++;
    }
  }
  let equity = cash;
  for (let k = 0; k < n; k++) equity += shares[k] * closes[k][closes[k].length - 1];
  return equity;
}

/** Only part 2's SDK runs (for a profiler: node --cpu-prof --import tsx tools/bench/strategy.ts --sdk-only). */
function sdkOnly(): void {
  const data = pb.portfolioData(md.syntheticUniverse({ seed: 7, symbols: SYMBOLS, bars: DAYS, interval: '1d', start: Date.UTC(2005, 0, 3) }));
  const strategy = sdk.compileStrategy(trendDefinition(), {});
  const copies = freshCopies(data, 4);
  const result = seconds((call) => pb.runPortfolio(copies[call], strategy), 3, 1);
  console.log(`${result.toFixed(3)} s`);
}

function twoIndicators(): void {
  const data = pb.portfolioData(md.syntheticUniverse({ seed: 7, symbols: SYMBOLS, bars: DAYS, interval: '1d', start: Date.UTC(2005, 0, 3) }));
  const bars = barsOf(data);
  const strategy = sdk.compileStrategy(trendDefinition(), {});
  const copies = freshCopies(data, 4);
  const sdkSeconds = seconds((call) => pb.runPortfolio(copies[call], strategy), 3, 1);
  const opens = data.columns.map((c) => c.open);
  const closes = data.columns.map((c) => c.close);
  const handSeconds = seconds(() => handWritten(opens, closes, closes.map((c) => indicators.smaSeries(c, FAST)), closes.map((c) => indicators.smaSeries(c, SLOW))), 5, 2);
  const sdkRate = bars / sdkSeconds;
  table(`2. a user strategy reading two indicators per symbol: ${SYMBOLS} synthetic symbols x ${DAYS} days (${bars.toLocaleString('en-US')} bars), decide every bar, 1 thread, median of 3`, [
    ['run', 'seconds', 'throughput'],
    ['two-sma-cross on @tradeyard/strategy (exact ledger, fill engine, its indicators)', sdkSeconds.toFixed(3), rate(bars, sdkSeconds)],
    ['baseline: the same by hand over plain arrays (its SMAs included; float, no costs)', handSeconds.toFixed(3), rate(bars, handSeconds)],
  ]);
  console.log(`SDK throughput ${(sdkRate / 1e6).toFixed(2)} M bars/s (goal: >= 3 M bars/s): ${sdkRate >= 3e6 ? 'met' : 'NOT met'}; hand-written / SDK time: ${(sdkSeconds / handSeconds).toFixed(1)}x`);
}

const LOOKBACKS = Array.from({ length: 200 }, (_, i) => 20 + i);
const TOPS = [1, 2, 3, 4, 5];

/** Part 3 in its own process, so its peak resident memory is the grid's alone. */
async function gridChild(): Promise<void> {
  const { definition } = await loader.loadStrategyFile(ROTATION_FILE);
  const data = pb.portfolioData(md.defaultMarketBars());
  const rssBefore = process.memoryUsage().rss;
  const started = now();
  const result = pb.runPortfolioGrid({ data, definition, grid: { lookback: LOOKBACKS, top: TOPS } });
  const wall = now() - started;
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ runs: result.runs.length, seriesComputed: result.seriesComputed, wall, peak, rssBefore, bars: barsOf(data), best: result.best?.params }));
}

function grid(): void {
  const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--grid-child'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').at(-1)!);
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  table(`3. rotation grid: ${LOOKBACKS.length} lookbacks x ${TOPS.length} tops over the default market, 1 thread, own process`, [
    ['measure', 'value'],
    ['runs', String(r.runs)],
    ['distinct indicator series computed (one per lookback)', String(r.seriesComputed)],
    ['wall time', `${r.wall.toFixed(1)} s (${((r.runs * r.bars) / r.wall / 1e6).toFixed(2)} M bars/s over all runs)`],
    ['peak resident memory (process)', mb(r.peak)],
    ['baseline: resident memory with the data loaded, before the grid', mb(r.rssBefore)],
    ['best by Sharpe', JSON.stringify(r.best)],
  ]);
  console.log(`peak memory ${mb(r.peak)} (goal: under 1 GB): ${r.peak < 2 ** 30 ? 'met' : 'NOT met'}; series computed once per lookback: ${r.seriesComputed === LOOKBACKS.length ? 'yes' : 'NO'}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--grid-child')) return gridChild();
  if (process.argv.includes('--sdk-only')) return sdkOnly();
  const part = process.argv.find((a) => a.startsWith('--part='))?.slice('--part='.length);
  console.log(`node ${process.version}; one thread per part; every figure beside its baseline from this run`);
  if (!part || part === 'rotation') await rotation();
  if (!part || part === 'two-indicators') twoIndicators();
  if (!part || part === 'grid') grid();
}

void main();
