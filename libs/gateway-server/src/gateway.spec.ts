import { GatewayClient, GatewayError, type Order } from '@tradeyard/gateway-contract';
import { postgresMissing, redisMissing, startPostgres, startRedis, type TestServer } from '@tradeyard/persistence';
import { parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createGateway, type Gateway } from './gateway';
import { gatewayConfigSchema } from './config';
import { waitFor } from './__fixtures__/wait';
import { secrets } from './__fixtures__/secrets';


async function startGateway(env: Record<string, string> = {}): Promise<{ gateway: Gateway; url: string }> {
  const config = parseConfig(gatewayConfigSchema, {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'gateway-')),
    REPLAY_BARS_PER_SECOND: '5',
    ...secrets,
    ...env,
  });
  const gateway = await createGateway({ ...config, PORT: 0 });
  return { gateway, url: await gateway.start() };
}

function suite(name: string, databaseUrl: () => string | undefined) {
  describe(`gateway on ${name}`, () => {
    let gateway: Gateway;
    let url: string;
    let admin: GatewayClient;
    let adminToken: string;
    beforeAll(async () => {
      const dbUrl = databaseUrl();
      ({ gateway, url } = await startGateway(dbUrl ? { DATABASE_URL: dbUrl, MAX_ORDER_NOTIONAL: '1000000' } : { MAX_ORDER_NOTIONAL: '1000000' }));
      adminToken = (await new GatewayClient({ baseUrl: url }).login('admin', secrets.ADMIN_PASSWORD)).token;
      admin = new GatewayClient({ baseUrl: url, token: adminToken });
      // Start-up builds the synthetic universe and migrates the database: seconds on an idle machine, more under load.
    }, 120_000);
    afterAll(() => gateway?.stop());

    it('logs in, places, fills and cancels orders, and reports portfolio and equity', async () => {
      const quote = await admin.getQuote('SPX');
      const bought = await admin.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 3 });
      expect(bought).toMatchObject({ status: 'filled', filledQuantity: 3 });
      const resting = await admin.placeOrder({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: Math.round(quote.price / 2) });
      expect(resting.status).toBe('accepted');
      expect((await admin.cancelOrder(resting.id)).status).toBe('cancelled');
      expect((await admin.getOrderEvents(resting.id)).map((e) => [e.event, e.from, e.to, e.reasonCode])).toEqual([
        ['accept', 'initialized', 'accepted', null],
        ['cancel', 'accepted', 'cancelled', 'cancelled_by_account'],
      ]);
      // Cancelling again is an illegal transition: a 409 that names the status, and no new entry.
      await expect(admin.cancelOrder(resting.id)).rejects.toMatchObject({ status: 409, body: { error: 'illegal_transition' } });
      expect(await admin.getOrderEvents(resting.id)).toHaveLength(2);
      const sold = await admin.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1 });
      expect(sold.status).toBe('filled');
      const portfolio = await admin.getPortfolio();
      expect(portfolio.positions).toEqual([expect.objectContaining({ symbol: 'SPX', quantity: 2 })]);
      expect(portfolio.equity).toBeCloseTo(portfolio.cash + portfolio.positionsValue, 6);
      // The ledger identity, shown by the API (fees, if any, are part of the realized P&L).
      expect(portfolio.equity).toBeCloseTo(portfolio.initialCash + portfolio.realizedPnl + portfolio.unrealizedPnl, 6);
      expect((await admin.getEquity()).length).toBeGreaterThanOrEqual(3);
      expect((await admin.getOrders()).map((o) => o.status).sort()).toEqual(['cancelled', 'filled', 'filled']);
      expect(await gateway.broker.recompute('admin')).toEqual(await gateway.broker.storedState('admin'));
    });

    it('answers a quantity or limit price that rounds to 0 with a 400 naming the field, and a reused Idempotency-Key with another body with a 422', async () => {
      const refused = async (body: object, key?: string) =>
        admin.request('POST', '/orders', { body, headers: key ? { 'idempotency-key': key } : {} }).then(
          (ok) => ({ status: 201, body: ok as object }),
          (err: GatewayError) => ({ status: err.status, body: err.body as object }),
        );
      expect(await refused({ symbol: 'SPX', side: 'buy', quantity: 1e-7 })).toMatchObject({
        status: 400,
        body: { error: 'validation_failed', details: [{ field: 'body.quantity' }] },
      });
      expect(await refused({ symbol: 'SPX', side: 'buy', type: 'limit', quantity: 1, limitPrice: 1e-7 })).toMatchObject({
        status: 400,
        body: { error: 'validation_failed', details: [{ field: 'body.limitPrice' }] },
      });
      const first = await admin.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }, 'reused-key');
      expect((await admin.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }, 'reused-key')).id).toBe(first.id);
      const reused = await refused({ symbol: 'SPX', side: 'buy', quantity: 2 }, 'reused-key');
      expect(reused).toMatchObject({ status: 422, body: { error: 'idempotency_key_reused', details: [{ field: 'headers.idempotency-key' }] } });
      expect(JSON.stringify(reused.body)).toContain('reused-key');
    });

    it('answers 200 hostile or malformed requests with a 4xx naming the problem, never a 500, ledger unchanged', async () => {
      const before = await gateway.broker.storedState('admin');
      const ordersBefore = (await admin.getOrders({ limit: 1000 })).length;
      const { token: viewerToken } = await (async () => {
        await admin.request('POST', '/users', { body: { username: `viewer-${name.length}`, password: 'viewer-pass-1', role: 'viewer' } }).catch(() => undefined);
        return new GatewayClient({ baseUrl: url }).login(`viewer-${name.length}`, 'viewer-pass-1');
      })();
      const bodies: unknown[] = [
        {}, { symbol: 'SPX' }, { symbol: 'SPX', side: 'buy' }, { symbol: 'SPX', side: 'hold', quantity: 1 }, { symbol: 'SPX', side: 'buy', quantity: -1 },
        { symbol: 'SPX', side: 'buy', quantity: 0 }, { symbol: 'SPX', side: 'buy', quantity: 1e300 }, { symbol: 'SPX', side: 'buy', quantity: 'ten' },
        { symbol: 'NOPE', side: 'buy', quantity: 1 }, { symbol: 'spx!', side: 'buy', quantity: 1 }, { symbol: 'SPX', side: 'buy', quantity: 1, type: 'limit' },
        { symbol: 'SPX', side: 'buy', quantity: 1, limitPrice: 5 }, { symbol: 'SPX', side: 'buy', quantity: 1, extra: true }, [], 'text', null, 42,
        { symbol: 'SPX', side: 'buy', quantity: Number.NaN }, { symbol: 'SPX', side: 'sell', quantity: 1, type: 'limit', limitPrice: -3 }, { symbol: 123, side: 'buy', quantity: 1 },
      ];
      const requests: Array<{ method: string; path: string; body?: string; token?: string; expect: number[] }> = [];
      for (const body of bodies) {
        for (const token of [adminToken, undefined, 'not-a-token', viewerToken, `${adminToken}x`]) {
          requests.push({ method: 'POST', path: '/api/v1/orders', body: JSON.stringify(body), token, expect: [400, 401, 403] });
        }
      }
      const others = [
        { method: 'POST', path: '/api/v1/orders', body: '{"symbol": "SPX", ', token: adminToken },
        { method: 'GET', path: '/api/v1/orders/not-a-uuid', token: adminToken },
        { method: 'DELETE', path: '/api/v1/orders/00000000-0000-4000-8000-000000000000', token: adminToken },
        { method: 'GET', path: '/api/v1/quotes/NOPE', token: adminToken },
        { method: 'GET', path: '/api/v1/quotes/%00%ff', token: adminToken },
        { method: 'GET', path: '/api/v1/bars/SPX?limit=-5', token: adminToken },
        { method: 'GET', path: '/api/v1/bars/SPX?limit=99999999999', token: adminToken },
        { method: 'GET', path: '/api/v1/orders?status=open', token: adminToken },
        { method: 'GET', path: '/api/v1/signals?from=yesterday', token: adminToken },
        { method: 'POST', path: '/api/v1/signals', body: '{"id": 5}', token: secrets.SCANNER_TOKEN },
        { method: 'POST', path: '/api/v1/users', body: '{"username":"x","password":"y","role":"god"}', token: adminToken },
        { method: 'POST', path: '/api/v1/users', body: '{"username":"x","password":"longenough","role":"admin"}', token: viewerToken },
        { method: 'POST', path: '/api/v1/auth/login', body: '{"username":"admin","password":"wrong"}' },
        { method: 'POST', path: '/api/v1/auth/login', body: '{"username":"admin"}' },
        { method: 'GET', path: '/api/v1/portfolio' },
        { method: 'GET', path: '/api/v1/nothing-here', token: adminToken },
      ];
      while (requests.length < 200) requests.push({ ...others[requests.length % others.length], expect: [400, 401, 403, 404, 409, 413] });
      const results = await Promise.all(
        requests.map(async (r) => {
          const res = await fetch(url + r.path, {
            method: r.method,
            headers: { 'content-type': 'application/json', ...(r.token ? { authorization: `Bearer ${r.token}` } : {}) },
            body: r.body,
          });
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          return { r, status: res.status, body };
        }),
      );
      expect(results).toHaveLength(200);
      for (const { r, status, body } of results) {
        if (status < 400 || status >= 500 || !body.message) throw new Error(`${r.method} ${r.path} ${r.body ?? ''} -> ${status} ${JSON.stringify(body)}`);
      }
      const named = results.find((x) => x.r.body === JSON.stringify({ symbol: 'SPX', side: 'buy', quantity: -1 }) && x.r.token === adminToken);
      expect(named?.body.message).toBe('body.quantity: must be greater than 0');
      expect(await gateway.broker.storedState('admin')).toEqual(before);
      expect((await admin.getOrders({ limit: 1000 })).length).toBe(ordersBefore);
    });

    it('keeps the ledger equal to its recomputation under 1,000 concurrent orders from 50 clients with retries', async () => {
      // The ledger under concurrency is the subject here, not latency (tools/bench/order-latency.ts
      // measures its tail): the client waits as long as a loaded machine takes.
      const service = new GatewayClient({ baseUrl: url, token: secrets.MCP_TOOLS_TOKEN, timeoutMs: 120_000 });
      const before = (await service.getOrders({ limit: 1000 })).length;
      const placed = new Map<string, string>();
      await Promise.all(
        Array.from({ length: 50 }, async (_, client) => {
          for (let i = 0; i < 20; i++) {
            const key = `c${client}-o${i}`;
            const order = { symbol: 'SPX', side: (i % 4 === 3 ? 'sell' : 'buy') as 'buy' | 'sell', quantity: 0.5 + (i % 3) };
            const first: Order = await service.placeOrder(order, key);
            if (i % 5 === 0) expect((await service.placeOrder(order, key)).id).toBe(first.id); // a retry is a no-op
            placed.set(key, first.id);
          }
        }),
      );
      expect(new Set(placed.values()).size).toBe(1000);
      const orders = await service.getOrders({ limit: 1000 });
      expect(orders.length - before).toBe(1000);
      expect(await gateway.broker.recompute('agent')).toEqual(await gateway.broker.storedState('agent'));
    }, 120_000);

    it('serves OpenAPI at /openapi.json and /docs (the same document) and health without a token', async () => {
      const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
      expect(document.paths['/api/v1/orders'].post.security).toEqual([{ bearer: [] }]);
      expect(document.paths['/api/v1/auth/login'].post.security).toBeUndefined();
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      expect((await fetch(`${url}/docs/json`)).status).toBe(200);
      const spec = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toContain('/api/v1/orders');
      expect((await fetch(`${url}/ready`)).status).toBe(200);
    });
  });
}

