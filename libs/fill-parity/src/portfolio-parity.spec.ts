import { join } from 'node:path';
import { BACKTEST_ACCOUNT, sizeToTarget } from '@tradeyard/backtest';
import { Broker, type PriceSource } from '@tradeyard/broker';
import { costModel, type CostSettings } from '@tradeyard/fill-engine';
import { groupBySymbol, loadSp500, loadStocks, type Bar } from '@tradeyard/market-data';
import { formatMicros, fromMicros, notional, toMicros } from '@tradeyard/money';
import type { Database } from '@tradeyard/persistence';
import { orderKey, portfolioData, runPortfolio, type PortfolioResult } from '@tradeyard/portfolio-backtest';
import { compileStrategy, defineStrategy, MarketHistory, StrategyDriver, type AnyStrategyDefinition, type PortfolioView } from '@tradeyard/strategy';
import { loadStrategyFile } from '@tradeyard/strategy-loader';
import { databasePerTest } from './broker-database';

/*
 * Parity of the one fill engine over a portfolio: a multi-symbol SDK strategy (the examples users
 * copy: the equal-weight monthly rebalance, the momentum rotation) over SPX (daily, 2000-2020) and
 * the five monthly stocks (2000-2010, GOOG from 2004), backtested by libs/portfolio-backtest, and
 * driven order by order through the paper broker (PGlite, in process) on the replayed bars, make the
 * same fills (ids, symbols, sides, quantities, prices, fees) and end with the same exact equity.
 * A long/short momentum does the same with short selling allowed on both sides (the backtest's
 * allowShort, the broker's ALLOW_SHORT), its shorts under the one margin rule.
 *
 * The paper driver is a live runner's loop: the strategy file runs on the SDK's StrategyDriver over
 * streaming indicators fed one closed bar at a time; at a symbol's next open its target is sized
 * with the backtester's own sizeToTarget on the broker's stored ledger (equity at the open: each
 * symbol at its open when it trades that day, else at its last close), sells first, then buys on
 * the cash left, each a market order at that open's quote keyed as the backtester keys it.
 */
const examples = join(__dirname, '../../../examples/strategies');
const bars = new Map<string, Bar[]>([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]);
const data = portfolioData(bars);
const costs: CostSettings = { feeFixed: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5, priceImpact: 0, volumeLimit: 0 };
const runOptions = { feePerTrade: costs.feeFixed, feePerShare: costs.feePerShare, feeBps: costs.feeBps, feeMinimum: costs.feeMinimum, slippageBps: costs.slippageBps };

/** The replay's current quote of each symbol: its open while its orders go out, then its close. */
class ReplayQuotes implements PriceSource {
  readonly current = new Map<string, { price: number; time: number }>();
  price(symbol: string) {
    return this.current.get(symbol);
  }
}

/** The strategies of this spec read no portfolio (the backtest's own specs cover those that do). */
const noPortfolio = (): PortfolioView => {
  throw new Error('this parity driver gives no portfolio view: run a strategy that reads none');
};

/** A symbol's target weight waiting for its next open, and when it was decided (its order's key). */
type Pending = { weight: number; decidedAt: number };

class PaperRun {
  readonly quotes = new ReplayQuotes();
  readonly broker: Broker;
  readonly pending = new Map<number, Pending>();
  readonly model = costModel(costs);

  constructor(
    readonly db: Database,
    readonly name: string,
    allowShort: boolean,
  ) {
    this.broker = new Broker(db, this.quotes, { startingCash: 100_000, ...costs, maxOrderNotional: 0, maxPositionNotional: 0, allowShort });
  }

  /** Sends symbol k's target at its open when it is a `side` order; answers whether it was dealt with (a buy waits for the sells). */
  async sendTarget(k: number, at: number, equity: bigint, side: 'buy' | 'sell'): Promise<boolean> {
    const symbol = data.symbols[k];
    const { weight, decidedAt } = this.pending.get(k)!;
    const ledger = await this.broker.storedState(BACKTEST_ACCOUNT);
    const open = toMicros(data.columns[k].open[at]);
    const order = sizeToTarget(weight, equity, ledger.cash, ledger.positions[symbol]?.quantity ?? 0n, open, this.model, false);
    if (order && order.side !== side) return false;
    if (order) {
      const { order: placed } = await this.broker.placeOrder(BACKTEST_ACCOUNT, { symbol, side: order.side, type: 'market', quantity: fromMicros(order.quantity) }, orderKey(this.name, decidedAt, symbol));
      expect(placed.status).toBe('filled');
    }
    this.pending.delete(k);
    return true;
  }

  /** Equity at the open of a step: cash plus each position at its open when it trades now, else at its last close. */
  async equityAtOpen(now: ReadonlyMap<number, number>, latest: readonly number[]): Promise<bigint> {
    const ledger = await this.broker.storedState(BACKTEST_ACCOUNT);
    let equity = ledger.cash;
    data.symbols.forEach((symbol, k) => {
      const shares = ledger.positions[symbol]?.quantity ?? 0n;
      if (shares === 0n) return;
      const at = now.get(k);
      equity += notional(shares, toMicros(at === undefined ? data.columns[k].close[latest[k]] : data.columns[k].open[at]));
    });
    return equity;
  }
}

