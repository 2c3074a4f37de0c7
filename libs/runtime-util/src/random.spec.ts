import { mulberry32 } from './random';

describe('mulberry32', () => {
  it('is deterministic for a seed, uniform in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const draws = Array.from({ length: 10_000 }, () => a());
    expect(draws.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const m = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(m).toBeGreaterThan(0.49);
    expect(m).toBeLessThan(0.51);
  });
});
