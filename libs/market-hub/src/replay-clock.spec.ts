import { isoDate, loadSp500 } from '@tradeyard/market-data';
import type { SymbolFeed } from './market-hub';
import { ClockConflictError, ReplayClock, UnknownConsumerError } from './replay-clock';

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

describe('ReplayClock in lockstep', () => {
  const owner = { username: 'scanner-service', accountId: 'agent' };
  let now = 0;
  let clock: ReplayClock;
  const adopt = (operation: Parameters<ReplayClock['apply']>[0]) => clock.load(clock.apply(operation));
  const ack = (id: string) => adopt({ action: 'ack', id, time: clock.time() });
  beforeEach(() => {
    now = 0;
    clock = new ReplayClock(feeds, { barsPerSecond: 2, startDate: day(10), startedAt: 0, now: () => now });
    adopt({ action: 'lockstep' });
  });

  it('stands still with no consumer, however much wall time passes', () => {
    now += 60_000;
    expect(clock.view()).toMatchObject({ date: day(10), state: 'lockstep', consumers: [] });
  });

  it('advances one step as soon as every consumer acknowledged the current one, never before', () => {
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    adopt({ action: 'register', id: 'b', name: 'agent', owner });
    ack('a');
    expect(clock.index()).toBe(10);
    expect(clock.view().consumers).toEqual([
      { id: 'a', name: 'scanner', owner, acked: true, lastAckWallMs: 0, lastAckTime: spx[10].time },
      { id: 'b', name: 'agent', owner, acked: false, lastAckWallMs: null, lastAckTime: null },
    ]);
    ack('b');
    expect(clock.index()).toBe(11);
    expect(clock.view().consumers.every((c) => !c.acked)).toBe(true);
    ack('b');
    ack('a');
    expect(clock.index()).toBe(12);
  });

  it('refuses an ack of another step, from an unknown consumer, or outside lockstep', () => {
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    expect(() => clock.apply({ action: 'ack', id: 'a', time: spx[9].time })).toThrow(ClockConflictError);
    expect(() => clock.apply({ action: 'ack', id: 'zz', time: clock.time() })).toThrow(UnknownConsumerError);
    adopt({ action: 'pause' });
    expect(() => clock.apply({ action: 'ack', id: 'a', time: clock.time() })).toThrow('not in lockstep');
    // Resume and pause leave lockstep; step refuses a lockstep clock.
    adopt({ action: 'lockstep' });
    expect(() => clock.apply({ action: 'step', bars: 1 })).toThrow(ClockConflictError);
  });

  it('drops a consumer that held the step up for longer than the timeout, reports it, and goes on without it', () => {
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    adopt({ action: 'register', id: 'b', name: 'dead', owner });
    ack('a');
    now += 1000;
    adopt({ action: 'expire', timeoutMs: 1000 });
    expect(clock.view().consumers).toHaveLength(2);
    now += 1;
    adopt({ action: 'expire', timeoutMs: 1000 });
    expect(clock.view()).toMatchObject({ date: day(11), consumers: [{ id: 'a', acked: false }], dropped: [{ id: 'b', name: 'dead', lastAckTime: null, droppedWallMs: 1001 }] });
  });

  it('advances when the last consumer it waited for deregisters; a restart clears the acknowledgements', () => {
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    adopt({ action: 'register', id: 'b', name: 'agent', owner });
    ack('a');
    adopt({ action: 'deregister', id: 'b' });
    expect(clock.index()).toBe(11);
    ack('a');
    adopt({ action: 'register', id: 'b', name: 'agent', owner });
    expect(clock.index()).toBe(12);
    ack('a');
    adopt({ action: 'restart', startDate: day(3) });
    expect(clock.view()).toMatchObject({ date: day(3), state: 'lockstep', epoch: 1 });
    expect(clock.view().consumers.map((c) => c.acked)).toEqual([false, false]);
    ack('b');
    expect(clock.index()).toBe(3);
  });

  it('stands at its end date in lockstep', () => {
    adopt({ action: 'restart', startDate: day(0), endDate: day(1) });
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    ack('a');
    ack('a');
    expect(clock.view()).toMatchObject({ date: day(1), ended: true });
  });

  it('drops a consumer outside lockstep too once it has neither registered nor acknowledged for the timeout', () => {
    adopt({ action: 'register', id: 'a', name: 'scanner', owner });
    ack('a');
    adopt({ action: 'pause' });
    now += 500;
    adopt({ action: 'register', id: 'b', name: 'idle', owner });
    now += 501;
    adopt({ action: 'expire', timeoutMs: 1000 });
    expect(clock.view()).toMatchObject({ state: 'paused', consumers: [{ id: 'b' }], dropped: [{ id: 'a', name: 'scanner', droppedWallMs: 1001 }] });
    now += 500;
    adopt({ action: 'expire', timeoutMs: 1000 });
    expect(clock.view()).toMatchObject({ consumers: [], dropped: [{ id: 'a' }, { id: 'b', lastAckTime: null }] });
  });
});
