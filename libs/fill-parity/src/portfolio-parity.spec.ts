import { runBacktest, toColumns } from '@tradeyard/backtest';
import { loadSp500 } from '@tradeyard/market-data';
import { portfolioData, runPortfolio } from '@tradeyard/portfolio-backtest';
import { buyAndHold, smaCross } from '@tradeyard/strategies';
import { compileStrategy, defineStrategy, p } from '@tradeyard/strategy';

/*
 * The portfolio backtester (libs/portfolio-backtest, strategies written with @tradeyard/strategy)
 * and the single-symbol one (libs/backtest, the built-in strategies) are one convention: on one
 * symbol, with the same decisions, they make the same fills through the fill engine and end with
 * the same exact ledger. It is also what rewriting the built-ins on the SDK must keep.
 */
const sp500 = loadSp500();
const costs = { feePerTrade: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5 };

describe('one symbol: the portfolio backtester equals the single-symbol engine', () => {
  const spx = portfolioData(new Map([['SPX', sp500]]));
  // Both strategies answer targets only when their exposure changes, as the single-symbol engine trades.
  const sdkBuyAndHold = defineStrategy({ name: 'buy-and-hold', decide: (ctx) => (ctx.portfolio.positions.SPX ? undefined : ctx.targets({ SPX: 1 })) });
  const sdkSmaCross = defineStrategy({
    name: 'sma-cross',
    params: { fast: p.int(1, 500, 50), slow: p.int(2, 1000, 200) },
    warmup: 1,
    indicators: (q, i) => ({ fast: i.sma('close', q.fast), slow: i.sma('close', q.slow) }),
    decide(ctx) {
      const target = ctx.ind.fast('SPX') > ctx.ind.slow('SPX') ? 1 : 0;
      if (target === (ctx.state.target ?? 0)) return;
      ctx.state.target = target;
      return ctx.targets({ SPX: target });
    },
  });

  it.each([
    ['buy-and-hold', sdkBuyAndHold, {}, buyAndHold()],
    ['sma-cross(50,200)', sdkSmaCross, { fast: 50, slow: 200 }, smaCross(50, 200)],
  ] as const)('%s: the same fills, trades and final ledger to the micro-unit', (_name, definition, params, old) => {
    const sdk = runPortfolio(spx, compileStrategy(definition, params), costs);
    const single = runBacktest(toColumns(sp500), old, costs);
    const fillOf = (f: { side: string; quantity: bigint; price: bigint; fee: bigint; time: number }) => [f.side, f.quantity, f.price, f.fee, f.time];
    expect(sdk.fills.map(fillOf)).toEqual(single.fills.map(fillOf));
    expect(sdk.fills.length).toBeGreaterThan(0);
    expect(sdk.ledger.cash).toBe(single.ledger.cash);
    expect(sdk.ledger.shares.SPX).toBe(single.ledger.shares);
    expect(sdk.ledger.equity).toBe(single.ledger.equity);
    expect(sdk.tradeLog.map(({ entryTime, exitTime, quantity, open }) => ({ entryTime, exitTime, quantity, open }))).toEqual(
      single.tradeLog.map(({ entryTime, exitTime, quantity, open }) => ({ entryTime, exitTime, quantity, open })),
    );
    // The single-symbol engine marks equity from floats (cash + shares × close); this one exactly: equal to a micro-unit.
    sdk.equity.forEach((e, i) => expect(Math.abs(e - single.equity[i])).toBeLessThanOrEqual(1e-6));
    expect(sdk.exposure).toBe(single.exposure);
  });
});
