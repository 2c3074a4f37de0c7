import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backtestRobustness, expandStrategyGrid, gridHeatmap, runBacktest, runWalkForward, toColumns } from '@tradeyard/backtest';
import { heatmapText, robustnessHtml, robustnessText } from '@tradeyard/performance';
import { loadSp500 } from '@tradeyard/market-data';
import { createStrategy } from '@tradeyard/strategies';
import { runBacktestCommand } from './backtest-command';

const dir = mkdtempSync(join(tmpdir(), 'backtest-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(command: 'backtest' | 'backtest-worker', args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runBacktestCommand(command, args, {
    stdout: { isTTY: false, write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    workerFile: join(__dirname, '__fixtures__/main-worker.js'),
  });
  return { code, stdout, stderr };
}

describe('backtest command', () => {
  it('writes the S&P 500 sma-cross(50,200) metrics as JSON and an HTML report', async () => {
    const out = join(dir, 'sma.json');
    const report = join(dir, 'sma.html');
    const { code, stdout } = await run('backtest', ['--data=sp500', '--strategy=sma-cross', '--fast=50', '--slow=200', `--out=${out}`, `--report=${report}`]);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const direct = runBacktest(toColumns(loadSp500()), createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }));
    for (const key of ['bars', 'trades', 'finalEquity', 'totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'winRate', 'exposure'] as const) {
      expect(json[key]).toBe(direct[key]);
    }
    expect(json.tradeLog).toHaveLength(direct.trades);
    expect(stdout).toMatch(/^sma-cross\(50,200\) on SPX \(5105 bars\): return /);
    expect(readFileSync(report, 'utf8')).toContain('<svg');
    // The robustness section, the same in the JSON, on the terminal and in the report.
    const robustness = backtestRobustness(direct);
    expect(json.robustness).toEqual(JSON.parse(JSON.stringify(robustness)));
    expect(stdout).toContain(robustnessText(robustness));
    expect(readFileSync(report, 'utf8')).toContain(robustnessHtml(robustness));
  });

  it('reads a CSV file, takes the --name value form and whole shares', async () => {
    const csv = join(dir, 'tiny.csv');
    writeFileSync(csv, 'Date,Open,High,Low,Close,Volume\n2024-01-02,10,10,10,10,5\n2024-01-03,10,11,10,11,5\n2024-01-04,11,12.5,11,12,5\n');
    const { code, stdout } = await run('backtest', ['--data', csv, '--strategy', 'buy-and-hold', '--initial-cash=105', '--whole-shares']);
    expect(code).toBe(0);
    // 10 whole shares at 10, 5 cash left: equity 105, 115, 125.
    expect(JSON.parse(stdout)).toMatchObject({ symbol: 'TINY', bars: 3, finalEquity: 125, trades: 1, settings: { wholeShares: true } });
  });

  it('runs a walk-forward over a grid with --train-bars and --test-bars, as runWalkForward does', async () => {
    const out = join(dir, 'walk.json');
    const args = ['--strategy=sma-cross', '--fast=10,20', '--slow=50,100', '--train-bars=1000', '--test-bars=500', '--metric=totalReturn', `--out=${out}`];
    const { code, stdout } = await run('backtest', args);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const direct = runWalkForward({
      data: toColumns(loadSp500()),
      strategies: expandStrategyGrid({ name: 'sma-cross', fast: [10, 20], slow: [50, 100] }),
      walk: { trainBars: 1000, testBars: 500, metric: 'totalReturn' },
    });
    expect(json).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(json.windows).toHaveLength(8);
    expect(stdout).toMatch(/^walk-forward of 4 candidates over 8 windows written to .*; out of sample 2003-12-26\.\.2019-11-14: return /);
  });

  it.each([
    [['--strategy=sma-cross', '--step-bars=10'], '--step-bars: only with --train-bars and --test-bars (a walk-forward)'],
    [['--strategy=sma-cross', '--train-bars=100', '--test-bars=50', '--metric=luck'], '--metric: metric must be one of sharpe, sortino, totalReturn, cagr, maxDrawdown, winRate'],
    [['--strategy=sma-cross', '--train-bars=100'], '--test-bars: testBars must be a number'],
    [['--strategy=sma-cross', '--train-bars=5000', '--test-bars=500'], '--train-bars: trainBars + testBars (5500) must be at most the bars of the data (5105)'],
  ])('refuses the walk-forward arguments %j: %s', async (args, message) => {
    const { code, stderr } = await run('backtest', args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`backtest: ${message}`);
  });

  it.each([
    [['--strategy=sma-cross', '--fast=abc'], '--fast: must be a number, got "abc"'],
    [['--strategy=sma-cross', '--fsat=5'], '--fsat: is not a known argument'],
    [['--strategy=sma-cross', '--fast=200', '--slow=50'], '--fast: fast must be less than slow'],
    [['--strategy=sma-cross', '--fast=2.5'], '--fast: fast must be a whole number'],
    [['--strategy=macd'], '--strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout'],
    [['--fast=5'], '--strategy: is required'],
    [['--strategy=breakout', '--fast=5'], '--fast: is not a parameter of breakout'],
    [['--strategy=breakout', '--data=nasdaq'], '--data: must be sp500 or the path of a .csv file, got "nasdaq"'],
    [['--strategy=breakout', '--data=/no/such.csv'], '--data: cannot read /no/such.csv: ENOENT'],
    [['--strategy=breakout', '--fee-bps=-3'], '--fee-bps: feeBps must be 0 or more'],
    [['--strategy=breakout', '--from=2020/01/01'], '--from: must be a date as YYYY-MM-DD, got "2020/01/01"'],
    [['--strategy=breakout', '--workers=0'], '--workers: must be a whole number of at least 1'],
    [['--strategy=sma-cross', '--fast=5,10', '--report=x.html'], '--report: only for a single backtest, not a grid'],
    [['--strategy=sma-cross', 'extra'], 'extra: unexpected argument'],
  ])('%j exits 2 naming the argument', async (args, message) => {
    const { code, stderr } = await run('backtest', args);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toContain(`backtest: ${message}`);
    expect(stderr.split('\n')[1]).toMatch(/^usage: main\.js backtest /);
  });

  it('names the bad line of a CSV file', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'date,open,high,low,close\n2024-01-02,10,10,10,10\n2024-01-03,10,9,10,11\n');
    const { code, stderr } = await run('backtest', [`--data=${csv}`, '--strategy=buy-and-hold']);
    expect(code).toBe(2);
    expect(stderr).toContain(`--data: ${csv} line 3: high: high must be the highest and low the lowest of open, high, low, close`);
    writeFileSync(csv, 'date,open,high,low,close\n2024-01-02,10,10,10,10\nyesterday,10,10,10,11\n');
    expect((await run('backtest', [`--data=${csv}`, '--strategy=buy-and-hold'])).stderr).toContain(`--data: ${csv} line 3: date: cannot read "yesterday" as a date or time`);
  });

  it('runs a comma-list grid on worker threads (re-entering main) and keeps invalid combinations as errors', async () => {
    const out = join(dir, 'grid.json');
    const { code, stdout } = await run('backtest', ['--strategy=sma-cross', '--fast=20,50,200', '--slow=100,200', '--workers=2', `--out=${out}`]);
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.runs).toHaveLength(6);
    expect(json.runs.filter((r: { error?: string }) => r.error).map((r: { error: string }) => r.error)).toEqual([
      'fast: fast must be less than slow',
      'fast: fast must be less than slow',
    ]);
    const direct = runBacktest(toColumns(loadSp500()), createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }));
    expect(json.runs[3].summary.finalEquity).toBe(direct.finalEquity);
    expect(json.best.summary.sharpe).toBe(Math.max(...json.runs.filter((r: { summary?: unknown }) => r.summary).map((r: { summary: { sharpe: number } }) => r.summary.sharpe)));
    expect(stdout).toContain('6 runs (2 invalid)');
    const heatmap = gridHeatmap(json.runs)!;
    expect(json.heatmap).toEqual(heatmap);
    expect([heatmap.x, heatmap.y, heatmap.xValues, heatmap.yValues]).toEqual(['fast', 'slow', [20, 50], [100, 200]]);
    expect(stdout).toContain(heatmapText(heatmap));
  });
});

