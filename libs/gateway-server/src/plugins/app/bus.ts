import { OutboxRelay } from '@tradeyard/persistence';
import { recogniseUnavailable, type Logger } from '@tradeyard/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { InProcessBus, RedisBus, redisUnavailable, type EventBus, type SharedEvent } from '../../bus';

declare module 'fastify' {
  interface FastifyInstance {
    /** Fan-out of orders, fills and signals to every replica's WebSocket clients (Redis, or in-process). */
    bus: EventBus;
    /** Publishes the outbox to the bus; a change wakes it (nudge) after writing its events. */
    relay: OutboxRelay;
  }
}

/** The event bus and the outbox relay that alone publishes to it: events reach the bus only through the outbox, written in the transaction of the change. */
const registerBus: FastifyPluginAsync<{ log: Logger }> = async (app, { log }) => {
  const { REDIS_URL } = app.config;
  const bus: EventBus = REDIS_URL ? RedisBus.connect(REDIS_URL, log) : new InProcessBus();
  const relay = new OutboxRelay(app.db, (payload) => bus.publish(payload as SharedEvent), { log });
  app.decorate('bus', bus);
  app.decorate('relay', relay);
  if (bus instanceof RedisBus) app.addReadinessCheck({ name: 'redis', check: () => bus.ping() });
  // A Redis client error means the shared store is down: 503 with Retry-After, not a 500.
  recogniseUnavailable(app, redisUnavailable);
  app.addHook('onReady', async () => relay.start());
  app.addHook('onClose', async () => {
    await relay.stop();
    await bus.close();
  });
};

export const busPlugin = fp(registerBus, { name: 'bus', fastify: '5.x', dependencies: ['database'] });
