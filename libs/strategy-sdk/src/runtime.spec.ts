import { groupBySymbol, isoDate, loadSp500, loadStocks, type Bar } from '@tradeyard/market-data';
import {
  checkTargets,
  compileStrategy,
  defineStrategy,
  MarketHistory,
  p,
  periodOf,
  StrategyDriver,
  unionCalendar,
  type CompiledStrategy,
  type Decision,
  type DecisionRules,
  type PortfolioView,
  type SymbolColumns,
} from './index';

const day = (n: number) => Date.UTC(2024, 0, 1) + n * 86_400_000;
const bar = (symbol: string, n: number, close: number): Bar => ({ symbol, time: day(n), open: close, high: close, low: close, close, volume: 100 });
const emptyPortfolio = (): PortfolioView => ({ cash: 0, equity: 0, positions: {}, openOrders: [] });

function columnsOf(bars: readonly Bar[]): SymbolColumns {
  const col = (f: keyof Omit<Bar, 'symbol'>) => Float64Array.from(bars, (b) => b[f]);
  return { time: col('time'), open: col('open'), high: col('high'), low: col('low'), close: col('close'), volume: col('volume') };
}

/**
 * Runs a strategy over bars on their union calendar, as an engine does: a backtest reveals
 * precomputed batch series bar by bar, a live loop appends each bar to streaming indicators.
 * Returns the decisions of every step that decided, by date.
 */
function replay(strategy: CompiledStrategy, bySymbol: ReadonlyMap<string, readonly Bar[]>, mode: 'reveal' | 'append', onStep?: (driver: StrategyDriver) => void, rules: DecisionRules = {}) {
  const symbols = [...bySymbol.keys()];
  const columns = symbols.map((s) => columnsOf(bySymbol.get(s)!));
  const market =
    mode === 'reveal'
      ? MarketHistory.revealing(symbols, columns, columns.map((c) => strategy.indicators.map((ind) => ind.spec.batch({ ...c, length: c.time.length }))))
      : MarketHistory.streaming(symbols, strategy);
  const driver = new StrategyDriver(strategy, market, emptyPortfolio, {}, undefined, rules);
  const calendar = unionCalendar(columns.map((c) => c.time));
  const decisions: Array<[string, readonly Decision[]]> = [];
  for (let s = 0; s < calendar.times.length; s++) {
    for (let at = calendar.start[s]; at < calendar.start[s + 1]; at++) {
      const k = calendar.symbolAt[at];
      if (mode === 'reveal') market.histories[k].reveal();
      else market.histories[k].append(bySymbol.get(symbols[k])![market.histories[k].count]);
    }
    market.clock.now = calendar.times[s];
    onStep?.(driver);
    const made = driver.step();
    if (made.length) decisions.push([isoDate(calendar.times[s]), made]);
  }
  return decisions;
}

/** A rotation that reads two indicators, one of them some bars back. */
const rotation = defineStrategy({
  name: 'trend-rotation',
  params: { lookback: p.int(5, 250, 60), top: p.int(1, 5, 2) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ change: i.roc('close', q.lookback), average: i.ema('close', q.lookback) }),
  decide(ctx) {
    const rising = ctx.universe.filter((s) => ctx.bars(s).close() > ctx.ind.average(s) && ctx.ind.change(s) > ctx.ind.change(s, 1));
    const chosen = rising.sort((a, b) => ctx.ind.change(b) - ctx.ind.change(a)).slice(0, ctx.params.top);
    return ctx.targets(Object.fromEntries(chosen.map((s) => [s, 1 / ctx.params.top])), { reason: 'trend' });
  },
});

describe('one strategy, two runtimes', () => {
  it('decides the same on batch series revealed bar by bar as on streaming indicators fed live (SPX daily + five monthly stocks)', () => {
    const market = new Map<string, Bar[]>([['SPX', loadSp500()], ...groupBySymbol(loadStocks())]);
    const strategy = compileStrategy(rotation, { lookback: 20, top: 2 });
    const backtest = replay(strategy, market, 'reveal');
    const live = replay(strategy, market, 'append');
    expect(backtest.length).toBeGreaterThan(200); // one decision a month once warm
    expect(live).toEqual(backtest);
    // Monthly: the first step of each month; no two decisions in one month.
    const months = backtest.map(([date]) => date.slice(0, 7));
    expect(new Set(months).size).toBe(months.length);
    expect(backtest.some(([, [d]]) => d.kind === 'targets' && Object.keys(d.weights).some((s) => s !== 'SPX'))).toBe(true);
  });
});

