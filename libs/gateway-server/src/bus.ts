import type { BrokerEvent } from '@tradeyard/broker';
import type { Signal } from '@tradeyard/gateway-contract';
import { backoffDelay } from '@tradeyard/runtime-util';
import { DependencyUnavailableError, type Logger } from '@tradeyard/service-kit';
import { EventEmitter } from 'node:events';
import Redis, { type RedisOptions } from 'ioredis';

/** Events that must reach every gateway replica's WebSocket clients. */
/** A signal's market: absent on events stored before markets (the default one's). */
export type SharedEvent = BrokerEvent | { channel: 'signals'; market?: string; data: Signal };

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

/** Bounds the stream: entries beyond this (approximately) are trimmed, oldest first. */
const STREAM_MAX_LENGTH = 100_000;
/** How long one blocking read waits before it is issued again. */
const READ_BLOCK_MS = 2000;

/**
 * Fan-out through a Redis stream: every replica appends its events (XADD) and reads the stream
 * from the last entry it saw (XREAD), delivering each entry (its own included) to its WebSocket
 * clients. Unlike pub/sub, an event appended while a replica's reader is reconnecting is read
 * once it is back, so a Redis restart or a dropped connection loses nothing it still holds.
 */
export class RedisBus implements EventBus {
  private readonly writer: Redis;
  /** XREAD BLOCK occupies its connection, so reading has its own. */
  private readonly reader: Redis;
  private readonly local = new InProcessBus();
  private lastId: string | undefined;
  private readError: string | undefined = 'not reading yet';
  private closed = false;

  private constructor(url: string, private readonly log: Logger) {
    this.writer = new Redis(url, redisOptions);
    // The reader's commands wait for the connection however long Redis is away (no offline-queue
    // failures to loop on), and a blocking read is bounded by READ_BLOCK_MS, not a command timeout.
    this.reader = new Redis(url, { ...redisOptions, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    for (const [role, connection] of [['writer', this.writer], ['reader', this.reader]] as const) {
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
  }

  /** Starts connecting; a Redis that is down at start shows on /ready and is waited for, not fatal. */
  static connect(url: string, log: Logger): RedisBus {
    const bus = new RedisBus(url, log);
    void bus.read();
    return bus;
  }

  /** The connection the rate limiter shares. */
  get client(): Redis {
    return this.writer;
  }

  private async read(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        // Start after the newest entry at start-up; from then on, after the last entry delivered.
        this.lastId ??= ((await this.reader.xrevrange(CHANNEL, '+', '-', 'COUNT', 1))[0]?.[0]) ?? '0-0';
        const batches = await this.reader.xread('COUNT', 500, 'BLOCK', READ_BLOCK_MS, 'STREAMS', CHANNEL, this.lastId);
        this.readError = undefined;
        failures = 0;
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            await this.local.publish(JSON.parse(fields[1]) as SharedEvent);
          }
        }
      } catch (err) {
        if (this.closed) return;
        this.readError = (err as Error).message;
        if (++failures === 1) this.log.warn({ err: this.readError }, 'redis stream read failing; retrying');
        await new Promise((r) => setTimeout(r, backoffDelay(failures, 200, 2000)));
      }
    }
  }

  async publish(event: SharedEvent) {
    await this.writer.xadd(CHANNEL, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', 'event', JSON.stringify(event));
  }
  subscribe(handler: (event: SharedEvent) => void) {
    this.local.subscribe(handler);
  }
  async ping() {
    if (this.reader.status !== 'ready') throw new Error(`reader connection is ${this.reader.status}`);
    if (this.readError) throw new Error(`reading the event stream: ${this.readError}`);
    await this.writer.ping();
  }
  async close() {
    this.closed = true;
    await this.local.close();
    this.reader.disconnect();
    this.writer.disconnect();
  }
}