describe('backtest-worker command', () => {
  it('runs a grid spec from a file and writes the results under DATA_DIR/backtests', async () => {
    const specFile = join(dir, 'spec.json');
    writeFileSync(
      specFile,
      JSON.stringify({ name: 'nightly', data: { source: 'sp500', from: '2010-01-01' }, strategies: [{ name: 'breakout', entryPeriod: [20, 55], exitPeriod: 10 }, { name: 'buy-and-hold' }], options: { feeBps: 1 }, workers: 2 }),
    );
    const { code, stdout } = await run('backtest-worker', [`--spec=${specFile}`], { DATA_DIR: dir });
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'backtests', 'nightly.json'), 'utf8'));
    expect(json.runs.map((r: { summary: { strategy: string } }) => r.summary.strategy)).toEqual(['breakout(20,10)', 'breakout(55,10)', 'buy-and-hold']);
    expect(json.runs[2].summary).toMatchObject({ from: '2010-01-04', settings: { feeBps: 1 } });
    expect(stdout).toContain(join(dir, 'backtests', 'nightly.json'));
  });

  it('takes the spec from BACKTEST_SPEC and refuses a bad one naming the field', async () => {
    const bad = await run('backtest-worker', [], { BACKTEST_SPEC: JSON.stringify({ strategies: [{ name: 'buy-and-hold' }], options: { slippageBps: 'lots' } }), DATA_DIR: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('backtest-worker: BACKTEST_SPEC: options.slippageBps: slippageBps must be a number');
    const none = await run('backtest-worker', [], { DATA_DIR: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--spec: is required (or set BACKTEST_SPEC_FILE or BACKTEST_SPEC)');
  });
});
