import { costModel, affordableQuantity } from '@tradeyard/fill-engine';
import fc from 'fast-check';
import { groupBySymbol, loadSp500, loadStocks, type Bar } from '@tradeyard/market-data';
import { divRound, fromMicros, MICROS, notional, toMicros } from '@tradeyard/money';
import { compileStrategy, defineStrategy, p, type AnyStrategyDefinition, type OrderRequest, type PortfolioView } from '@tradeyard/strategy';
import { portfolioData, priceMicros, runPortfolio, sliceByTime, type PortfolioData, type PortfolioResult, type PortfolioRunOptions } from './index';

const costs = { feePerTrade: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5 };
const sp500 = loadSp500();
const stocksAndSpx = portfolioData(new Map<string, Bar[]>([['SPX', sp500], ...groupBySymbol(loadStocks())]));

/** Monthly: the strongest symbols by rate of change, weighted in proportion to it, with a reason tag. */
const momentum = defineStrategy({
  name: 'weighted-momentum',
  params: { lookback: p.int(5, 250, 60), top: p.int(1, 6, 3) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ roc: i.roc('close', q.lookback) }),
  decide(ctx) {
    const strongest = ctx.universe.filter((s) => ctx.ind.roc(s) > 0).sort((a, b) => ctx.ind.roc(b) - ctx.ind.roc(a)).slice(0, ctx.params.top);
    const total = strongest.reduce((sum, s) => sum + ctx.ind.roc(s), 0);
    return ctx.targets(Object.fromEntries(strongest.map((s) => [s, ctx.ind.roc(s) / total])), { reason: 'strength' });
  },
});

const run = (data: PortfolioData, definition: AnyStrategyDefinition, params: Record<string, unknown> = {}, options: PortfolioRunOptions = {}) =>
  runPortfolio(data, compileStrategy(definition, params), options);

/**
 * The account rebuilt from the result's fills alone, step by step: cash and shares after each
 * step's fills (signed: a run that allows shorts may hold negative shares, else never), and
 * equity as cash + Σ notional(shares, latest close) in micro-units.
 */
function rebuild(data: PortfolioData, result: PortfolioResult) {
  const shares = new Map<string, bigint>();
  const lastClose = new Map<string, bigint>();
  let cash = toMicros(result.initialCash);
  let lowestCash = cash;
  let fill = 0;
  const equity: bigint[] = [];
  const { times, start, symbolAt } = data.calendar;
  const cursor = data.symbols.map(() => 0);
  for (let s = 0; s < times.length; s++) {
    for (; fill < result.fills.length && result.fills[fill].time <= times[s]; fill++) {
      const f = result.fills[fill];
      const amount = notional(f.quantity, f.price);
      cash += f.side === 'buy' ? -(amount + f.fee) : amount - f.fee;
      shares.set(f.symbol, (shares.get(f.symbol) ?? 0n) + (f.side === 'buy' ? f.quantity : -f.quantity));
      if (cash < lowestCash) lowestCash = cash;
      if (!result.settings.allowShort) expect(shares.get(f.symbol)! >= 0n).toBe(true);
    }
    for (let at = start[s]; at < start[s + 1]; at++) {
      const k = symbolAt[at];
      lastClose.set(data.symbols[k], toMicros(data.columns[k].close[cursor[k]++]));
    }
    let total = cash;
    for (const [symbol, held] of shares) total += notional(held, lastClose.get(symbol)!);
    equity.push(total);
  }
  return { cash, shares, equity, lowestCash };
}