describe('point in time', () => {
  const bars = new Map([['A', [1, 2, 3, 4, 5, 6].map((c, n) => bar('A', n, c))]]);
  const probe = (read: (ctx: StrategyDriver['context']) => unknown) => {
    const seen: unknown[] = [];
    const strategy = compileStrategy(
      defineStrategy({
        name: 'peek',
        indicators: (_q, i) => ({ avg: i.sma('close', 2) }),
        decide(ctx) {
          seen.push(read(ctx as never));
        },
      }),
    );
    replay(strategy, bars, 'reveal');
    return seen;
  };

  it('answers bars and indicator values up to now, and nothing after', () => {
    expect(probe((ctx) => ctx.bars('A').close())).toEqual([2, 3, 4, 5, 6]); // first decision once SMA(2) is warm
    expect(probe((ctx) => ctx.ind.avg('A'))).toEqual([1.5, 2.5, 3.5, 4.5, 5.5]);
    expect(probe((ctx) => ctx.ind.avg('A', 1))).toEqual([NaN, 1.5, 2.5, 3.5, 4.5]);
    expect(probe((ctx) => ctx.bars('A').length)).toEqual([2, 3, 4, 5, 6]);
    expect(probe((ctx) => Array.from(ctx.bars('A').series('close', 100)))).toEqual([[1, 2], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6]]);
    expect(probe((ctx) => ctx.bars('A').close(10))).toEqual([NaN, NaN, NaN, NaN, NaN]);
  });

  it('has no forward index: a negative barsAgo throws, naming the rule', () => {
    const attempt = (read: (ctx: StrategyDriver['context']) => unknown) => () => probe(read);
    expect(attempt((ctx) => ctx.bars('A').close(-1))).toThrow('strategy peek at 2024-01-02: barsAgo must be a whole number of 0 or more (there is no bar after now), got -1');
    expect(attempt((ctx) => ctx.ind.avg('A', -1))).toThrow('barsAgo must be a whole number of 0 or more');
    expect(attempt((ctx) => ctx.bars('A').bar(0.5))).toThrow('barsAgo must be a whole number of 0 or more');
    expect(attempt((ctx) => ctx.bars('ZZZ'))).toThrow('ZZZ is not a symbol of the universe');
  });

  it("gives decide no handle on the engine's history: its columns, its count and reveal are out of reach", () => {
    // What a strategy could reach past the BarHistory type: the backtester's whole columns (every
    // later bar), or the count and reveal that move the engine itself.
    const engine = (ctx: StrategyDriver['context']) => {
      const history = ctx.bars('A') as unknown as Record<string, unknown>;
      return { columns: history.columns, count: history.count, reveal: history.reveal, append: history.append, frozen: Object.isFrozen(history) };
    };
    expect(probe(engine)[0]).toEqual({ columns: undefined, count: undefined, reveal: undefined, append: undefined, frozen: true });
    expect(probe((ctx) => Object.keys(ctx.bars('A')).sort())).toContainEqual(['bar', 'close', 'current', 'high', 'length', 'low', 'open', 'series', 'symbol', 'time', 'volume']);
  });
});

