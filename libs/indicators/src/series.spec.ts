import { Roc, rocSeries, Sma, smaSeries, streamSeries } from './index';

const streamed = (values: number[], make: () => { update(v: number): number | undefined }) => {
  const indicator = make();
  return values.map((v) => indicator.update(v) ?? NaN);
};

/** A seeded random walk of prices with `decimals` places (Infinity: unrounded doubles). */
function walk(length: number, decimals: number, seed = 11): number[] {
  let state = seed;
  let price = 100;
  return Array.from({ length }, () => {
    state = (state * 16807) % 2147483647;
    price *= 1 + (state / 2147483647 - 0.5) * 0.04;
    return Number.isFinite(decimals) ? Number(price.toFixed(decimals)) : price;
  });
}

describe('rate of change', () => {
  it('is the fractional change over the period, undefined until period + 1 values', () => {
    expect(streamed([100, 110, 121, 99], () => new Roc(1))).toEqual([NaN, 0.1, 0.1, (99 - 121) / 121]);
    expect(streamed([100, 110, 121, 99], () => new Roc(2))).toEqual([NaN, NaN, 0.21, (99 - 110) / 110]);
    expect(() => new Roc(0)).toThrow('period must be a whole number >= 1, got 0');
  });

  it('batch and streaming forms agree to the bit', () => {
    for (const values of [walk(3000, 2), walk(3000, Infinity)]) {
      for (const period of [1, 5, 120, 250]) expect(Array.from(rocSeries(values, period))).toEqual(streamed(values, () => new Roc(period)));
    }
  });
});

describe('smaSeries (the batch form of Sma)', () => {
  it.each([
    ['2-decimal prices (exact window sums)', walk(5000, 2)],
    ['6-decimal prices', walk(5000, 6)],
    ['unrounded doubles (streamed: not decimals)', walk(2000, Infinity)],
    ['a value too large for exact sums', [...walk(50, 2), 2e15, ...walk(50, 2, 3)]],
  ])('agrees with the streaming Sma to the bit on %s', (_what, values) => {
    for (const period of [1, 2, 3, 20, 200]) expect(Array.from(smaSeries(values, period))).toEqual(streamed(values, () => new Sma(period)));
  });

  it('is exact where a float running sum is not', () => {
    expect(Array.from(smaSeries([0.1, 0.2, 0.3, 0.4], 3))).toEqual([NaN, NaN, 0.2, 0.3]);
  });
});

describe('streamSeries', () => {
  it('writes NaN where the indicator is undefined', () => {
    const sma = new Sma(2);
    const values = [1, 2, 4];
    expect(Array.from(streamSeries(values.length, (i) => sma.update(values[i])))).toEqual([NaN, 1.5, 3]);
  });
});
