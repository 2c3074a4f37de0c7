import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktestCommand } from './backtest-command';

/*
 * `backtest --check=lookahead|warmup`: the bias checks of libs/bias-checks from the command line,
 * on strategy files copied outside the repository (planted bugs from the library's fixtures, an
 * example) and on a built-in by name. Findings name date, symbol and decision or indicator; the
 * exit code is 1 on a finding, 0 clean, 2 for a bad argument.
 */
const dir = mkdtempSync(join(tmpdir(), 'check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(__dirname, '../../..');
for (const [from, file] of [
  ['libs/bias-checks/src/__fixtures__/tomorrow-cache.ts', 'tomorrow-cache.ts'],
  ['libs/bias-checks/src/__fixtures__/far-back.ts', 'far-back.ts'],
  ['examples/strategies/momentum-rotation.ts', 'momentum-rotation.ts'],
]) {
  copyFileSync(join(root, from), join(dir, file));
}
const SIX = '--symbols=SPX,AAPL,AMZN,GOOG,IBM,MSFT';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runBacktestCommand('backtest', args, {
    stdout: { isTTY: false, write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: dir,
    workerFile: join(__dirname, '__fixtures__/main-worker.js'),
  });
  return { code, stdout, stderr };
}

describe('backtest --check=lookahead', () => {
  it('catches a planted look-ahead (a module-level cache of an earlier run), naming date, symbol and decision: exit 1', async () => {
    const { code, stdout, stderr } = await run(['--strategy=./tomorrow-cache.ts', '--data=sp500', '--check=lookahead']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^lookahead check of tomorrow-cache \{\} on SPX, 2000-01-03\.\.2020-04-17: 24 reruns/);
    expect(stdout).toContain('  2000-01-04 SPX decision: no decision with the long run, target 1 with the data cut at 2001-01-26\n');
  });

  it('passes a built-in by name and its flags, and writes the whole report with --out: exit 0', async () => {
    const out = join(dir, 'lookahead.json');
    const { code, stdout } = await run(['--strategy=breakout', '--entry-period=30', '--symbols=SPX', `--out=${out}`, '--check=lookahead']);
    expect(code).toBe(0);
    expect(stdout).toContain('no look-ahead found');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ check: 'lookahead', strategy: 'breakout', params: { entryPeriod: 30, exitPeriod: 10 }, findings: [] });
  });
});

describe('backtest --check=warmup', () => {
  it('reports the warm-up a strategy really needs and exits 1 when it declares less', async () => {
    const { code, stdout } = await run(['--strategy=./far-back.ts', '--data=sp500', '--check=warmup']);
    expect(code).toBe(1);
    expect(stdout).toContain('warm-up: declared 0 bars, needed 101\n');
    expect(stdout).toContain('  2003-05-27 SPX decision: target 1 with the long run, target 0 after 1 bars with history from 2003-05-27\n');
  });

  it('passes the issue-22 rotation on SPX and the five stocks, with its indicator warm-up: exit 0', async () => {
    const { code, stdout } = await run(['--strategy=./momentum-rotation.ts', SIX, '--lookback=90', '--check=warmup']);
    expect(code).toBe(0);
    expect(stdout).toContain('warm-up: declared 91 bars, needed 91\n  mom = roc(close,90): first value after 91 bars');
  });
});

describe('backtest --check: bad arguments', () => {
  it.each([
    [['--check=bias'], 'backtest: --check: must be one of lookahead, warmup, got "bias"'],
    [['--check=lookahead', '--lookback=60,90'], 'backtest: --check: checks one parameter combination; lookback has several values'],
    [['--check=warmup', '--report=r.html'], 'backtest: --report: not with --check'],
  ])('%j: exit 2 naming the flag', async (args, message) => {
    const { code, stderr } = await run(['--strategy=./momentum-rotation.ts', '--symbols=SPX', ...args]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(message);
  });
});
