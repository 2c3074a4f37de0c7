import { migrate, openDatabase, onPostgres, type Database } from '@tradeyard/persistence';
import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import type { Order, PlaceOrder } from '@tradeyard/gateway-contract';
import fc from 'fast-check';
import { Broker, type BrokerSettings, type PriceSource } from './broker';
import { BrokerError } from '@tradeyard/fill-engine';
import { gatewayMigrations } from './schema';

/**
 * Group commit (README "Throughput"): orders placed concurrently go through the broker in shared
 * transactions, and must come out exactly as if each had been placed alone, one after another,
 * in the order they arrived — the same answer to each caller, the same orders, cash and
 * positions — whether they are valid, invalid, exceed buying power, reuse an idempotency key
 * with the same or a different request, or fail in the database.
 */
const settings: BrokerSettings = { startingCash: 5_000, feeBps: 10, feeFixed: 1, slippageBps: 5, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false };
const prices: PriceSource = { price: (symbol) => ({ SPX: { price: 100, time: Date.UTC(2024, 0, 2, 15) }, AAA: { price: 37.5, time: Date.UTC(2024, 0, 2, 15) } })[symbol] };

/** Counts the transactions a broker opens, to show that concurrent placements share them. */
function counting(db: Database) {
  const counter = { transactions: 0 };
  const wrapped: Database = {
    kind: db.kind,
    query: (sql, params) => db.query(sql, params),
    transaction: (fn) => {
      counter.transactions++;
      return db.transaction(fn);
    },
    close: () => db.close(),
  };
  return { db: wrapped, counter };
}

interface Request {
  account: number;
  body: PlaceOrder;
  key?: string;
}

// Quantities that fit, that exceed the cash (5,000 buys 50 SPX), that round to 0 (invalid), and
// one the database cannot store (numeric(24,6) overflows: the write fails, not a check).
const quantity = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 60 }) }, { weight: 1, arbitrary: fc.constant(1e-7) }, { weight: 1, arbitrary: fc.constant(1e19) });
const request = (accounts: number) =>
  fc.record({
    account: fc.integer({ min: 0, max: accounts - 1 }),
    symbol: fc.constantFrom('SPX', 'SPX', 'AAA', 'NOPE'),
    side: fc.constantFrom('buy' as const, 'buy' as const, 'sell' as const),
    type: fc.constantFrom('market' as const, 'limit' as const),
    factor: fc.constantFrom(0.9, 1, 1.1),
    quantity,
    key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
    // A retry: the key's usual request, so the same key comes with the same request (a replay) or another one (a mismatch).
    retry: fc.boolean(),
  }).map(({ account, symbol, side, type, factor, quantity, key, retry }): Request => ({
    account,
    key,
    body:
      key && retry
        ? { symbol: 'SPX', side: 'buy', type: 'market', quantity: Number(key.slice(1)) }
        : { symbol, side, type, quantity, ...(type === 'limit' ? { limitPrice: Math.round((symbol === 'AAA' ? 37.5 : 100) * factor * 100) / 100 } : {}) },
  }));

/** What a caller got, without the ids and times that differ between two runs. */
function answer(result: PromiseSettledResult<{ order: Order; replayed: boolean }>): { error: string } | (ReturnType<typeof normal> & { replayed: boolean }) {
  if (result.status === 'rejected') {
    const err = result.reason as { kind?: string; code?: string };
    // The broker's refusals by kind and code; anything else is the database's (pg and PGlite name their errors differently).
    return { error: err instanceof BrokerError ? `${err.kind}/${err.code}` : `database/${err.code}` };
  }
  return { ...normal(result.value.order), replayed: result.value.replayed };
}
const normal = ({ id: _id, accountId: _account, createdAt: _created, updatedAt: _updated, parentId: _parent, reason: _reason, ...rest }: Order) => rest;

