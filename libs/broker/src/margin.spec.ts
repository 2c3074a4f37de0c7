import { MICROS, toMicros } from '@tradeyard/money';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import fc from 'fast-check';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { DEFAULT_SHORT_MARGIN, marginDenial } from '@tradeyard/fill-engine';
import { gatewayMigrations } from './schema';

/** Two symbols at one price and market time; `at(price)` moves SPX a minute later. */
class Market implements PriceSource {
  quote = { price: 100, time: Date.UTC(2024, 0, 2, 15) };
  price(symbol: string) {
    return symbol === 'SPX' || symbol === 'NDX' ? (symbol === 'SPX' ? this.quote : { price: 50, time: this.quote.time }) : undefined;
  }
  at(price: number) {
    this.quote = { price, time: this.quote.time + 60_000 };
  }
}

const operator = (allowShort: boolean): BrokerSettings => ({ startingCash: 10_000, feeBps: 0, feeFixed: 0, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort });

describe('short selling: operator policy and margin on PGlite', () => {
  let db: Database;
  let market: Market;
  let account = 0;
  let id = '';
  const order = (broker: Broker, side: 'buy' | 'sell', quantity: number, symbol = 'SPX') => broker.placeOrder(id, { symbol, side, type: 'market', quantity }).then((r) => r.order);

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  beforeEach(async () => {
    market = new Market();
    id = `margin-${++account}`;
  });
  afterAll(() => db?.close());

  it('refuses an account opting into short selling the operator forbids, and ignores such a setting stored before', async () => {
    const broker = new Broker(db, market, operator(false));
    await broker.ensureAccount(id);
    await expect(broker.configureAccount(id, { allowShort: true })).rejects.toMatchObject({
      kind: 'invalid', field: 'allowShort', message: "allowShort: must not be true: the operator's policy (ALLOW_SHORT=false) forbids short selling on every account",
    });
    expect(await broker.configureAccount(id, { allowShort: false })).toEqual({ allowShort: false });
    // A setting stored before the operator's policy won does not widen it.
    await db.query('UPDATE accounts SET config = $2 WHERE id = $1', [id, JSON.stringify({ allowShort: true })]);
    expect(await order(broker, 'sell', 1)).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position' });
  });

  it('lets an account opt out where the operator allows short selling', async () => {
    const broker = new Broker(db, market, operator(true));
    await broker.ensureAccount(id);
    await broker.configureAccount(id, { allowShort: false });
    expect(await order(broker, 'sell', 1)).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position' });
    await broker.configureAccount(id, { allowShort: true });
    expect(await order(broker, 'sell', 1)).toMatchObject({ status: 'filled' });
  });

  it('denies a short sale beyond the initial margin: equity must cover 50 % of the short value after it', async () => {
    const broker = new Broker(db, market, operator(true));
    await broker.ensureAccount(id);
    // 10,000 of equity carries at most 20,000 of shorts: 200 at 100 is exactly at the requirement.
    expect(await order(broker, 'sell', 200.000001)).toMatchObject({
      status: 'denied', reasonCode: 'denied_margin', filledQuantity: 0,
      reason: 'the short sale needs equity of 10000.00 (initial margin 50.0 % of short value 20000.00 after it); the account would have 10000.00: sell less',
    });
    expect(await order(broker, 'sell', 200)).toMatchObject({ status: 'filled' });
    expect(await order(broker, 'sell', 1)).toMatchObject({ status: 'denied', reasonCode: 'denied_margin' });
    // Covering is never refused; a long buy with the cash is no short.
    expect(await order(broker, 'buy', 50)).toMatchObject({ status: 'filled' });
    expect(await order(broker, 'buy', 10, 'NDX')).toMatchObject({ status: 'filled' });
    const events = await broker.orderEvents(id, (await broker.listOrders(id, { status: 'denied', limit: 1 }))[0].id);
    expect(events.map((e) => [e.event, e.from, e.to, e.reasonCode])).toEqual([['deny', 'initialized', 'denied', 'denied_margin']]);
  });

  it('refuses new risk below the maintenance margin and accepts the orders that reduce it', async () => {
    const broker = new Broker(db, market, operator(true));
    await broker.ensureAccount(id);
    expect(await order(broker, 'sell', 150)).toMatchObject({ status: 'filled' }); // cash 25,000, short 15,000
    market.at(130); // short 19,500, equity 5,500: below 30 % (5,850)
    expect(await order(broker, 'buy', 1, 'NDX')).toMatchObject({
      status: 'denied', reasonCode: 'denied_margin_call',
      reason: "the account is below its maintenance margin: equity 5500.00 is less than 30.0 % of its short positions' value 19500.00 (5850.00); only orders that reduce positions are accepted until it is back above",
    });
    expect(await order(broker, 'sell', 1)).toMatchObject({ status: 'denied', reasonCode: 'denied_margin_call' });
    expect(await order(broker, 'buy', 20)).toMatchObject({ status: 'filled' }); // short 16,900, equity 5,500: above 5,070
    expect(await order(broker, 'buy', 1, 'NDX')).toMatchObject({ status: 'filled' });
  });

  it('rejects a resting short sale whose fill would breach the initial margin', async () => {
    const broker = new Broker(db, market, operator(true));
    await broker.ensureAccount(id);
    const resting = (await broker.placeOrder(id, { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 150, limitPrice: 110 })).order;
    expect(resting.status).toBe('accepted');
    expect(await order(broker, 'sell', 100)).toMatchObject({ status: 'filled' }); // short 10,000 of the 20,000 the equity carries
    market.at(110);
    await broker.matchRestingOrders('SPX');
    expect(await broker.getOrder(id, resting.id)).toMatchObject({ status: 'rejected', reasonCode: 'rejected_margin' });
  });

  it('never leaves a short sale it fills below the initial margin (property)', async () => {
    const prices = fc.integer({ min: 50, max: 200 });
    const step = fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), quantity: fc.integer({ min: 1, max: 150 }), price: prices });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        market = new Market();
        id = `margin-${++account}`;
        const broker = new Broker(db, market, operator(true));
        await broker.ensureAccount(id);
        for (const s of steps) {
          market.at(s.price);
          const before = (await broker.portfolio(id)).positions[0]?.quantity ?? 0;
          const placed = await order(broker, s.side, s.quantity);
          const after = (await broker.portfolio(id)).positions[0]?.quantity ?? 0;
          const { equity } = await broker.portfolio(id);
          if (placed.status === 'filled' && after < Math.min(before, 0)) {
            // equity ≥ 50 % of the short value, exactly, in micro-units
            expect(toMicros(equity) * MICROS >= toMicros(DEFAULT_SHORT_MARGIN.initial) * toMicros(-after * s.price)).toBe(true);
          }
          if (placed.reasonCode === 'denied_margin') expect(after).toBe(before);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('marginDenial', () => {
  const inputs = { reducing: false, increasesShort: true, equity: 10_000n * MICROS, shortValue: 0n, equityAfter: 10_000n * MICROS, shortValueAfter: 20_000n * MICROS };

  it('holds exactly at the requirement and refuses a micro-unit beyond it', () => {
    expect(marginDenial(DEFAULT_SHORT_MARGIN, inputs)).toBeUndefined();
    expect(marginDenial(DEFAULT_SHORT_MARGIN, { ...inputs, shortValueAfter: inputs.shortValueAfter + 1n })?.code).toBe('margin');
  });

  it('never refuses an order that only reduces a position', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (equity, shortValue) =>
        marginDenial(DEFAULT_SHORT_MARGIN, { ...inputs, reducing: true, equity, shortValue, equityAfter: equity, shortValueAfter: shortValue }) === undefined,
      ),
    );
  });
});
