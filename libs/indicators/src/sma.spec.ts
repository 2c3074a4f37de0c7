import { DirectSma, Sma } from './index';

const stream = (period: number, values: number[]) => {
  const sma = new Sma(period);
  return values.map((v) => sma.update(v));
};

describe('Sma keeps an exact sum', () => {
  it('averages decimals exactly, where a float running sum is off by one ulp', () => {
    // (0.1 + 0.2 + 0.3) / 3 in floats is 0.20000000000000004.
    expect(stream(3, [0.1, 0.2, 0.3])).toEqual([undefined, undefined, 0.2]);
    expect(stream(3, [7, 0.1, 0.2, 0.3]).at(-1)).toBe(0.2);
  });

  it('grows its scale as values bring more decimals, and stays exact', () => {
    const values = [3, 1.5, 0.25, 0.125, 2.0625, 1.03125, 0.000001, 123.456789012, 5];
    const direct = new DirectSma(values);
    const one = stream(1, values);
    const three = stream(3, values);
    // SMA(1) is the value itself; its order against SMA(3) must be the exact one on every bar.
    three.forEach((v, i) => {
      expect(one[i]).toBe(values[i]);
      const expected = direct.order(1, 3)[i];
      expect(v === undefined ? undefined : values[i] > v ? 1 : values[i] < v ? -1 : 0).toBe(expected);
    });
  });

  it('does not drift on values that are not short decimals, and is exact again once they leave', () => {
    // A huge non-decimal value passes through the window: a float running sum keeps what
    // rounding cut from it long after it has left.
    const values = [1 / 3, 1e20 / 3, 2 / 3, 0.1, 0.2, 0.3, 0.4];
    const got = stream(2, values);
    expect(got[2]).toBe((1e20 / 3 + 2 / 3) / 2);
    expect(got[3]).toBe((2 / 3 + 0.1) / 2);
    expect(got.slice(4)).toEqual([0.15, 0.25, 0.35]); // decimals only again: exact
  });

  it('falls back to a compensated sum for values too large for exact integers, without drift', () => {
    // Eighths between 1e15 and 2e15: four of them pass 2^52, so a float running sum rounds on
    // most updates and the error walks away; the compensated sum, re-summed every period, does not.
    const period = 4;
    const sma = new Sma(period);
    const eighths: bigint[] = [];
    let seed = 12345;
    let last: number | undefined;
    for (let i = 0; i < 100_000; i++) {
      seed = (seed * 16807) % 2147483647;
      const v = 1e15 + seed / 8;
      eighths.push(BigInt(v * 8));
      last = sma.update(v);
    }
    const exact = Number(eighths.slice(-period).reduce((a, b) => a + b)) / (8 * period);
    expect(Math.abs((last as number) - exact) / exact).toBeLessThanOrEqual(Number.EPSILON);
  });

  it('recovers from a NaN once it has left the window', () => {
    expect(stream(2, [1, NaN, 2, 3.5])).toEqual([undefined, NaN, NaN, 2.75]);
  });
});