describe('calendars and warm-up', () => {
  // A trades every day from day 0, B every other day from day 3.
  const market = new Map([
    ['A', Array.from({ length: 10 }, (_, n) => bar('A', n, 10 + n))],
    ['B', Array.from({ length: 4 }, (_, n) => bar('B', 3 + 2 * n, 20 + n))],
  ]);
  const universes = (warmup: number) => {
    const seen: string[] = [];
    const strategy = compileStrategy(defineStrategy({ name: 'ready', warmup, decide: (ctx) => void seen.push(`${ctx.date.slice(8)}:${ctx.universe.join('')}`) }));
    replay(strategy, market, 'reveal');
    return seen;
  };

  it('puts a symbol in the ready set on steps where it has a bar and its warm-up is over', () => {
    // B's bars are on the 4th, 6th, 8th and 10th; its third is on the 8th.
    expect(universes(3)).toEqual(['03:A', '04:A', '05:A', '06:A', '07:A', '08:AB', '09:A', '10:AB']);
    expect(universes(0)).toEqual(['01:A', '02:A', '03:A', '04:AB', '05:A', '06:AB', '07:A', '08:AB', '09:A', '10:AB']);
  });

  it('derives the warm-up from the longest indicator and never decides before a symbol is ready', () => {
    const seen: string[] = [];
    const strategy = compileStrategy(
      defineStrategy({
        name: 'warm',
        indicators: (_q, i) => ({ fast: i.sma('close', 2), slow: i.roc('close', 3) }),
        decide(ctx) {
          for (const s of ctx.universe) seen.push(`${ctx.date.slice(8)}${s}:${ctx.ind.slow(s).toFixed(3)}`);
        },
      }),
    );
    expect(strategy.warmup).toBe(4);
    replay(strategy, market, 'append');
    expect(seen[0]).toBe('04A:0.300'); // (13 - 10) / 10 on A's 4th bar
    expect(seen.filter((s) => s.includes('B'))).toEqual(['10B:0.150']); // B's 4th bar: (23 - 20) / 20
    expect(seen.every((s) => !s.includes('NaN'))).toBe(true);
  });

  it('lines a union calendar up, oldest first, each step listing the symbols with a bar', () => {
    const calendar = unionCalendar([
      [1, 2, 4],
      [2, 3, 4],
    ]);
    expect(Array.from(calendar.times)).toEqual([1, 2, 3, 4]);
    expect(Array.from(calendar.start)).toEqual([0, 1, 3, 4, 6]);
    expect(Array.from(calendar.symbolAt)).toEqual([0, 0, 1, 1, 0, 1]);
    expect(() => unionCalendar([[1, 1, 2]])).toThrow('the bar times of symbol 0 must increase strictly');
  });
});

describe('schedule, state and parameter reads', () => {
  const daily = new Map([['A', Array.from({ length: 70 }, (_, n) => bar('A', n, 100 + n))]]);

  it.each([
    ['weekly', ['2024-01-01', '2024-01-08', '2024-01-15']],
    ['monthly', ['2024-01-01', '2024-02-01', '2024-03-01']],
  ] as const)('decides %s on the first step of each period', (rebalance, first) => {
    const strategy = compileStrategy(defineStrategy({ name: 'sched', rebalance, decide: (ctx) => ctx.targets({}) }));
    expect(replay(strategy, daily, 'reveal').map(([date]) => date).slice(0, 3)).toEqual(first);
  });

  it('resumes its schedule: a driver told when it last decided does not decide again in that period (a live run after a restart)', () => {
    const strategy = compileStrategy(defineStrategy({ name: 'sched', rebalance: 'monthly', decide: (ctx) => ctx.targets({}) }));
    const first = new StrategyDriver(strategy, MarketHistory.streaming(['A'], strategy), emptyPortfolio);
    const resumed = new StrategyDriver(strategy, MarketHistory.streaming(['A'], strategy), emptyPortfolio, {}, day(0));
    const decidedOn = (driver: StrategyDriver) =>
      daily.get('A')!.flatMap((b) => {
        driver.market.histories[0].append(b);
        driver.market.clock.now = b.time;
        return driver.step().length ? [isoDate(b.time)] : [];
      });
    expect(decidedOn(first)).toEqual(['2024-01-01', '2024-02-01', '2024-03-01']);
    expect(first.decidedAt).toBe(Date.UTC(2024, 2, 1));
    expect(decidedOn(resumed)).toEqual(['2024-02-01', '2024-03-01']);
  });

  it('counts calendar months without a Date, as Date counts them', () => {
    for (let time = Date.UTC(1899, 0, 1); time < Date.UTC(2101, 0, 1); time += 86_400_000 * 0.75) {
      const date = new Date(time);
      expect(periodOf('monthly', time)).toBe(date.getUTCFullYear() * 12 + date.getUTCMonth());
    }
  });

  it('keeps ctx.state between decisions', () => {
    const counts: number[] = [];
    const strategy = compileStrategy(
      defineStrategy({
        name: 'count',
        rebalance: 'monthly',
        decide(ctx) {
          ctx.state.decisions = ((ctx.state.decisions as number) ?? 0) + 1;
          counts.push(ctx.state.decisions);
        },
      }),
    );
    replay(strategy, daily, 'reveal');
    expect(counts).toEqual([1, 2, 3]);
  });

  it.each([
    [(state: Record<string, unknown>) => (state.when = new Date(0)), 'ctx.state.when: a Date object is not a JSON value (the state must hold JSON values only)'],
    [(state: Record<string, unknown>) => (state.list = [1, undefined]), 'ctx.state.list[1]: undefined is not a JSON value (the state must hold JSON values only)'],
    [(state: Record<string, unknown>) => (state.ratio = 1 / 0), 'ctx.state.ratio: Infinity is not a JSON number (the state must hold JSON values only)'],
    [(state: Record<string, unknown>) => (state.deep = { list: [{ ok: 1 }, { fn: () => 1 }] }), 'ctx.state.deep.list[1].fn: a function is not a JSON value (the state must hold JSON values only)'],
    [(state: Record<string, unknown>) => (state.loop = { back: state }), 'ctx.state.loop.back: refers back to itself (the state must hold JSON values only)'],
  ])('refuses a state that is not JSON, naming where (%#)', (change, message) => {
    const strategy = compileStrategy(defineStrategy({ name: 'stateful', decide: (ctx) => void change(ctx.state) }));
    expect(() => replay(strategy, daily, 'reveal')).toThrow(`strategy stateful at 2024-01-01: ${message}`);
  });

  it('records which parameters indicators and decide read, so a sweep of one never read can be refused', () => {
    const reads = new Set<string>();
    const strategy = defineStrategy({
      name: 'reads',
      params: { period: p.int(2, 10, 3), threshold: p.float(0, 1, 0.5), unused: p.int(1, 9, 1), gated: p.bool(false), onlyIfGated: p.int(1, 3, 2) },
      indicators: (q, i) => ({ avg: i.sma('close', q.period) }),
      decide(ctx) {
        if (ctx.ind.avg('A') > ctx.params.threshold && ctx.params.gated) return ctx.targets({ A: ctx.params.onlyIfGated / 3 });
      },
    });
    replay(compileStrategy(strategy, {}, { reads }), daily, 'reveal');
    expect([...reads].sort()).toEqual(['gated', 'period', 'threshold']);
    reads.clear();
    replay(compileStrategy(strategy, { gated: true }, { reads }), daily, 'reveal');
    expect([...reads].sort()).toEqual(['gated', 'onlyIfGated', 'period', 'threshold']);
  });
});

