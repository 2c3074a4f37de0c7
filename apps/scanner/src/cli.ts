import { writeFileSync } from 'node:fs';
import { bundledProvider, importBarsFile, syntheticProvider, InMemoryProvider, groupBySymbol, type MarketDataProvider } from '@tradeyard/market-data';
import { compileRule } from '@tradeyard/scan-rules';
import { scanHistory } from '@tradeyard/scanner-core';

export const usage =
  'usage: main.js scan --data=sp500|stocks|all|synthetic|<bars.csv|bars.jsonl> --rule="<expression>" [--rule=...] --out=FILE';

export class UsageError extends Error {}

/** Parses `--key=value` and `--key value`; `--rule` may repeat. */
export function parseScanArgs(args: string[]): { data: string; rules: string[]; out: string } {
  const values: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const match = /^--([a-z]+)(?:=(.*))?$/s.exec(args[i]);
    if (!match) throw new UsageError(`unexpected argument '${args[i]}'`);
    const [, key, inline] = match;
    if (!['data', 'rule', 'out'].includes(key)) throw new UsageError(`unknown option --${key}`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`--${key} needs a value`);
    (values[key] ??= []).push(value);
  }
  for (const key of ['data', 'rule', 'out']) if (!values[key]) throw new UsageError(`--${key} is required`);
  if (values.data.length > 1 || values.out.length > 1) throw new UsageError('--data and --out may be given once');
  return { data: values.data[0], rules: values.rule, out: values.out[0] };
}

export function dataProvider(data: string): MarketDataProvider {
  if (data === 'sp500' || data === 'stocks' || data === 'all') return bundledProvider(data);
  if (data === 'synthetic') return syntheticProvider({ seed: 1, symbols: 50, bars: 2_000 });
  if (/\.(csv|jsonl)$/.test(data)) return new InMemoryProvider(`file:${data}`, groupBySymbol(importBarsFile(data)));
  throw new UsageError(`--data must be sp500, stocks, all, synthetic or a .csv/.jsonl file, got '${data}'`);
}

/** `scan` subcommand; returns the exit code (2 for bad arguments, with the usage line). */
export async function runScanCommand(args: string[], io = { out: console.log, err: console.error }): Promise<number> {
  try {
    const options = parseScanArgs(args);
    // Each rule is checked here, so a bad one is a usage error naming it; the engine compiles it again.
    const rules = options.rules.map((expression, index) => {
      try {
        compileRule(expression);
      } catch (error) {
        throw new UsageError(`--rule "${expression}": ${(error as Error).message}`);
      }
      return { id: `rule-${index + 1}`, expression };
    });
    let provider: MarketDataProvider;
    try {
      provider = dataProvider(options.data);
    } catch (error) {
      throw error instanceof UsageError ? error : new UsageError(`--data ${(error as Error).message}`);
    }
    const hits = await scanHistory(provider, rules);
    writeFileSync(options.out, JSON.stringify(hits, null, 2) + '\n');
    io.out(`${hits.length} signals written to ${options.out}`);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`error: ${error.message}\n${usage}`);
    return 2;
  }
}
