// Grid speed against NumPy, measured in the same run on the same data (prints; not a test).
// The grid of vectorbt's README: sma-cross with fast and slow windows 2..100, every pair with
// fast < slow (4,851 runs), over the bundled S&P 500 history (5,105 daily bars), fees 10 bps of
// the notional (vectorbt's example uses fees=0.001) and 5 bps slippage, 100,000 starting cash.
//   ours:  runGridInline on one thread; runGrid on 2 worker threads started for the grid (start-up
//          and JIT warm-up included, as the command line runs it); and a GridPool of 2 workers kept
//          between grids (as a process running many grids has them: warm after its first), each
//          run on the dataset's shared SMA series (libs/backtest sma-grid.ts), every metric of
//          a backtest summary, exact micro-unit ledger through the fill engine's rules;
//   NumPy: tools/bench/grid_numpy.py, vectorised over pairs (see its docstring for what it models).
// The libs run as the services run them: bundled by esbuild (one file, as dist/ bundles are),
// which also serves as the worker threads' script. Times are wall-clock and CPU time of the
// process (all its threads: the workers' time is summed), the fastest of 3 runs each.
// Run: npx tsx tools/bench/grid.ts   (needs python3 with numpy: the Debian package python3-numpy)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { workspaceLibs } from './workspace-libs';

const md = workspaceLibs('bench-grid')<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');

const WINDOWS = { from: 2, to: 100 };
const SETTINGS = { initialCash: 100_000, feeBps: 10, slippageBps: 5, barsPerYear: 252 };
/** Largest relative difference of final equity between the exact engine and NumPy's float model. */
const TOLERANCE = 1e-6;
const WORKERS = 2;
/** Each implementation runs this many times; the fastest counts (the machine may be shared). */
const REPEATS = 3;

interface NumpyOutput {
  final: number[];
  totalReturn: number[];
  sharpe: number[];
  maxDrawdown: number[];
  trades: number[];
  seconds: number;
  cpuSeconds: number;
  numpy: string;
}

