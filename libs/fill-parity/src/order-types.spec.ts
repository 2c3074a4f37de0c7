import { Broker, gatewayMigrations, type PriceSource } from '@tradeyard/broker';
import { arriveBook, costModel, matchBook, orderIdFor, quoteBar, type CostSettings, type EngineFill, type EngineOrder, type PriceBar } from '@tradeyard/fill-engine';
import type { PlaceOrder } from '@tradeyard/gateway-contract';
import { isoDate, loadSp500, type Bar } from '@tradeyard/market-data';
import { formatMicros, toMicros } from '@tradeyard/money';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';

/*
 * Parity of the order types strategies ask for (market-on-open, market-on-close, good-till-date,
 * one-cancels-other groups): the same orders, placed at the same closes of the S&P 500 history,
 * go through the paper broker (PGlite) and through the fill engine's book (arriveBook when placed,
 * matchBook on each later bar: what a backtester calls), and make the same fills — ids, sides,
 * quantities, prices, fees — and end in the same statuses. Every tenth close: a market-on-open
 * buy, a market-on-close buy, a good-till-date limit buy 1 % below the close good for three
 * market days, and two closes later an exit pair (take-profit 3 % above, stop-loss 3 % below)
 * for what the market-on-open bought. Quantities are fractional, so averages are not trivial.
 */
const bars = loadSp500().slice(0, 1500);
const costs: CostSettings = { feeFixed: 1, feePerShare: 0.005, feeBps: 1, feeMinimum: 1.5, slippageBps: 5, priceImpact: 0, volumeLimit: 0 };
const ACCOUNT = 'order-types-parity';

/** The replay at one bar: its close is the quote orders arrive at, its whole range what resting orders match. */
class Replay implements PriceSource {
  current: Bar = bars[0];
  price(symbol: string) {
    return symbol === 'SPX' ? { price: this.current.close, time: this.current.time } : undefined;
  }
  bar(symbol: string) {
    return symbol === 'SPX' ? this.current : undefined;
  }
}

/** An order placed at a close: its idempotency key, and a group's orders under one key. */
type Placement = { key: string; orders: PlaceOrder[]; oco: boolean };

function placementsAt(i: number): Placement[] {
  const { close } = bars[i];
  const round = (x: number) => Math.round(x * 100) / 100;
  if (i % 10 === 0) {
    return [
      { key: `moo@${i}`, oco: false, orders: [{ symbol: 'SPX', side: 'buy', type: 'market_on_open', quantity: 0.5 }] },
      { key: `moc@${i}`, oco: false, orders: [{ symbol: 'SPX', side: 'buy', type: 'market_on_close', quantity: 0.25 }] },
      {
        key: `gtd@${i}`, oco: false,
        orders: [{ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 0.25, limitPrice: round(close * 0.99), timeInForce: 'gtd', expireDate: isoDate(bars[i + 3].time) }],
      },
    ];
  }
  if (i % 10 === 2) {
    return [{
      key: `exits@${i}`, oco: true,
      orders: [
        { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 0.5, limitPrice: round(close * 1.03) },
        { symbol: 'SPX', side: 'sell', type: 'stop', quantity: 0.5, stopPrice: round(close * 0.97) },
      ],
    }];
  }
  return [];
}

/** The same order as the fill engine takes it, named as the broker names it (orderIdFor of the account and key; a group's later orders after its first). */
function engineOrders({ key, orders, oco }: Placement): EngineOrder[] {
  const first = orderIdFor(ACCOUNT, key);
  const group = oco ? orderIdFor(first, 'oco') : null;
  const micros = (x: number | undefined) => (x === undefined ? null : toMicros(x));
  return orders.map((o, index) => ({
    id: index === 0 ? first : orderIdFor(first, `oco/${index}`), status: 'accepted', reasonCode: null, reason: null, side: o.side, type: o.type ?? 'market',
    timeInForce: o.timeInForce ?? 'gtc', quantity: toMicros(o.quantity), filledQuantity: 0n, filledNotional: 0n, filledValue: 0n, fees: 0n, fillCount: 0,
    limitPrice: micros(o.limitPrice), stopPrice: micros(o.stopPrice), trailAmount: null, trailPercent: null, trailAnchor: null, triggered: false,
    arrivalTime: null, evaluatedThrough: null, goodTillDate: o.expireDate ? Date.parse(`${o.expireDate}T00:00:00Z`) : null, ocoGroupId: group,
  }));
}

