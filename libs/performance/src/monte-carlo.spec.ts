import { fromMicros } from '@tradeyard/money';
import fc from 'fast-check';
import { equityMetrics } from './equity';
import { monteCarloHtml, monteCarloRuns, monteCarloText, returnsMonteCarlo, tradesMonteCarlo, type MonteCarloResult } from './monte-carlo';

const ordered = (m: MonteCarloResult) =>
  [m.finalEquity, m.cagr, m.maxDrawdown].every((p) => p.p5 <= p.p50 && p.p50 <= p.p95) && m.maxDrawdown.p5 >= 0 && m.maxDrawdown.p95 <= 1;

describe('returnsMonteCarlo', () => {
  it('resamples +10% and −10% into the four two-step paths, each about a quarter of the time', () => {
    // Paths: 1.1·1.1 → 121, 1.1·0.9 and 0.9·1.1 → 99, 0.9·0.9 → 81: three of four end below 100.
    const m = returnsMonteCarlo({ initialCash: 100, equity: [100, 110, 99] }, { runs: 20_000, seed: 5 });
    expect(m.probabilityOfLoss).toBeCloseTo(0.75, 1);
    expect(m.finalEquity.p5).toBeCloseTo(81, 9);
    expect(m.finalEquity.p50).toBeCloseTo(99, 9);
    expect(m.finalEquity.p95).toBeCloseTo(121, 9);
    // 0.9 then 1.1 dips to 90 (10%) and ends at 99; 0.9·0.9 dips 19%.
    expect(m.maxDrawdown.p95).toBeCloseTo(0.19, 9);
    expect(m).toMatchObject({ method: 'returns-iid', blockLength: null, steps: 2, runs: 20_000, seed: 5, initialCash: 100 });
    expect(m.years).toBe(2 / 252);
  });

  it('gives the run itself on every path when every return is the same, with the CAGR of the run', () => {
    const equity = Float64Array.from({ length: 300 }, (_, t) => 1000 * 1.001 ** t);
    const m = returnsMonteCarlo({ initialCash: 1000, equity });
    const actual = equityMetrics(equity, 1000);
    for (const p of [m.finalEquity.p5, m.finalEquity.p50, m.finalEquity.p95]) expect(p).toBeCloseTo(actual.finalEquity, 6);
    // The same factors in another order: equal up to the rounding of the products.
    expect(m.cagr.p5).toBeCloseTo(m.cagr.p95, 12);
    expect(m.cagr.p50).toBeCloseTo(actual.cagr, 9);
    expect(m.maxDrawdown).toEqual({ p5: 0, p50: 0, p95: 0 });
    expect(m.probabilityOfLoss).toBe(0);
  });

  it('takes exact money (micro-units) and gives what the same curve in numbers gives', () => {
    const equity = [100_000_000_000n, 101_234_567_891n, 99_876_543_210n, 102_000_000_001n];
    const fromMicros = returnsMonteCarlo({ initialCash: 100_000_000_000n, equity }, { runs: 200, seed: 3 });
    const fromNumbers = returnsMonteCarlo({ initialCash: 100_000, equity: [100_000, 101_234.567891, 99_876.54321, 102_000.000001] }, { runs: 200, seed: 3 });
    expect(fromMicros).toEqual(fromNumbers);
  });

  it('is the same for the same seed and differs for another', () => {
    const equity = Array.from({ length: 500 }, (_, t) => 100 + 10 * Math.sin(t / 7) + t / 10);
    const a = returnsMonteCarlo({ initialCash: 100, equity }, { seed: 42 });
    expect(returnsMonteCarlo({ initialCash: 100, equity }, { seed: 42 })).toEqual(a);
    expect(returnsMonteCarlo({ initialCash: 100, equity }, { seed: 43 }).finalEquity).not.toEqual(a.finalEquity);
  });

  it('keeps autocorrelation with blocks: runs of gains and runs of losses spread the outcomes wider than i.i.d. draws', () => {
    // 40 days up 1 %, then 40 days down 1 %, repeated: i.i.d. draws mix the two, blocks keep the runs.
    const equity = [100];
    for (let t = 0; t < 2000; t++) equity.push(equity[t] * (Math.floor(t / 40) % 2 === 0 ? 1.01 : 0.99));
    const iid = returnsMonteCarlo({ initialCash: 100, equity }, { seed: 1 });
    const block = returnsMonteCarlo({ initialCash: 100, equity }, { seed: 1, blockLength: 40 });
    expect(block).toMatchObject({ method: 'returns-block', blockLength: 40 });
    const spread = (m: MonteCarloResult) => Math.log(m.finalEquity.p95 / m.finalEquity.p5);
    expect(spread(block)).toBeGreaterThan(2 * spread(iid));
    expect(block.maxDrawdown.p50).toBeGreaterThan(iid.maxDrawdown.p50);
  });

  it('reaches 0 and stays there after a −100 % bar', () => {
    const m = returnsMonteCarlo({ initialCash: 100, equity: [100, 0] }, { runs: 10 });
    expect(m.finalEquity).toEqual({ p5: 0, p50: 0, p95: 0 });
    expect(m.cagr.p50).toBe(-1);
    expect(m.maxDrawdown.p50).toBe(1);
    expect(m.probabilityOfLoss).toBe(1);
  });

  it.each([
    [{ runs: 0 }, 'runs must be a whole number from 1 to 100000, got 0'],
    [{ runs: 2.5 }, 'runs must be a whole number from 1 to 100000, got 2.5'],
    [{ seed: 0.5 }, 'seed must be a whole number, got 0.5'],
    [{ blockLength: 0.5 }, 'blockLength must be from 1 to 10000, got 0.5'],
    [{ runs: 10_001 }, 'runs must be at most 10000 for 2000 steps per path (runs × steps ≤ 20000000), got 10001'],
  ])('refuses the options %j', (options, message) => {
    const equity = Array.from({ length: 2001 }, (_, t) => 100 + t);
    expect(() => returnsMonteCarlo({ initialCash: 100, equity }, options)).toThrow(message);
  });

  it('takes 1,000 paths by default, fewer for paths so long that runs × steps would pass 20 M', () => {
    expect([monteCarloRuns(0), monteCarloRuns(5104), monteCarloRuns(20_000), monteCarloRuns(20_001), monteCarloRuns(250_000), monteCarloRuns(3e7)]).toEqual([1000, 1000, 1000, 999, 80, 1]);
    expect(returnsMonteCarlo({ initialCash: 100, equity: [100, 101] }).runs).toBe(1000);
    expect(tradesMonteCarlo({ initialCash: 100, pnl: [], years: 1 }).runs).toBe(1000);
  });

  it('refuses a bad curve naming the field', () => {
    expect(() => returnsMonteCarlo({ initialCash: 0, equity: [1, 2] })).toThrow('initialCash must be above 0, got 0');
    expect(() => returnsMonteCarlo({ initialCash: 1, equity: [1, Number.NaN] })).toThrow('equity[1] must be micro-units (bigint) or a finite number, got NaN');
    expect(() => returnsMonteCarlo({ initialCash: 1, equity: [1, -2] })).toThrow('equity must be 0 or more at every bar');
    expect(() => returnsMonteCarlo({ initialCash: 1, equity: [1, 2], barsPerYear: 0 })).toThrow('barsPerYear must be above 0, got 0');
  });

  /** Equity curves from `start` compounding 1 to 200 returns drawn from [min, max]. */
  const curves = (min: number, max: number, start: number) =>
    fc.array(fc.double({ min, max, noNaN: true }), { minLength: 1, maxLength: 200 }).map((returns) => {
      const equity = [start];
      for (const r of returns) equity.push(equity[equity.length - 1] * (1 + r));
      return equity;
    });
  const curve = curves(-0.5, 0.5, 1000);

  it('orders its percentiles: p5 ≤ median ≤ p95 for final equity, CAGR and max drawdown, drawdowns within [0, 1]', () => {
    fc.assert(
      fc.property(curve, fc.integer(), fc.integer({ min: 1, max: 20 }), (equity, seed, blockLength) => {
        expect(ordered(returnsMonteCarlo({ initialCash: 1000, equity }, { runs: 50, seed, blockLength }))).toBe(true);
      }),
    );
  });

  it('never loses when every return is above 0', () => {
    fc.assert(
      fc.property(curves(1e-9, 0.2, 50), fc.integer(), (equity, seed) => {
        const m = returnsMonteCarlo({ initialCash: 50, equity }, { runs: 50, seed, blockLength: 3 });
        expect(m.probabilityOfLoss).toBe(0);
        expect(m.maxDrawdown.p95).toBe(0);
      }),
    );
  });

  it('gives the constant itself for a flat curve, whatever the seed and blocks', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 100 }), fc.integer(), fc.integer({ min: 1, max: 10 }), (level, n, seed, blockLength) => {
        const m = returnsMonteCarlo({ initialCash: level, equity: Array(n).fill(level) }, { runs: 30, seed, blockLength });
        expect(m.finalEquity).toEqual({ p5: level, p50: level, p95: level });
        expect(m.cagr).toEqual({ p5: 0, p50: 0, p95: 0 });
        expect(m.maxDrawdown).toEqual({ p5: 0, p50: 0, p95: 0 });
        expect(m.probabilityOfLoss).toBe(0);
      }),
    );
  });

  it("gives one outcome, the run's own, for a series of one repeated return", () => {
    fc.assert(
      fc.property(fc.double({ min: -0.2, max: 0.2, noNaN: true }), fc.integer({ min: 1, max: 100 }), fc.integer(), (r, n, seed) => {
        const equity = [100];
        for (let t = 0; t < n; t++) equity.push(equity[t] * (1 + r));
        const m = returnsMonteCarlo({ initialCash: 100, equity }, { runs: 30, seed, blockLength: 4 });
        // Returns recomputed from the curve differ from r by a rounding, so the paths agree to the last few digits.
        for (const p of [m.finalEquity.p5, m.finalEquity.p50, m.finalEquity.p95]) expect(Math.abs(p / equity[n] - 1)).toBeLessThan(1e-12);
        expect(Math.abs(m.maxDrawdown.p95 - m.maxDrawdown.p5)).toBeLessThan(1e-12);
      }),
    );
  });
});