describe('portfolio backtest: exact shared cash', () => {
  it('marks equity = cash + Σ shares × latest close to the micro-unit at every step, and never spends cash it has not (rotation over SPX and the five stocks)', () => {
    const result = run(stocksAndSpx, momentum, { lookback: 20, top: 2 }, costs);
    expect(result.fills.length).toBeGreaterThan(100);
    expect(new Set(result.fills.map((f) => f.symbol)).size).toBe(6);
    expect(result.tradeLog.every((t) => t.reason === 'strength')).toBe(true);
    const rebuilt = rebuild(stocksAndSpx, result);
    expect(rebuilt.equity.map(fromMicros)).toEqual(Array.from(result.equity));
    expect(rebuilt.lowestCash >= 0n).toBe(true);
    expect(rebuilt.cash).toBe(result.ledger.cash);
    expect(result.ledger.equity).toBe(rebuilt.equity.at(-1));
    expect(result.finalEquity).toBe(fromMicros(result.ledger.equity));
  });

  it('sizes targets exactly: weight × equity at the open / open, in micro-shares, buys capped by the cash left', () => {
    const day = (n: number) => Date.UTC(2024, 0, 1 + n);
    const data = portfolioData(
      new Map([
        ['A', [0, 1, 2].map((n) => ({ symbol: 'A', time: day(n), open: 30, high: 30, low: 30, close: 30, volume: 0 }))],
        ['B', [0, 1, 2].map((n) => ({ symbol: 'B', time: day(n), open: 7, high: 7, low: 7, close: 7, volume: 0 }))],
      ]),
    );
    const split = defineStrategy({ name: 'split', rebalance: 'monthly', decide: (ctx) => ctx.targets({ A: 1 / 3, B: 2 / 3 }) });
    const result = run(data, split, {}, { initialCash: 1000, feePerTrade: 1 });
    const cash = toMicros(1000);
    const wantA = divRound(toMicros(1 / 3) * cash, toMicros(30)); // 333333 × 1000e6 / 30e6 micro-shares
    expect(result.fills.map((f) => [f.symbol, f.quantity])).toEqual([
      ['A', wantA],
      // B's target is 2/3 of the same equity, but only the cash left after A (and two fees) can be spent.
      ['B', affordableQuantity(costModel({ feeFixed: 1 }), cash - notional(wantA, toMicros(30)) - MICROS, toMicros(7))],
    ]);
    expect(wantA).toBe(11_111_100n);
    expect(result.ledger.cash >= 0n).toBe(true);
    expect(result.ledger.cash).toBeLessThan(toMicros(7));
  });
});

describe('portfolio backtest: point in time', () => {
  it('decides the same on data cut at any date as on the whole history up to that date (batch indicators leak nothing)', () => {
    const decisionsOf = (data: PortfolioData) => {
      const made: string[] = [];
      run(data, momentum, { lookback: 20 }, { onDecision: (time, decisions) => made.push(`${time} ${JSON.stringify(decisions)}`) });
      return made;
    };
    const whole = decisionsOf(stocksAndSpx);
    expect(whole.length).toBeGreaterThan(200);
    for (const cut of ['2003-06-15', '2008-10-01', '2012-02-29']) {
      const truncated = decisionsOf(sliceByTime(stocksAndSpx, -Infinity, Date.parse(`${cut}T00:00:00Z`)));
      expect(truncated).toEqual(whole.slice(0, truncated.length));
      expect(whole[truncated.length]).toBeDefined(); // the cut removed later decisions, and only those
    }
  });
});

describe('portfolio backtest: calendars', () => {
  const day = (n: number) => Date.UTC(2024, 0, 1 + n);
  const bar = (symbol: string, n: number, price: number): Bar => ({ symbol, time: day(n), open: price, high: price, low: price, close: price, volume: 0 });
  // A has a bar every day, B only on days 0, 2 and 5.
  const data = portfolioData(
    new Map([
      ['A', [0, 1, 2, 3, 4, 5].map((n) => bar('A', n, 10 + n))],
      ['B', [bar('B', 0, 50), bar('B', 2, 60), bar('B', 5, 80)]],
    ]),
  );

  it('trades a symbol only on its own bars, and marks equity with its latest close meanwhile', () => {
    // Day 0: 40/60; day 3 (B has no bar): everything into A and B to 0; B's shares wait for its next bar (day 5).
    const shift = defineStrategy({ name: 'shift', decide: (ctx) => (ctx.date === '2024-01-01' ? ctx.targets({ A: 0.4, B: 0.6 }) : ctx.date === '2024-01-04' ? ctx.targets({ A: 1, B: 0 }) : undefined) });
    const result = run(data, shift, {}, { initialCash: 1000 });
    expect(result.fills.map((f) => `${new Date(f.time).toISOString().slice(8, 10)} ${f.symbol} ${f.side} ${fromMicros(f.quantity)}`)).toEqual([
      '02 A buy 36.363636', // day 1 open 11: 400 / 11
      '03 B buy 10', // B's next bar is day 2, at 60: 600 / 60
      // Day 4's open: A's target (all of equity) finds no cash, B's shares are not sold yet: a
      // symbol trades only on its own bars, so B's sell waits for day 5 and A's target is spent.
      '06 B sell 10',
    ]);
    const rebuilt = rebuild(data, result);
    expect(rebuilt.equity.map(fromMicros)).toEqual(Array.from(result.equity));
    // Day 3's close: A at 13; B has no bar that day and is marked at its day-2 close, 60.
    expect(result.equity[3]).toBe(fromMicros(toMicros(1000) - notional(36_363_636n, toMicros(11)) - notional(10_000_000n, toMicros(60)) + notional(36_363_636n, toMicros(13)) + notional(10_000_000n, toMicros(60))));
  });
});

