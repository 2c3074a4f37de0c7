import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { groupBySymbol, loadSp500, loadStocks } from '@tradeyard/market-data';
import { portfolioData } from '@tradeyard/portfolio-backtest';
import { builtinStrategies } from '@tradeyard/strategies';
import type { AnyStrategyDefinition } from '@tradeyard/strategy';
import { loadStrategyFile } from '@tradeyard/strategy-loader';
import { lookaheadCheck, warmupCheck } from '@tradeyard/bias-checks';

/*
 * Every strategy the platform ships (the four built-ins) and every example users copy passes both
 * checks over SPX and the five monthly stocks, with costs: no decision or indicator changes when
 * later bars are removed, and no decision after the declared warm-up changes with a shorter history.
 */
const data = portfolioData(new Map([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]));
const examplesDir = join(__dirname, '../../../examples/strategies');
const options = { feeBps: 1, slippageBps: 2 };

const strategies: Array<[string, () => Promise<AnyStrategyDefinition>]> = [
  ...Object.entries(builtinStrategies).map(([name, definition]): [string, () => Promise<AnyStrategyDefinition>] => [name, async () => definition]),
  ...readdirSync(examplesDir).map((file): [string, () => Promise<AnyStrategyDefinition>] => [`examples/strategies/${file}`, async () => (await loadStrategyFile(join(examplesDir, file))).definition]),
];

describe('the shipped strategies and the examples pass both checks', () => {
  it('covers the four built-ins and the four examples', () => {
    expect(strategies).toHaveLength(8);
  });

  it.each(strategies)('%s: no look-ahead, and enough warm-up', async (_name, load) => {
    const definition = await load();
    const lookahead = lookaheadCheck({ data, definition, options });
    expect(lookahead.compared).toBeGreaterThan(0);
    expect(lookahead.findings).toEqual([]);
    const warmup = warmupCheck({ data, definition, options });
    expect(warmup.findings).toEqual([]);
    expect(warmup.needed).toBe(warmup.declared);
  });
});