const priceBar = (b: Bar): PriceBar => ({ time: b.time, open: toMicros(b.open), high: toMicros(b.high), low: toMicros(b.low), close: toMicros(b.close), volume: toMicros(b.volume) });
const fillRow = (f: { id: string; side: string; quantity: bigint; price: bigint; fee: bigint }) => [f.id, f.side, formatMicros(f.quantity), formatMicros(f.price), formatMicros(f.fee)].join(' ');

/** The fill engine's book over the history: what a backtester does with these orders. */
function backtest() {
  const model = costModel(costs);
  let book: EngineOrder[] = [];
  const fills: EngineFill[] = [];
  for (let i = 0; i < bars.length - 3; i++) {
    if (i > 0) {
      const matched = matchBook(book, priceBar(bars[i]), model);
      fills.push(...matched.fills);
      book = matched.orders;
    }
    for (const placement of placementsAt(i)) {
      const arrived = arriveBook(engineOrders(placement), quoteBar(bars[i].time, toMicros(bars[i].close)), model);
      fills.push(...arrived.fills);
      book.push(...arrived.orders);
    }
  }
  return { fills: fills.map(fillRow).sort(), statuses: Object.fromEntries(book.map((o) => [o.id, `${o.status} ${o.reasonCode ?? ''}`])) };
}

async function paperTrade(db: Database) {
  const replay = new Replay();
  const broker = new Broker(db, replay, { startingCash: 100_000, ...costs, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false });
  await broker.ensureAccount(ACCOUNT);
  for (let i = 0; i < bars.length - 3; i++) {
    replay.current = bars[i];
    if (i > 0) await broker.matchRestingOrders('SPX');
    for (const { key, orders, oco } of placementsAt(i)) {
      const placed = oco ? (await broker.placeOcoOrders(ACCOUNT, orders, key)).group.orders : [(await broker.placeOrder(ACCOUNT, orders[0], key)).order];
      for (const order of placed) expect(order.status).not.toBe('denied');
    }
  }
  const rows = await db.query<{ id: string; side: string; quantity: string; price: string; fee: string }>(
    'SELECT id, side, quantity::text AS quantity, price::text AS price, fee::text AS fee FROM fills WHERE account_id = $1',
    [ACCOUNT],
  );
  const orders = await broker.listOrders(ACCOUNT, { limit: 1000 });
  return {
    fills: rows.map((r) => [r.id, r.side, r.quantity, r.price, r.fee].join(' ')).sort(),
    statuses: Object.fromEntries(orders.map((o) => [o.id, `${o.status} ${o.reasonCode ?? ''}`])),
    ledger: { recomputed: await broker.recompute(ACCOUNT), stored: await broker.storedState(ACCOUNT) },
  };
}

describe('one fill engine: market-on-open, market-on-close, good-till-date and one-cancels-other in the backtester and the paper broker', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  afterAll(() => db?.close());

  it('makes the same fills and leaves every order in the same status', async () => {
    const expected = backtest();
    const paper = await paperTrade(db);
    expect(paper.fills).toEqual(expected.fills);
    expect(paper.statuses).toEqual(expected.statuses);
    expect(paper.ledger.recomputed).toEqual(paper.ledger.stored);
    // Every kind of ending happened, so the comparison saw each rule at work.
    const endings = new Set(Object.values(expected.statuses));
    for (const ending of ['filled ', 'expired expired_gtd', 'cancelled cancelled_by_oco', 'accepted ']) expect(endings).toContain(ending);
    console.log(`${Object.keys(expected.statuses).length} orders, ${paper.fills.length} fills identical (ids, sides, quantities, prices, fees) and the same final statuses`);
  }, 300_000);
});
