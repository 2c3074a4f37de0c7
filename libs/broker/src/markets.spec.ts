import { BrokerError } from '@tradeyard/fill-engine';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { DEFAULT_MARKET } from './markets';
import { gatewayMigrations } from './schema';

const settings: BrokerSettings = { startingCash: 100_000, feeBps: 0, feeFixed: 0, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false };

/** One market's prices: SPX at a price, moved by set (each a new bar). */
class MarketPricesFor implements PriceSource {
  time = 1;
  constructor(private spx: number) {}
  set(price: number) {
    this.spx = price;
    this.time++;
  }
  price(symbol: string) {
    return symbol === 'SPX' ? { price: this.spx, time: this.time } : undefined;
  }
}

describe('Broker markets: each account trades at the prices of its own market alone', () => {
  let db: Database;
  let broker: Broker;
  const markets = new Map<string, MarketPricesFor>();

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
    markets.set(DEFAULT_MARKET, new MarketPricesFor(1000)).set('arena-1', new MarketPricesFor(500));
    broker = new Broker(db, (market) => markets.get(market), settings);
  });
  afterAll(() => db?.close());

  it('fills an order at the price of the account’s market, and values the portfolio there', async () => {
    await broker.ensureAccount('live', DEFAULT_MARKET);
    await broker.ensureAccount('agent', 'arena-1');
    const live = await broker.placeOrder('live', { symbol: 'SPX', side: 'buy', type: 'market', quantity: 2 });
    const agent = await broker.placeOrder('agent', { symbol: 'SPX', side: 'buy', type: 'market', quantity: 2 }, undefined, 'arena-1');
    expect([live.order.avgFillPrice, agent.order.avgFillPrice]).toEqual([1000, 500]);
    markets.get('arena-1')!.set(600);
    expect((await broker.portfolio('agent')).equity).toBe(100_000 + 2 * 100);
    expect((await broker.portfolio('live')).equity).toBe(100_000);
  });

  it('matches resting orders of one market on its bars only', async () => {
    await broker.ensureAccount('agent-2', 'arena-1');
    await broker.ensureAccount('live-2');
    const limit = { symbol: 'SPX', side: 'buy', type: 'limit', limitPrice: 450, quantity: 1 } as const;
    const resting = await broker.placeOrder('agent-2', limit, undefined, 'arena-1');
    const restingLive = await broker.placeOrder('live-2', { ...limit, limitPrice: 900 });
    expect(await broker.symbolsWithOpenOrders('arena-1')).toEqual(new Set(['SPX']));
    // The default market falls through the arena order's limit: that order is not the default market's to fill.
    markets.get(DEFAULT_MARKET)!.set(400);
    expect(await broker.matchRestingOrders('SPX', DEFAULT_MARKET)).toBe(1);
    expect((await broker.getOrder('agent-2', resting.order.id)).status).toBe('accepted');
    expect((await broker.getOrder('live-2', restingLive.order.id)).status).toBe('filled');
    markets.get('arena-1')!.set(440);
    expect(await broker.matchRestingOrders('SPX', 'arena-1')).toBe(1);
    expect((await broker.getOrder('agent-2', resting.order.id)).status).toBe('filled');
  });

  it('refuses an order priced in another market than the account’s, and places the rest of its batch', async () => {
    await broker.ensureAccount('agent-4', 'arena-1');
    const buy = { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 } as const;
    const [elsewhere, own] = await Promise.allSettled([broker.placeOrder('agent-4', buy), broker.placeOrder('agent-4', buy, undefined, 'arena-1')]);
    expect(elsewhere).toMatchObject({ status: 'rejected', reason: { kind: 'conflict', code: 'account_in_other_market' } });
    expect(own).toMatchObject({ status: 'fulfilled', value: { order: { status: 'filled', avgFillPrice: 440 } } });
    await expect(broker.placeOcoOrders('agent-4', [{ ...buy, type: 'limit', limitPrice: 1 }, { ...buy, type: 'limit', limitPrice: 2 }])).rejects.toMatchObject({ code: 'account_in_other_market' });
    expect(await broker.listOrders('agent-4')).toHaveLength(1);
  });

  it('keeps an account in the market it was opened in', async () => {
    await broker.ensureAccount('agent-3', 'arena-1');
    await broker.ensureAccount('agent-3', 'arena-1');
    expect(await broker.marketOfAccount('agent-3')).toBe('arena-1');
    const moved = broker.ensureAccount('agent-3', DEFAULT_MARKET);
    await expect(moved).rejects.toThrow(BrokerError);
    await expect(moved).rejects.toMatchObject({ kind: 'conflict', code: 'account_in_other_market' });
  });

  it('refuses an order in a market it does not serve, naming the market', async () => {
    await broker.ensureAccount('gone', 'archived-run');
    await expect(broker.placeOrder('gone', { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }, undefined, 'archived-run')).rejects.toMatchObject({ kind: 'not_found', code: 'market_not_found' });
  });
});
