import { isoDate } from '@tradeyard/market-data';
import { ClockConflictError, UnknownConsumerError, type Market, type MarketEvent, type MarketHub } from '@tradeyard/market-hub';
import type { Database } from '@tradeyard/persistence';
import { HttpError, type Logger } from '@tradeyard/service-kit';
import { clockSetting, ClockStore, ForeignConsumerError, type OwnedClock } from './clock-store';

/** What hears the market (the WebSocket, the broker); listeners are called in the order they were added. */
export interface MarketListener {
  /** The stored clock changed: state, speed, epoch, consumers or a lockstep step (not time passing). */
  clockChanged?(clock: OwnedClock): void;
  /** A tick released these quotes and bars: sent on at once, before anything settles on them. */
  released?(events: MarketEvent[]): void;
  /** Settles what the released quotes reach (resting orders); the tick waits for it. */
  settle?(events: MarketEvent[]): Promise<void>;
  /** The stored clock was read again (each second): what another replica changed may be cached here. */
  refreshed?(): void;
}

export interface GatewayMarketOptions {
  /** Its id: DEFAULT_MARKET, or a simulated market's (markets table). */
  id: string;
  /** The market data as opened from the configuration (libs/market-hub openMarket). */
  feed: Market;
  db: Database;
  /** The provider's name (MARKET_PROVIDER), for the refusal to control a live venue's clock. */
  provider: string;
  /** The replay's speed when its clock holds none. */
  barsPerSecond: number;
  /** Lockstep consumers silent this long are dropped (CLOCK_CONSUMER_TIMEOUT_MS). */
  consumerTimeoutMs: number;
  log: Logger;
}

/** A clock operation's refusal as the HTTP answer: 404 (no consumer of the caller's), 403 (another's, shown to an admin) or 409 (not now). */
function clockRefusal(err: unknown): unknown {
  if (err instanceof ClockConflictError) return new HttpError(409, { error: 'conflict', message: err.message });
  const consumerRule = [{ field: 'params.id', rule: 'must be a lockstep consumer registered with this credential' }];
  if (err instanceof UnknownConsumerError) return new HttpError(404, { error: 'not_found', message: err.message, details: consumerRule });
  if (err instanceof ForeignConsumerError) return new HttpError(403, { error: 'forbidden', message: err.message, details: consumerRule });
  return err;
}

/**
 * One market as the gateway serves it: its data (the hub), its clock (a replay's is stored and
 * controllable, with its lockstep consumers: ClockStore; a live venue's is the wall clock), and the
 * loops that release its bars and read its stored clock again. Whoever reacts to it listens.
 */
export class GatewayMarket {
  readonly hub: MarketHub;
  /** The replay's stored clock; a live venue has none to control or wait for. */
  readonly clockStore: ClockStore | undefined;
  private readonly listeners: MarketListener[] = [];
  private epoch: number | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private clockRefresher: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly options: GatewayMarketOptions) {
    const { feed } = options;
    this.hub = feed.hub;
    this.epoch = feed.clock?.view().epoch;
    this.clockStore = feed.clock && new ClockStore(options.db, feed.clock, (view) => this.clockChanged(view), options.log, clockSetting(options.id));
  }

  get id(): string {
    return this.options.id;
  }

  /** The market data as opened (a live venue's poller included). */
  get feed(): Market {
    return this.options.feed;
  }

  listen(listener: MarketListener): void {
    this.listeners.push(listener);
  }

  /** The clock now: the replay's as stored, or a live venue's wall clock. */
  view(): OwnedClock {
    if (this.clockStore) return this.clockStore.view();
    const time = this.hub.time();
    return { time, date: isoDate(time), state: 'live', ended: false, barsPerSecond: null, startDate: null, endDate: null, epoch: 0, consumers: [], dropped: [] };
  }

  /** The replay's clock store; a live venue's wall clock is refused with 409. */
  private replayClock(): ClockStore {
    if (!this.clockStore) throw new HttpError(409, { error: 'conflict', message: `the ${this.options.provider} market runs on the wall clock; only a replay's clock can be controlled` });
    return this.clockStore;
  }

  /** Runs an operation on the replay's clock, answering its refusals as HTTP errors, and releases the step it moved to at once. */
  async operate<T>(operation: (store: ClockStore) => Promise<T>): Promise<T> {
    const store = this.replayClock();
    const before = store.view().time;
    let result: T;
    try {
      result = await operation(store);
    } catch (err) {
      throw clockRefusal(err);
    }
    // A lockstep step completed by this call: its bars go out now, not at the next timer tick.
    if (store.view().time !== before) await this.tick();
    return result;
  }

  /** Releases due bars to the listeners, then waits for what settles on them (resting orders). */
  async tick(): Promise<void> {
    const events = this.hub.tick();
    if (events.length === 0) return;
    for (const listener of this.listeners) listener.released?.(events);
    for (const listener of this.listeners) await listener.settle?.(events);
  }

  /** Starts the feed, one tick per bar at the clock's current speed, and (a replay) the clock's refresh each second. */
  start(): void {
    const { feed, log } = this.options;
    feed.start();
    // 20 ms to 1 s apart: the speed may change at any time.
    const period = () => Math.max(20, Math.min(1000, 1000 / (feed.clock?.current.barsPerSecond ?? this.options.barsPerSecond)));
    const loop = () => {
      this.tick()
        .catch((err) => log.error({ err }, 'market tick failed'))
        .finally(() => {
          if (!this.closing) this.ticker = setTimeout(loop, period());
        });
    };
    this.ticker = setTimeout(loop, period());
    const store = this.clockStore;
    if (!store) return;
    // Another replica's change to the clock reaches this one within a second.
    // Lockstep consumers that stopped acknowledging are dropped here, at most a second after their timeout.
    this.clockRefresher = setInterval(
      () =>
        store
          .refresh()
          .then(() => this.listeners.forEach((listener) => listener.refreshed?.()))
          .then(() => store.expire(this.options.consumerTimeoutMs))
          .catch((err) => log.error({ err }, 'reading the market clock failed')),
      1000,
    );
  }

  stop(): void {
    this.closing = true;
    clearTimeout(this.ticker);
    clearInterval(this.clockRefresher);
    this.options.feed.stop();
  }

  /** A new epoch (a restart) skips what the old one released; every change goes to the listeners. */
  private clockChanged(view: OwnedClock) {
    if (view.epoch !== this.epoch) {
      this.epoch = view.epoch;
      this.hub.skipReleased();
    }
    for (const listener of this.listeners) listener.clockChanged?.(view);
  }
}