function suite(name: string, open: () => Promise<Database>) {
  describe(`Group commit of placements on ${name}`, () => {
    let db: Database;
    let run = 0;
    const seen = new Set<string>();
    beforeAll(async () => {
      db = await open();
      await migrate(db, gatewayMigrations);
    });
    afterAll(() => db?.close());

    /** Places the requests all at once through one broker and one by one through another; both must agree. */
    async function compare(requests: Request[], accounts: number) {
      const tag = ++run;
      const together = counting(db);
      const batched = new Broker(together.db, prices, settings);
      const alone = new Broker(db, prices, settings);
      const account = (prefix: string, i: number) => `${prefix}-${tag}-${i}`;
      const concurrent = await Promise.allSettled(requests.map((r) => batched.placeOrder(account('together', r.account), r.body, r.key)));
      const sequential: PromiseSettledResult<{ order: Order; replayed: boolean }>[] = [];
      for (const r of requests) sequential.push(await alone.placeOrder(account('alone', r.account), r.body, r.key).then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
      expect(concurrent.map(answer)).toEqual(sequential.map(answer));
      for (const a of concurrent.map(answer)) seen.add('error' in a ? a.error : a.replayed ? 'replayed' : String(a.reasonCode ?? a.status));
      for (let i = 0; i < accounts; i++) {
        const [a, b] = [account('together', i), account('alone', i)];
        const stored = await batched.storedState(a);
        expect(stored).toEqual(await alone.storedState(b));
        expect(await batched.recompute(a)).toEqual(stored);
        const orders = async (id: string) => (await batched.listOrders(id, { limit: 1000 })).map((o) => JSON.stringify(normal(o))).sort();
        expect(await orders(a)).toEqual(await orders(b));
      }
      return together.counter.transactions;
    }

    it('places concurrent orders across accounts and on one account exactly as one by one, in arrival order', async () => {
      for (const accounts of [4, 1]) {
        await fc.assert(
          fc.asyncProperty(fc.array(request(accounts), { minLength: 1, maxLength: 30 }), async (requests) => {
            await compare(requests, accounts);
          }),
          { numRuns: 25 },
        );
      }
      // The runs met every case the batch must keep apart: so the comparison saw them all.
      const cases = ['filled', 'accepted', 'denied_buying_power', 'denied_insufficient_position', 'replayed', 'idempotency_mismatch/idempotency_key_reused',
        'invalid/validation_failed', 'invalid/unknown_symbol', 'database/22003'];
      expect(cases.filter((c) => !seen.has(c))).toEqual([]);
    }, 600_000);

    it('puts orders that arrive together in one transaction; an order the database refuses fails alone', async () => {
      const buy = (quantity: number): Request => ({ account: 0, body: { symbol: 'SPX', side: 'buy', type: 'market', quantity } });
      // 40 orders that each pass: all in one transaction (validation happens before they wait).
      expect(await compare(Array.from({ length: 40 }, () => buy(1)), 1)).toBe(1);
      // The 5th cannot be stored: the shared transaction rolls back and the 10 are placed one by one.
      const requests = Array.from({ length: 10 }, (_, i) => buy(i === 4 ? 1e19 : 2));
      expect(await compare(requests, 1)).toBe(11);
      const orders = await new Broker(db, prices, settings).listOrders(`together-${run}-0`, { limit: 100 });
      expect(orders.map((o) => [o.quantity, o.status])).toEqual(Array.from({ length: 9 }, () => [2, 'filled']));
    }, 120_000);

    it('puts orders that arrive in separate callbacks of one event-loop turn in one transaction, as HTTP requests read together do', async () => {
      // Each placement starts in its own setImmediate callback, as each request of a poll phase
      // starts in its own socket callback. On PGlite a write runs without yielding to the event
      // loop, so a write started by the first caller would leave every later one a write of its own.
      const { db: counted, counter } = counting(db);
      const broker = new Broker(counted, prices, settings);
      const account = `callbacks-${++run}`;
      const placed = await Promise.all(
        Array.from({ length: 20 }, () => new Promise<unknown>((resolve, reject) => setImmediate(() => broker.placeOrder(account, { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 }).then(resolve, reject)))),
      );
      expect(placed).toHaveLength(20);
      expect(counter.transactions).toBe(1);
    });

    it('refuses orders beyond the queue limit at once as overloaded, and writes nothing for them', async () => {
      const broker = new Broker(db, prices, { ...settings, maxQueued: 3 });
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => broker.placeOrder('overload', { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 })));
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      expect(refused).toHaveLength(7);
      for (const err of refused) expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((refused[0] as Error).message).toMatch(/3 orders are already waiting to be placed; retry in a moment/);
      expect(await broker.listOrders('overload')).toHaveLength(3);
      // Once the queue drains, orders are taken again.
      await expect(broker.placeOrder('overload', { symbol: 'SPX', side: 'buy', type: 'market', quantity: 1 })).resolves.toMatchObject({ order: { status: 'filled' } });
    });
  });
}

suite('PGlite', () => openDatabase({}));

onPostgres('Group commit on PostgreSQL', (server) => {
  suite('PostgreSQL', () => openDatabase({ url: server().url }));
});
