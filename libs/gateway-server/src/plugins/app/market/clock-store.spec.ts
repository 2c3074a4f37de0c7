import { gatewayMigrations } from '@tradeyard/broker';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { ReplayClock, UnknownConsumerError, type SymbolFeed } from '@tradeyard/market-hub';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import type { Principal } from '../../../auth';
import { ClockStore, ForeignConsumerError, type OwnedClock } from './clock-store';

const spx = loadSp500();
const day = (i: number) => isoDate(spx[i].time);
const feeds: SymbolFeed[] = [{ symbol: 'SPX', name: 'S&P 500 index', source: 'replay:sp500', interval: '1d', bars: spx }];
const admin: Principal = { username: 'admin', role: 'admin', accountId: 'admin' };
const alice: Principal = { username: 'alice', role: 'trader', accountId: 'alice' };
const bob: Principal = { username: 'bob', role: 'trader', accountId: 'bob' };

// Two replicas (two clocks, two stores) on one database: one admin's change reaches the other.
describe('ClockStore', () => {
  let db: Database;
  let now = 0;
  const replica = (startDate: string) => {
    const changes: OwnedClock[] = [];
    const clock = new ReplayClock(feeds, { barsPerSecond: 1, startDate, startedAt: 0, now: () => now });
    return { clock, changes, store: new ClockStore(db, clock, (view) => changes.push(view)) };
  };
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  }, 120_000);
  afterAll(() => db.close());

  it('the first replica stores the clock; the next adopts it, whatever its own configuration says', async () => {
    const a = replica(day(10));
    await a.store.init();
    const b = replica(day(500));
    await b.store.init();
    now = 3000;
    expect(b.store.view()).toEqual(a.store.view());
    expect(b.store.view().date).toBe(day(13));
  });

  it("adopts another replica's pause and step on refresh, never moving backwards, and tells its subscribers", async () => {
    const a = replica(day(10));
    const b = replica(day(10));
    await a.store.init();
    await b.store.init();
    now = 5000;
    expect(b.clock.index()).toBe(15);
    await a.store.control({ action: 'pause' }, admin);
    await a.store.control({ action: 'step', bars: 2 }, admin);
    now = 9000;
    expect(b.store.view().date).toBe(day(19)); // not refreshed yet: still running
    await b.store.refresh();
    // Paused where A stood (17), B keeps the later day it already showed until the clock passes it.
    expect(a.store.view()).toMatchObject({ state: 'paused', date: day(17) });
    expect(b.store.view()).toMatchObject({ state: 'paused', date: day(19) });
    await a.store.control({ action: 'step', bars: 3 }, admin);
    await b.store.refresh();
    expect(b.store.view()).toEqual(a.store.view());
    expect(b.store.view().date).toBe(day(20));
    expect(b.changes.map((c) => c.date)).toEqual([day(19), day(20)]);
    // A restart is stored as a new epoch: both move back to the new start.
    expect(await b.store.control({ action: 'restart', startDate: day(2) }, admin)).toMatchObject({ restarted: true, epoch: 1, date: day(2) });
    await a.store.refresh();
    expect(a.store.view()).toMatchObject({ date: day(2), epoch: 1 });
  });

  it("stores each consumer's owner with the clock, so another replica refuses whoever did not register it", async () => {
    const a = replica(day(10));
    const b = replica(day(10));
    await a.store.init();
    await b.store.init();
    await a.store.control({ action: 'lockstep' }, admin);
    const { consumer } = await a.store.register('bot', alice);
    await b.store.refresh();
    const time = b.clock.time();
    await expect(b.store.ack(consumer.id, time, bob)).rejects.toThrow(UnknownConsumerError);
    await expect(b.store.deregister(consumer.id, bob)).rejects.toThrow(UnknownConsumerError);
    await expect(b.store.ack(consumer.id, time, admin)).rejects.toThrow(ForeignConsumerError);
    expect(b.store.viewFor(bob).consumers).toEqual([{ name: 'bot', acked: false, lastAckWallMs: null, lastAckTime: null }]);
    expect((await b.store.ack(consumer.id, time, alice)).consumer).toMatchObject({ id: consumer.id, name: 'bot' });
    expect((await b.store.deregister(consumer.id, admin)).consumers).toEqual([]);
  });
});
