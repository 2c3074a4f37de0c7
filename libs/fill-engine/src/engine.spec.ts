import { toMicros } from '@tradeyard/money';
import { affordableQuantity, buyCost, costModel, type CostModel, fillFee } from './costs';
import { arrive, fillId, matchBar, orderIdFor, quoteBar, type EngineOrder, type PriceBar } from './engine';

const m = toMicros;
const order = (over: Partial<EngineOrder>): EngineOrder => ({
  id: 'o-1', status: 'accepted', reasonCode: null, reason: null, side: 'buy', type: 'market', timeInForce: 'gtc',
  quantity: m(10), filledQuantity: 0n, filledNotional: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null,
  trailAmount: null, trailPercent: null, trailAnchor: null, triggered: false, arrivalTime: null, evaluatedThrough: null, ...over,
});
const day = (d: number) => Date.UTC(2020, 0, d);
const bar = (d: number, open: number, high: number, low: number, close: number, volume: number | null = null): PriceBar => ({
  time: day(d), open: m(open), high: m(high), low: m(low), close: m(close), volume: volume === null ? null : m(volume),
});
const none = costModel({});
/** The order after arriving at a quote of `price` on day 1. */
const arrived = (o: EngineOrder, price = 100, costs = none) => arrive(o, quoteBar(day(1), m(price)), costs);
const fillsOf = (r: { fills: { price: bigint; quantity: bigint; fee: bigint }[] }) => r.fills.map((f) => [Number(f.price) / 1e6, Number(f.quantity) / 1e6, Number(f.fee) / 1e6]);

