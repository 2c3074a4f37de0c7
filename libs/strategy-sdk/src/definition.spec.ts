import { compileStrategy, defineStrategy, gridValues, p, ParamsError, parseParams, StrategyDefinitionError } from './index';

/** A user's strategy (examples/strategies holds the issue-22 rotation; this one buys weakness). */
const momentumRotation = defineStrategy({
  name: 'dip-rotation',
  params: { lookback: p.int(20, 250, 120), top: p.int(1, 5, 2) },
  rebalance: 'monthly',
  indicators: (q, i) => ({ drop: i.roc('close', q.lookback) }),
  decide: (ctx) => {
    const weakest = [...ctx.universe].sort((a, b) => ctx.ind.drop(a) - ctx.ind.drop(b)).slice(0, ctx.params.top);
    return ctx.targets(Object.fromEntries(weakest.map((s) => [s, 1 / ctx.params.top])));
  },
});

const definitionError = (make: () => unknown) => {
  try {
    make();
  } catch (err) {
    if (err instanceof StrategyDefinitionError) return `${err.key}: ${err.rule}`;
    throw err;
  }
  throw new Error('defined without an error');
};

describe('defineStrategy', () => {
  it('fills the defaults and derives the warm-up from the declarations', () => {
    expect(momentumRotation).toMatchObject({ name: 'dip-rotation', rebalance: 'monthly', universe: 'all', interval: '1d' });
    const compiled = compileStrategy(momentumRotation, { lookback: 90 });
    expect(compiled.params).toEqual({ lookback: 90, top: 2 });
    expect(compiled.indicators.map((i) => [i.name, i.spec.key])).toEqual([['drop', 'roc(close,90)']]);
    expect(compiled.warmup).toBe(91); // ROC(90) needs 91 bars
    expect(compileStrategy(defineStrategy({ ...momentumRotation, warmup: 300 })).warmup).toBe(300);
  });

  it('takes a warm-up as a function of the parameters, checked as a declared one', () => {
    const previousBar = defineStrategy({ ...momentumRotation, warmup: (q) => q.lookback + 2 });
    expect(compileStrategy(previousBar, { lookback: 90 }).warmup).toBe(92);
    const reads = new Set<string>();
    compileStrategy(previousBar, {}, { reads });
    expect(reads.has('lookback')).toBe(true);
    expect(definitionError(() => compileStrategy(defineStrategy({ ...momentumRotation, warmup: (q) => q.lookback / 7 })))).toBe('warmup: must be a whole number, got 17.142857142857142');
    expect(definitionError(() => defineStrategy({ ...momentumRotation, warmup: '5' as never }))).toBe('warmup: must be a number of bars or a function of the parameters answering one');
  });

  it.each([
    [{ name: 'has space' }, 'name: must be 1-64 letters, digits, dot, dash or underscore'],
    [{ rebalance: 'daily' }, 'rebalance: must be one of bar, weekly, monthly'],
    [{ rebalence: 'monthly' }, 'rebalence: is not a key of a strategy (keys: name, description, params, universe, interval, rebalance, warmup, indicators, decide)'],
    [{ universe: ['SPX', 'not a symbol'] }, 'universe.1: must be 1-20 characters: capital letters, digits, dot, dash or underscore'],
    [{ universe: 'some' }, "universe: must be 'all' or a list of symbols"],
    [{ interval: '1h' }, 'interval: must be one of 1d'],
    [{ warmup: -1 }, 'warmup: must be 0 or more'],
    [{ decide: undefined }, 'decide: must be a function'],
    [{ params: { lookback: 120 } }, 'params.lookback: must be declared with p.int, p.float, p.bool or p.choice'],
    [{ params: { lookback: p.int(20, 250, 300) } }, 'params.lookback: default 300 must be between 20 and 250'],
    [{ params: { top: p.int(1, 5.5, 2) } }, 'params.top: max must be a whole number'],
    [{ params: { side: p.choice(['long', 'short'], 'both' as 'long') } }, 'params.side: default "both" must be one of "long", "short"'],
  ])('refuses %j naming the key and the rule', (change, message) => {
    expect(definitionError(() => defineStrategy({ ...momentumRotation, ...change } as never))).toBe(message);
  });

  it('names the indicator whose arguments a parameter made bad', () => {
    const strategy = defineStrategy({ name: 'x', params: { n: p.int(0, 10, 0) }, indicators: (q, i) => ({ avg: i.sma('close', q.n) }), decide: () => undefined });
    expect(definitionError(() => compileStrategy(strategy))).toBe('indicators: period must be a whole number >= 1, got 0');
    const noIndicator = defineStrategy({ name: 'y', indicators: () => ({ avg: 3 }) as never, decide: () => undefined });
    expect(definitionError(() => compileStrategy(noIndicator))).toBe('indicators.avg: must be an indicator of i (i.sma, i.roc, ...)');
  });
});

describe('parameters', () => {
  const specs = { lookback: p.int(20, 250, 120, { step: 10 }), risk: p.float(0.5, 2, 1, { step: 0.25 }), filter: p.bool(), mode: p.choice(['fast', 'slow']) };
  const problem = (raw: Record<string, unknown>) => {
    try {
      parseParams(specs, raw);
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(ParamsError);
      return (err as Error).message;
    }
  };

  it('validates a run against the declarations, naming the parameter and the rule', () => {
    expect(parseParams(specs, { lookback: 90 })).toEqual({ lookback: 90, risk: 1, filter: false, mode: 'fast' });
    expect(problem({ lookback: 300 })).toBe('lookback: must be at most 250');
    expect(problem({ lookback: 10 })).toBe('lookback: must be at least 20');
    expect(problem({ lookback: 90.5 })).toBe('lookback: must be a whole number');
    expect(problem({ lookback: '90' })).toBe('lookback: must be a number');
    expect(problem({ filter: 'yes' })).toBe('filter: must be true or false');
    expect(problem({ mode: 'medium' })).toBe('mode: must be one of "fast", "slow"');
    expect(problem({ lookbak: 90 })).toBe('lookbak: is not a parameter of this strategy (it declares lookback, risk, filter, mode)');
  });

  it('spans a grid from the same declarations', () => {
    expect(gridValues(specs.lookback)).toEqual([20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240, 250]);
    expect(gridValues(specs.risk)).toEqual([0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(gridValues(p.float(0, 0.3, 0.1))).toEqual([0, 0.03, 0.06, 0.09, 0.12, 0.15, 0.18, 0.21, 0.24, 0.27, 0.3]);
    expect(gridValues(p.int(1, 5, 2))).toEqual([1, 2, 3, 4, 5]);
    expect(gridValues(specs.filter)).toEqual([false, true]);
    expect(gridValues(specs.mode)).toEqual(['fast', 'slow']);
  });
});
