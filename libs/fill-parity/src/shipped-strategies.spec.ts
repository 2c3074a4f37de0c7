import { runBacktest, toColumns, type BacktestResult } from '@tradeyard/backtest';
import { Highest, Lowest, Rsi, Sma } from '@tradeyard/indicators';
import { loadSp500, type Bar } from '@tradeyard/market-data';
import { portfolioData, runPortfolio } from '@tradeyard/portfolio-backtest';
import { builtinStrategies, createStrategy, runName, strategySpecSchema, type Strategy, type StrategySpecInput } from '@tradeyard/strategies';
import { compileStrategy } from '@tradeyard/strategy';

/*
 * The four shipped strategies are files written with @tradeyard/strategy (libs/strategies). They
 * give the results they gave before, when each was a hand-written streaming function of one
 * symbol's bars: those functions are kept here, as they shipped, as the reference. Over the whole
 * S&P 500 history, with costs:
 * - the single-symbol engine (libs/backtest) running the SDK file gives the reference's result
 *   exactly: every fill, trade, the equity curve and the exact ledger; bar by bar (the streaming
 *   form live runs use) it answers the reference's exposure on every bar;
 * - the portfolio backtester running the file on SPX makes the same fills and ends with the same
 *   exact ledger; its equity curve equals the reference's to the micro-unit (the single-symbol
 *   engine marks equity in floating point, this one exactly).
 */
const sp500 = loadSp500();
const columns = toColumns(sp500);
const spx = portfolioData(new Map([['SPX', sp500]]));
const costs = { feePerTrade: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5 };

/** The strategies as they shipped before the SDK: streaming indicators of libs/indicators, one symbol, an exposure per bar. */
function before(spec: StrategySpecInput): Strategy {
  const s = strategySpecSchema.parse(spec);
  const name = runName(s);
  switch (s.name) {
    case 'buy-and-hold':
      return { name, onBar: () => 1 };
    case 'sma-cross': {
      const fast = new Sma(s.fast);
      const slow = new Sma(s.slow);
      return {
        name,
        onBar(bar) {
          const f = fast.update(bar.close);
          const l = slow.update(bar.close);
          return f !== undefined && l !== undefined && f > l ? 1 : 0;
        },
      };
    }
    case 'rsi-reversion': {
      const rsi = new Rsi(s.period);
      let position = 0;
      return {
        name,
        onBar(bar) {
          const value = rsi.update(bar.close);
          if (value !== undefined) {
            if (value < s.buyBelow) position = 1;
            else if (value > s.sellAbove) position = 0;
          }
          return position;
        },
      };
    }
    case 'breakout': {
      // The channel of the bars before this one: the extremes as they stood after the previous bar.
      const highest = new Highest(s.entryPeriod);
      const lowest = new Lowest(s.exitPeriod);
      let upper: number | undefined;
      let lower: number | undefined;
      let position = 0;
      return {
        name,
        onBar(bar) {
          if (position === 0 && upper !== undefined && bar.close > upper) position = 1;
          else if (position === 1 && lower !== undefined && bar.close < lower) position = 0;
          upper = highest.update(bar.high);
          lower = lowest.update(bar.low);
          return position;
        },
      };
    }
  }
}

const cases: StrategySpecInput[] = [
  { name: 'buy-and-hold' },
  { name: 'sma-cross' },
  { name: 'sma-cross', fast: 10, slow: 30 },
  // Both averages tie on some bars (libs/fill-parity sma-cross-exact.spec).
  { name: 'sma-cross', fast: 1, slow: 2 },
  { name: 'rsi-reversion' },
  { name: 'rsi-reversion', period: 2, buyBelow: 10, sellAbove: 90 },
  { name: 'breakout' },
  // The exit channel longer than the entry one: no exit until it exists.
  { name: 'breakout', entryPeriod: 5, exitPeriod: 30 },
];
const title = (spec: StrategySpecInput) => runName(strategySpecSchema.parse(spec));

const fillOf = (f: BacktestResult['fills'][number]) => [f.time, f.side, f.quantity, f.price, f.fee];
const tradeOf = ({ entryTime, exitTime, entryPrice, exitPrice, quantity, open, bars }: BacktestResult['tradeLog'][number]) => ({ entryTime, exitTime, entryPrice, exitPrice, quantity, open, bars });

describe('the shipped strategies, rewritten on the SDK, give the results they gave before', () => {
  const reference = new Map(cases.map((spec) => [title(spec), runBacktest(columns, before(spec), costs)]));

  it('trade in every case (the comparisons compare something)', () => {
    for (const [name, result] of reference) expect({ name, fills: result.fills.length > 0 }).toEqual({ name, fills: true });
  });

  it.each(cases.map((spec) => [title(spec), spec]))('%s: the single-symbol engine gives exactly the reference result', (name, spec) => {
    expect(runBacktest(columns, createStrategy(spec), costs)).toEqual(reference.get(name));
  });

  it.each(cases.map((spec) => [title(spec), spec]))('%s: bar by bar (streaming indicators), the same exposure on every bar', (_name, spec) => {
    const sdk = createStrategy(spec);
    const old = before(spec);
    const differs = sp500.findIndex((bar: Bar) => sdk.onBar(bar) !== old.onBar(bar));
    expect(differs).toBe(-1);
  });

  it.each(cases.map((spec) => [title(spec), spec]))('%s: the portfolio backtester on SPX makes the same fills and ends with the same exact ledger', (name, spec) => {
    const { name: strategy, ...params } = strategySpecSchema.parse(spec);
    const sdk = runPortfolio(spx, compileStrategy(builtinStrategies[strategy], params), costs);
    const old = reference.get(name)!;
    expect(sdk.fills.map(fillOf)).toEqual(old.fills.map(fillOf));
    expect({ cash: sdk.ledger.cash, shares: sdk.ledger.shares.SPX, equity: sdk.ledger.equity }).toEqual(old.ledger);
    expect(sdk.tradeLog.map(tradeOf)).toEqual(old.tradeLog.map(tradeOf));
    const worst = sdk.equity.reduce((most, e, i) => Math.max(most, Math.abs(e - old.equity[i])), 0);
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(sdk.exposure).toBe(old.exposure);
  });
});
