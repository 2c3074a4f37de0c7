import { divRound, notional, toMicros } from '@tradeyard/money';
import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import fc from 'fast-check';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { BrokerError } from '@tradeyard/fill-engine';
import { gatewayMigrations } from './schema';

/**
 * Random sequences of orders, cancels, price moves and broker restarts (a new Broker over the
 * same database) against one account. After every step the ledger must be exact and safe:
 * stored state equal to its recomputation from the fills, cash = initial + realized − cost basis
 * to the micro-unit (hence equity = initial + realized + unrealized), no position below zero
 * (no oversell), cash never negative and never below what resting buys reserve (no overspend),
 * resting sells never reserving more shares than are held, and nothing accepted that later
 * cannot fill for lack of cash or shares.
 */
const settings: BrokerSettings = { startingCash: 3_000, feeBps: 10, feeFixed: 1, slippageBps: 5, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false };

/** Prices whose time moves on with every change: each new price is a new bar for the fill engine. */
class MovingMap extends Map<string, number> {
  time = 1;
  override set(symbol: string, price: number) {
    this.time++;
    return super.set(symbol, price);
  }
}

class MovingPrices implements PriceSource {
  readonly prices = new MovingMap([['AAA', 100], ['BBB', 37.5]]);
  price(symbol: string) {
    const price = this.prices.get(symbol);
    return price === undefined ? undefined : { price, time: this.prices.time };
  }
}

// Quantities with up to 7 decimals (some round to 0 and are refused as invalid); limit prices and
// price moves relative to the current price, so resting orders rest, cross and compete for the
// same cash and shares.
const quantity = fc.integer({ min: 1, max: 300_000_000 }).map((n) => n / 1e7);
const factor = fc.integer({ min: 8_000_000, max: 12_500_000 }).map((n) => n / 1e7);
const symbol = fc.constantFrom('AAA', 'AAA', 'AAA', 'BBB');
const side = fc.constantFrom('buy' as const, 'sell' as const);
const action = fc.oneof(
  fc.record({ kind: fc.constant('market' as const), symbol, side, quantity }),
  fc.record({ kind: fc.constant('limit' as const), symbol, side, quantity, factor }),
  fc.record({ kind: fc.constant('limit' as const), symbol, side, quantity, factor }),
  // A buy of nearly all the cash, to press against buying power and reservations.
  fc.record({ kind: fc.constant('sweep' as const), symbol, share: fc.integer({ min: 900_000, max: 1_000_000 }).map((n) => n / 1e6) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('move' as const), symbol, factor }),
  fc.record({ kind: fc.constant('restart' as const) }),
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

describe('Broker properties on PGlite', () => {
  let db: Database;
  let runs = 0;
  const seen = new Map<string, number>();
  beforeAll(async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations);
  });
  afterAll(() => db?.close());

  async function check(broker: Broker, accountId: string) {
    const stored = await broker.storedState(accountId);
    expect(await broker.recompute(accountId)).toEqual(stored);
    const positions = Object.values(stored.positions);
    const realized = positions.reduce((sum, p) => sum + p.realizedPnl, 0n);
    const cost = positions.reduce((sum, p) => sum + p.cost, 0n);
    expect(stored.cash).toBe(toMicros(settings.startingCash) + realized - cost);
    for (const p of positions) expect(p.quantity).toBeGreaterThanOrEqual(0n);
    expect(stored.cash).toBeGreaterThanOrEqual(0n);
    // What the open orders could still take, computed from the orders alone (not from the
    // broker's reservation columns): resting sells never exceed the shares held, resting buys
    // at their limit plus fees never exceed the cash.
    const open = (await broker.listOrders(accountId, { limit: 1000 })).filter((o) => o.status === 'accepted' || o.status === 'partially_filled');
    let committedCash = 0n;
    const committedShares = new Map<string, bigint>();
    for (const o of open) {
      const remaining = toMicros(o.quantity) - toMicros(o.filledQuantity);
      if (o.side === 'sell') committedShares.set(o.symbol, (committedShares.get(o.symbol) ?? 0n) + remaining);
      else {
        const cost = notional(remaining, toMicros(o.limitPrice!));
        committedCash += cost + toMicros(settings.feeFixed) + divRound(cost * toMicros(settings.feeBps), 10_000n * 1_000_000n);
      }
    }
    expect(stored.cash).toBeGreaterThanOrEqual(committedCash);
    for (const [s, shares] of committedShares) expect(shares).toBeLessThanOrEqual(stored.positions[s]?.quantity ?? 0n);
    // The API shows the identity: equity = initial cash + realized + unrealized, to the micro-unit.
    const portfolio = await broker.portfolio(accountId);
    const micros = (x: number) => BigInt(Math.round(x * 1e6));
    expect(micros(portfolio.equity)).toBe(micros(portfolio.initialCash) + micros(portfolio.realizedPnl) + micros(portfolio.unrealizedPnl));
  }

  it('keeps the ledger exact and never oversells, overspends or goes below zero cash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions: Action[]) => {
        const accountId = `prop-${++runs}`;
        const prices = new MovingPrices();
        let broker = new Broker(db, prices, settings);
        await broker.ensureAccount(accountId);
        for (const a of actions) {
          try {
            if (a.kind === 'market') await broker.placeOrder(accountId, { symbol: a.symbol, side: a.side, type: 'market', quantity: a.quantity });
            else if (a.kind === 'limit') {
              const limitPrice = Math.round(prices.prices.get(a.symbol)! * a.factor * 1e7) / 1e7;
              await broker.placeOrder(accountId, { symbol: a.symbol, side: a.side, type: 'limit', quantity: a.quantity, limitPrice });
            }
            else if (a.kind === 'sweep') {
              const { cash } = await broker.portfolio(accountId);
              const quantity = Math.floor(((cash * a.share) / prices.prices.get(a.symbol)!) * 1e6) / 1e6;
              await broker.placeOrder(accountId, { symbol: a.symbol, side: 'buy', type: 'market', quantity });
            } else if (a.kind === 'cancel') {
              const orders = await broker.listOrders(accountId, { limit: 1000 });
              if (orders.length) await broker.cancelOrder(accountId, orders[a.pick % orders.length].id);
            } else if (a.kind === 'move') {
              prices.prices.set(a.symbol, Math.round(prices.prices.get(a.symbol)! * a.factor * 1e7) / 1e7);
              await broker.matchRestingOrders(a.symbol);
            } else broker = new Broker(db, prices, settings);
          } catch (err) {
            // Refusals the API answers as 400 (rounds to 0) or 409 (cancel of a closed order) are expected.
            if (!(err instanceof BrokerError && (err.kind === 'invalid' || err.kind === 'conflict'))) throw err;
          }
          await check(broker, accountId);
        }
        const orders = await broker.listOrders(accountId, { limit: 1000 });
        for (const o of orders) seen.set(o.status, (seen.get(o.status) ?? 0) + 1);
        // Without position limits, what was accepted can always fill: reservations hold the cash and
        // shares it needs, so nothing is accepted and then rejected for lack of them.
        expect(orders.filter((o) => o.status === 'rejected')).toEqual([]);
      }),
      { numRuns: 100 },
    );
    // The sequences reached every status these settings can produce, so the checks saw them all.
    for (const status of ['accepted', 'filled', 'cancelled', 'denied']) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
  }, 300_000);
});
