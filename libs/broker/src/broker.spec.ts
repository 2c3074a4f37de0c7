import { migrate, openDatabase, postgresMissing, startPostgres, type Database, type TestServer } from '@tradeyard/persistence';
import { Broker, BrokerError, type BrokerSettings, type PriceSource } from './broker';
import { gatewayMigrations } from './schema';

const settings: BrokerSettings = {
  startingCash: 100_000,
  feeBps: 10,
  feeFixed: 1,
  slippageBps: 5,
  maxOrderNotional: 50_000,
  maxPositionNotional: 80_000,
  allowShort: false,
};

class TestPrices implements PriceSource {
  prices = new Map([['SPX', 1000]]);
  price(symbol: string) {
    const price = this.prices.get(symbol);
    return price === undefined ? undefined : { price, time: 1 };
  }
}

function suite(name: string, open: () => Promise<Database>) {
  describe(`Broker on ${name}`, () => {
    let db: Database;
    let prices: TestPrices;
    let broker: Broker;
    let account = 0;
    const nextAccount = () => `acct-${++account}`;
    const consistent = async (id: string) => expect(await broker.recompute(id)).toEqual(await broker.storedState(id));

    beforeAll(async () => {
      db = await open();
      await migrate(db, gatewayMigrations);
    });
    beforeEach(() => {
      prices = new TestPrices();
      broker = new Broker(db, prices, settings);
    });
    afterAll(() => db?.close());

    it('writes its events to the outbox in the transaction of the change, and calls back after the commit', async () => {
      const id = nextAccount();
      let commits = 0;
      const counting = new Broker(db, prices, settings, () => commits++);
      const { order } = await counting.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }, 'outbox-key');
      const events = (await db.query<{ payload: unknown }>('SELECT payload FROM outbox ORDER BY seq'))
        .map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { channel: string; accountId: string; data: { id?: string; orderId?: string } })
        .filter((e) => e.accountId === id);
      expect(events.map((e) => [e.channel, e.data.id === order.id || e.data.orderId === order.id])).toEqual([
        ['orders', true],
        ['fills', true],
      ]);
      expect(commits).toBe(1);
      // A replayed request changes nothing, so it records no event.
      await counting.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }, 'outbox-key');
      expect(commits).toBe(1);
    });

    it('fills a market buy at the price plus slippage, charging fees, and keeps the ledger consistent', async () => {
      const id = nextAccount();
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 10 });
      // 1000 * (1 + 5 bps) = 1000.5; fee = 1 + 10 * 1000.5 * 10 bps = 11.005
      expect(order).toMatchObject({ status: 'filled', filledQuantity: 10, avgFillPrice: 1000.5, fees: 11.005 });
      const portfolio = await broker.portfolio(id);
      expect(portfolio.cash).toBe(100_000 - 10_005 - 11.005);
      expect(portfolio.positions).toEqual([
        { symbol: 'SPX', quantity: 10, avgPrice: 1000.5, marketPrice: 1000, marketValue: 10_000, unrealizedPnl: -5, realizedPnl: 0 },
      ]);
      prices.prices.set('SPX', 1100);
      const { order: sell } = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 4 });
      expect(sell.avgFillPrice).toBe(1099.45); // 1100 * (1 - 5 bps)
      const after = await broker.portfolio(id);
      expect(after.positions[0]).toMatchObject({ quantity: 6, avgPrice: 1000.5, realizedPnl: 395.8 }); // 4 * (1099.45 - 1000.5), in micro-units
      await consistent(id);
      expect((await broker.equityHistory(id)).length).toBe(2);
    });

    it('rejects and records orders that break a risk rule, leaving cash and positions alone', async () => {
      const id = nextAccount();
      const short = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 });
      expect(short.order).toMatchObject({ status: 'rejected', reason: 'short selling is not enabled: selling 1 SPX but holding 0' });
      const big = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 60 });
      expect(big.order.reason).toMatch(/^order notional 60030.00 exceeds the limit of 50000/);
      await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 45 });
      const position = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 45 });
      expect(position.order.reason).toMatch(/^position notional .* would exceed the limit of 80000/);
      expect((await broker.portfolio(id)).positions[0].quantity).toBe(45);
      await consistent(id);
    });

    it('refuses an unknown symbol without recording an order', async () => {
      const id = nextAccount();
      await expect(broker.placeOrder(id, { symbol: 'NOPE', side: 'buy', type: 'market', quantity: 1 })).rejects.toThrow(BrokerError);
      expect(await broker.listOrders(id)).toEqual([]);
    });

    it('rests a limit order until the price crosses it, reserving buying power; cancels only open orders', async () => {
      const id = nextAccount();
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 40, limitPrice: 900 });
      expect(order.status).toBe('new');
      expect(await broker.matchRestingOrders('SPX')).toBe(0);
      // 40 * 900 = 36,000 reserved: a 70,000 buy no longer fits the 100,000 cash.
      const second = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 70, limitPrice: 800 });
      expect(second.order.reason).toMatch(/^order notional|^insufficient buying power/);
      prices.prices.set('SPX', 890);
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      const filled = await broker.getOrder(id, order.id);
      expect(filled).toMatchObject({ status: 'filled', avgFillPrice: 890.445 });
      await expect(broker.cancelOrder(id, order.id)).rejects.toThrow('only new orders can be cancelled');
      const resting = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 5, limitPrice: 2000 });
      expect((await broker.cancelOrder(id, resting.order.id)).status).toBe('cancelled');
      await consistent(id);
    });

    it('makes a retried order with the same idempotency key a no-op, even when retries race', async () => {
      const id = nextAccount();
      const attempts = await Promise.all(
        Array.from({ length: 5 }, () => broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }, 'key-1')),
      );
      expect(new Set(attempts.map((a) => a.order.id)).size).toBe(1);
      expect(attempts.filter((a) => !a.replayed)).toHaveLength(1);
      expect(await broker.listOrders(id)).toHaveLength(1);
      await consistent(id);
    });

    it('keeps the ledger equal to its recomputation under 200 concurrent orders', async () => {
      const id = nextAccount();
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          broker.placeOrder(id, { symbol: 'SPX', side: i % 3 === 2 ? 'sell' : 'buy', type: 'market', quantity: 1 + (i % 4) }, `k-${i % 150}`),
        ),
      );
      expect(await broker.listOrders(id, { limit: 1000 })).toHaveLength(150);
      await consistent(id);
    });
  });
}

suite('PGlite', () => openDatabase({}));

const missing = postgresMissing();
if (missing) {
  it.skip(`Broker on PostgreSQL: skipped: ${missing}`, () => undefined);
} else {
  let server: TestServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());
  suite('PostgreSQL', () => openDatabase({ url: server.url }));
}
