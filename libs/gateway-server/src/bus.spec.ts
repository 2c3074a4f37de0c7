import { redisMissing, startRedis, type TestServer } from '@tradeyard/persistence';
import { createLogger } from '@tradeyard/service-kit';
import Redis from 'ioredis';
import { RedisBus, type SharedEvent } from './bus';
import { waitFor } from './__fixtures__/wait';

const missing = redisMissing();
const ci = process.env['CI'] === 'true' || process.env['CI'] === '1';
const log = createLogger('bus-spec', 'silent');

function signal(id: string): SharedEvent {
  return { channel: 'signals', data: { id } } as unknown as SharedEvent;
}

const suite = missing && !ci ? describe.skip : describe;
suite(`RedisBus between two replicas${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: TestServer;
  let admin: Redis;
  let a: RedisBus;
  let b: RedisBus;
  const seenByB: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    a = RedisBus.connect(redis.url, log);
    b = RedisBus.connect(redis.url, log);
    b.subscribe((event) => seenByB.push((event as { data: { id: string } }).data.id));
    await waitFor(async () => (await Promise.allSettled([a.ping(), b.ping()])).every((r) => r.status === 'fulfilled'));
  }, 20_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('delivers an event published on one replica to the other', async () => {
    await a.publish(signal('first'));
    await waitFor(() => seenByB.includes('first'));
  });

  // The fault tier lost fills after a Redis restart: the publisher reconnected before the other
  // replica's subscriber, and pub/sub drops what is published while nobody listens.
  it('delivers events published while the other replica is reconnecting', async () => {
    const publisherId = Number(await a.client.client('ID'));
    const ownId = Number(await admin.client('ID'));
    const clients = String(await admin.client('LIST'));
    const others = [...clients.matchAll(/^id=(\d+) /gm)].map((m) => Number(m[1])).filter((id) => id !== publisherId && id !== ownId);
    expect(others.length).toBeGreaterThan(0);
    for (const id of others) await admin.client('KILL', 'ID', String(id));
    await a.publish(signal('during-reconnect'));
    await waitFor(() => seenByB.includes('during-reconnect'));
  }, 20_000);

  it('fails its readiness check while Redis is down and delivers again once it is back', async () => {
    await redis.down();
    await expect(b.ping()).rejects.toThrow();
    await redis.up();
    await waitFor(async () => (await Promise.allSettled([a.ping(), b.ping()])).every((r) => r.status === 'fulfilled'));
    await a.publish(signal('after-restart'));
    await waitFor(() => seenByB.includes('after-restart'));
  }, 30_000);
});
