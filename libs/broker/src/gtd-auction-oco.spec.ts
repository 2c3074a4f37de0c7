import type { PlaceOrder } from '@tradeyard/gateway-contract';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import { DailyBars, dailySettings } from './__fixtures__/daily-bars';
import { Broker } from './broker';
import { gatewayMigrations } from './schema';

// Good-till-date, market-on-open, market-on-close and one-cancels-other groups through the broker:
// every status change by the transition table, journaled in order_events, the ledger exact.
describe('Broker: good-till-date, auction orders and one-cancels-other groups on PGlite', () => {
  let db: Database;
  let bars: DailyBars;
  let broker: Broker;
  let account = 0;
  let id = '';
  const consistent = async () => expect(await broker.recompute(id)).toEqual(await broker.storedState(id));
  const journal = async (orderId: string) => (await broker.orderEvents(id, orderId)).map((e) => [e.event, e.from, e.to, e.reasonCode]);
  const buy = (quantity: number) => broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity });
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: { kind: string; field: string; message: string }) => ({ kind: err.kind, field: err.field, message: err.message }));

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  beforeEach(() => {
    bars = new DailyBars(); // 2024-01-02, at 100
    broker = new Broker(db, bars, dailySettings);
    id = `gtd-oco-${++account}`;
  });
  afterAll(() => db?.close());

  describe('good-till-date', () => {
    it('rests through its date holding its cash, and expires on the first bar after it, releasing the cash', async () => {
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 90, limitPrice: 90, timeInForce: 'gtd', expireDate: '2024-01-03' });
      expect(order).toMatchObject({ status: 'accepted', timeInForce: 'gtd', expireDate: '2024-01-03' });
      expect((await buy(20)).order.reasonCode).toBe('denied_buying_power'); // 8,100 and its fee held back of 10,000
      bars.next(95, 96, 94, 95); // 2024-01-03: its last date
      await broker.matchRestingOrders('SPX');
      expect((await broker.getOrder(id, order.id)).status).toBe('accepted');
      bars.next(85, 86, 80, 81); // 2024-01-04 opens through its limit, but the order expired before it
      expect(await broker.matchRestingOrders('SPX')).toBe(0);
      expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'expired', reasonCode: 'expired_gtd', reason: 'a good-till-date order expires after its date, 2024-01-03', filledQuantity: 0 });
      expect(await journal(order.id)).toEqual([['accept', 'initialized', 'accepted', null], ['expire', 'accepted', 'expired', 'expired_gtd']]);
      expect((await buy(20)).order.status).toBe('filled');
      await consistent();
    });

    it('fills within its date, today included, and refuses a date before the market date, naming the field', async () => {
      const today = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 10, limitPrice: 99, timeInForce: 'gtd', expireDate: '2024-01-02' });
      expect(today.order.status).toBe('accepted');
      bars.latest = { ...bars.latest, time: bars.latest.time + 3_600_000, open: 99, high: 99.5, low: 98, close: 98.5 }; // later the same date
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      expect(await broker.getOrder(id, today.order.id)).toMatchObject({ status: 'filled', avgFillPrice: 99 });
      expect(await refusal(broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 90, timeInForce: 'gtd', expireDate: '2024-01-01' }))).toEqual({
        kind: 'invalid', field: 'expireDate', message: "expireDate: 2024-01-01 is before the market date 2024-01-02: a good-till-date order must be good through the market's current date or later",
      });
      expect(await refusal(broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 90, timeInForce: 'gtd' }))).toMatchObject({ field: 'expireDate', message: 'expireDate: is required for timeInForce gtd' });
      expect(await refusal(broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 90, timeInForce: 'gtd', expireDate: '2024-02-30' }))).toMatchObject({ field: 'expireDate', message: 'expireDate: must be a real calendar date' });
      expect(await broker.listOrders(id)).toHaveLength(1);
    });
  });

  describe('market-on-open and market-on-close', () => {
    it('fills market-on-open at the next session open, not at the quote it was placed at, and journals it', async () => {
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market_on_open', quantity: 10 });
      expect(order).toMatchObject({ status: 'accepted', type: 'market_on_open', filledQuantity: 0 });
      bars.next(103, 110, 101, 108);
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'filled', avgFillPrice: 103, fees: 1 });
      expect(await journal(order.id)).toEqual([['accept', 'initialized', 'accepted', null], ['fill', 'accepted', 'filled', null]]);
      await consistent();
    });

    it('fills market-on-close at the close of the next bar the clock reveals', async () => {
      await buy(10);
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market_on_close', quantity: 10 });
      expect(order.status).toBe('accepted');
      expect((await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 })).order.reasonCode).toBe('denied_insufficient_position'); // it holds the 10
      bars.next(101, 106, 99, 104.5);
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'filled', avgFillPrice: 104.5 });
      expect((await broker.portfolio(id)).positions).toEqual([]);
      await consistent();
    });

    it('expires what the volume limit leaves at the auction, and takes no time in force but gtc', async () => {
      broker = new Broker(db, bars, { ...dailySettings, volumeLimit: 0.1 });
      const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market_on_close', quantity: 50 });
      bars.next(100, 101, 99, 100, 300);
      await broker.matchRestingOrders('SPX');
      expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'expired', reasonCode: 'expired_at_close', filledQuantity: 30 });
      expect(await journal(order.id)).toEqual([
        ['accept', 'initialized', 'accepted', null], ['partial_fill', 'accepted', 'partially_filled', null], ['expire', 'partially_filled', 'expired', 'expired_at_close'],
      ]);
      await consistent();
      expect(await refusal(broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market_on_open', quantity: 1, timeInForce: 'day' }))).toEqual({
        kind: 'invalid', field: 'timeInForce', message: 'timeInForce: must be gtc or omitted for a market_on_open order: it trades once, in its auction',
      });
    });
  });

  describe('one-cancels-other', () => {
    const exits: PlaceOrder[] = [
      { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 20, limitPrice: 110 },
      { symbol: 'SPX', side: 'sell', type: 'stop', quantity: 20, stopPrice: 95 },
    ];

    it('holds the shares once; a fill of one cancels the other in the same transaction, journaled', async () => {
      await buy(20);
      const { group } = await broker.placeOcoOrders(id, exits);
      const [takeProfit, stopLoss] = group.orders;
      expect(group.orders.map((o) => [o.type, o.status, o.ocoGroupId])).toEqual([['limit', 'accepted', group.groupId], ['stop', 'accepted', group.groupId]]);
      expect((await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 })).order.reasonCode).toBe('denied_insufficient_position');
      bars.next(99, 100, 94, 96); // falls through the stop
      expect(await broker.matchRestingOrders('SPX')).toBe(1);
      expect(await broker.getOrder(id, stopLoss.id)).toMatchObject({ status: 'filled', avgFillPrice: 95 });
      expect(await broker.getOrder(id, takeProfit.id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco', reason: `order ${stopLoss.id} of its one-cancels-other group traded` });
      expect(await journal(takeProfit.id)).toEqual([['accept', 'initialized', 'accepted', null], ['cancel', 'accepted', 'cancelled', 'cancelled_by_oco']]);
      // The cancel was written in the transaction of the fill: the journal rows are adjacent.
      const rows = await db.query<{ order_id: string; event: string }>('SELECT order_id, event FROM order_events WHERE account_id = $1 ORDER BY seq', [id]);
      expect(rows.slice(-2).map((r) => [r.order_id, r.event])).toEqual([[stopLoss.id, 'fill'], [takeProfit.id, 'cancel']]);
      await consistent();
    });

    it('on a partial fill cancels the others and keeps the remainder of the one that traded', async () => {
      broker = new Broker(db, bars, { ...dailySettings, volumeLimit: 0.1 });
      await buy(20);
      const { group } = await broker.placeOcoOrders(id, exits);
      bars.next(99, 100, 94, 96, 100); // the stop fills 10 of 20
      await broker.matchRestingOrders('SPX');
      expect(await broker.getOrder(id, group.orders[0].id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco', filledQuantity: 0 });
      expect(await broker.getOrder(id, group.orders[1].id)).toMatchObject({ status: 'partially_filled', filledQuantity: 10 });
      bars.next(96, 97, 93, 94, 1000);
      await broker.matchRestingOrders('SPX');
      expect(await broker.getOrder(id, group.orders[1].id)).toMatchObject({ status: 'filled', filledQuantity: 20 });
      await consistent();
    });

    it('cancels the rest when the account cancels one, or when one that trades at once on arrival ends it', async () => {
      await buy(20);
      const { group } = await broker.placeOcoOrders(id, exits);
      await broker.cancelOrder(id, group.orders[1].id);
      expect(await broker.getOrder(id, group.orders[0].id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco', reason: `order ${group.orders[1].id} of its one-cancels-other group was cancelled` });
      // A buy limit above the market fills on arrival: the stop buy after it never rests.
      const { group: entry } = await broker.placeOcoOrders(id, [
        { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 5, limitPrice: 101 },
        { symbol: 'SPX', side: 'buy', type: 'stop', quantity: 5, stopPrice: 105 },
      ]);
      expect(entry.orders.map((o) => [o.status, o.reasonCode])).toEqual([['filled', null], ['cancelled', 'cancelled_by_oco']]);
      expect(await journal(entry.orders[1].id)).toEqual([['accept', 'initialized', 'accepted', null], ['cancel', 'accepted', 'cancelled', 'cancelled_by_oco']]);
      await consistent();
    });

    it('ends the group when one of its orders expires', async () => {
      const gtd = { timeInForce: 'gtd' as const, expireDate: '2024-01-02' };
      const { group } = await broker.placeOcoOrders(id, [
        { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 5, limitPrice: 90, ...gtd },
        { symbol: 'SPX', side: 'buy', type: 'stop', quantity: 5, stopPrice: 110, ...gtd },
      ]);
      bars.next(100, 101, 99, 100);
      await broker.matchRestingOrders('SPX');
      expect((await Promise.all(group.orders.map((o) => broker.getOrder(id, o.id)))).map((o) => [o.status, o.reasonCode])).toEqual([
        ['expired', 'expired_gtd'], ['cancelled', 'cancelled_by_oco'],
      ]);
    });

    it('holds cash once for buys, and denies the whole group with any order the checks deny', async () => {
      // Each buy needs about 9,000 of the 10,000: together they hold it once.
      const { group } = await broker.placeOcoOrders(id, [
        { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 90, limitPrice: 99 },
        { symbol: 'SPX', side: 'buy', type: 'stop', quantity: 90, stopPrice: 101 },
      ]);
      expect(group.orders.map((o) => o.status)).toEqual(['accepted', 'accepted']);
      expect((await buy(15)).order.reasonCode).toBe('denied_buying_power');
      const { group: denied } = await broker.placeOcoOrders(id, [
        { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 1, limitPrice: 120 }, // no shares to sell
        { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 50 }, // passes alone
      ]);
      expect(denied.orders.map((o) => [o.status, o.reasonCode])).toEqual([['denied', 'denied_insufficient_position'], ['denied', 'denied_oco_group']]);
      expect(denied.orders[1].reason).toBe(`order ${denied.orders[0].id} of its one-cancels-other group was denied: ${denied.orders[0].reason}`);
      expect(await journal(denied.orders[1].id)).toEqual([['deny', 'initialized', 'denied', 'denied_oco_group']]);
      await consistent();
    });

    it('replays a group under its idempotency key, refuses the key for another request, and refuses groups it cannot link', async () => {
      await buy(20);
      const first = await broker.placeOcoOrders(id, exits, 'exit-pair');
      expect(first.replayed).toBe(false);
      const again = await broker.placeOcoOrders(id, exits, 'exit-pair');
      expect(again).toEqual({ group: first.group, replayed: true });
      expect(await refusal(broker.placeOcoOrders(id, [exits[1], exits[0]], 'exit-pair'))).toMatchObject({ kind: 'idempotency_mismatch', field: 'Idempotency-Key' });
      expect(await refusal(broker.placeOcoOrders(id, [exits[0]]))).toEqual({ kind: 'invalid', field: 'orders', message: 'orders: must hold at least 2 orders: a one-cancels-other group links two or more' });
      expect(await refusal(broker.placeOcoOrders(id, [exits[0], { ...exits[1], symbol: 'AAPL' }]))).toEqual({
        kind: 'invalid', field: 'orders.1.symbol', message: "orders.1.symbol: must be SPX, the symbol of the group's first order: a one-cancels-other group trades one symbol",
      });
      expect(await refusal(broker.placeOcoOrders(id, [exits[0], { ...exits[1], stopPrice: 1e-7 }]))).toMatchObject({ field: 'orders.1.stopPrice' });
      expect(await broker.listOrders(id)).toHaveLength(3);
    });
  });
});
