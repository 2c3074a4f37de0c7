import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RSI } from 'trading-signals';
import { loadSp500, isoDate } from '@tradeyard/market-data';
import { runScanCommand, usage } from './cli';

const dir = mkdtempSync(join(tmpdir(), 'scan-cli-'));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runScanCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('scan command', () => {
  it('writes every firing over the S&P 500 history as {symbol, time, rule, close}', async () => {
    const file = join(dir, 's.json');
    const result = await run(['--data=sp500', '--rule=rsi(14) < 30', `--out=${file}`]);
    expect(result).toEqual({ code: 0, out: `55 signals written to ${file}`, err: '' });
    const hits = JSON.parse(readFileSync(file, 'utf8'));
    // Independent check: the days trading-signals' RSI(14) crosses under 30.
    const rsi = new RSI(14);
    let previous = false;
    const expected: { symbol: string; time: string; rule: string; close: number }[] = [];
    for (const bar of loadSp500()) {
      const value = rsi.update(bar.close, false);
      const now = value !== null && value < 30;
      if (now && !previous) expected.push({ symbol: 'SPX', time: isoDate(bar.time), rule: 'rsi(14) < 30', close: bar.close });
      previous = now;
    }
    expect(hits).toEqual(expected);
  });

  it('takes several rules, space-separated values and a user CSV', async () => {
    const csv = join(dir, 'acme.csv');
    writeFileSync(csv, 'symbol,time,open,high,low,close,volume\nACME,2024-01-01,10,10,10,10,1\nACME,2024-01-02,10,12,10,12,1\nACME,2024-01-03,12,12,9,9,1\n');
    const file = join(dir, 'acme.json');
    const result = await run(['--data', csv, '--rule', 'close > 11', '--rule=close < 10', '--out', file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([
      { symbol: 'ACME', time: '2024-01-02', rule: 'close > 11', close: 12 },
      { symbol: 'ACME', time: '2024-01-03', rule: 'close < 10', close: 9 },
    ]);
  });

  it.each([
    [[], '--data is required'],
    [['--data=sp500', '--out=x.json'], '--rule is required'],
    [['--data=nope', '--rule=close > 1', '--out=x.json'], "--data must be sp500, stocks, all, synthetic or a .csv/.jsonl file, got 'nope'"],
    [['--data=sp500', '--rule=rsi(14) <', '--out=x.json'], '--rule "rsi(14) <": column 10: expected a number, a bar field or a function call, found end of rule'],
    [['--data=sp500', '--rule=close > 1', '--out=x.json', '--speed=3'], 'unknown option --speed'],
    [['--data=sp500', 'stray'], "unexpected argument 'stray'"],
  ])('exits 2 with the usage line for %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`error: ${message}\n${usage}`);
  });

  it('exits 2 naming the file, line and field of a bad CSV row', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'symbol,time,open,high,low,close,volume\nACME,2024-01-01,10,10,10,ten,1\n');
    const result = await run([`--data=${csv}`, '--rule=close > 1', `--out=${join(dir, 'bad.json')}`]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('error: --data bad.csv:2: close');
  });
});
