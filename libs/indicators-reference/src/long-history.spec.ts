// Over the bundled S&P 500 history (market-data): a project of its own, so that indicators has no
// market-data dependency in the Nx graph that only its tests need.
import { loadSp500 } from '@tradeyard/market-data';
import { DirectSma, Ema, type Order, Sma } from '@tradeyard/indicators';

/*
 * Over the whole S&P 500 history (5,105 daily bars, 2000-2020), a cross of two streaming moving
 * averages must decide every bar (>, <, ===) as a direct computation on the exact values would.
 * Ties are real in this series: e.g. SMA(2) and SMA(4) of the close are exactly equal on bar 3059,
 * and a running float sum said SMA(2) was larger.
 */
const bars = loadSp500();
const fields = ['open', 'high', 'low', 'close'] as const;

/** The decision a strategy takes from two streamed values, with the operators it would use. */
const orderOf = (a: number | undefined, b: number | undefined): Order =>
  a === undefined || b === undefined ? undefined : a > b ? 1 : a < b ? -1 : a === b ? 0 : undefined;

function pairs(periods: number[]): [number, number][] {
  return periods.flatMap((a, i) => periods.slice(i + 1).map((b): [number, number] => [a, b]));
}

describe('moving-average crosses over the whole S&P 500 series decide as a direct computation', () => {
  // Every pair among 1..25 (short windows are where equal averages happen) and the classic 50..200.
  const periods = [...Array.from({ length: 25 }, (_, i) => i + 1), 50, 100, 150, 200];

  it.each(fields)('SMA: every pair of windows, every bar of the %s, ties included', (field) => {
    const values = bars.map((b) => b[field]);
    const direct = new DirectSma(values);
    const streamed = new Map(
      periods.map((p) => {
        const sma = new Sma(p);
        return [p, values.map((v) => sma.update(v))];
      }),
    );
    const wrong: string[] = [];
    let ties = 0;
    for (const [a, b] of pairs(periods)) {
      const expected = direct.order(a, b);
      const fa = streamed.get(a) as (number | undefined)[];
      const fb = streamed.get(b) as (number | undefined)[];
      for (let i = 0; i < values.length; i++) {
        if (expected[i] === 0) ties++;
        const got = orderOf(fa[i], fb[i]);
        if (got !== expected[i]) wrong.push(`SMA(${a}) vs SMA(${b}) bar ${i}: direct ${expected[i]}, streamed ${fa[i]} vs ${fb[i]}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(wrong).toHaveLength(0);
    expect(ties).toBeGreaterThan(0); // the series does test ties
  });

  /*
   * An EMA has no window: its direct computation is the recursion e = e + 2/(n+1) × (x - e) from
   * the seed SMA(n), done here in BigInt fixed point with 2^-160 resolution (each step truncates
   * by less than one unit and the recursion only shrinks earlier errors, so after t steps the
   * error is below t units). A bar where the two EMAs are closer than that bound would need
   * exact rationals; the test says so instead of guessing.
   */
  it('EMA: every pair of periods, every bar of the close', () => {
    const emaPeriods = [2, 3, 5, 10, 12, 20, 26, 50, 100, 200];
    const values = bars.map((b) => b.close);
    const scale = 1_000_000n; // the bundled prices have at most 6 decimals
    const units = values.map((v) => {
      const u = BigInt(Math.round(v * 1e6));
      if (Number(u) / 1e6 !== v) throw new Error(`${v} has more than 6 decimals`);
      return u;
    });
    const one = 1n << 160n;
    const exactEma = (n: number): (bigint | undefined)[] => {
      const out: (bigint | undefined)[] = [];
      let seed = 0n;
      let e = 0n;
      units.forEach((u, t) => {
        const x = (u * one) / scale;
        if (t < n) {
          seed += u;
          if (t === n - 1) e = (seed * one) / (scale * BigInt(n));
        } else e += (2n * (x - e)) / BigInt(n + 1);
        out.push(t >= n - 1 ? e : undefined);
      });
      return out;
    };
    const bound = BigInt(values.length + 2);
    const wrong: string[] = [];
    const direct = new Map(emaPeriods.map((p) => [p, exactEma(p)]));
    const streamed = new Map(
      emaPeriods.map((p) => {
        const ema = new Ema(p);
        return [p, values.map((v) => ema.update(v))];
      }),
    );
    for (const [a, b] of pairs(emaPeriods)) {
      const ea = direct.get(a) as (bigint | undefined)[];
      const eb = direct.get(b) as (bigint | undefined)[];
      const fa = streamed.get(a) as (number | undefined)[];
      const fb = streamed.get(b) as (number | undefined)[];
      for (let i = 0; i < values.length; i++) {
        const x = ea[i];
        const y = eb[i];
        if (x === undefined || y === undefined) {
          expect(orderOf(fa[i], fb[i])).toBeUndefined();
          continue;
        }
        const d = x - y;
        if (d <= bound && d >= -bound) throw new Error(`EMA(${a}) and EMA(${b}) at bar ${i} are too close for the fixed-point reference`);
        const expected = d > 0n ? 1 : -1;
        const got = orderOf(fa[i], fb[i]);
        if (got !== expected) wrong.push(`EMA(${a}) vs EMA(${b}) bar ${i}: direct ${expected}, streamed ${fa[i]} vs ${fb[i]}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
