import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupBySymbol, loadSp500, loadStocks } from '@tradeyard/market-data';
import { runBacktestCommand } from './backtest-command';

/*
 * Every example of examples/strategies, as a user takes it: copied into a folder outside the
 * repository and backtested through the backtest command on SPX and the five monthly stocks. Real
 * outcomes: trades happen, and the final equity is exactly the cash plus each position at its
 * symbol's last close.
 */
const root = join(__dirname, '../../..');
const examplesDir = join(root, 'examples/strategies');
// (They type-check against the SDK as the strategy-examples project's typecheck target.)
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.ts'));
const dir = mkdtempSync(join(tmpdir(), 'examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bars = new Map([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]);
// The ledger identity computed apart from libs/money: six-decimal strings as integers of
// micro-units, and a position's value as shares × price rounded half up (all amounts are positive).
const micros = (text: string) => BigInt(text.replace('.', ''));
const value = (shares: bigint, price: bigint) => (shares * price + 500_000n) / 1_000_000n;
const lastClose = (symbol: string) => BigInt(Math.round(bars.get(symbol)!.at(-1)!.close * 1e6)); // closes have at most six decimals

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
  it('holds the three examples the issue asks for, and one that places one-cancels-other groups', () => {
    expect(examples.sort()).toEqual(['bracket-breakout.ts', 'equal-weight-monthly.ts', 'momentum-rotation.ts', 'range-entry.ts']);
  });

  it.each(examples)('%s, copied outside the repository, trades, and ends with equity = cash + positions at the last closes', async (file) => {
    copyFileSync(join(examplesDir, file), join(dir, file));
    const result = await backtest(file);
    expect(result.trades).toBeGreaterThan(3);
    expect(result.symbols).toHaveLength(6);
    let equity = micros(result.ledger.cash);
    for (const [symbol, shares] of Object.entries(result.ledger.shares as Record<string, string>)) equity += value(micros(shares), lastClose(symbol));
    expect(micros(result.ledger.equity)).toBe(equity);
    expect(result.finalEquity).toBe(Number(equity) / 1e6);
    expect(micros(result.ledger.cash) >= 0n).toBe(true);
  });

  it('bracket-breakout places its exits through explicit orders: take-profits and stop-losses that cancel each other', async () => {
    const result = await backtest('bracket-breakout.ts');
    const exits = result.orders.filter((o: { parentId: string | null }) => o.parentId !== null);
    expect(exits.some((o: { type: string; status: string }) => o.type === 'limit' && o.status === 'filled')).toBe(true);
    expect(exits.some((o: { type: string; status: string }) => o.type === 'stop' && o.status === 'filled')).toBe(true);
    expect(exits.some((o: { reasonCode: string }) => o.reasonCode === 'cancelled_by_bracket')).toBe(true);
    expect(result.tradeLog.every((t: { reason: string }) => t.reason === 'breakout')).toBe(true);
  });

  it('range-entry buys on the first of a breakout and a dip: at most one order of each group trades, and it cancels the other', async () => {
    type GroupOrder = { ocoGroupId: string | null; filledQuantity: number; status: string; reasonCode: string | null };
    const result = await backtest('range-entry.ts');
    const groups = new Map<string, GroupOrder[]>();
    for (const o of result.orders as GroupOrder[]) if (o.ocoGroupId) groups.set(o.ocoGroupId, [...(groups.get(o.ocoGroupId) ?? []), o]);
    expect(groups.size).toBeGreaterThan(10);
    const traded = [...groups.values()].filter((orders) => orders.some((o) => o.filledQuantity > 0));
    expect(traded.length).toBeGreaterThan(3);
    for (const orders of groups.values()) {
      expect(orders).toHaveLength(2);
      expect(orders.filter((o) => o.filledQuantity > 0).length).toBeLessThanOrEqual(1);
    }
    for (const orders of traded) expect(orders.find((o) => o.filledQuantity === 0)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco' });
  });
});
