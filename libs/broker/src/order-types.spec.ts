import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import { DailyBars as Bars, dailySettings as settings } from './__fixtures__/daily-bars';
import { Broker } from './broker';
import { gatewayMigrations } from './schema';

describe('Broker order types on PGlite', () => {
  let db: Database;
  let bars: Bars;
  let broker: Broker;
  let account = 0;
  let id = '';
  const consistent = async () => expect(await broker.recompute(id)).toEqual(await broker.storedState(id));
  const events = async (orderId: string) => (await broker.orderEvents(id, orderId)).map((e) => [e.event, e.to, e.reasonCode]);

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  beforeEach(() => {
    bars = new Bars();
    broker = new Broker(db, bars, settings);
    id = `types-${++account}`;
  });
  afterAll(() => db?.close());

  it('rests a stop-loss sell holding its shares, and fills it at the stop when a bar falls through it; fees per share with a minimum', async () => {
    await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 50 });
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'stop', quantity: 50, stopPrice: 95 });
    expect(order).toMatchObject({ status: 'accepted', stopPrice: 95, timeInForce: 'gtc' });
    const twice = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 });
    expect(twice.order.reasonCode).toBe('denied_insufficient_position'); // the stop holds all 50
    bars.next(99, 101, 96, 97);
    expect(await broker.matchRestingOrders('SPX')).toBe(0);
    bars.next(97, 98, 93, 94);
    expect(await broker.matchRestingOrders('SPX')).toBe(1);
    // 50 shares at 95: fee = max(1, 50 × 0.01) = 1
    expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'filled', avgFillPrice: 95, fees: 1 });
    expect(await broker.portfolio(id)).toMatchObject({ cash: 10_000 - 5000 - 1 + 4750 - 1, feesPaid: 2, positions: [] });
    await consistent();
  });

  it('moves a trailing stop with the highs and sells when the price falls back by the trail', async () => {
    await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 10 });
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'trailing_stop', quantity: 10, trailPercent: 5 });
    expect(order.stopPrice).toBe(95);
    bars.next(101, 120, 100, 118);
    await broker.matchRestingOrders('SPX');
    expect((await broker.getOrder(id, order.id)).stopPrice).toBe(114);
    bars.next(117, 117, 110, 111);
    expect(await broker.matchRestingOrders('SPX')).toBe(1);
    expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'filled', avgFillPrice: 114 });
    await consistent();
  });

  it('fills a stop-limit only within its limit after the trigger', async () => {
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'stop_limit', quantity: 10, stopPrice: 105, limitPrice: 106 });
    bars.next(108, 110, 107, 109); // gaps past the trigger and the limit
    await broker.matchRestingOrders('SPX');
    expect((await broker.getOrder(id, order.id)).status).toBe('accepted');
    bars.next(107, 107, 105, 106);
    expect(await broker.matchRestingOrders('SPX')).toBe(1);
    expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'filled', avgFillPrice: 106 });
    await consistent();
  });

  it('caps fills at a share of bar volume: ioc expires the rest, fok fills nothing, gtc fills over several bars', async () => {
    broker = new Broker(db, bars, { ...settings, volumeLimit: 0.1 });
    bars.latest.volume = 300;
    const ioc = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 50, timeInForce: 'ioc' });
    expect(ioc.order).toMatchObject({ status: 'expired', reasonCode: 'expired_ioc', filledQuantity: 30 });
    expect(await events(ioc.order.id)).toEqual([['accept', 'accepted', null], ['partial_fill', 'partially_filled', null], ['expire', 'expired', 'expired_ioc']]);
    const fok = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 50, timeInForce: 'fok' });
    expect(fok.order).toMatchObject({ status: 'expired', reasonCode: 'expired_fok', filledQuantity: 0 });
    const gtc = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 50 });
    expect(gtc.order).toMatchObject({ status: 'partially_filled', filledQuantity: 30 });
    bars.next(100, 100, 100, 100, 150);
    await broker.matchRestingOrders('SPX');
    expect(await broker.getOrder(id, gtc.order.id)).toMatchObject({ status: 'partially_filled', filledQuantity: 45 });
    bars.next(100, 100, 100, 100, 1000);
    expect(await broker.matchRestingOrders('SPX')).toBe(1);
    expect(await broker.getOrder(id, gtc.order.id)).toMatchObject({ status: 'filled', filledQuantity: 50 });
    expect(await broker.listOrders(id, { status: 'filled' })).toHaveLength(1);
    await consistent();
  });

  it('expires a day order on the first bar of a later day, releasing its reservation', async () => {
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 90, limitPrice: 90, timeInForce: 'day' });
    const refused = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 20 });
    expect(refused.order.reasonCode).toBe('denied_buying_power'); // 8,100 + fee held back of 10,000
    bars.next(95, 96, 94, 95);
    await broker.matchRestingOrders('SPX');
    expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'expired', reasonCode: 'expired_day' });
    expect((await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 20 })).order.status).toBe('filled');
  });

  it('rejects a stop buy that gaps past the cash it reserved, saying why', async () => {
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'stop', quantity: 95, stopPrice: 105 });
    expect(order.status).toBe('accepted');
    bars.next(130, 131, 129, 130);
    await broker.matchRestingOrders('SPX');
    expect(await broker.getOrder(id, order.id)).toMatchObject({ status: 'rejected', reasonCode: 'rejected_buying_power' });
    await consistent();
  });

  it('places a bracket: the entry fill places a take-profit and a stop-loss that cancel each other, holding the shares once', async () => {
    const { order: entry } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 20, takeProfitPrice: 110, stopLossPrice: 95 });
    expect(entry).toMatchObject({ status: 'filled', takeProfitPrice: 110, stopLossPrice: 95 });
    const exits = (await broker.listOrders(id, { status: 'accepted' })).sort((a, b) => a.type.localeCompare(b.type));
    expect(exits.map((o) => [o.type, o.side, o.quantity, o.limitPrice, o.stopPrice, o.parentId])).toEqual([
      ['limit', 'sell', 20, 110, null, entry.id],
      ['stop', 'sell', 20, null, 95, entry.id],
    ]);
    const extra = await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'market', quantity: 1 });
    expect(extra.order.reasonCode).toBe('denied_insufficient_position'); // the bracket holds all 20
    bars.next(100, 101, 94, 96); // falls through the stop-loss
    expect(await broker.matchRestingOrders('SPX')).toBe(1);
    const [takeProfit, stopLoss] = exits;
    expect(await broker.getOrder(id, stopLoss.id)).toMatchObject({ status: 'filled', avgFillPrice: 95 });
    expect(await broker.getOrder(id, takeProfit.id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_bracket' });
    expect((await broker.portfolio(id)).positions).toEqual([]);
    await consistent();

    // Cancelling one exit cancels the other.
    await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 5, takeProfitPrice: 120, stopLossPrice: 80 });
    const [first, second] = await broker.listOrders(id, { status: 'accepted' });
    await broker.cancelOrder(id, first.id);
    expect(await broker.getOrder(id, second.id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_bracket' });
    await expect(broker.placeOrder(id, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1, takeProfitPrice: 90, stopLossPrice: 95 })).rejects.toMatchObject({
      kind: 'invalid', field: 'takeProfitPrice', message: 'takeProfitPrice 90 must be above stopLossPrice 95 for a buy entry',
    });
  });

  it('refuses stop and trail values that round to 0 or a trail of 100 % or more, naming the field', async () => {
    await expect(broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'stop', quantity: 1, stopPrice: 1e-7 })).rejects.toMatchObject({ kind: 'invalid', field: 'stopPrice' });
    await expect(broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'trailing_stop', quantity: 1, trailAmount: 4e-7 })).rejects.toMatchObject({ kind: 'invalid', field: 'trailAmount' });
    await expect(broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'trailing_stop', quantity: 1, trailPercent: 99.9999999 })).rejects.toMatchObject({ kind: 'invalid', field: 'trailPercent' });
    expect(await broker.listOrders(id)).toEqual([]);
  });
});
