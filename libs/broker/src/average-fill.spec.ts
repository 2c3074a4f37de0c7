import { toMicros } from '@tradeyard/money';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import fc from 'fast-check';
import { DailyBars } from './__fixtures__/daily-bars';
import { Broker, type BrokerSettings } from './broker';
import { gatewayMigrations } from './schema';

const settings: BrokerSettings = { startingCash: 1e9, feeBps: 0, feeFixed: 0, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false };

/** Σ qᵢ·pᵢ / Σ qᵢ of the stored fills, in micro-units, rounded once to the nearest (halves up: all positive), by remainder. */
function exactAverage(fills: { quantity: string; price: string }[]): number {
  const micros = (text: string) => toMicros(Number(text));
  const value = fills.reduce((sum, f) => sum + micros(f.quantity) * micros(f.price), 0n);
  const quantity = fills.reduce((sum, f) => sum + micros(f.quantity), 0n);
  const whole = value / quantity;
  return Number(2n * (value % quantity) >= quantity ? whole + 1n : whole) / 1e6;
}

describe('average fill price of the paper broker on PGlite', () => {
  let db: Database;
  let account = 0;
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  afterAll(() => db?.close());

  it('reports a single fill at 1,403.449951 as exactly that, placed and read back', async () => {
    const bars = new DailyBars();
    bars.next(1403.449951, 1403.449951, 1403.449951, 1403.449951);
    const broker = new Broker(db, bars, settings);
    const id = `avg-${++account}`;
    const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', quantity: 0.3 });
    expect(order).toMatchObject({ status: 'filled', filledQuantity: 0.3, avgFillPrice: 1403.449951 });
    expect((await broker.getOrder(id, order.id)).avgFillPrice).toBe(1403.449951);
    expect((await broker.listOrders(id))[0].avgFillPrice).toBe(1403.449951);
  });

  it('reports the exact quantity-weighted average of partial fills over several bars, rounded once', async () => {
    const bars = new DailyBars();
    // At most a tenth of each bar's volume fills: an order fills over several bars, at several prices.
    const broker = new Broker(db, bars, { ...settings, volumeLimit: 0.1, slippageBps: 7 });
    const price = fc.integer({ min: 1, max: 3_000_000_000 }).map((n) => n / 1e6);
    const bar = fc.record({ price, volume: fc.integer({ min: 1, max: 30_000_000 }).map((n) => n / 1e6) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 9_000_000 }).map((n) => n / 1e6), fc.array(bar, { minLength: 2, maxLength: 6 }), async (quantity, steps) => {
        const id = `avg-${++account}`;
        bars.latest = { ...bars.latest, open: steps[0].price, high: steps[0].price, low: steps[0].price, close: steps[0].price, volume: steps[0].volume };
        const { order } = await broker.placeOrder(id, { symbol: 'SPX', side: 'buy', quantity });
        for (const step of steps.slice(1)) {
          bars.next(step.price, step.price, step.price, step.price, step.volume);
          await broker.matchRestingOrders('SPX');
        }
        const fills = await db.query<{ quantity: string; price: string }>('SELECT quantity::text AS quantity, price::text AS price FROM fills WHERE order_id = $1', [order.id]);
        fc.pre(fills.length > 0);
        expect((await broker.getOrder(id, order.id)).avgFillPrice).toBe(exactAverage(fills));
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
