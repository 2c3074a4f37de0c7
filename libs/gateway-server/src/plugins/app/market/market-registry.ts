import { DEFAULT_MARKET, type CreateMarket, type MarketDto } from '@tradeyard/gateway-contract';
import { simulatedMarket } from '@tradeyard/market-hub';
import type { Database } from '@tradeyard/persistence';
import { HttpError, validationFailed, type Logger } from '@tradeyard/service-kit';
import { randomBytes } from 'node:crypto';
import { GatewayMarket } from './gateway-market';
import { MarketStore, type MarketRow } from './market-store';

export interface MarketRegistryOptions {
  db: Database;
  /** A simulated market's replay speed when it runs (they start paused; lockstep needs none). */
  barsPerSecond: number;
  consumerTimeoutMs: number;
  now: () => number;
  log: Logger;
}

/**
 * Every market this gateway serves: the default one (the configuration's) and the simulated ones
 * of the markets table, each a GatewayMarket with its own clock row, hub and loops. Replicas share
 * the table: each opens what another created and stops what another archived when it syncs (each
 * second). An archived market keeps its history and prices for reads; its clock stops.
 */
export class MarketRegistry {
  private readonly store: MarketStore;
  private readonly simulated = new Map<string, { row: MarketRow; market: GatewayMarket }>();
  private readonly openedListeners: ((market: GatewayMarket) => void)[] = [];
  private started = false;
  private syncer: NodeJS.Timeout | undefined;

  constructor(
    readonly defaultMarket: GatewayMarket,
    private readonly options: MarketRegistryOptions,
  ) {
    this.store = new MarketStore(options.db);
  }

  /** The market of this id (archived ones included), if this gateway serves it. */
  get(id: string): GatewayMarket | undefined {
    return id === DEFAULT_MARKET ? this.defaultMarket : this.simulated.get(id)?.market;
  }

  isArchived(id: string): boolean {
    return this.simulated.get(id)?.row.status === 'archived';
  }

  /** Calls `listener` with every market served, now and as each opens (the broker settles on each). */
  onOpened(listener: (market: GatewayMarket) => void): void {
    this.openedListeners.push(listener);
    listener(this.defaultMarket);
    for (const { market } of this.simulated.values()) listener(market);
  }

  /** Creates a simulated market (refusing a universe or range the history cannot give, naming the field) and serves it. */
  async create(input: CreateMarket & { id?: string }, createdBy: string): Promise<MarketDto> {
    const history = this.defaultMarket.feed.feeds;
    if (!history) throw new HttpError(409, { error: 'conflict', message: 'this gateway serves a live venue: simulated markets are cut from a replay’s history' });
    const id = input.id ?? `m-${randomBytes(6).toString('hex')}`;
    const row = { id, name: input.name ?? id, symbols: input.symbols ?? history.map((feed) => feed.symbol), from: input.from, to: input.to, createdBy };
    try {
      simulatedMarket(history, { ...row, barsPerSecond: this.options.barsPerSecond });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      const [field, ...rule] = err.message.split(': ');
      throw new HttpError(400, validationFailed([{ field: `body.${field}`, rule: rule.join(': ') }]));
    }
    if (id === DEFAULT_MARKET || !(await this.store.insert(row))) throw new HttpError(409, { error: 'conflict', message: `body.id: market ${id} exists; choose another id` });
    await this.sync();
    return this.dto(id)!;
  }

  /** Archives a simulated market: its clock stops, its accounts turn read only. */
  async archive(id: string): Promise<MarketDto> {
    if (id === DEFAULT_MARKET) throw new HttpError(409, { error: 'conflict', message: 'the default market is never archived' });
    if (!(await this.store.archive(id))) throw new HttpError(404, { error: 'not_found', message: `no market ${id}` });
    await this.sync();
    return this.dto(id)!;
  }

  list(): MarketDto[] {
    return [DEFAULT_MARKET, ...this.simulated.keys()].map((id) => this.dto(id)!);
  }

  dto(id: string): MarketDto | undefined {
    const market = this.get(id);
    if (!market) return undefined;
    const { time, date, state, ended, epoch } = market.view();
    const clock = { time, date, state, ended, epoch };
    const row = this.simulated.get(id)?.row;
    if (!row) return { id, name: 'default', kind: 'default', status: 'open', symbols: market.hub.symbols(), from: null, to: null, createdBy: null, createdAt: null, archivedAt: null, steps: null, clock };
    return { id, name: row.name, kind: 'simulated', status: row.status, symbols: row.symbols, from: row.from, to: row.to, createdBy: row.createdBy, createdAt: row.createdAt, archivedAt: row.archivedAt, steps: market.feed.clock!.stepsBetween(row.from, row.to), clock };
  }

  /** Opens the markets of the table this gateway does not serve yet, and stops those archived since. */
  async sync(): Promise<void> {
    for (const row of await this.store.list()) {
      const held = this.simulated.get(row.id);
      if (held) {
        if (row.status === 'archived' && held.row.status === 'open') held.market.stop();
        held.row = row;
        continue;
      }
      await this.open(row);
    }
  }

  private async open(row: MarketRow): Promise<void> {
    const { db, barsPerSecond, consumerTimeoutMs, now, log } = this.options;
    const feed = simulatedMarket(this.defaultMarket.feed.feeds ?? [], { symbols: row.symbols, from: row.from, to: row.to, barsPerSecond, now });
    const market = new GatewayMarket({ id: row.id, feed, db, provider: 'simulated', barsPerSecond, consumerTimeoutMs, log: log.child({ market: row.id }) });
    await market.clockStore!.init();
    this.simulated.set(row.id, { row, market });
    for (const listener of this.openedListeners) listener(market);
    if (this.started && row.status === 'open') market.start();
  }

  /** Starts every open market's loops (at the gateway's onReady). */
  start(): void {
    this.started = true;
    this.defaultMarket.start();
    for (const { row, market } of this.simulated.values()) if (row.status === 'open') market.start();
    // What another replica created or archived reaches this one within a second.
    this.syncer = setInterval(() => this.sync().catch((err) => this.options.log.error({ err }, 'reading the markets table failed')), 1000);
  }

  stop(): void {
    clearInterval(this.syncer);
    this.defaultMarket.stop();
    for (const { row, market } of this.simulated.values()) if (row.status === 'open') market.stop();
  }
}
