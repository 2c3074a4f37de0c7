import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktestCommand } from './backtest-command';

/*
 * The backtest command with strategies written on @tradeyard/strategy: files anywhere on disk and
 * names from STRATEGIES_DIR, their declared parameters as flags, grids, walk-forward, and the one
 * line a bad file or parameter gives.
 */
const dir = mkdtempSync(join(tmpdir(), 'strategy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = join(__dirname, '../../../examples/strategies');
const momentum = join(dir, 'momentum-rotation.ts');
copyFileSync(join(examples, 'momentum-rotation.ts'), momentum);
const SIX = '--symbols=SPX,AAPL,AMZN,GOOG,IBM,MSFT';

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runBacktestCommand('backtest', args, {
    stdout: { isTTY: false, write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    cwd: dir,
    workerFile: join(__dirname, '__fixtures__/main-worker.js'),
  });
  return { code, stdout, stderr };
}

describe('backtest --strategy=FILE', () => {
  it('backtests the issue-22 file with --params on SPX and the five stocks, trading several of them', async () => {
    const out = join(dir, 'momentum.json');
    const report = join(dir, 'momentum.html');
    const { code, stdout, stderr } = await run(['--strategy=./momentum-rotation.ts', SIX, '--params={"lookback":90}', `--out=${out}`, `--report=${report}`]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json).toMatchObject({ strategy: 'momentum-rotation', params: { lookback: 90, top: 2 }, symbols: ['SPX', 'AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT'], warmup: 91, unreadParams: [] });
    expect(json.trades).toBeGreaterThan(5);
    expect(new Set(json.tradeLog.map((t: { symbol: string }) => t.symbol)).size).toBeGreaterThan(2);
    expect(stdout).toMatch(/^momentum-rotation on 6 symbols \(\d+ bars\): return /);
    expect(readFileSync(report, 'utf8')).toContain('<td>AAPL</td>');
  });

  it('takes declared parameters as flags, and a comma list or --grid as a grid', async () => {
    const single = JSON.parse((await run(['--strategy=./momentum-rotation.ts', SIX, '--lookback=90'])).stdout);
    expect(single.params).toEqual({ lookback: 90, top: 2 });
    const grid = await run(['--strategy=./momentum-rotation.ts', SIX, '--lookback=60,90', '--top=1,2']);
    expect(grid.code).toBe(0);
    const json = JSON.parse(grid.stdout);
    expect(json.runs.map((r: { params: object }) => r.params)).toEqual([
      { lookback: 60, top: 1 },
      { lookback: 60, top: 2 },
      { lookback: 90, top: 1 },
      { lookback: 90, top: 2 },
    ]);
    expect(json.runs[3].summary.finalEquity).toBe(single.finalEquity);
    expect(json.seriesComputed).toBeLessThanOrEqual(2);
    const declared = JSON.parse((await run(['--strategy=./momentum-rotation.ts', SIX, '--grid=top', '--lookback=90'])).stdout);
    expect(declared.runs.map((r: { params: { top: number } }) => r.params.top)).toEqual([1, 2, 3, 4, 5]);
  });

  it('walks forward over a grid of declared parameters', async () => {
    const { code, stdout } = await run(['--strategy=./momentum-rotation.ts', SIX, '--lookback=60,120', '--train-bars=1500', '--test-bars=1000']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.candidates).toBe(2);
    expect(json.windows.length).toBeGreaterThan(2);
  });

  it('warns of a parameter that changes nothing, and does not sweep it', async () => {
    const file = join(dir, 'idle.ts');
    writeFileSync(
      file,
      `import { defineStrategy, p } from '@tradeyard/strategy';
export default defineStrategy({ name: 'idle', params: { used: p.int(1, 3, 1), idle: p.int(1, 9, 1) }, decide: (ctx) => ctx.targets({ SPX: ctx.params.used / 3 }) });
`,
    );
    const single = await run([`--strategy=${file}`, '--symbols=SPX', '--idle=4', '--to=2001-01-01']);
    expect(single.code).toBe(0);
    expect(single.stderr).toBe('backtest: warning: idle is never read by idle: it changes nothing\n');
    const grid = await run([`--strategy=${file}`, '--symbols=SPX', '--idle=1,2,3', '--used=1,2', '--to=2001-01-01']);
    expect(grid.stderr).toBe('backtest: warning: idle is never read by idle: not swept (kept 1 of [1,2,3])\n');
    expect(JSON.parse(grid.stdout).runs).toHaveLength(2);
  });

  it.each([
    [['--lookback=300'], '--lookback: must be at most 250'],
    [['--lookback=abc'], '--lookback: must be a number, got "abc"'],
    [['--params={"lookbak":90}'], '--params: lookbak: is not a parameter of this strategy (it declares lookback, top)'],
    [['--params=[1]'], '--params: must be a JSON object of parameter values, e.g. {"lookback":90}'],
    [['--grid=speed'], '--grid: speed is not a parameter of momentum-rotation (it declares lookback, top)'],
    [['--symbols=SPX,NOPE'], '--symbols: no bars for NOPE (the data holds 106 symbols)'],
    [['--symbols=SPX,spx'], '--symbols: "spx" must be 1-20 characters: capital letters, digits, dot, dash or underscore'],
    [['--fast=5'], '--fast: is not a known argument'],
    [['--lookback=60,90', '--report=x.html'], '--report: only for a single backtest, not a grid'],
    [['--from=2030-01-01'], '--from: no bars in the chosen dates'],
  ])('%j exits 2 naming the argument and the rule', async (args, message) => {
    const { code, stderr } = await run(['--strategy=./momentum-rotation.ts', ...args]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(`backtest: ${message}`);
    expect(stderr.split('\n')[1]).toMatch(/^usage: main\.js backtest /);
  });

  it('stops on a bad strategy file with one line naming the file, the key and the rule', async () => {
    const file = join(dir, 'bad.ts');
    writeFileSync(file, readFileSync(momentum, 'utf8').replace("rebalance: 'monthly'", "rebalance: 'quarterly'"));
    const { code, stdout, stderr } = await run([`--strategy=${file}`, SIX]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`backtest: ${file}: rebalance: must be one of bar, weekly, monthly\n`);
  });

  it('stops a strategy whose decision breaks a rule, naming the date and the rule', async () => {
    const file = join(dir, 'leveraged.ts');
    writeFileSync(file, `import { defineStrategy } from '@tradeyard/strategy';\nexport default defineStrategy({ name: 'leveraged', decide: (ctx) => ctx.targets({ SPX: 2 }) });\n`);
    const { code, stderr } = await run([`--strategy=${file}`, '--symbols=SPX']);
    expect(code).toBe(1);
    expect(stderr).toBe('backtest failed: strategy leveraged at 2000-01-03: targets: weights must sum to at most 1 (no leverage), got 2\n');
  });

  it('sells short with --allow-short and its margin terms, and refuses a negative weight without it', async () => {
    const file = join(dir, 'pair.ts');
    writeFileSync(file, `import { defineStrategy } from '@tradeyard/strategy';\nexport default defineStrategy({ name: 'pair', rebalance: 'monthly', decide: (ctx) => ctx.targets({ SPX: 0.5, MSFT: -0.5 }) });\n`);
    const args = [`--strategy=${file}`, '--symbols=SPX,MSFT', '--to=2001-12-31'];
    const { code, stdout, stderr } = await run([...args, '--allow-short', '--short-initial-margin=0.6']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.settings).toMatchObject({ allowShort: true, shortInitialMargin: 0.6, shortMaintenanceMargin: 0.3 });
    expect(json.tradeLog.some((t: { symbol: string; side: string }) => t.symbol === 'MSFT' && t.side === 'short')).toBe(true);
    const refused = await run(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('backtest failed: strategy pair at 2000-01-01: targets.MSFT: weight must be 0 or more (long only); a negative weight (a short) needs the run option allowShort\n');
    expect((await run([...args, '--allow-short', '--short-maintenance-margin=-1'])).stderr.split('\n')[0]).toBe('backtest: --short-maintenance-margin: shortMaintenanceMargin must be 0 or more');
  });
});

describe('backtest --strategy=NAME', () => {
  it('finds strategies of STRATEGIES_DIR by name, and lists the names it knows', async () => {
    const strategies = join(dir, 'strategies');
    mkdirSync(strategies);
    copyFileSync(momentum, join(strategies, 'rotation.ts'));
    const { code, stdout } = await run(['--strategy=momentum-rotation', '--symbols=SPX,MSFT', '--to=2005-12-31'], { STRATEGIES_DIR: strategies });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).symbols).toEqual(['SPX', 'MSFT']);
    const unknown = await run(['--strategy=rotation'], { STRATEGIES_DIR: strategies });
    expect(unknown.stderr.split('\n')[0]).toBe('backtest: --strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout, momentum-rotation or the path of a strategy file');
  });

  it('keeps the built-in names and their flags', async () => {
    const { code, stdout } = await run(['--strategy=buy-and-hold', '--to=2001-01-01']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ strategy: 'buy-and-hold', symbol: 'SPX' });
  });

  it('runs a built-in as the SDK file it is over a portfolio when given --symbols: on SPX alone, the single-symbol result', async () => {
    const single = JSON.parse((await run(['--strategy=sma-cross', '--fast=10', '--slow=30', '--fee-bps=1'])).stdout);
    const portfolio = await run(['--strategy=sma-cross', '--fast=10', '--slow=30', '--fee-bps=1', '--data=sp500', '--symbols=SPX']);
    expect(portfolio.stderr).toBe('');
    const json = JSON.parse(portfolio.stdout);
    expect(json).toMatchObject({ strategy: 'sma-cross', params: { fast: 10, slow: 30 }, symbols: ['SPX'], trades: single.trades, fees: single.fees });
    expect(json.finalEquity).toBeCloseTo(single.finalEquity, 6);
    const two = JSON.parse((await run(['--strategy=sma-cross', '--symbols=SPX,MSFT', '--fast=3', '--slow=6', '--to=2005-12-31'])).stdout);
    expect(new Set(two.tradeLog.map((t: { symbol: string }) => t.symbol))).toEqual(new Set(['SPX', 'MSFT']));
  });
});