describe('fill engine', () => {
  it('fills a market order on arrival at the quote moved by slippage, with fees: fixed + per share + bps, at least the minimum', () => {
    const costs = costModel({ slippageBps: 10, feeFixed: 1, feePerShare: 0.01, feeBps: 5, feeMinimum: 0 });
    const r = arrived(order({}), 100, costs);
    // 100 × 1.001 = 100.1; fee = 1 + 10 × 0.01 + 1001 × 5 bps = 1.6005
    expect(fillsOf(r)).toEqual([[100.1, 10, 1.6005]]);
    expect(r.order).toMatchObject({ status: 'filled', filledQuantity: m(10), fees: m(1.6005), fillCount: 1 });
    expect(r.journal.map((e) => [e.event, e.from, e.to, e.fillId])).toEqual([['fill', 'accepted', 'filled', fillId('o-1', 1)]]);
    expect(fillFee(costModel({ feeMinimum: 2, feeBps: 1 }), m(1), m(100))).toBe(m(2));
  });

  it('rests a limit that is not marketable, then fills at the open on a gap and at the limit when the range reaches it', () => {
    const resting = arrived(order({ type: 'limit', limitPrice: m(95) }));
    expect(resting.fills).toEqual([]);
    expect(resting.order.status).toBe('accepted');
    expect(matchBar(resting.order, bar(2, 99, 101, 96, 97), none).fills).toEqual([]);
    expect(fillsOf(matchBar(resting.order, bar(2, 99, 101, 94, 97), none))).toEqual([[95, 10, 0]]);
    expect(fillsOf(matchBar(resting.order, bar(2, 90, 92, 88, 91), none))).toEqual([[90, 10, 0]]);
  });

  it('never fills a limit beyond its limit, slippage included', () => {
    const costs = costModel({ slippageBps: 100 });
    expect(fillsOf(arrived(order({ type: 'limit', limitPrice: m(100.5) }), 100, costs))).toEqual([[100.5, 10, 0]]);
    expect(fillsOf(arrived(order({ side: 'sell', type: 'limit', limitPrice: m(99.5) }), 100, costs))).toEqual([[99.5, 10, 0]]);
  });

  it('triggers a stop at its price or at a gapping open, and a stop-limit only within its limit', () => {
    const stopBuy = arrived(order({ type: 'stop', stopPrice: m(105) })).order;
    expect(stopBuy.status).toBe('accepted');
    expect(fillsOf(matchBar(stopBuy, bar(2, 101, 106, 100, 104), none))).toEqual([[105, 10, 0]]);
    expect(fillsOf(matchBar(stopBuy, bar(2, 108, 109, 107, 108), none))).toEqual([[108, 10, 0]]);
    const stopSell = arrived(order({ side: 'sell', type: 'stop', stopPrice: m(95) })).order;
    expect(fillsOf(matchBar(stopSell, bar(2, 99, 99, 94, 96), none))).toEqual([[95, 10, 0]]);

    const stopLimit = arrived(order({ type: 'stop_limit', stopPrice: m(105), limitPrice: m(106) })).order;
    const gapped = matchBar(stopLimit, bar(2, 108, 109, 107, 108), none);
    expect(gapped.fills).toEqual([]); // triggered at 108, above its limit: it now rests as a limit at 106
    expect(gapped.order.triggered).toBe(true);
    expect(fillsOf(matchBar(gapped.order, bar(3, 107, 107, 105.5, 106), none))).toEqual([[106, 10, 0]]);
    expect(fillsOf(matchBar(stopLimit, bar(2, 101, 106, 100, 104), none))).toEqual([[105, 10, 0]]);
  });

  it('moves a trailing stop with the best price and fires when the price falls back by the trail', () => {
    const trailing = arrived(order({ side: 'sell', type: 'trailing_stop', trailPercent: m(5) })).order;
    expect(trailing).toMatchObject({ trailAnchor: m(100), stopPrice: m(95) });
    const up = matchBar(trailing, bar(2, 101, 110, 100, 108), none);
    expect(up.fills).toEqual([]);
    expect(up.order).toMatchObject({ trailAnchor: m(110), stopPrice: m(104.5) });
    expect(fillsOf(matchBar(up.order, bar(3, 107, 107, 103, 104), none))).toEqual([[104.5, 10, 0]]);
    const byAmount = arrived(order({ type: 'trailing_stop', trailAmount: m(3) })).order;
    expect(byAmount.stopPrice).toBe(m(103));
    const down = matchBar(byAmount, bar(2, 99, 99, 90, 92), none).order;
    expect(down.stopPrice).toBe(m(93));
    expect(fillsOf(matchBar(down, bar(3, 94, 95, 93, 94), none))).toEqual([[94, 10, 0]]);
  });

  it('fills at most the volume limit per bar, partially, with volume-share impact', () => {
    const costs = costModel({ volumeLimit: 0.25, priceImpact: 0.1 });
    const first = arrive(order({}), quoteBar(day(1), m(100), m(20)), costs);
    // 5 of 10 (a quarter of 20); impact 100 × 0.1 × (5/20)² = 0.625
    expect(fillsOf(first)).toEqual([[100.625, 5, 0]]);
    expect(first.order.status).toBe('partially_filled');
    const second = matchBar(first.order, bar(2, 100, 100, 100, 100, 100), costs);
    expect(fillsOf(second)).toEqual([[100.025, 5, 0]]);
    expect(second.order.status).toBe('filled');
    expect(second.fills[0].id).toBe(fillId('o-1', 2));
  });

  it('expires ioc remainders and unfillable fok orders on arrival, and day orders on a later day', () => {
    const capped = costModel({ volumeLimit: 0.5 });
    const ioc = arrive(order({ timeInForce: 'ioc' }), quoteBar(day(1), m(100), m(10)), capped);
    expect(fillsOf(ioc)).toEqual([[100, 5, 0]]);
    expect(ioc.journal.map((e) => [e.event, e.to, e.reasonCode])).toEqual([['partial_fill', 'partially_filled', null], ['expire', 'expired', 'expired_ioc']]);
    const fok = arrive(order({ timeInForce: 'fok' }), quoteBar(day(1), m(100), m(10)), capped);
    expect(fok.fills).toEqual([]);
    expect(fok.order).toMatchObject({ status: 'expired', reasonCode: 'expired_fok' });
    expect(arrived(order({ type: 'limit', limitPrice: m(90), timeInForce: 'ioc' })).order.status).toBe('expired');

    const dayOrder = arrived(order({ type: 'limit', limitPrice: m(90), timeInForce: 'day' })).order;
    const sameDay = matchBar(dayOrder, { ...bar(1, 95, 95, 95, 95), time: day(1) + 3_600_000 }, none);
    expect(sameDay.order.status).toBe('accepted');
    expect(matchBar(sameDay.order, bar(2, 80, 80, 80, 80), none).order).toMatchObject({ status: 'expired', reasonCode: 'expired_day' });
  });

  it('keeps a good-till-date order through its date and expires it on the first bar of a later date', () => {
    const gtd = arrived(order({ type: 'limit', limitPrice: m(90), timeInForce: 'gtd', goodTillDate: day(2) })).order;
    const onItsDate = matchBar(gtd, bar(2, 95, 96, 94, 95), none);
    expect(onItsDate.order.status).toBe('accepted');
    const lateThatDay = matchBar(onItsDate.order, { ...bar(2, 91, 92, 91, 91), time: day(2) + 3_600_000 }, none);
    expect(lateThatDay.order.status).toBe('accepted');
    // The next date's bar would fill it (it opens through the limit), but the order expired before it.
    const after = matchBar(lateThatDay.order, bar(3, 80, 80, 80, 80), none);
    expect(after.fills).toEqual([]);
    expect(after.order).toMatchObject({ status: 'expired', reasonCode: 'expired_gtd', reason: 'a good-till-date order expires after its date, 2020-01-02' });
    expect(after.journal.map((e) => [e.event, e.from, e.to])).toEqual([['expire', 'accepted', 'expired']]);
    expect(fillsOf(matchBar(gtd, bar(2, 89, 89, 85, 86), none))).toEqual([[89, 10, 0]]); // within its date it fills as a limit
  });

  it('fills market-on-open at the open of the next session, never at the quote it arrived at', () => {
    const costs = costModel({ slippageBps: 10 });
    const moo = arrived(order({ type: 'market_on_open' }), 100, costs);
    expect(moo.fills).toEqual([]);
    expect(moo.order).toMatchObject({ status: 'accepted', arrivalTime: day(1) });
    // A later bar of the same UTC date is the same session: it waits.
    const sameDay = matchBar(moo.order, { ...bar(1, 101, 103, 99, 102), time: day(1) + 3_600_000 }, costs);
    expect(sameDay.fills).toEqual([]);
    // The next session's first bar: its open (moved by slippage), whatever the range does after.
    const open = matchBar(sameDay.order, bar(2, 104, 110, 90, 95), costs);
    expect(fillsOf(open)).toEqual([[104.104, 10, 0]]);
    expect(open.order.status).toBe('filled');
  });

  it('fills market-on-close at the close of the next bar the clock reveals, never at the close it arrived at', () => {
    const moc = arrived(order({ side: 'sell', type: 'market_on_close' }), 100);
    expect(moc.fills).toEqual([]);
    // The bar it arrived in is not evaluated again: its close was the quote, already past.
    expect(matchBar(moc.order, bar(1, 100, 100, 100, 100), none).fills).toEqual([]);
    const close = matchBar(moc.order, bar(2, 97, 99, 93, 98.5), none);
    expect(fillsOf(close)).toEqual([[98.5, 10, 0]]);
    expect(close.fills[0].time).toBe(day(2));
  });

  it('expires what the volume limit leaves of an auction order: market-on-open and market-on-close trade once', () => {
    const capped = costModel({ volumeLimit: 0.5 });
    for (const [type, code, price] of [['market_on_open', 'expired_at_open', 101], ['market_on_close', 'expired_at_close', 103]] as const) {
      const resting = arrived(order({ type }), 100, capped).order;
      const auction = matchBar(resting, bar(2, 101, 104, 100, 103, 8), capped);
      expect(fillsOf(auction)).toEqual([[price, 4, 0]]);
      expect(auction.journal.map((e) => [e.event, e.to, e.reasonCode])).toEqual([['partial_fill', 'partially_filled', null], ['expire', 'expired', code]]);
      expect(auction.order).toMatchObject({ filledQuantity: m(4), status: 'expired' });
    }
  });

  it('skips a bar it has already evaluated and passes closed orders through', () => {
    const resting = arrived(order({ type: 'limit', limitPrice: m(95) })).order;
    expect(matchBar(resting, { ...bar(1, 90, 90, 90, 90) }, none).fills).toEqual([]); // the arrival bar itself
    const filled = matchBar(resting, bar(2, 90, 90, 90, 90), none).order;
    expect(matchBar(filled, bar(3, 80, 80, 80, 80), none)).toEqual({ order: filled, fills: [], journal: [] });
  });

  it('names orders and fills deterministically', () => {
    expect(orderIdFor('a', 'k')).toBe(orderIdFor('a', 'k'));
    expect(orderIdFor('a', 'k')).not.toBe(orderIdFor('b', 'k'));
    expect(fillId('o', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('finds the largest affordable buy, costs included', () => {
    const costs = costModel({ slippageBps: 3, feeBps: 7, feeFixed: 1.25, feePerShare: 0.005 });
    for (const cash of [m(1000), m(99_999.999999), m(3.3)]) {
      for (const step of [1n, 1_000_000n]) {
        const q = affordableQuantity(costs, cash, m(123.456789), step);
        expect(q % step).toBe(0n);
        if (q > 0n) expect(buyCost(costs, m(123.456789), q, null)).toBeLessThanOrEqual(cash);
        expect(buyCost(costs, m(123.456789), q + step, null)).toBeGreaterThan(cash);
      }
    }
  });

  it('finds the largest affordable buy exactly wherever the estimate it starts from lands', () => {
    // The reference: a plain bisection of every step below cash / price (what affordableQuantity did before it gallops from an estimate).
    const bisected = (costs: CostModel, cash: bigint, price: bigint, step: bigint, volume: bigint) => {
      let low = 0n;
      let high = (cash * 1_000_000n) / price / step + 1n;
      while (high - low > 1n) {
        const middle = (low + high) / 2n;
        if (buyCost(costs, price, middle * step, volume) <= cash) low = middle;
        else high = middle;
      }
      return low * step;
    };
    // Cost models whose float estimate is exact, too high (fixed and per-share fees) or far off (a large minimum, volume impact).
    const models = [
      costModel({}),
      costModel({ slippageBps: 5, feeBps: 10 }),
      costModel({ feeFixed: 25, feePerShare: 0.5 }),
      costModel({ feeMinimum: 900, feeBps: 1 }),
      costModel({ priceImpact: 0.1, feeBps: 10_000, slippageBps: 10_000 }),
    ];
    let checked = 0;
    for (const costs of models) {
      for (const cash of [m(0.000001), m(1), m(999.99), m(100_000), m(123_456_789.123456)]) {
        for (const price of [m(0.01), m(1.5), m(1455.219971), m(98_765.4321)]) {
          for (const step of [1n, 1000n, 1_000_000n]) {
            const q = affordableQuantity(costs, cash, price, step, m(2_000));
            expect(q % step).toBe(0n);
            if (q > 0n) expect(buyCost(costs, price, q, m(2_000))).toBeLessThanOrEqual(cash);
            expect(q).toBe(bisected(costs, cash, price, step, m(2_000)));
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(300);
  });
});