describe('tradesMonteCarlo', () => {
  it('shuffles +10 and −20 into both orders: the same end, drawdowns 20/110 and 20/100', () => {
    const m = tradesMonteCarlo({ initialCash: 100_000_000n, pnl: [10_000_000n, -20_000_000n], years: 1 }, { method: 'shuffle', runs: 1000 });
    expect(m.finalEquity).toEqual({ p5: 90, p50: 90, p95: 90 });
    expect(m.maxDrawdown.p5).toBeCloseTo(20 / 110, 12);
    expect(m.maxDrawdown.p95).toBeCloseTo(0.2, 12);
    expect(m.probabilityOfLoss).toBe(1);
    expect(m.cagr.p50).toBeCloseTo(-0.1, 12);
    expect(m).toMatchObject({ method: 'trades-shuffle', steps: 2, initialCash: 100 });
  });

  it('resamples +10 and −20 with replacement: 120, 90, 90 or 60, three of four losing', () => {
    const m = tradesMonteCarlo({ initialCash: 100, pnl: [10, -20], years: 2 }, { runs: 20_000, seed: 9 });
    expect(m.method).toBe('trades-resample');
    expect(m.probabilityOfLoss).toBeCloseTo(0.75, 1);
    expect([m.finalEquity.p5, m.finalEquity.p50, m.finalEquity.p95]).toEqual([60, 90, 120]);
    expect(m.maxDrawdown.p95).toBeCloseTo(0.4, 12);
    expect(m.cagr.p95).toBeCloseTo(Math.sqrt(1.2) - 1, 12);
  });

  it('stops a path at 0 when the losses exceed the cash (ruin)', () => {
    const m = tradesMonteCarlo({ initialCash: 100, pnl: [-150, 400], years: 1 }, { method: 'shuffle', runs: 400 });
    // −150 first ruins the path (it never gets the +400); +400 first ends at 350.
    expect([m.finalEquity.p5, m.finalEquity.p95]).toEqual([0, 350]);
    expect(m.maxDrawdown.p95).toBe(1);
    expect(m.cagr.p5).toBe(-1);
  });

  it('refuses bad input naming the field', () => {
    expect(() => tradesMonteCarlo({ initialCash: 100, pnl: [1], years: -1 })).toThrow('years must be 0 or more, got -1');
    expect(() => tradesMonteCarlo({ initialCash: -5n, pnl: [1n], years: 1 })).toThrow('initialCash must be above 0, got -5');
    expect(() => tradesMonteCarlo({ initialCash: 100, pnl: [1], years: 1 }, { method: 'sort' as 'shuffle' })).toThrow('method must be resample or shuffle, got sort');
  });

  const pnls = fc.array(fc.integer({ min: -5_000_000_000, max: 5_000_000_000 }).map(BigInt), { minLength: 1, maxLength: 100 });

  it('orders its percentiles for any trades, either method', () => {
    fc.assert(
      fc.property(pnls, fc.integer(), fc.constantFrom('resample' as const, 'shuffle' as const), (pnl, seed, method) => {
        expect(ordered(tradesMonteCarlo({ initialCash: 100_000_000_000n, pnl, years: 1 }, { runs: 50, seed, method }))).toBe(true);
      }),
    );
  });

  it('never loses when no trade loses, and a shuffle always ends where the run ended', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000_000 }).map(BigInt), { minLength: 1, maxLength: 100 }), fc.integer(), (pnl, seed) => {
        expect(tradesMonteCarlo({ initialCash: 1_000_000n, pnl, years: 1 }, { runs: 50, seed }).probabilityOfLoss).toBe(0);
        const shuffled = tradesMonteCarlo({ initialCash: 1_000_000n, pnl, years: 1 }, { runs: 20, seed, method: 'shuffle' });
        // Summed in whole micro-units, so no order rounds differently from another.
        const end = fromMicros(pnl.reduce((a, b) => a + b, 1_000_000n));
        expect(shuffled.finalEquity).toEqual({ p5: end, p50: end, p95: end });
      }),
    );
  });
});

describe('Monte Carlo as text and HTML', () => {
  const m = returnsMonteCarlo({ initialCash: 100, equity: [100, 110, 99] }, { runs: 100, blockLength: 2 });

  it('says the method, runs, seed and probability of loss, and lists the percentiles', () => {
    const text = monteCarloText(m);
    expect(text.split('\n')[0]).toBe(`Monte Carlo of the bar returns, stationary block bootstrap (mean block 2 bars): 100 runs of 2 returns, seed 1; probability of loss ${(m.probabilityOfLoss * 100).toFixed(2)}%`);
    expect(text).toMatch(/^Final equity +81\.00 +99\.00 +121\.00$/m);
    expect(monteCarloHtml(m)).toContain('<td>Max drawdown</td>');
  });
});
