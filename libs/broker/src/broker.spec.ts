import { migrate, openDatabase, onPostgres, type Database } from '@tradeyard/persistence';
import { fillId } from '@tradeyard/fill-engine';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { BrokerError, IllegalTransition } from '@tradeyard/fill-engine';
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

/** Prices whose time moves on with every change: each new price is a new bar for the fill engine. */
class MovingMap extends Map<string, number> {
  time = 1;
  override set(symbol: string, price: number) {
    this.time++;
    return super.set(symbol, price);
  }
}

class TestPrices implements PriceSource {
  prices = new MovingMap([['SPX', 1000]]);
  price(symbol: string) {
    const price = this.prices.get(symbol);
    return price === undefined ? undefined : { price, time: this.prices.time };
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
        { symbol: 'SPX', quantity: 10, avgPrice: 1000.5, costBasis: 10_005, marketPrice: 1000, marketValue: 10_000, unrealizedPnl: -5, realizedPnl: -11.005 },
      ]);
      expect(portfolio).toMatchObject({ currency: 'USD', initialCash: 100_000, feesPaid: 11.005, realizedPnl: -11.005, unrealizedPnl: -5, equity: 99_983.995 });
      prices.prices.set('SPX', 1100);
      const { order: sell } = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 4 });
      expect(sell.avgFillPrice).toBe(1099.45); // 1100 * (1 - 5 bps)
      const after = await broker.portfolio(id);
      // 4 × (1099.45 − 1000.5) = 395.8, less both fees: 11.005 and 1 + 4397.8 × 10 bps = 5.3978
      expect(after.positions[0]).toMatchObject({ quantity: 6, avgPrice: 1000.5, costBasis: 6003, realizedPnl: 395.8 - 11.005 - 5.3978 });
      expect(after).toMatchObject({ feesPaid: 16.4028, realizedPnl: 379.3972 });
      expect(after.equity).toBe(after.initialCash + after.realizedPnl + after.unrealizedPnl);
      await consistent(id);
      expect((await broker.equityHistory(id)).length).toBe(2);
    });

    it('denies and records orders that break a risk rule with a reason code, leaving cash and positions alone', async () => {
      const id = nextAccount();
      const short = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 });
      expect(short.order).toMatchObject({
        status: 'denied',
        reasonCode: 'denied_insufficient_position',
        reason: 'selling 1 SPX but 0 of 0 held are free (short selling is not enabled)',
      });
      const big = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 60 });
      expect(big.order).toMatchObject({ status: 'denied', reasonCode: 'denied_order_notional' });
      expect(big.order.reason).toMatch(/^order notional 60030.00 exceeds the limit of 50000/);
      await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 45 });
      const position = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 45 });
      expect(position.order.reasonCode).toBe('denied_position_notional');
      expect(position.order.reason).toMatch(/^position notional .* would exceed the limit of 80000/);
      expect(await broker.orderEvents(id, position.order.id)).toEqual([
        { orderId: position.order.id, event: 'deny', from: 'initialized', to: 'denied', reasonCode: 'denied_position_notional', reason: position.order.reason, fillId: null, createdAt: expect.any(String) },
      ]);
      expect((await broker.portfolio(id)).positions[0].quantity).toBe(45);
      await consistent(id);
    });

    it('refuses an unknown symbol without recording an order', async () => {
      const id = nextAccount();
      await expect(broker.placeOrder(id, { symbol: 'NOPE', side: 'buy', type: 'market', quantity: 1 })).rejects.toThrow(BrokerError);
      await expect(broker.cancelOrder(id, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ kind: 'not_found' });
      expect(await broker.listOrders(id)).toEqual([]);
    });

    it('rests a limit order until the price crosses it, reserving buying power; cancels only open orders', async () => {
      const id = nextAccount();
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 40, limitPrice: 900 });
      expect(order.status).toBe('accepted');
      expect(await broker.matchRestingOrders('SPX')).toBe(0);
      // Each resting 40 × 900 reserves 36,000 plus its fee of 37: two leave 27,926 of the 100,000.
      const third = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 70, limitPrice: 900 });
      expect(third.order).toMatchObject({ status: 'denied', reasonCode: 'denied_order_notional' });
      const fits = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 40, limitPrice: 900 });
      expect(fits.order.status).toBe('accepted');
      const overspends = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 28 });
      expect(overspends.order).toMatchObject({ status: 'denied', reasonCode: 'denied_buying_power' });
      expect(overspends.order.reason).toBe('insufficient buying power: needs 28043.01, available 27926.00');
      await broker.cancelOrder(id, fits.order.id);
      prices.prices.set('SPX', 890);
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      const filled = await broker.getOrder(id, order.id);
      expect(filled).toMatchObject({ status: 'filled', avgFillPrice: 890.445 });
      const cancelFilled = broker.cancelOrder(id, order.id);
      await expect(cancelFilled).rejects.toThrow(IllegalTransition);
      await expect(broker.cancelOrder(id, order.id)).rejects.toThrow(`order ${order.id} is filled; cancel is not allowed from filled`);
      const resting = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 5, limitPrice: 2000 });
      expect((await broker.cancelOrder(id, resting.order.id)).status).toBe('cancelled');
      expect((await broker.orderEvents(id, order.id)).map((e) => [e.event, e.from, e.to, e.fillId])).toEqual([
        ['accept', 'initialized', 'accepted', null],
        ['fill', 'accepted', 'filled', fillId(order.id, 1)],
      ]);
      expect((await broker.orderEvents(id, resting.order.id)).map((e) => [e.event, e.to, e.reasonCode])).toEqual([
        ['accept', 'accepted', null],
        ['cancel', 'cancelled', 'cancelled_by_account'],
      ]);
      await consistent(id);
    });

    it('refuses a quantity or limit price that rounds to 0, naming the field, and stores nothing', async () => {
      const id = nextAccount();
      const quantity = broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1e-7 });
      await expect(quantity).rejects.toMatchObject({ kind: 'invalid', field: 'quantity' });
      const price = broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 1e-7 });
      await expect(price).rejects.toMatchObject({ kind: 'invalid', field: 'limitPrice' });
      expect(await broker.listOrders(id)).toEqual([]);
      // 5e-7 rounds up to the smallest amount the broker stores and is accepted as 0.000001.
      const smallest = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 5e-7, limitPrice: 5e-7 });
      expect(smallest.order).toMatchObject({ status: 'accepted', quantity: 0.000001, limitPrice: 0.000001 });
    });

    it('reserves the shares of a resting sell: two resting sells cannot sell the same shares', async () => {
      const id = nextAccount();
      await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 10 });
      const first = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 10, limitPrice: 1200 });
      expect(first.order.status).toBe('accepted');
      const second = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 10, limitPrice: 1300 });
      expect(second.order).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position', reason: 'selling 10 SPX but 0 of 10 held are free (short selling is not enabled)' });
      const market = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 });
      expect(market.order.reasonCode).toBe('denied_insufficient_position');
      prices.prices.set('SPX', 1400);
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      expect(await broker.getOrder(id, first.order.id)).toMatchObject({ status: 'filled', filledQuantity: 10 });
      expect((await broker.portfolio(id)).positions).toEqual([]);
      await consistent(id);
    });

    it('denies a sale whose fixed fee exceeds its proceeds when the cash cannot pay it (found by the property test)', async () => {
      const id = nextAccount();
      const small = new Broker(db, prices, { ...settings, startingCash: 1000 });
      // 0.997 × 1000.5 = 997.4985 plus a fee of 1.997499 leaves 0.504001 of cash.
      await small.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 0.997 });
      expect((await small.portfolio(id)).cash).toBe(0.504001);
      // Selling 0.000001 brings 0.001 and costs a fee of 1.000001: the cash would go negative.
      const sale = await small.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 0.000001 });
      expect(sale.order).toMatchObject({ status: 'denied', reasonCode: 'denied_buying_power', reason: 'insufficient buying power: needs 1.00, available 0.50' });
      const resting = await small.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 0.000001, limitPrice: 5000 });
      expect(resting.order.reasonCode).toBe('denied_buying_power');
      expect((await small.portfolio(id)).cash).toBe(0.504001);
      await consistent(id);
    });

    it('answers a reused idempotency key with a different order as a mismatch naming the key', async () => {
      const id = nextAccount();
      const first = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }, 'same-key');
      const again = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1.0000001 }, 'same-key');
      expect(again).toEqual({ order: first.order, replayed: true }); // the same order as the broker stores it
      const other = broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 2 }, 'same-key');
      await expect(other).rejects.toMatchObject({ kind: 'idempotency_mismatch', code: 'idempotency_key_reused', field: 'Idempotency-Key' });
      await expect(other).rejects.toThrow(/idempotency key "same-key" was already used for a different order/);
      expect(await broker.listOrders(id)).toHaveLength(1);
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

    // 80 at once on one account: they queue for its row lock, and a wait for a pool connection
    // beyond its 3 s bound would fail them on a loaded 2-core CI machine.
    it('keeps the ledger equal to its recomputation under 80 concurrent orders', async () => {
      const id = nextAccount();
      await Promise.all(
        // Keys repeat with the same request (k = i mod 60), as a client's retries would.
        Array.from({ length: 80 }, (_, i) => i % 60).map((k) =>
          broker.placeOrder(id, { symbol: 'SPX', side: k % 3 === 2 ? 'sell' : 'buy', type: 'market', quantity: 1 + (k % 4) }, `k-${k}`),
        ),
      );
      expect(await broker.listOrders(id, { limit: 1000 })).toHaveLength(60);
      await consistent(id);
    });
  });
}

suite('PGlite', () => openDatabase({}));

onPostgres('Broker on PostgreSQL', (server) => {
  suite('PostgreSQL', () => openDatabase({ url: server().url }));
});
