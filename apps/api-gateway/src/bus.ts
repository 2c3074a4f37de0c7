import type { BrokerEvent } from '@tradeyard/broker';
import type { Signal } from '@tradeyard/gateway-contract';
import { backoffDelay } from '@tradeyard/runtime-util';
import { DependencyUnavailableError, type Logger } from '@tradeyard/service-kit';
import { EventEmitter } from 'node:events';
import Redis, { type RedisOptions } from 'ioredis';

/** Events that must reach every gateway replica's WebSocket clients. */
export type SharedEvent = BrokerEvent | { channel: 'signals'; data: Signal };

/**
 * Fan-out to every replica. Only the outbox relay publishes (after the commit), so a failed
 * publish leaves the event in the outbox for the next attempt.
 */
export interface EventBus {
  publish(event: SharedEvent): Promise<void>;
  subscribe(handler: (event: SharedEvent) => void): void;
  close(): Promise<void>;
}

export class InProcessBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  async publish(event: SharedEvent) {
    this.emitter.emit('event', event);
  }
  subscribe(handler: (event: SharedEvent) => void) {
    this.emitter.on('event', handler);
  }
  async close() {
    this.emitter.removeAllListeners();
  }
}

const CHANNEL = 'tradeyard:events';

/**
 * While Redis is down, commands fail at once (no offline queue) instead of piling up, and each is
 * bounded in time; the connection is retried forever with a backoff capped at 2 s, so the
 * gateway reconnects by itself when Redis returns.
 */
export const redisOptions: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 2000,
  retryStrategy: (attempt) => backoffDelay(attempt, 200, 2000),
};

/** ioredis's own errors for "no connection" (offline, closed, timed out, out of retries). */
const redisDownMessages = /Stream isn't writeable|Connection is closed|Command timed out|max retries per request/i;

/** A Redis failure seen by a request (the shared rate limiter), as a 503 for that request. */
export function redisUnavailable(error: Error): DependencyUnavailableError | undefined {
  return redisDownMessages.test(error.message) ? new DependencyUnavailableError('redis', error.message, 2, { cause: error }) : undefined;
}

/**
 * Redis pub/sub fan-out: every replica publishes its broker events and signals to one channel
 * and delivers what it receives from it (its own included) to its WebSocket clients.
 */
export class RedisBus implements EventBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local = new InProcessBus();
  private subscribed = false;

  private constructor(url: string, log: Logger) {
    this.pub = new Redis(url, redisOptions);
    // The subscriber only ever sends SUBSCRIBE: it keeps its offline queue so the first one waits
    // for the connection however long Redis is away, and ioredis re-subscribes after a reconnect.
    this.sub = new Redis(url, { ...redisOptions, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    for (const [role, connection] of [['publisher', this.pub], ['subscriber', this.sub]] as const) {
      let down = false;
      connection.on('error', (err) => {
        if (!down) log.warn({ err: err.message, connection: role }, 'redis connection lost; reconnecting');
        down = true;
      });
      connection.on('ready', () => {
        if (down) log.info({ connection: role }, 'redis connection re-established');
        down = false;
      });
    }
    this.sub.on('message', (_channel, message) => void this.local.publish(JSON.parse(message) as SharedEvent));
  }

  /** Starts connecting; a Redis that is down at start shows on /ready and is waited for, not fatal. */
  static connect(url: string, log: Logger): RedisBus {
    const bus = new RedisBus(url, log);
    bus.sub.subscribe(CHANNEL).then(
      () => (bus.subscribed = true),
      (err: Error) => log.error({ err: err.message }, 'redis subscribe failed'),
    );
    return bus;
  }

  /** The connection the rate limiter shares. */
  get client(): Redis {
    return this.pub;
  }

  async publish(event: SharedEvent) {
    await this.pub.publish(CHANNEL, JSON.stringify(event));
  }
  subscribe(handler: (event: SharedEvent) => void) {
    this.local.subscribe(handler);
  }
  async ping() {
    if (!this.subscribed || this.sub.status !== 'ready') throw new Error(`subscriber connection is ${this.subscribed ? this.sub.status : 'not subscribed yet'}`);
    await this.pub.ping();
  }
  async close() {
    await this.local.close();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
