import { BACKTEST_ACCOUNT, decisionKey, runBacktest, sizeOrder, type BacktestResult } from '@tradeyard/backtest';
import { Broker, type PriceSource } from '@tradeyard/broker';
import { costModel, type CostSettings } from '@tradeyard/fill-engine';
import { loadSp500 } from '@tradeyard/market-data';
import { formatMicros, fromMicros, notional, toMicros } from '@tradeyard/money';
import type { Database } from '@tradeyard/persistence';
import { createStrategy, type Strategy } from '@tradeyard/strategies';
import { databasePerTest } from './broker-database';

/*
 * Parity of the one fill engine: a strategy backtested over the bundled S&P 500 history, and the
 * same strategy driven through the paper broker (PGlite, in process) on the replayed bars, make
 * the same fills — ids, sides, quantities, prices, fees — and end with the same equity, to the
 * micro-unit. The driver follows the backtest's convention (README "Convention"): the strategy
 * sees each bar at its close; its decision is placed as a market order when the next bar opens,
 * at that open's quote, sized with the backtest's own sizeOrder on the broker's stored ledger.
 */
const bars = loadSp500();
const costs: CostSettings = { feeFixed: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5, priceImpact: 0, volumeLimit: 0 };

/** The replay's current quote: the open of a bar when its orders go out, then its close. */
class ReplayQuote implements PriceSource {
  current = { price: bars[0].open, time: bars[0].time };
  price(symbol: string) {
    return symbol === bars[0].symbol ? this.current : undefined;
  }
}

const fillRows = (fills: BacktestResult['fills']) =>
  fills.map((f) => [f.id, f.side, formatMicros(f.quantity), formatMicros(f.price), formatMicros(f.fee)].join(' '));

async function paperTrade(db: Database, strategy: Strategy) {
  const quote = new ReplayQuote();
  const accountId = BACKTEST_ACCOUNT;
  const broker = new Broker(db, quote, { startingCash: 100_000, ...costs, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false });
  await broker.ensureAccount(accountId);
  const model = costModel(costs);
  let pending = -1;
  let last = 0;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i];
    if (pending >= 0) {
      quote.current = { price: bar.open, time: bar.time };
      const ledger = await broker.storedState(accountId);
      const order = sizeOrder(pending, ledger.cash, ledger.positions[bar.symbol]?.quantity ?? 0n, toMicros(bar.open), model, false);
      if (order) {
        const { order: placed } = await broker.placeOrder(accountId, { symbol: bar.symbol, side: order.side, type: 'market', quantity: fromMicros(order.quantity) }, decisionKey(strategy.name, bars[i - 1].time));
        expect(placed.status).toBe('filled');
      }
      pending = -1;
    }
    quote.current = { price: bar.close, time: bar.time };
    const target = strategy.onBar(bar);
    if (target !== last) {
      pending = target;
      last = target;
    }
  }
  const rows = await db.query<{ id: string; side: string; quantity: string; price: string; fee: string }>(
    `SELECT id, side, quantity::text AS quantity, price::text AS price, fee::text AS fee FROM fills WHERE account_id = $1 ORDER BY seq`,
    [accountId],
  );
  const ledger = await broker.storedState(accountId);
  const shares = ledger.positions[bars[0].symbol]?.quantity ?? 0n;
  return {
    fills: rows.map((r) => [r.id, r.side, r.quantity, r.price, r.fee].join(' ')),
    equity: ledger.cash + notional(shares, toMicros(bars[bars.length - 1].close)),
    portfolio: await broker.portfolio(accountId),
  };
}

describe('one fill engine: backtest and paper broker over the S&P 500 history', () => {
  // A database per strategy: the backtest's one account starts fresh each time.
  const database = databasePerTest();

  it.each([
    ['sma-cross(50,200)', () => createStrategy({ name: 'sma-cross', fast: 50, slow: 200 })],
    ['sma-cross(10,30)', () => createStrategy({ name: 'sma-cross', fast: 10, slow: 30 })],
    ['breakout(20,10)', () => createStrategy({ name: 'breakout', entryPeriod: 20, exitPeriod: 10 })],
  ])('%s makes the same fills and the same final equity', async (_name, make) => {
    const backtest = runBacktest(bars, make(), { feePerTrade: costs.feeFixed, feePerShare: costs.feePerShare, feeBps: costs.feeBps, feeMinimum: costs.feeMinimum, slippageBps: costs.slippageBps });
    const paper = await paperTrade(database(), make());
    expect(backtest.fills.length).toBeGreaterThan(10);
    expect(paper.fills).toEqual(fillRows(backtest.fills));
    expect(paper.equity).toBe(backtest.ledger.equity);
    expect(paper.portfolio.equity).toBe(fromMicros(backtest.ledger.equity));
    console.log(
      `${backtest.strategy}: ${backtest.bars} bars, ${paper.fills.length} fills identical (ids, sides, quantities, prices, fees); ` +
        `final equity backtest ${formatMicros(backtest.ledger.equity)} = paper ${formatMicros(paper.equity)} USD; fees ${backtest.fees}`,
    );
  }, 120_000);
});