describe('decisions', () => {
  const market = new Map([['A', [bar('A', 0, 10)]], ['B', [bar('B', 0, 20)]]]);
  const decide = (make: (ctx: StrategyDriver['context']) => unknown) => () => replay(compileStrategy(defineStrategy({ name: 'd', decide: (ctx) => make(ctx as never) as never })), market, 'reveal');

  it.each([
    [(ctx: StrategyDriver['context']) => ctx.targets({ A: -0.5 }), 'targets.A: weight must be 0 or more (long only); a negative weight (a short) needs the run option allowShort'],
    [(ctx: StrategyDriver['context']) => ctx.targets({ A: 0.6, B: 0.5 }), 'targets: weights must sum to at most 1 (no leverage), got 1.1'],
    [(ctx: StrategyDriver['context']) => ctx.targets({ C: 0.5 }), 'targets.C: is not a symbol of the universe'],
    [(ctx: StrategyDriver['context']) => ctx.targets({ A: NaN }), 'targets.A: weight must be a finite number'],
    [(ctx: StrategyDriver['context']) => ctx.targets({ A: 1 }, { reason: '' }), 'reason: must be 1-64 letters, digits, spaces or . _ : / -'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 1, type: 'limit' }]), 'orders[0].limitPrice: limitPrice is required for a limit order'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 0 }]), 'orders[0].quantity: quantity must be above 0'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 1, takeProfit: 9, stopLoss: 11 }]), 'orders[0].takeProfit: takeProfit must be above stopLoss for a buy'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 1, price: 3 } as never]), 'orders[0].price: is not a field of an order'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'Q', side: 'buy', quantity: 1 }]), 'orders[0].symbol: Q is not a symbol of the universe'],
    [(ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'sell', quantity: 1, type: 'limit', limitPrice: 11, ocoGroup: 'exit' }]), 'orders[0].ocoGroup: group exit holds 1 order: a one-cancels-other group links 2 or more'],
    [
      (ctx: StrategyDriver['context']) => ctx.orders(Array.from({ length: 11 }, (_, i) => ({ symbol: 'A', side: 'buy' as const, quantity: 1, type: 'limit' as const, limitPrice: 5 + i, ocoGroup: 'ladder' }))),
      'orders[10].ocoGroup: group ladder holds 11 orders: at most 10',
    ],
    [
      (ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'sell', quantity: 1, type: 'limit', limitPrice: 11, ocoGroup: 'x' }, { symbol: 'B', side: 'sell', quantity: 1, type: 'stop', stopPrice: 9, ocoGroup: 'x' }]),
      "orders[1].symbol: must be A, the symbol of the group's first order: a one-cancels-other group trades one symbol",
    ],
    [
      (ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'sell', quantity: 1, type: 'limit', limitPrice: 11, ocoGroup: 'x' }, { symbol: 'A', side: 'sell', quantity: 1, type: 'stop', stopPrice: 9, timeInForce: 'day', ocoGroup: 'x' }]),
      "orders[1].timeInForce: must be the same as the group's first order's (gtc): the orders of a group expire together",
    ],
    [
      (ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 1, type: 'limit', limitPrice: 9, timeInForce: 'ioc', ocoGroup: 'x' }, { symbol: 'A', side: 'buy', quantity: 1, type: 'stop', stopPrice: 11, ocoGroup: 'x' }]),
      'orders[0].timeInForce: must be day, gtc or gtd for an order of a one-cancels-other group: its orders rest until one trades',
    ],
    [
      (ctx: StrategyDriver['context']) => ctx.orders([{ symbol: 'A', side: 'buy', quantity: 1, type: 'limit', limitPrice: 9, takeProfit: 12, ocoGroup: 'x' }]),
      'orders[0].takeProfit: takeProfit must be omitted for an order of a one-cancels-other group (a bracket is a group of its own)',
    ],
    [() => ({ buy: 'A' }), 'decide: must return ctx.targets(...), ctx.orders(...), ctx.cancel(...), a list of them, or nothing'],
  ])('a bad decision stops the run naming the date, the field and the rule (%#)', (make, message) => {
    expect(decide(make)).toThrow(`strategy d at 2024-01-01: ${message}`);
  });

  it('answers targets, orders (with their defaults) and cancels as data', () => {
    const [[, made]] = replay(
      compileStrategy(
        defineStrategy({
          name: 'd',
          decide: (ctx) => [ctx.targets({ A: 1 / 3, B: 2 / 3 }, { reason: 'split' }), ctx.orders([{ symbol: 'A', side: 'sell', quantity: 2, type: 'stop', stopPrice: 9 }], { cancel: 'all' })],
        }),
      ),
      market,
      'reveal',
    );
    expect(made).toEqual([
      { kind: 'targets', weights: { A: 1 / 3, B: 2 / 3 }, reason: 'split' },
      { kind: 'orders', orders: [{ symbol: 'A', side: 'sell', quantity: 2, type: 'stop', stopPrice: 9, timeInForce: 'gtc' }], cancel: 'all', reason: undefined },
    ]);
  });

  describe('with short selling allowed (the run option allowShort)', () => {
    const isSymbol = (symbol: string) => symbol === 'A' || symbol === 'B';

    it('takes negative weights from the driver, as a short of that fraction of equity', () => {
      const shorting = compileStrategy(defineStrategy({ name: 'd', decide: (ctx) => ctx.targets({ A: 0.5, B: -0.5 }) }));
      const [[, made]] = replay(shorting, market, 'reveal', undefined, { allowShort: true });
      expect(made).toEqual([{ kind: 'targets', weights: { A: 0.5, B: -0.5 }, reason: undefined }]);
      expect(() => replay(shorting, market, 'reveal')).toThrow('targets.B: weight must be 0 or more (long only); a negative weight (a short) needs the run option allowShort');
    });

    it('bounds the gross exposure: the sizes of the weights sum to at most 1', () => {
      expect(() => checkTargets({ A: 0.6, B: -0.4 }, isSymbol, { allowShort: true })).not.toThrow();
      expect(() => checkTargets({ A: 0.6, B: -0.5 }, isSymbol, { allowShort: true })).toThrow(
        "targets: weights' sizes |weight| must sum to at most 1 (gross exposure, longs and shorts together: no leverage), got 1.1",
      );
      expect(() => checkTargets({ A: -Infinity }, isSymbol, { allowShort: true })).toThrow('targets.A: weight must be a finite number');
    });
  });
});