suite('PGlite', () => undefined);

const pgMissing = postgresMissing();
let pg: TestServer | undefined;
if (pgMissing) {
  it.skip(`gateway on PostgreSQL: skipped: ${pgMissing}`, () => undefined);
} else {
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(() => pg?.stop());
  suite('PostgreSQL', () => pg!.url);
}

const redisReason = pgMissing ?? redisMissing();
if (redisReason) {
  it.skip(`two replicas over Redis: skipped: ${redisReason}`, () => undefined);
} else {
  describe('two gateway replicas sharing PostgreSQL and Redis', () => {
    let redis: TestServer;
    let one: { gateway: Gateway; url: string };
    let two: { gateway: Gateway; url: string };
    beforeAll(async () => {
      redis = await startRedis();
      const env = { DATABASE_URL: pg!.url, REDIS_URL: redis.url };
      one = await startGateway(env);
      two = await startGateway(env);
    }, 60_000);
    afterAll(async () => {
      await one?.gateway.stop();
      await two?.gateway.stop();
      await redis?.stop();
    });

    it('delivers a fill made on one replica to a WebSocket client of the other', async () => {
      const socket = new WebSocket(`${two.url.replace('http', 'ws')}/ws?token=${secrets.MCP_TOOLS_TOKEN}`);
      const messages: Array<{ channel: string; data: { orderId?: string } }> = [];
      socket.on('message', (raw) => messages.push(JSON.parse(String(raw))));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'subscribe', channels: ['fills', 'orders'] }));
      await waitFor(() => messages.some((m) => m.channel === 'subscribed'));
      const order = await new GatewayClient({ baseUrl: one.url, token: secrets.MCP_TOOLS_TOKEN }).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
      await waitFor(() => messages.some((m) => m.channel === 'fills' && m.data.orderId === order.id));
      socket.close();
      expect(messages.find((m) => m.channel === 'fills')?.data.orderId).toBe(order.id);
    });

    it('takes orders while Redis is down, says so on /ready, and delivers their fills once Redis is back', async () => {
      const socket = new WebSocket(`${two.url.replace('http', 'ws')}/ws?token=${secrets.MCP_TOOLS_TOKEN}`);
      const fills: string[] = [];
      let subscribed = false;
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw));
        if (message.channel === 'fills') fills.push(message.data.orderId);
        if (message.channel === 'subscribed') subscribed = true;
      });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'subscribe', channels: ['fills'] }));
      await waitFor(() => subscribed);
      await redis.down();
      try {
        const ready = await fetch(`${one.url}/ready`);
        expect(ready.status).toBe(503);
        expect(ready.headers.get('retry-after')).toBe('2');
        expect(((await ready.json()) as { missing: string[] }).missing).toEqual(['redis']);
        const order = await new GatewayClient({ baseUrl: one.url, token: secrets.MCP_TOOLS_TOKEN }).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
        expect(order.status).toBe('filled');
        // Logins are limited through Redis: without it they are refused as unavailable, not 500.
        const login = await fetch(`${one.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: secrets.ADMIN_PASSWORD }),
        });
        expect(login.status).toBe(503);
        expect(login.headers.get('retry-after')).toBe('2');
        expect(await login.json()).toEqual({ error: 'unavailable', message: expect.stringMatching(/^redis unavailable: .*; retry in 2 s$/) });
        await new Promise((r) => setTimeout(r, 500));
        expect(fills).not.toContain(order.id);
        await redis.up();
        await waitFor(() => fills.includes(order.id));
        expect((await fetch(`${two.url}/ready`)).status).toBe(200);
      } finally {
        socket.close();
        if (!(await fetch(`${one.url}/ready`)).ok) await redis.up().catch(() => undefined);
      }
    }, 40_000);

    it('answers 503 with Retry-After while PostgreSQL is down and takes orders again once it is back', async () => {
      const trader = new GatewayClient({ baseUrl: one.url, token: secrets.MCP_TOOLS_TOKEN });
      await pg!.down();
      try {
        // A refusal at once, not a wait for the database: a hang would meet the test's timeout.
        const refused = await fetch(`${one.url}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.MCP_TOOLS_TOKEN}` },
          body: JSON.stringify({ symbol: 'SPX', side: 'buy', quantity: 1 }),
        });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('2');
        expect(await refused.json()).toEqual({ error: 'unavailable', message: expect.stringMatching(/^database unavailable: /) });
        const ready = await fetch(`${one.url}/ready`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as { missing: string[] }).missing).toEqual(['database']);
      } finally {
        await pg!.up();
      }
      expect((await trader.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 })).status).toBe('filled');
      expect((await fetch(`${one.url}/ready`)).status).toBe(200);
    }, 40_000);

    it('refuses a WebSocket without a valid token', async () => {
      const socket = new WebSocket(`${one.url.replace('http', 'ws')}/ws?token=wrong`);
      const code = await new Promise((resolve) => socket.on('close', resolve));
      expect(code).toBe(4401);
    });
  });
}

it('rejects a bad token as 401 through the typed client', async () => {
  const { gateway, url } = await startGateway();
  await expect(new GatewayClient({ baseUrl: url, token: 'nope' }).getPortfolio()).rejects.toBeInstanceOf(GatewayError);
  await gateway.stop();
}, 120_000);
