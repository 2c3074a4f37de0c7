import type { Fill, Order, Signal } from '@tradeyard/gateway-contract';
import { EventEmitter } from 'node:events';
import Redis from 'ioredis';

/** Events that must reach every gateway replica's WebSocket clients. */
export type SharedEvent =
  | { channel: 'orders'; accountId: string; data: Order }
  | { channel: 'fills'; accountId: string; data: Fill }
  | { channel: 'signals'; data: Signal };

export interface EventBus {
  publish(event: SharedEvent): void;
  subscribe(handler: (event: SharedEvent) => void): void;
  close(): Promise<void>;
}

export class InProcessBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  publish(event: SharedEvent) {
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
 * Redis pub/sub fan-out: every replica publishes its broker events and signals to one channel
 * and delivers what it receives from it (its own included) to its WebSocket clients.
 */
export class RedisBus implements EventBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local = new InProcessBus();

  private constructor(url: string) {
    this.pub = new Redis(url, { maxRetriesPerRequest: 3 });
    this.sub = new Redis(url, { maxRetriesPerRequest: 3 });
    this.sub.on('message', (_channel, message) => this.local.publish(JSON.parse(message) as SharedEvent));
  }

  static async connect(url: string): Promise<RedisBus> {
    const bus = new RedisBus(url);
    await bus.sub.subscribe(CHANNEL);
    return bus;
  }

  /** The connection the rate limiter shares. */
  get client(): Redis {
    return this.pub;
  }

  publish(event: SharedEvent) {
    void this.pub.publish(CHANNEL, JSON.stringify(event));
  }
  subscribe(handler: (event: SharedEvent) => void) {
    this.local.subscribe(handler);
  }
  async ping() {
    await this.pub.ping();
  }
  async close() {
    await this.local.close();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
