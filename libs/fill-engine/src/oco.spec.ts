import { toMicros } from '@tradeyard/money';
import { costModel } from './costs';
import { arrive, matchBar, quoteBar, type EngineOrder, type PriceBar } from './engine';
import { arriveBook, matchBook } from './oco';

const m = toMicros;
const day = (d: number) => Date.UTC(2020, 0, d);
const leg = (id: string, over: Partial<EngineOrder>): EngineOrder => ({
  id, status: 'accepted', reasonCode: null, reason: null, side: 'sell', type: 'market', timeInForce: 'gtc',
  quantity: m(10), filledQuantity: 0n, filledNotional: 0n, filledValue: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null,
  trailAmount: null, trailPercent: null, trailAnchor: null, triggered: false, arrivalTime: day(1), evaluatedThrough: day(1), ocoGroupId: 'g', ...over,
});
const bar = (d: number, open: number, high: number, low: number, close: number, volume: number | null = null): PriceBar => ({
  time: day(d), open: m(open), high: m(high), low: m(low), close: m(close), volume: volume === null ? null : m(volume),
});
const none = costModel({});
const takeProfit = leg('tp', { type: 'limit', limitPrice: m(110) });
const stopLoss = leg('sl', { type: 'stop', stopPrice: m(95) });
const states = (orders: EngineOrder[]) => orders.map((o) => [o.id, o.status, o.reasonCode, Number(o.filledQuantity) / 1e6]);

describe('one-cancels-other groups in a book', () => {
  it('cancels the other orders of a group once one fills, in the same step', () => {
    const r = matchBook([takeProfit, stopLoss], bar(2, 99, 100, 94, 96), none);
    expect(r.fills.map((f) => [f.orderId, Number(f.price) / 1e6])).toEqual([['sl', 95]]);
    expect(states(r.orders)).toEqual([['tp', 'cancelled', 'cancelled_by_oco', 0], ['sl', 'filled', null, 10]]);
    expect(r.orders[0].reason).toBe('order sl of its one-cancels-other group traded');
    expect(r.journal.map((e) => [e.orderId, e.event])).toEqual([['sl', 'fill'], ['tp', 'cancel']]);
  });

  it('lets only the first order of a group trade when one bar reaches several: the later ones are cancelled unevaluated', () => {
    const r = matchBook([stopLoss, takeProfit], bar(2, 100, 111, 94, 100), none);
    expect(r.fills.map((f) => f.orderId)).toEqual(['sl']);
    expect(states(r.orders)).toEqual([['sl', 'filled', null, 10], ['tp', 'cancelled', 'cancelled_by_oco', 0]]);
  });

  it('on a partial fill cancels the others and keeps the remainder of the one that traded open', () => {
    const capped = costModel({ volumeLimit: 0.5 });
    const first = matchBook([takeProfit, stopLoss], bar(2, 99, 100, 94, 96, 8), capped);
    expect(states(first.orders)).toEqual([['tp', 'cancelled', 'cancelled_by_oco', 0], ['sl', 'partially_filled', null, 4]]);
    const second = matchBook(first.orders, bar(3, 96, 96, 90, 91, 100), capped);
    expect(second.fills.map((f) => [f.orderId, Number(f.quantity) / 1e6, Number(f.price) / 1e6])).toEqual([['sl', 6, 96]]);
    expect(states(second.orders)).toEqual([['tp', 'cancelled', 'cancelled_by_oco', 0], ['sl', 'filled', null, 10]]);
  });

  it('ends a group when one of its orders expires, and leaves orders of other groups and of none alone', () => {
    const dayLegs = [leg('a', { type: 'limit', limitPrice: m(120), timeInForce: 'day' }), leg('b', { type: 'stop', stopPrice: m(80), timeInForce: 'day' })];
    const alone = leg('alone', { type: 'limit', limitPrice: m(105), ocoGroupId: null });
    const other = leg('other', { type: 'limit', limitPrice: m(130), ocoGroupId: 'h' });
    const r = matchBook([...dayLegs, alone, other], bar(2, 100, 106, 99, 104), none);
    expect(states(r.orders)).toEqual([
      ['a', 'expired', 'expired_day', 0], ['b', 'cancelled', 'cancelled_by_oco', 0], ['alone', 'filled', null, 10], ['other', 'accepted', null, 0],
    ]);
    expect(r.orders[1].reason).toBe('order a of its one-cancels-other group was expired');
    // An order without a group comes out exactly as matchBar alone makes it.
    expect(r.orders[2]).toEqual(matchBar(alone, bar(2, 100, 106, 99, 104), none).order);
  });

  it('cancels orders of the group evaluated before the one that traded', () => {
    const buyLimit = leg('below', { side: 'buy', type: 'limit', limitPrice: m(90) });
    const buyStop = leg('above', { side: 'buy', type: 'stop', stopPrice: m(105) });
    const r = matchBook([buyLimit, buyStop], bar(2, 101, 107, 100, 106), none);
    expect(states(r.orders)).toEqual([['below', 'cancelled', 'cancelled_by_oco', 0], ['above', 'filled', null, 10]]);
  });

  it('on arrival, a leg that fills at once cancels the legs after it before they arrive', () => {
    const fresh = (id: string, over: Partial<EngineOrder>) => leg(id, { arrivalTime: null, evaluatedThrough: null, side: 'buy', ...over });
    const quote = quoteBar(day(1), m(100));
    const r = arriveBook([fresh('marketable', { type: 'limit', limitPrice: m(101) }), fresh('also', { type: 'limit', limitPrice: m(102) })], quote, none);
    expect(states(r.orders)).toEqual([['marketable', 'filled', null, 10], ['also', 'cancelled', 'cancelled_by_oco', 0]]);
    expect(r.orders[1].arrivalTime).toBeNull(); // it never arrived
    const resting = arriveBook([fresh('x', { type: 'limit', limitPrice: m(90) }), fresh('y', { type: 'stop', stopPrice: m(110) })], quote, none);
    expect(resting.orders).toEqual([arrive(fresh('x', { type: 'limit', limitPrice: m(90) }), quote, none).order, arrive(fresh('y', { type: 'stop', stopPrice: m(110) }), quote, none).order]);
  });
});
