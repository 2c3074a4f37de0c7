import { isoDate, loadSp500 } from '@tradeyard/market-data';
import type { SymbolFeed } from './market-hub';
import { ClockConflictError, ReplayClock } from './replay-clock';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const feeds: SymbolFeed[] = [{ symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', bars: spx }];

describe('ReplayClock', () => {
  let now = 0;
  let clock: ReplayClock;
  const seconds = (s: number) => (now += s * 1000);
  const adopt = (operation: Parameters<ReplayClock['apply']>[0]) => clock.load(clock.apply(operation));
  beforeEach(() => {
    now = 0;
    clock = new ReplayClock(feeds, { barsPerSecond: 2, startDate: day(10), startedAt: 0, now: () => now });
  });

  it('runs at barsPerSecond from its anchor; paused, it stands; resumed, it goes on from where it stood', () => {
    expect(clock.view()).toMatchObject({ date: day(10), state: 'running', barsPerSecond: 2, startDate: day(10), endDate: null, epoch: 0, ended: false });
    seconds(1.5);
    expect(clock.index()).toBe(13);
    adopt({ action: 'pause' });
    seconds(100);
    expect(clock.view()).toMatchObject({ date: day(13), state: 'paused' });
    adopt({ action: 'resume' });
    seconds(1);
    expect(clock.index()).toBe(15);
  });

  it('steps exactly N bars while paused, and refuses to step a running clock', () => {
    expect(() => clock.apply({ action: 'step', bars: 1 })).toThrow(ClockConflictError);
    adopt({ action: 'pause' });
    adopt({ action: 'step', bars: 5 });
    expect(clock.index()).toBe(15);
    seconds(10);
    expect(clock.index()).toBe(15);
  });

  it('changes speed from the step it shows, without a jump', () => {
    seconds(1);
    adopt({ action: 'speed', barsPerSecond: 10 });
    expect(clock.index()).toBe(12);
    seconds(0.5);
    expect(clock.index()).toBe(17);
  });

  it('never moves backwards within an epoch, even when another replica stored an earlier pause', () => {
    const stored = clock.apply({ action: 'pause' });
    seconds(2);
    expect(clock.index()).toBe(14);
    clock.load(stored);
    expect(clock.index()).toBe(14);
    // A restart is a new epoch: the clock moves back to its new start.
    adopt({ action: 'restart', startDate: day(3) });
    expect(clock.view()).toMatchObject({ date: day(3), epoch: 1, startDate: day(3) });
  });

  it('stops at its end date and reports it ended', () => {
    adopt({ action: 'restart', startDate: day(0), endDate: day(4) });
    seconds(60);
    expect(clock.view()).toMatchObject({ date: day(4), ended: true, endDate: day(4) });
    adopt({ action: 'restart', startDate: day(0) });
    seconds(60);
    expect(clock.view()).toMatchObject({ date: day(120), ended: false, endDate: null });
  });
});
