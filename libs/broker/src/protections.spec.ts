import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { gatewayMigrations } from './schema';

/** One symbol's price at a market time; `at(price, days)` moves both. */
class Market implements PriceSource {
  quote = { price: 100, time: Date.UTC(2024, 0, 2, 15) };
  price(symbol: string) {
    return symbol === 'SPX' || symbol === 'NDX' ? this.quote : undefined;
  }
  at(price: number, days = 0) {
    this.quote = { price, time: this.quote.time + days * 86_400_000 + 60_000 };
  }
}

const settings: BrokerSettings = { startingCash: 10_000, feeBps: 0, feeFixed: 0, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false };

describe('Broker protections and short selling per account on PGlite', () => {
  let db: Database;
  let market: Market;
  let broker: Broker;
  let account = 0;
  let id = '';
  const buy = (quantity: number, symbol = 'SPX') => broker.placeOrder(id, { symbol, side: 'buy', type: 'market', quantity }).then((r) => r.order);
  const sell = (quantity: number, symbol = 'SPX') => broker.placeOrder(id, { symbol, side: 'sell', type: 'market', quantity }).then((r) => r.order);
  const consistent = async () => expect(await broker.recompute(id)).toEqual(await broker.storedState(id));

  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  beforeEach(async () => {
    market = new Market();
    broker = new Broker(db, market, settings);
    id = `protect-${++account}`;
    await broker.ensureAccount(id);
  });
  afterAll(() => db?.close());

  it('has every protection off by default and refuses bad settings naming the field', async () => {
    expect(await broker.accountConfig(id)).toEqual({});
    expect((await buy(99)).status).toBe('filled');
    await expect(broker.configureAccount(id, { maxDrawdown: 1.5 })).rejects.toMatchObject({ kind: 'invalid', field: 'maxDrawdown', message: 'maxDrawdown: must be at most 1' });
    await expect(broker.configureAccount(id, { maxOpenPositions: 1.5 })).rejects.toMatchObject({ field: 'maxOpenPositions' });
    await expect(broker.configureAccount(id, { leverage: 3 })).rejects.toMatchObject({ kind: 'invalid', field: 'leverage' });
    expect(await broker.configureAccount(id, { maxDrawdown: 0.2 })).toEqual({ maxDrawdown: 0.2 });
    expect(await broker.configureAccount(id, { maxOpenPositions: 2 })).toEqual({ maxDrawdown: 0.2, maxOpenPositions: 2 });
  });

  it('locks new exposure at the maximum drawdown from the peak, still letting positions be reduced', async () => {
    await broker.configureAccount(id, { maxDrawdown: 0.2 });
    await buy(90);
    market.at(150); // equity 10,000 − 9,000 + 13,500 = 14,500: a new peak once a fill records it
    await sell(10);
    market.at(110); // equity 1,000 + 1,500 + 80 × 110 = 11,300: 22 % below 14,500
    const denied = await buy(1);
    expect(denied).toMatchObject({ status: 'denied', reasonCode: 'denied_max_drawdown' });
    expect(denied.reason).toBe('the account is locked against new exposure: equity 11300.00 is 22.1 % below its peak of 14500.00 (limit 20.0 %); orders that reduce positions are still accepted');
    expect((await sell(40)).status).toBe('filled');
    await consistent();
  });

  it('switches to reduce-only for the rest of the day after the daily loss limit, and trades again the next day', async () => {
    await broker.configureAccount(id, { dailyLossLimit: 500 });
    await buy(50);
    market.at(89); // −550 since the day began at 10,000
    expect(await buy(1)).toMatchObject({ status: 'denied', reasonCode: 'denied_daily_loss' });
    expect((await sell(10)).status).toBe('filled');
    market.at(89, 1);
    expect((await buy(1)).status).toBe('filled');
  });

  it('cools down after N losing trades in a row, for the configured minutes of market time', async () => {
    await broker.configureAccount(id, { cooldownAfterLosses: 2, cooldownMinutes: 60 });
    for (const _ of [1, 2]) {
      await buy(10);
      market.at(market.quote.price - 1);
      await sell(10);
    }
    const denied = await buy(10);
    expect(denied).toMatchObject({ status: 'denied', reasonCode: 'denied_cooldown' });
    expect(denied.reason).toMatch(/cooling down after 2 losing trades in a row until 2024-01-02T16:0\d:00.000Z/);
    market.at(100, 0.05); // 72 minutes later
    expect((await buy(10)).status).toBe('filled');
  });

  it('caps open positions and the share of equity in one position', async () => {
    await broker.configureAccount(id, { maxOpenPositions: 1, maxPositionShare: 0.5 });
    const tooBig = await buy(51);
    expect(tooBig).toMatchObject({ status: 'denied', reasonCode: 'denied_position_share' });
    expect(tooBig.reason).toBe('the position would be 5100.00, more than 50.0 % of equity 10000.00 (at most 5000.00); order less');
    expect((await buy(40)).status).toBe('filled');
    expect(await buy(1, 'NDX')).toMatchObject({ status: 'denied', reasonCode: 'denied_max_open_positions' });
    expect((await buy(5)).status).toBe('filled'); // adding to the open position is fine
  });

  it('sells short when the operator and the account allow it, and charges the borrow fee when the short is covered', async () => {
    broker = new Broker(db, market, { ...settings, allowShort: true });
    await broker.configureAccount(id, { allowShort: false });
    expect(await sell(10)).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position' });
    await broker.configureAccount(id, { allowShort: true, borrowRateBps: 365 });
    expect((await sell(10)).status).toBe('filled');
    expect((await broker.portfolio(id)).positions[0]).toMatchObject({ quantity: -10, costBasis: -1000 });
    market.at(90, 10); // ten days and a minute later
    const cover = await buy(10);
    // Borrow: 1,000 × 3.65 % × (10 days + 1 minute) / 365 days = 1.000069
    expect(cover).toMatchObject({ status: 'filled', fees: 1.000069 });
    const portfolio = await broker.portfolio(id);
    expect(portfolio).toMatchObject({ cash: 10_000 + 1000 - 900 - 1.000069, realizedPnl: 100 - 1.000069, feesPaid: 1.000069, positions: [] });
    await consistent();
  });
});