describe('portfolio backtest: explicit orders', () => {
  const day = (n: number) => Date.UTC(2024, 0, 1 + n);
  const ohlc = (symbol: string, n: number, o: number, h: number, l: number, c: number): Bar => ({ symbol, time: day(n), open: o, high: h, low: l, close: c, volume: 1000 });
  const data = portfolioData(
    new Map([
      [
        'A',
        [ohlc('A', 0, 100, 100, 100, 100), ohlc('A', 1, 100, 101, 99, 100), ohlc('A', 2, 100, 104, 99, 103), ohlc('A', 3, 103, 111, 102, 110), ohlc('A', 4, 110, 110, 90, 95)],
      ],
    ]),
  );

  it('places a bracket: the entry fills at the next open, the take-profit fills when reached and cancels the stop-loss', () => {
    const bracket = defineStrategy({
      name: 'bracket',
      decide: (ctx) => (ctx.date === '2024-01-01' ? ctx.orders([{ symbol: 'A', side: 'buy', quantity: 10, takeProfit: 108, stopLoss: 95 }], { reason: 'breakout' }) : undefined),
    });
    const result = run(data, bracket, {}, { initialCash: 10_000 });
    expect(result.orders.map((o) => [o.type, o.side, o.status, o.reasonCode, o.avgFillPrice, o.reason])).toEqual([
      ['market', 'buy', 'filled', null, 100, 'breakout'],
      ['limit', 'sell', 'filled', null, 108, 'breakout'],
      ['stop', 'sell', 'cancelled', 'cancelled_by_bracket', null, 'breakout'],
    ]);
    expect(result.tradeLog).toEqual([expect.objectContaining({ symbol: 'A', entryPrice: 100, exitPrice: 108, pnl: 80, reason: 'breakout', exitReason: 'breakout', open: false })]);
    expect(result.ledger.cash).toBe(toMicros(10_080));
  });

  describe('one-cancels-other groups', () => {
    const states = (result: PortfolioResult) => result.orders.map((o) => [o.clientId, o.type, o.side, o.status, o.reasonCode, o.avgFillPrice]);
    /** Buys 10 A at the first close, with a group of sells for them (each 10 unless it says); cancels `cancelOn.ids` at its date. */
    const exits = (legs: Array<Partial<OrderRequest>>, cancelOn?: { date: string; ids: string[] }) =>
      defineStrategy({
        name: 'oco-exits',
        decide(ctx) {
          if (ctx.date === '2024-01-01') return ctx.orders([{ symbol: 'A', side: 'buy', quantity: 10, clientId: 'entry' }, ...legs.map((leg) => ({ symbol: 'A', side: 'sell' as const, quantity: 10, ocoGroup: 'exit', ...leg }))]);
          return ctx.date === cancelOn?.date ? ctx.cancel(cancelOn.ids) : undefined;
        },
      });

    it('rests the group with its entry, and the first order to trade cancels the other', () => {
      const result = run(data, exits([{ type: 'limit', limitPrice: 108, clientId: 'tp' }, { type: 'stop', stopPrice: 95, clientId: 'sl' }]), {}, { initialCash: 10_000 });
      expect(states(result)).toEqual([
        ['entry', 'market', 'buy', 'filled', null, 100],
        ['tp', 'limit', 'sell', 'filled', null, 108],
        ['sl', 'stop', 'sell', 'cancelled', 'cancelled_by_oco', null],
      ]);
      const [, tp, sl] = result.orders;
      expect(tp.ocoGroupId).toBe(sl.ocoGroupId);
      expect(tp.ocoGroupId).not.toBeNull();
      expect(result.orders[0].ocoGroupId).toBeNull();
      expect(result.ledger.cash).toBe(toMicros(10_080));
    });

    it('lets only the first order of the group trade on a bar that reaches both, in the order the strategy gave them', () => {
      // Day 2's range (85-115) reaches the stop at 90 and the limit at 110.
      const wide = portfolioData(new Map([['A', [ohlc('A', 0, 100, 100, 100, 100), ohlc('A', 1, 100, 101, 99, 100), ohlc('A', 2, 100, 115, 85, 100)]]]));
      const stopFirst = run(wide, exits([{ type: 'stop', stopPrice: 90, clientId: 'sl' }, { type: 'limit', limitPrice: 110, clientId: 'tp' }]), {}, { initialCash: 10_000 });
      expect(states(stopFirst).slice(1)).toEqual([['sl', 'stop', 'sell', 'filled', null, 90], ['tp', 'limit', 'sell', 'cancelled', 'cancelled_by_oco', null]]);
      const limitFirst = run(wide, exits([{ type: 'limit', limitPrice: 110, clientId: 'tp' }, { type: 'stop', stopPrice: 90, clientId: 'sl' }]), {}, { initialCash: 10_000 });
      expect(states(limitFirst).slice(1)).toEqual([['tp', 'limit', 'sell', 'filled', null, 110], ['sl', 'stop', 'sell', 'cancelled', 'cancelled_by_oco', null]]);
    });

    it('denies the whole group when the checks deny one of its orders', () => {
      const result = run(data, exits([{ type: 'limit', limitPrice: 108, clientId: 'tp' }, { type: 'stop', stopPrice: 95, clientId: 'sl', quantity: 20 }]), {}, { initialCash: 10_000 });
      expect(states(result).slice(1).map((o) => o.slice(0, 5))).toEqual([['tp', 'limit', 'sell', 'denied', 'denied_oco_group'], ['sl', 'stop', 'sell', 'denied', 'denied_insufficient_position']]);
      expect(result.orders[1].statusReason).toMatch(/^order \S+ of its one-cancels-other group was denied: sell of 20 exceeds the 10 held/);
    });

    it('cancels the others when the strategy cancels one of the group', () => {
      const strategy = exits([{ type: 'limit', limitPrice: 120, clientId: 'tp' }, { type: 'stop', stopPrice: 80, clientId: 'sl' }], { date: '2024-01-02', ids: ['tp'] });
      const result = run(data, strategy, {}, { initialCash: 10_000 });
      expect(states(result).slice(1).map((o) => o.slice(0, 5))).toEqual([['tp', 'limit', 'sell', 'cancelled', 'cancelled_by_account'], ['sl', 'stop', 'sell', 'cancelled', 'cancelled_by_oco']]);
    });
  });

  it('shows decide the account as of each close: cash, equity, the positions held and the orders resting', () => {
    const seen: unknown[] = [];
    const watcher = defineStrategy({
      name: 'watcher',
      decide(ctx) {
        const { cash, equity, positions, openOrders } = ctx.portfolio;
        seen.push({ date: ctx.date, cash, equity, held: Object.keys(positions), A: positions.A && { quantity: positions.A.quantity, avgPrice: positions.A.avgPrice, price: positions.A.price }, resting: openOrders.map((o) => [o.side, o.type, o.quantity]) });
        if (ctx.date === '2024-01-01') return ctx.orders([{ symbol: 'A', side: 'buy', quantity: 10 }, { symbol: 'A', side: 'sell', type: 'limit', limitPrice: 200, quantity: 5, timeInForce: 'gtc' }]);
        return undefined;
      },
    });
    run(data, watcher, {}, { initialCash: 10_000 });
    expect(seen.slice(0, 3)).toEqual([
      { date: '2024-01-01', cash: 10_000, equity: 10_000, held: [], A: undefined, resting: [] },
      { date: '2024-01-02', cash: 9_000, equity: 10_000, held: ['A'], A: { quantity: 10, avgPrice: 100, price: 100 }, resting: [['sell', 'limit', 5]] },
      { date: '2024-01-03', cash: 9_000, equity: 10_030, held: ['A'], A: { quantity: 10, avgPrice: 100, price: 103 }, resting: [['sell', 'limit', 5]] },
    ]);
  });

  it('answers a view of the account kept and read after the run as of its own close (the warm-up check replays kept views)', () => {
    const trader = (keep: (portfolio: PortfolioView) => void) =>
      defineStrategy({
        name: 'keeper',
        decide(ctx) {
          keep(ctx.portfolio);
          if (ctx.date === '2024-01-01') return ctx.orders([{ symbol: 'A', side: 'buy', quantity: 10 }, { symbol: 'A', side: 'sell', type: 'limit', limitPrice: 200, quantity: 5 }]);
          if (ctx.date === '2024-01-03') return ctx.orders([{ symbol: 'A', side: 'sell', quantity: 4 }], { cancel: 'all' });
          return undefined;
        },
      });
    const readThen: string[] = [];
    const kept: PortfolioView[] = [];
    run(data, trader((view) => readThen.push(JSON.stringify(view))), {}, { initialCash: 10_000 });
    run(data, trader((view) => kept.push(view)), {}, { initialCash: 10_000 });
    expect(kept.map((view) => JSON.stringify(view))).toEqual(readThen);
    expect(kept[1].positions.A).toMatchObject({ quantity: 10, price: 100 });
    expect(kept[1].openOrders).toHaveLength(1);
  });

  it('denies a sell of shares not held and a market buy beyond the cash, and rejects a resting buy the cash no longer covers', () => {
    const greedy = defineStrategy({
      name: 'greedy',
      decide(ctx) {
        if (ctx.date !== '2024-01-01') return;
        return ctx.orders([
          { symbol: 'A', side: 'sell', quantity: 1 },
          { symbol: 'A', side: 'buy', quantity: 200 },
          { symbol: 'A', side: 'buy', quantity: 60, type: 'limit', limitPrice: 99.5, clientId: 'dip-1' },
          { symbol: 'A', side: 'buy', quantity: 60, type: 'limit', limitPrice: 99.5, clientId: 'dip-2' },
        ]);
      },
    });
    const result = run(data, greedy, {}, { initialCash: 10_000 });
    expect(result.orders.map((o) => [o.clientId, o.status, o.reasonCode])).toEqual([
      [null, 'denied', 'denied_insufficient_position'],
      [null, 'denied', 'denied_buying_power'],
      ['dip-1', 'filled', null],
      ['dip-2', 'rejected', 'rejected_buying_power'],
    ]);
    expect(result.ledger.cash).toBe(toMicros(10_000 - 60 * 99.5));
  });

  it('fills what the volume cap allows at each bar and rests the rest', () => {
    const buy = defineStrategy({ name: 'big', decide: (ctx) => (ctx.date === '2024-01-01' ? ctx.orders([{ symbol: 'A', side: 'buy', quantity: 250 }]) : undefined) });
    const result = run(data, buy, {}, { initialCash: 100_000, volumeLimit: 0.1 });
    expect(result.fills.map((f) => fromMicros(f.quantity))).toEqual([100, 100, 50]);
    expect(result.orders[0]).toMatchObject({ status: 'filled', filledQuantity: 250, avgFillPrice: (100 * 100 + 100 * 100 + 50 * 103) / 250 });
  });

  it('priceMicros converts as toMicros does', () => {
    for (const v of [0.1, 1403.449951, 1e-7, 123.4567895, 2.5e-6, 99999.9999995, ...stocksAndSpx.columns[0].close.slice(0, 500)]) expect(priceMicros(v)).toBe(toMicros(v));
  });
});

