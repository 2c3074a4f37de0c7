import type { Bar } from './bar';
import { ReplayClock } from './replay';

const bars: Bar[] = Array.from({ length: 10 }, (_, i) => ({
  symbol: 'T',
  time: i * 86_400_000,
  open: 10 + i,
  high: 11 + i,
  low: 9 + i,
  close: 10.5 + i,
  volume: 100,
}));

describe('ReplayClock', () => {
  it('releases bars at the chosen speed and stops at the end', () => {
    let now = 1_000;
    const clock = new ReplayClock(bars, { barsPerSecond: 2, startIndex: 3, now: () => now });
    expect(clock.cursor()).toBe(3);
    now += 1_000;
    expect(clock.current().close).toBe(15.5);
    expect(clock.history(2).map((b) => b.time)).toEqual([4 * 86_400_000, 5 * 86_400_000]);
    now += 60_000;
    expect(clock.cursor()).toBe(9);
  });

  it('releases everything at once at infinite speed', () => {
    expect(new ReplayClock(bars, { barsPerSecond: Infinity }).cursor()).toBe(9);
  });

  it('rejects a non-positive speed', () => {
    expect(() => new ReplayClock(bars, { barsPerSecond: 0 })).toThrow('barsPerSecond must be greater than 0');
  });
});