function runNumpy(dir: string, open: Float64Array, close: Float64Array, pairs: Array<[number, number]>): NumpyOutput {
  const bars = join(dir, 'bars.f64');
  const columns = new Float64Array(open.length * 2);
  columns.set(open, 0);
  columns.set(close, open.length);
  writeFileSync(bars, new Uint8Array(columns.buffer));
  const input = join(dir, 'input.json');
  writeFileSync(input, JSON.stringify({ bars, n: open.length, pairs, repeats: REPEATS, ...SETTINGS }));
  const run = spawnSync('python3', [resolve(__dirname, 'grid_numpy.py'), input], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  if (run.status !== 0) throw new Error(`python3 grid_numpy.py failed (${run.status ?? run.signal}): ${run.stderr || run.error?.message}`);
  return JSON.parse(run.stdout) as NumpyOutput;
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-grid-'));
  try {
    // The backtest lib as one bundle, the form the trading-agent runs it in; its grid workers start from it too.
    const bundle = join(dir, 'backtest.js');
    buildSync({
      entryPoints: [resolve(__dirname, '../../libs/backtest/src/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      tsconfig: resolve(__dirname, '../../tsconfig.base.json'),
      logLevel: 'error',
      footer: { js: 'if (module.exports.isGridWorker()) module.exports.serveGridWorker();' },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bt = require(bundle) as typeof import('@tradeyard/backtest');

    const data = bt.toColumns(md.loadSp500(), true);
    const pairs: Array<[number, number]> = [];
    for (let fast = WINDOWS.from; fast <= WINDOWS.to; fast++) for (let slow = fast + 1; slow <= WINDOWS.to; slow++) pairs.push([fast, slow]);
    const grid = { datasets: [data], jobs: pairs.map(([fast, slow]) => ({ dataset: 0, strategy: { name: 'sma-cross', fast, slow } })), options: SETTINGS };

    const numpy = runNumpy(dir, data.open, data.close, pairs);

    /** The fastest of REPEATS runs: wall and process CPU seconds, and the last run's output. */
    const fastest = async <T>(run: () => T | Promise<T>, repeats = REPEATS) => {
      let best = { seconds: Infinity, cpu: Infinity, output: undefined as T | undefined };
      for (let r = 0; r < repeats; r++) {
        const started = performance.now();
        const cpu = cpuSeconds();
        const output = await run();
        const seconds = (performance.now() - started) / 1000;
        best = { seconds: Math.min(best.seconds, seconds), cpu: Math.min(best.cpu, cpuSeconds() - cpu), output };
      }
      return best as { seconds: number; cpu: number; output: T };
    };
    const oneThread = await fastest(() => bt.runGridInline(grid));
    const workers = await fastest(() => bt.runGrid(grid, { workerFile: bundle, workers: WORKERS, execArgv: [] }));
    const pool = new bt.GridPool({ workerFile: bundle, workers: WORKERS, execArgv: [] });
    const poolFirst = await fastest(() => pool.run(grid), 1);
    const pooled = await fastest(() => pool.run(grid));
    await pool.close();
    const inline = oneThread.output;
    const parallel = workers.output;
    const [inlineSeconds, inlineCpu, parallelSeconds, parallelCpu] = [oneThread.seconds, oneThread.cpu, workers.seconds, workers.cpu];

    // Agreement: the two runs of ours are identical; each pair's final equity against NumPy's.
    const identical = JSON.stringify(parallel) === JSON.stringify(inline) && JSON.stringify(pooled.output) === JSON.stringify(inline);
    let worst = 0;
    let worstPair = pairs[0];
    let tradesDiffer = 0;
    inline.forEach((run, k) => {
      const ours = run.summary!;
      const diff = Math.abs(ours.finalEquity - numpy.final[k]) / numpy.final[k];
      if (diff > worst) [worst, worstPair] = [diff, pairs[k]];
      if (ours.trades !== numpy.trades[k]) tradesDiffer++;
    });

    const rate = (seconds: number) => `${Math.round(pairs.length / seconds).toLocaleString('en-US')} pairs/s`;
    const rows = [
      ['implementation', 'wall', 'CPU', 'throughput (wall)'],
      ['ours, 1 thread (runGridInline)', `${inlineSeconds.toFixed(3)} s`, `${inlineCpu.toFixed(3)} s`, rate(inlineSeconds)],
      [`ours, ${WORKERS} worker threads (runGrid, start-up included)`, `${parallelSeconds.toFixed(3)} s`, `${parallelCpu.toFixed(3)} s`, rate(parallelSeconds)],
      [`ours, pool of ${WORKERS} workers, its first grid`, `${poolFirst.seconds.toFixed(3)} s`, `${poolFirst.cpu.toFixed(3)} s`, rate(poolFirst.seconds)],
      [`ours, pool of ${WORKERS} workers, warm (GridPool)`, `${pooled.seconds.toFixed(3)} s`, `${pooled.cpu.toFixed(3)} s`, rate(pooled.seconds)],
      [`NumPy ${numpy.numpy} (grid_numpy.py, 1 thread)`, `${numpy.seconds.toFixed(3)} s`, `${numpy.cpuSeconds.toFixed(3)} s`, rate(numpy.seconds)],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(`sma-cross grid, windows ${WINDOWS.from}..${WINDOWS.to}: ${pairs.length} pairs x ${data.length} bars (S&P 500), fees ${SETTINGS.feeBps} bps, slippage ${SETTINGS.slippageBps} bps`);
    for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    for (const [fast, slow] of [[2, 3], [10, 50], [50, 100], worstPair]) {
      const k = pairs.findIndex(([f, s]) => f === fast && s === slow);
      console.log(`  final equity sma-cross(${fast},${slow}): ours ${inline[k].summary!.finalEquity.toFixed(6)}, NumPy ${numpy.final[k].toFixed(6)}, ${inline[k].summary!.trades} vs ${numpy.trades[k]} trades`);
    }
    console.log(`check: final equity within ${TOLERANCE} (relative) of NumPy for every pair: ${worst <= TOLERANCE ? 'yes' : 'NO'} (largest ${worst.toExponential(2)}, sma-cross(${worstPair.join(',')})); trade counts equal: ${tradesDiffer === 0 ? 'yes' : `NO (${tradesDiffer} pairs differ)`}; worker, pool and one-thread results identical: ${identical ? 'yes' : 'NO'}`);
    const best = Math.min(inlineSeconds, parallelSeconds, pooled.seconds);
    console.log(`goal (at least as fast as NumPy, wall): ${best <= numpy.seconds ? 'met' : 'NOT met'} (${(numpy.seconds / best).toFixed(2)}x NumPy's speed; one thread ${(numpy.seconds / inlineSeconds).toFixed(2)}x, CPU ${(numpy.cpuSeconds / inlineCpu).toFixed(2)}x)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