describe('portfolio backtest: short selling (allowShort)', () => {
  const day = (n: number) => Date.UTC(2024, 0, 1 + n);
  /** Bars opening at `opens[n]` and closing at `closes[n]` (high and low their range). */
  const bars = (symbol: string, opens: number[], closes: number[]): [string, Bar[]] => [
    symbol,
    opens.map((open, n) => ({ symbol, time: day(n), open, high: Math.max(open, closes[n]), low: Math.min(open, closes[n]), close: closes[n], volume: 0 })),
  ];
  const noCosts = { initialCash: 10_000, feePerTrade: 0, feeBps: 0, feePerShare: 0, feeMinimum: 0, slippageBps: 0 };
  /** Decides `byDate[date]` at that date's close (nothing on other dates). */
  const scripted = (byDate: Record<string, (ctx: Parameters<AnyStrategyDefinition['decide']>[0]) => unknown>) =>
    defineStrategy({ name: 'scripted', decide: (ctx) => byDate[ctx.date]?.(ctx as never) as never });
  const orders = (...list: OrderRequest[]) => (ctx: { orders: (o: OrderRequest[]) => unknown }) => ctx.orders(list);
  const sides = (result: PortfolioResult) => result.tradeLog.map((t) => [t.symbol, t.side, t.entryPrice, t.exitPrice, t.quantity, t.pnl, t.open]);

  it('shorts one symbol and buys another by target weights, with exact cash and equity', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 90], [100, 90, 80]), bars('B', [50, 50, 55], [50, 55, 60])]));
    let seen: PortfolioView['positions'][string] | undefined;
    const pair = scripted({ '2024-01-01': (ctx) => ctx.targets({ A: -0.5, B: 0.5 }), '2024-01-02': (ctx) => void (seen = ctx.portfolio.positions.A) });
    const result = run(data, pair, {}, { ...noCosts, allowShort: true });
    // Day 1's open, equity 10,000: sell 50 A at 100 (cash 15,000), then buy 100 B at 50 (cash 10,000).
    expect(result.fills.map((f) => [f.symbol, f.side, fromMicros(f.quantity), fromMicros(f.price)])).toEqual([['A', 'sell', 50, 100], ['B', 'buy', 100, 50]]);
    expect(result.ledger).toEqual({ cash: toMicros(10_000), shares: { A: -50_000_000n, B: 100_000_000n }, equity: toMicros(12_000) });
    // Closes: 10,000 − 50 × 90 + 100 × 55 = 11,000; 10,000 − 50 × 80 + 100 × 60 = 12,000.
    expect(Array.from(result.equity)).toEqual([10_000, 11_000, 12_000]);
    expect(seen).toEqual({ symbol: 'A', quantity: -50, avgPrice: 100, price: 90, value: -4500, weight: -4500 / 11_000 });
    expect(sides(result)).toEqual([['A', 'short', 100, 80, 50, 1000, true], ['B', 'long', 50, 60, 100, 1000, true]]);
    expect(result.tradeLog[0].return).toBe(0.2); // 1,000 on the 5,000 the short sale raised
  });

  it('sells through zero into a short by targets, and covers it at a loss', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 100, 120], [100, 100, 120, 120])]));
    const flip = scripted({ '2024-01-01': (ctx) => ctx.targets({ A: 1 }), '2024-01-02': (ctx) => ctx.targets({ A: -0.5 }), '2024-01-03': (ctx) => ctx.targets({ A: 0 }) });
    const result = run(data, flip, {}, { ...noCosts, allowShort: true });
    // Long 100; one sell of 150 at 100 crosses to short 50; the target 0 buys the 50 back at 120.
    expect(result.fills.map((f) => [f.side, fromMicros(f.quantity), fromMicros(f.price)])).toEqual([['buy', 100, 100], ['sell', 150, 100], ['buy', 50, 120]]);
    expect(Array.from(result.equity)).toEqual([10_000, 10_000, 9_000, 9_000]);
    expect(sides(result)).toEqual([['A', 'long', 100, 100, 100, 0, false], ['A', 'short', 100, 120, 50, -1000, false]]);
    expect(result.tradeLog[1].return).toBe(-0.2);
    expect(result.ledger).toEqual({ cash: toMicros(9_000), shares: { A: 0n }, equity: toMicros(9_000) });
  });

  it('lets an explicit sell exceed the position: the crossing fill ends the long and opens the short, its fee split pro rata', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 110, 90], [100, 105, 100, 90])]));
    const strategy = scripted({
      '2024-01-01': orders({ symbol: 'A', side: 'buy', quantity: 10 }),
      '2024-01-02': orders({ symbol: 'A', side: 'sell', quantity: 30 }),
      '2024-01-03': orders({ symbol: 'A', side: 'buy', quantity: 20 }),
    });
    const result = run(data, strategy, {}, { ...noCosts, feePerTrade: 1, allowShort: true });
    expect(result.orders.map((o) => [o.side, o.status])).toEqual([['buy', 'filled'], ['sell', 'filled'], ['buy', 'filled']]);
    // The sell of 30 at 110: 10 close the long (a third of its fee, 0.333333), 20 open the short (0.666667).
    expect(sides(result)).toEqual([['A', 'long', 100, 110, 10, 1100 - 0.333333 - 1001, false], ['A', 'short', 110, 90, 20, 2200 - 0.666667 - 1801, false]]);
    expect(result.ledger.cash).toBe(toMicros(10_000 + 100 + 400 - 3));
    expect(result.tradeLog.reduce((sum, t) => sum + t.pnl, 0)).toBeCloseTo(497, 9);
  });

  it('keeps a run without allowShort long only: a negative weight stops it naming the field and the rule, a sell beyond the shares is denied', () => {
    const data = portfolioData(new Map([bars('A', [100, 100], [100, 100])]));
    expect(() => run(data, scripted({ '2024-01-01': (ctx) => ctx.targets({ A: -0.5 }) }), {}, noCosts)).toThrow(
      'strategy scripted at 2024-01-01: targets.A: weight must be 0 or more (long only); a negative weight (a short) needs the run option allowShort',
    );
    const result = run(data, scripted({ '2024-01-01': orders({ symbol: 'A', side: 'sell', quantity: 1 }) }), {}, noCosts);
    expect(result.orders.map((o) => [o.status, o.reasonCode, o.statusReason])).toEqual([['denied', 'denied_insufficient_position', 'sell of 1 exceeds the 0 held (no short selling)']]);
  });

  it('refuses a short sale beyond the initial margin, as the paper broker does', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 100], [100, 100, 100])]));
    // 10,000 of equity carries at most 20,000 of shorts at the default 50 %: 200 at 100 is exactly at the requirement.
    const strategy = scripted({ '2024-01-01': orders({ symbol: 'A', side: 'sell', quantity: 200.000001 }), '2024-01-02': orders({ symbol: 'A', side: 'sell', quantity: 200 }) });
    const result = run(data, strategy, {}, { ...noCosts, allowShort: true });
    expect(result.orders.map((o) => [o.status, o.reasonCode, o.statusReason])).toEqual([
      ['denied', 'denied_margin', 'the short sale needs equity of 10000.00 (initial margin 50.0 % of short value 20000.00 after it); the account would have 10000.00: sell less'],
      ['filled', null, null],
    ]);
    // A target short is held to the same rule: at 150 % initial margin, a short of all the equity is too much.
    const all = run(data, scripted({ '2024-01-01': (ctx) => ctx.targets({ A: -1 }) }), {}, { ...noCosts, allowShort: true, shortInitialMargin: 1.5 });
    expect(all.orders.map((o) => [o.status, o.reasonCode])).toEqual([['denied', 'denied_margin']]);
    expect(all.ledger.shares.A).toBe(0n);
  });

  it('rejects a resting short sale whose fill would breach the initial margin, checked again at the fill', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 110], [100, 100, 110])]));
    const strategy = scripted({
      '2024-01-01': orders({ symbol: 'A', side: 'sell', quantity: 150, type: 'limit', limitPrice: 110 }, { symbol: 'A', side: 'sell', quantity: 100 }),
    });
    const result = run(data, strategy, {}, { ...noCosts, allowShort: true });
    // At day 2's open (110) the limit fills: short 250 × 110 needs 13,750 of equity, the account has 20,000 − 11,000.
    expect(result.orders.map((o) => [o.type, o.status, o.reasonCode, o.statusReason])).toEqual([
      ['market', 'filled', null, null],
      ['limit', 'rejected', 'rejected_margin', 'the short sale needs equity of 13750.00 (initial margin 50.0 % of short value 27500.00 after it); the account would have 9000.00: sell less'],
    ]);
    expect(result.ledger.shares.A).toBe(-100_000_000n);
  });

  it('below the maintenance margin takes only orders that reduce positions', () => {
    const data = portfolioData(new Map([bars('A', [100, 100, 130, 130, 130], [100, 100, 130, 130, 130]), bars('B', [50, 50, 50, 50, 50], [50, 50, 50, 50, 50])]));
    const strategy = scripted({
      '2024-01-01': orders({ symbol: 'A', side: 'sell', quantity: 150 }), // cash 25,000, short 15,000
      // At day 2's open A is 130: short 19,500, equity 5,500, below 30 % of it (5,850).
      '2024-01-02': orders({ symbol: 'A', side: 'sell', quantity: 1 }, { symbol: 'B', side: 'buy', quantity: 1 }),
      '2024-01-03': orders({ symbol: 'A', side: 'buy', quantity: 20 }), // short 16,900, equity 5,500: above 5,070
      '2024-01-04': orders({ symbol: 'B', side: 'buy', quantity: 1 }),
    });
    const result = run(data, strategy, {}, { ...noCosts, allowShort: true });
    const call = "the account is below its maintenance margin: equity 5500.00 is less than 30.0 % of its short positions' value 19500.00 (5850.00); only orders that reduce positions are accepted until it is back above";
    expect(result.orders.map((o) => [o.symbol, o.side, o.status, o.reasonCode, o.statusReason])).toEqual([
      ['A', 'sell', 'filled', null, null],
      ['A', 'sell', 'denied', 'denied_margin_call', call],
      ['B', 'buy', 'denied', 'denied_margin_call', call],
      ['A', 'buy', 'filled', null, null],
      ['B', 'buy', 'filled', null, null],
    ]);
  });

  it('holds equity = cash + Σ shares × close to the micro-unit at every step with random long and short targets and costs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 50, max: 150 }), fc.integer({ min: 50, max: 150 }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true })), { minLength: 3, maxLength: 12 }),
        fc.boolean(),
        (steps, wholeShares) => {
          const data = portfolioData(new Map([bars('A', steps.map((s) => s[0]), steps.map((s) => s[0] + 1)), bars('B', steps.map((s) => s[1]), steps.map((s) => s[1] - 1))]));
          const random = defineStrategy({ name: 'random', decide: (ctx) => ctx.targets({ A: steps[ctx.bars('A').length - 1][2], B: steps[ctx.bars('B').length - 1][3] }) });
          const result = run(data, random, {}, { ...costs, initialCash: 10_000, allowShort: true, wholeShares });
          const rebuilt = rebuild(data, result);
          expect(rebuilt.equity.map(fromMicros)).toEqual(Array.from(result.equity));
          expect(rebuilt.cash).toBe(result.ledger.cash);
          expect(result.ledger.equity).toBe(rebuilt.equity.at(-1));
          // Every round trip's P&L (an open one at the last close) adds up to the run's.
          expect(result.tradeLog.reduce((sum, t) => sum + t.pnl, 0)).toBeCloseTo(fromMicros(result.ledger.equity) - 10_000, 4);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('validates the short options naming the field', () => {
    const data = portfolioData(new Map([bars('A', [100], [100])]));
    const hold = scripted({});
    expect(() => run(data, hold, {}, { allowShort: 'yes' as never })).toThrow('allowShort must be true or false');
    expect(() => run(data, hold, {}, { shortInitialMargin: -0.1 })).toThrow('shortInitialMargin must be 0 or more');
    expect(() => run(data, hold, {}, { shortMaintenanceMargin: '0.3' as never })).toThrow('shortMaintenanceMargin must be a number');
    expect(run(data, hold).settings).toMatchObject({ allowShort: false, shortInitialMargin: 0.5, shortMaintenanceMargin: 0.3 });
  });
});
