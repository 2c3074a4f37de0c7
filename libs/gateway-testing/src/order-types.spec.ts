import type { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { startTestGateway, type TestGateway } from './test-gateway';

// Good-till-date, market-on-open, market-on-close and one-cancels-other groups over REST against
// the real gateway (PGlite), on the bundled S&P 500 replay the test moves one day at a time. The
// tests run in order on one clock: `at` is the index of the day it shows.
const spx = loadSp500();
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));
/** A 400 naming one field and its rule, as the request schema answers a bad order. */
const badRequest = (field: string, rule: string) => ({ status: 400, body: { error: 'validation_failed', message: `${field}: ${rule}`, details: [{ field, rule }] } });
/** A 400 the broker answers (what only it can check, e.g. against the market date): its rule names the field within the body. */
const refusedByBroker = (field: string, rule: string) => ({ status: 400, body: { error: 'validation_failed', message: `${field}: ${rule}`, details: [{ field: `body.${field}`, rule: `${field}: ${rule}` }] } });


describe('order types over REST: good-till-date, market-on-open, market-on-close, one-cancels-other', () => {
  // 2000-02-09 closes at 1,411.709961 and 2000-02-10 opens at 1,411.699951: the next open is not the quote.
  let at = 26;
  let gateway: TestGateway;
  let trader: GatewayClient;
  let other: GatewayClient;
  const advance = async () => {
    await gateway.clock.advance(1);
    at++;
  };
  const events = async (id: string) => (await trader.getOrderEvents(id)).map((e) => [e.event, e.to, e.reasonCode]);
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: isoDate(spx[26].time) });
    trader = await gateway.trader('auctioneer');
    other = await gateway.trader('bystander');
  }, 120_000);
  afterAll(() => gateway.close());

  it('fills market-on-open at the next session open and market-on-close at the next close, never at a price the clock has not shown', async () => {
    expect((await trader.getQuote('SPX')).price).toBe(spx[at].close);
    const moo = await trader.placeOrder({ symbol: 'SPX', side: 'buy', type: 'market_on_open', quantity: 2 });
    const moc = await trader.placeOrder({ symbol: 'SPX', side: 'buy', type: 'market_on_close', quantity: 3 });
    for (const order of [moo, moc]) expect(order).toMatchObject({ status: 'accepted', filledQuantity: 0, avgFillPrice: null, timeInForce: 'gtc' });
    await advance();
    expect(await trader.getOrder(moo.id)).toMatchObject({ status: 'filled', filledQuantity: 2, avgFillPrice: spx[at].open });
    expect(await trader.getOrder(moc.id)).toMatchObject({ status: 'filled', filledQuantity: 3, avgFillPrice: spx[at].close });
    expect(spx[at].open).not.toBe(spx[at - 1].close);
    expect(await events(moo.id)).toEqual([['accept', 'accepted', null], ['fill', 'filled', null]]);
    expect((await trader.getPortfolio()).positions).toEqual([expect.objectContaining({ symbol: 'SPX', quantity: 5 })]);
  });

  it('answers an auction order with a time in force or a price with a 400 naming the field and the rule', async () => {
    expect(await refusal(trader.placeOrder({ symbol: 'SPX', side: 'buy', type: 'market_on_open', quantity: 1, timeInForce: 'day' }))).toEqual(
      badRequest('body.timeInForce', 'must be gtc or omitted for a market_on_open order: it trades once, in its auction'),
    );
    expect(await refusal(trader.placeOrder({ symbol: 'SPX', side: 'sell', type: 'market_on_close', quantity: 1, limitPrice: 1500 }))).toEqual(
      badRequest('body.limitPrice', 'must be omitted for a market_on_close order'),
    );
  });

  it('keeps a good-till-date order through its date and expires it on the next, through the journal', async () => {
    const expireDate = isoDate(spx[at + 1].time);
    const order = await trader.placeOrder({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 1000, timeInForce: 'gtd', expireDate });
    expect(order).toMatchObject({ status: 'accepted', timeInForce: 'gtd', expireDate });
    await advance();
    expect((await trader.getOrder(order.id)).status).toBe('accepted');
    await advance();
    expect(await trader.getOrder(order.id)).toMatchObject({ status: 'expired', reasonCode: 'expired_gtd', reason: `a good-till-date order expires after its date, ${expireDate}` });
    expect(await events(order.id)).toEqual([['accept', 'accepted', null], ['expire', 'expired', 'expired_gtd']]);
  });

  it('answers a good-till-date before the market date, or without one, with a 400 naming expireDate', async () => {
    const today = isoDate(spx[at].time);
    const yesterday = isoDate(spx[at - 1].time);
    const gtd = { symbol: 'SPX', side: 'buy' as const, type: 'limit' as const, quantity: 1, limitPrice: 1000, timeInForce: 'gtd' as const };
    expect(await refusal(trader.placeOrder({ ...gtd, expireDate: yesterday }))).toEqual(
      refusedByBroker('expireDate', `${yesterday} is before the market date ${today}: a good-till-date order must be good through the market's current date or later`),
    );
    expect(await refusal(trader.placeOrder(gtd))).toEqual(badRequest('body.expireDate', 'is required for timeInForce gtd'));
    expect(await refusal(trader.placeOrder({ ...gtd, timeInForce: 'day', expireDate: today }))).toEqual(badRequest('body.expireDate', 'must be omitted unless timeInForce is gtd'));
    expect((await trader.placeOrder({ ...gtd, expireDate: today })).status).toBe('accepted');
  });

  it('places a one-cancels-other group: the stop that fills cancels the take-profit in the same transaction', async () => {
    const next = spx[at + 1];
    // A stop below the quote and the next open that the next bar's low reaches: it fills at the stop.
    const stopPrice = Math.round(((next.low + Math.min(next.open, spx[at].close)) / 2) * 100) / 100;
    expect(next.low).toBeLessThan(stopPrice);
    const exits = { orders: [{ symbol: 'SPX', side: 'sell' as const, type: 'limit' as const, quantity: 5, limitPrice: 2000 }, { symbol: 'SPX', side: 'sell' as const, type: 'stop' as const, quantity: 5, stopPrice }] };
    const { groupId, orders } = await trader.placeOcoOrders(exits, 'exit-pair-1');
    const [takeProfit, stopLoss] = orders;
    expect(orders.map((o) => [o.status, o.ocoGroupId])).toEqual([['accepted', groupId], ['accepted', groupId]]);
    // The group holds the five shares once: nothing is left to sell.
    expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1 })).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position' });
    // A retry with the key answers the same group, not a new one.
    expect(await trader.placeOcoOrders(exits, 'exit-pair-1')).toEqual({ groupId, orders });
    await advance();
    expect(await trader.getOrder(stopLoss.id)).toMatchObject({ status: 'filled', avgFillPrice: stopPrice });
    expect(await trader.getOrder(takeProfit.id)).toMatchObject({ status: 'cancelled', reasonCode: 'cancelled_by_oco', reason: `order ${stopLoss.id} of its one-cancels-other group traded` });
    expect(await events(takeProfit.id)).toEqual([['accept', 'accepted', null], ['cancel', 'cancelled', 'cancelled_by_oco']]);
    expect((await trader.getPortfolio()).positions).toEqual([]);
    // Another trader sees none of it and cancels none of it.
    expect(await refusal(other.getOrder(takeProfit.id))).toMatchObject({ status: 404 });
    expect(await refusal(other.cancelOrder(stopLoss.id))).toMatchObject({ status: 404 });
    expect(await other.getOrders()).toEqual([]);
  });

  it('answers a group it cannot link with a 400 naming the order and field', async () => {
    const leg = { symbol: 'SPX', side: 'buy' as const, type: 'limit' as const, quantity: 1, limitPrice: 1000 };
    const stop = { ...leg, type: 'stop' as const, limitPrice: undefined, stopPrice: 2000 };
    const oco = (orders: object[]) => refusal(trader.request('POST', '/orders/oco', { body: { orders } }));
    const placed = (await trader.getOrders()).length;
    expect(await oco([leg])).toEqual(badRequest('body.orders', 'must hold at least 2 orders: a one-cancels-other group links two or more'));
    expect(await oco([leg, { ...stop, symbol: 'MSFT' }])).toEqual(badRequest('body.orders.1.symbol', "must be SPX, the symbol of the group's first order: a one-cancels-other group trades one symbol"));
    expect(await oco([leg, { ...stop, timeInForce: 'ioc' }])).toEqual(
      badRequest('body.orders.1.timeInForce', 'must be day, gtc or gtd for an order of a one-cancels-other group: its orders rest until one trades'),
    );
    const yesterday = isoDate(spx[at - 1].time);
    expect(await oco([{ ...leg, timeInForce: 'gtd', expireDate: yesterday }, { ...stop, timeInForce: 'gtd', expireDate: yesterday }])).toEqual(
      refusedByBroker('orders.0.expireDate', `${yesterday} is before the market date ${isoDate(spx[at].time)}: a good-till-date order must be good through the market's current date or later`),
    );
    expect(await oco([leg, { ...stop, stopPrice: undefined }])).toEqual(badRequest('body.orders.1.stopPrice', 'is required for a stop order'));
    expect(await trader.getOrders()).toHaveLength(placed); // nothing of a refused group is recorded
  });

  it('answers hostile group bodies with a 400, never a 500, recording nothing', async () => {
    const placed = (await trader.getOrders({ limit: 1000 })).length;
    const leg = { symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 1000 };
    const bodies = [{}, { orders: 'both' }, { orders: [null, 1] }, { orders: Array(5000).fill(leg) }, { orders: [leg, leg], extra: 1 }, { orders: [leg, { ...leg, quantity: 1e300 }] }, [leg, leg]];
    for (const body of bodies) {
      const answer = await refusal(trader.request('POST', '/orders/oco', { body }));
      expect(answer).toMatchObject({ status: 400, body: { error: 'validation_failed' } });
    }
    expect(await trader.getOrders({ limit: 1000 })).toHaveLength(placed);
  });
});