async function paperTrade(db: Database, definition: AnyStrategyDefinition, params: Record<string, unknown>, allowShort = false) {
  const strategy = compileStrategy(definition, params);
  const market = MarketHistory.streaming(data.symbols, strategy);
  const driver = new StrategyDriver(strategy, market, noPortfolio, {}, undefined, { allowShort });
  const run = new PaperRun(db, strategy.name, allowShort);
  await run.broker.ensureAccount(BACKTEST_ACCOUNT);
  const { times, start, symbolAt } = data.calendar;
  const latest = data.symbols.map(() => -1);
  for (let s = 0; s < times.length; s++) {
    // The symbols with a bar now, and the index of that bar.
    const now = new Map<number, number>();
    for (let at = start[s]; at < start[s + 1]; at++) now.set(symbolAt[at], latest[symbolAt[at]] + 1);
    for (const [k, i] of now) run.quotes.current.set(data.symbols[k], { price: data.columns[k].open[i], time: times[s] });
    const due = [...now.keys()].filter((k) => run.pending.has(k));
    if (due.length > 0) {
      const equity = await run.equityAtOpen(now, latest);
      const buys: number[] = [];
      for (const k of due) if (!(await run.sendTarget(k, now.get(k)!, equity, 'sell'))) buys.push(k);
      for (const k of buys) await run.sendTarget(k, now.get(k)!, equity, 'buy');
    }
    for (const [k, i] of now) {
      const c = data.columns[k];
      market.histories[k].append({ time: c.time[i], open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i], volume: c.volume[i] });
      run.quotes.current.set(data.symbols[k], { price: c.close[i], time: times[s] });
      latest[k] = i;
    }
    market.clock.now = times[s];
    for (const decision of driver.step()) {
      if (decision.kind !== 'targets') throw new Error('this parity driver places targets only');
      // As the backtester: every symbol with a bar now takes its weight (0 when left out); one without keeps its position unless named.
      data.symbols.forEach((symbol, k) => {
        const weight = decision.weights[symbol];
        if (weight !== undefined || now.has(k)) run.pending.set(k, { weight: weight ?? 0, decidedAt: times[s] });
      });
    }
  }
  const rows = await db.query<{ id: string; symbol: string; side: string; quantity: string; price: string; fee: string }>(
    `SELECT id, symbol, side, quantity::text AS quantity, price::text AS price, fee::text AS fee FROM fills WHERE account_id = $1 ORDER BY seq`,
    [BACKTEST_ACCOUNT],
  );
  const ledger = await run.broker.storedState(BACKTEST_ACCOUNT);
  const equity = data.symbols.reduce((sum, symbol, k) => sum + notional(ledger.positions[symbol]?.quantity ?? 0n, toMicros(data.columns[k].close[latest[k]])), ledger.cash);
  return { fills: rows.map((r) => [r.id, r.symbol, r.side, r.quantity, r.price, r.fee].join(' ')), cash: ledger.cash, equity, portfolio: await run.broker.portfolio(BACKTEST_ACCOUNT) };
}

/**
 * Monthly long/short momentum: half the equity long the strongest symbol by 20-bar change, half
 * short the weakest, so targets sell through zero into shorts and buy to cover as ranks change.
 */
const longShort = defineStrategy({
  name: 'long-short-momentum',
  rebalance: 'monthly',
  indicators: (_q, i) => ({ roc: i.roc('close', 20) }),
  decide(ctx) {
    const ranked = [...ctx.universe].sort((a, b) => ctx.ind.roc(b) - ctx.ind.roc(a));
    if (ranked.length < 2) return undefined;
    return ctx.targets({ [ranked[0]]: 0.5, [ranked[ranked.length - 1]]: -0.5 }, { reason: 'long-short' });
  },
});

const fillRows = (fills: PortfolioResult['fills']) => fills.map((f) => [f.id, f.symbol, f.side, formatMicros(f.quantity), formatMicros(f.price), formatMicros(f.fee)].join(' '));

describe('one fill engine over a portfolio: backtest and paper broker, SPX and the five monthly stocks', () => {
  const database = databasePerTest();

  // The rotation over 20 bars: its default 120 are ten years of the monthly stocks' bars.
  it.each([
    ['equal-weight-monthly.ts', {}],
    ['momentum-rotation.ts', { lookback: 20 }],
  ])('%s %j makes the same fills and the same final equity, exactly', async (file, params) => {
    const { definition } = await loadStrategyFile(join(examples, file));
    const backtest = runPortfolio(data, compileStrategy(definition, params), runOptions);
    const paper = await paperTrade(database(), definition, params);
    expect(new Set(backtest.fills.map((f) => f.symbol)).size).toBeGreaterThanOrEqual(4);
    expect(backtest.fills.some((f) => f.side === 'sell')).toBe(true);
    expectSameAccount(backtest, paper);
  }, 300_000);

  it('a long/short momentum with allowShort (the broker allowing shorts) makes the same fills and the same final equity, exactly', async () => {
    const backtest = runPortfolio(data, compileStrategy(longShort, {}), { ...runOptions, allowShort: true });
    const paper = await paperTrade(database(), longShort, {}, true);
    expect(backtest.tradeLog.filter((t) => t.side === 'short').length).toBeGreaterThan(10);
    expect(backtest.orders.every((o) => o.status === 'filled')).toBe(true);
    expectSameAccount(backtest, paper);
  }, 300_000);
});

/** The backtest and the paper broker made the same fills and hold the same cash and equity, to the micro-unit. */
function expectSameAccount(backtest: PortfolioResult, paper: Awaited<ReturnType<typeof paperTrade>>) {
  expect(paper.fills).toEqual(fillRows(backtest.fills));
  expect(paper.cash).toBe(backtest.ledger.cash);
  expect(paper.equity).toBe(backtest.ledger.equity);
  expect(paper.portfolio.equity).toBe(fromMicros(backtest.ledger.equity));
  console.log(
    `${backtest.strategy}: ${backtest.steps} steps over ${backtest.symbols.length} symbols, ${paper.fills.length} fills identical (ids, symbols, sides, quantities, prices, fees); ` +
      `final equity backtest ${formatMicros(backtest.ledger.equity)} = paper ${formatMicros(paper.equity)} USD`,
  );
}
