import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupBySymbol, loadSp500, loadStocks } from '@tradeyard/market-data';
import { fromMicros, notional, parseMicros, toMicros } from '@tradeyard/money';
import { runBacktestCommand } from './backtest-command';

/*
 * Every example of examples/strategies, as a user takes it: copied into a folder outside the
 * repository and backtested through the backtest command on SPX and the five monthly stocks. Real
 * outcomes: trades happen, and the final equity is exactly the cash plus each position at its
 * symbol's last close.
 */
const root = join(__dirname, '../../..');
const examplesDir = join(root, 'examples/strategies');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.ts'));
const dir = mkdtempSync(join(tmpdir(), 'examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bars = new Map([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]);
const lastClose = (symbol: string) => toMicros(bars.get(symbol)!.at(-1)!.close);

async function backtest(file: string) {
  let stderr = '';
  const out = join(dir, `${file}.json`);
  const code = await runBacktestCommand('backtest', [`--strategy=${join(dir, file)}`, '--symbols=SPX,AAPL,AMZN,GOOG,IBM,MSFT', '--fee-bps=1', `--out=${out}`], {
    stdout: { isTTY: false, write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    workerFile: join(__dirname, '__fixtures__/main-worker.js'),
  });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8'));
}

describe('examples/strategies', () => {
  it('holds the three examples the issue asks for, the rotation verbatim', () => {
    expect(examples.sort()).toEqual(['bracket-breakout.ts', 'equal-weight-monthly.ts', 'momentum-rotation.ts']);
    expect(readFileSync(join(examplesDir, 'momentum-rotation.ts'), 'utf8')).toContain(`export default defineStrategy({
  name: 'momentum-rotation',
  params: { lookback: p.int(20, 250, 120), top: p.int(1, 5, 2) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ mom: i.roc('close', q.lookback) }),
  decide(ctx) {
    const ranked = ctx.universe
      .filter((s) => ctx.ind.mom(s) > 0)
      .sort((a, b) => ctx.ind.mom(b) - ctx.ind.mom(a))
      .slice(0, ctx.params.top);
    return ctx.targets(Object.fromEntries(ranked.map((s) => [s, 1 / ctx.params.top])));
  },
});`);
  });

  it('type-checks every example against the SDK', () => {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'examples/tsconfig.json')], { stdio: 'pipe' });
  });

  it.each(examples)('%s, copied outside the repository, trades, and ends with equity = cash + positions at the last closes', async (file) => {
    copyFileSync(join(examplesDir, file), join(dir, file));
    const result = await backtest(file);
    expect(result.trades).toBeGreaterThan(3);
    expect(result.symbols).toHaveLength(6);
    let equity = parseMicros(result.ledger.cash);
    for (const [symbol, shares] of Object.entries(result.ledger.shares as Record<string, string>)) equity += notional(parseMicros(shares), lastClose(symbol));
    expect(result.ledger.equity).toBe(`${equity / 1_000_000n}.${(equity % 1_000_000n).toString().padStart(6, '0')}`);
    expect(result.finalEquity).toBe(fromMicros(equity));
    expect(parseMicros(result.ledger.cash) >= 0n).toBe(true);
  });

  it('bracket-breakout places its exits through explicit orders: take-profits and stop-losses that cancel each other', async () => {
    const result = await backtest('bracket-breakout.ts');
    const exits = result.orders.filter((o: { parentId: string | null }) => o.parentId !== null);
    expect(exits.some((o: { type: string; status: string }) => o.type === 'limit' && o.status === 'filled')).toBe(true);
    expect(exits.some((o: { type: string; status: string }) => o.type === 'stop' && o.status === 'filled')).toBe(true);
    expect(exits.some((o: { reasonCode: string }) => o.reasonCode === 'cancelled_by_bracket')).toBe(true);
    expect(result.tradeLog.every((t: { reason: string }) => t.reason === 'breakout')).toBe(true);
  });
});
