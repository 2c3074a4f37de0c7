import rateLimit from '@fastify/rate-limit';
import fastifyJwt from '@fastify/jwt';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { Broker, BrokerError, gatewayMigrations } from '@tradeyard/broker';
import { openStatuses } from '@tradeyard/fill-engine';
import {
  barsQuerySchema,
  loginRequestSchema,
  ordersQuerySchema,
  placeOrderSchema,
  roleSchema,
  signalSchema,
  signalsQuerySchema,
  type Role,
} from '@tradeyard/gateway-contract';
import { symbolSchema } from '@tradeyard/market-data';
import { type MarketHub, openMarket, UnsupportedIntervalError } from '@tradeyard/market-hub';
import { migrate, openDatabase, OutboxRelay, type Database } from '@tradeyard/persistence';
import { createLogger, createService, packageAsset, validationFailed } from '@tradeyard/service-kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { checkLogin, ensureUser, hasRole, sameSecret, servicePrincipal, type Principal } from './auth';
import { InProcessBus, RedisBus, redisUnavailable, type EventBus, type SharedEvent } from './bus';
import type { GatewayConfig } from './config';
import { chartLibrary, dashboardHtml } from './dashboard';
import { HttpError, installErrorHandling, parseInput } from './http-errors';
import { insertSignal, searchSignals, signalMigrations } from './signal-store';
import { registerWebSocket } from './ws';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const idParams = z.object({ id: z.string().uuid('must be an order id (UUID)') });
const symbolParams = z.object({ symbol: symbolSchema });
const newUserSchema = z.strictObject({
  username: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'must be 1-64 lowercase letters, digits, dot, dash or underscore'),
  password: z.string().min(8, 'must be at least 8 characters').max(200, 'must be at most 200 characters'),
  role: roleSchema,
});
const idempotencyKeySchema = z.string().min(1).max(200, 'must be at most 200 characters').optional();
const orderHeaders = z.object({ 'idempotency-key': idempotencyKeySchema });

const docs = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

/** The HTTP status of each kind of broker error; the broker itself knows no HTTP. */
const brokerErrorStatus: Record<BrokerError['kind'], number> = { invalid: 400, not_found: 404, conflict: 409, idempotency_mismatch: 422 };

// Literal, as in the broker, so the partial index on open orders serves the query.
const openStatusList = `(${openStatuses.map((status) => `'${status}'`).join(', ')})`;

/** What a caller may supply instead of the gateway opening it from the config (tests do). */
export interface GatewayDependencies {
  /** An open database the gateway migrates, uses and closes; default: opened from DATABASE_URL or DATA_DIR. */
  database?: Database;
  /** Wall clock of the market replay, in ms since the epoch; default Date.now. */
  now?: () => number;
}

/**
 * /ready's market check: not ready while no symbol has a bar; degraded (ready, with the note)
 * while a live venue fails and its symbols are served stale.
 */
function marketReadiness(status: ReturnType<MarketHub['status']>): string | undefined {
  if (status.withData === 0) throw new Error(`no market data yet for any of ${status.symbols} symbols${status.stale.length ? `: ${status.stale[0].error}` : ''}`);
  if (status.stale.length) return `degraded: ${status.stale.length} of ${status.symbols} symbols stale (${status.stale[0].symbol}: ${status.stale[0].error})`;
  return undefined;
}

/** Builds the gateway: database (migrated), broker, market hub, auth, REST, WebSocket, dashboard. */
export async function createGateway(config: GatewayConfig, dependencies: GatewayDependencies = {}) {
  const now = dependencies.now ?? Date.now;
  // Dependencies log before the service exists; the same name and level as the service's logger.
  const depLog = createLogger('api-gateway', config.LOG_LEVEL);
  const db: Database =
    dependencies.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : config.DATA_DIR, log: depLog }));
  await migrate(db, [...gatewayMigrations, ...signalMigrations]);
  await ensureUser(db, config.ADMIN_USERNAME, config.ADMIN_PASSWORD, 'admin');
  await db.query("INSERT INTO settings (key, value) VALUES ('replay_started_at', $1) ON CONFLICT (key) DO NOTHING", [String(now())]);
  const [{ value: startedAt }] = await db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'replay_started_at'");

  const bus: EventBus = config.REDIS_URL ? RedisBus.connect(config.REDIS_URL, depLog) : new InProcessBus();
  // Events reach the bus only through the outbox, written in the transaction of the change.
  const relay = new OutboxRelay(db, (payload) => bus.publish(payload as SharedEvent), { log: depLog });
  const market = openMarket({
    provider: config.MARKET_PROVIDER,
    replay: { barsPerSecond: config.REPLAY_BARS_PER_SECOND, startDate: config.REPLAY_START_DATE, startedAt: Number(startedAt), now },
    synthetic: { seed: config.SYNTHETIC_SEED, symbols: config.SYNTHETIC_SYMBOLS },
    filesDir: config.MARKET_FILES_DIR,
    binance: { baseUrl: config.BINANCE_BASE_URL, streamUrl: config.BINANCE_STREAM_URL, symbols: config.BINANCE_SYMBOLS, interval: config.BINANCE_INTERVAL },
    alphavantage: { baseUrl: config.ALPHAVANTAGE_BASE_URL, apiKey: config.ALPHAVANTAGE_API_KEY, symbols: config.ALPHAVANTAGE_SYMBOLS },
    venue: { pollMs: config.VENUE_POLL_SECONDS * 1000, timeoutMs: config.VENUE_TIMEOUT_MS },
    log: depLog,
  });
  const { hub } = market;
  const broker = new Broker(
    db,
    hub,
    {
      startingCash: config.PAPER_STARTING_CASH,
      feeBps: config.FEE_BPS,
      feeFixed: config.FEE_FIXED,
      slippageBps: config.SLIPPAGE_BPS,
      maxOrderNotional: config.MAX_ORDER_NOTIONAL,
      maxPositionNotional: config.MAX_POSITION_NOTIONAL,
      allowShort: config.ALLOW_SHORT === 'true',
    },
    () => relay.nudge(),
  );
  // Users get their paper account at login or creation; the service principal's exists from the start.
  await broker.ensureAccount(servicePrincipal.accountId);

  let ticker: NodeJS.Timeout | undefined;
  const service = createService({
    name: 'api-gateway',
    config,
    readiness: [
      { name: 'database', check: async () => void (await db.query('SELECT 1')) },
      ...(bus instanceof RedisBus ? [{ name: 'redis', check: () => bus.ping() }] : []),
      { name: 'market', check: () => marketReadiness(hub.status()) },
    ],
    onClose: async () => {
      clearInterval(ticker);
      market.stop();
      await relay.stop();
      await bus.close();
      await db.close();
    },
  });
  const { app } = service;
  installErrorHandling(app, redisUnavailable);
  // Schemas on routes document the API (OpenAPI at /docs); zod validates, so Fastify's own
  // validator is switched off rather than checking every body twice with other messages.
  app.setValidatorCompiler(() => () => true);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Tradeyard API gateway', version: '1.0.0', description: 'Paper trading, market data, signals. Errors: {error, message, details}.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Swagger UI's static files (images carry them in `swagger-ui/`).
  const swaggerStatic = packageAsset('swagger-ui', '@fastify/swagger-ui', 'static');
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    baseDir: swaggerStatic,
    logo: { type: 'image/svg+xml', content: readFileSync(join(swaggerStatic, 'logo.svg')) },
  });
  await app.register(fastifyJwt, { secret: config.JWT_SECRET });
  await app.register(rateLimit, {
    global: false,
    ...(bus instanceof RedisBus ? { redis: bus.client } : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry later`,
    }),
  });
  await app.register(websocket);

  /** Resolves the bearer token (header, or ?token= for WebSocket) to a principal with at least `role`. */
  const authenticate = async (request: FastifyRequest, token: string | undefined, role: Role): Promise<Principal> => {
    if (!token) throw new HttpError(401, { error: 'unauthorized', message: 'missing bearer token: log in at POST /api/v1/auth/login' });
    let principal: Principal | undefined;
    if (sameSecret(token, config.SERVICE_TOKEN)) principal = servicePrincipal;
    else {
      try {
        principal = request.server.jwt.verify<Principal>(token);
      } catch {
        throw new HttpError(401, { error: 'unauthorized', message: 'invalid or expired token' });
      }
    }
    if (!hasRole(principal, role)) throw new HttpError(403, { error: 'forbidden', message: `requires role ${role}; this token has role ${principal.role}` });
    return principal;
  };
  const requireRole = (role: Role) => async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    request.principal = await authenticate(request, header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined, role);
  };
  const brokerCall = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BrokerError) {
        const details = err.field ? [{ field: err.field === 'Idempotency-Key' ? 'headers.idempotency-key' : `body.${err.field}`, rule: err.message }] : undefined;
        throw new HttpError(brokerErrorStatus[err.kind], { error: err.code, message: err.message, ...(details && { details }) });
      }
      throw err;
    }
  };
  const secured = (role: Role, tag: string, extra: Record<string, unknown> = {}) => ({ preHandler: requireRole(role), schema: { tags: [tag], ...extra } });

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(dashboardHtml));
  const charts = chartLibrary();
  app.get('/assets/lightweight-charts.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(charts),
  );

  app.post(
    '/api/v1/auth/login',
    { config: { rateLimit: { max: config.RATE_LIMIT_LOGINS_PER_MINUTE, timeWindow: '1 minute' } }, schema: { tags: ['auth'], security: [], body: docs(loginRequestSchema) } },
    async (request) => {
      const { username, password } = parseInput(loginRequestSchema, request.body, 'body');
      const principal = await checkLogin(db, username, password);
      if (!principal) throw new HttpError(401, { error: 'unauthorized', message: 'wrong username or password' });
      await broker.ensureAccount(principal.accountId);
      return { token: app.jwt.sign({ ...principal }, { expiresIn: config.JWT_TTL_SECONDS }), role: principal.role, expiresIn: config.JWT_TTL_SECONDS };
    },
  );

  app.post('/api/v1/users', secured('admin', 'auth', { body: docs(newUserSchema) }), async (request, reply) => {
    const user = parseInput(newUserSchema, request.body, 'body');
    if (!(await ensureUser(db, user.username, user.password, user.role))) {
      throw new HttpError(409, { error: 'conflict', message: `user ${user.username} already exists` });
    }
    await broker.ensureAccount(user.username);
    return reply.code(201).send({ username: user.username, role: user.role });
  });

  app.get('/api/v1/symbols', secured('viewer', 'market'), async () => hub.symbolInfo());

  const known = (symbol: string) => {
    if (!hub.has(symbol)) throw new HttpError(404, { error: 'not_found', message: `unknown symbol ${symbol}; GET /api/v1/symbols lists the ${hub.symbols().length} known` });
    return symbol;
  };
  app.get('/api/v1/quotes/:symbol', secured('viewer', 'market', { params: docs(symbolParams) }), async (request) => {
    const { symbol } = parseInput(symbolParams, request.params, 'params');
    return hub.quote(known(symbol));
  });
  app.get('/api/v1/bars/:symbol', secured('viewer', 'market', { params: docs(symbolParams), querystring: docs(barsQuerySchema) }), async (request) => {
    const { symbol } = parseInput(symbolParams, request.params, 'params');
    const query = parseInput(barsQuerySchema.strict(), request.query, 'query');
    try {
      return hub.bars(known(symbol), query);
    } catch (err) {
      if (err instanceof UnsupportedIntervalError) throw new HttpError(400, validationFailed([{ field: 'query.interval', rule: err.message }]));
      throw err;
    }
  });

  // Orders keep flowing while Redis (the shared rate-limit store) is down: they need only the
  // database, and their events wait in the outbox. Logins stay limited: they answer 503 instead.
  const orderLimit = { rateLimit: { max: config.RATE_LIMIT_ORDERS_PER_MINUTE, timeWindow: '1 minute', skipOnError: true } };
  app.post('/api/v1/orders', { ...secured('trader', 'orders', { body: docs(placeOrderSchema) }), config: orderLimit }, async (request, reply) => {
    const order = parseInput(placeOrderSchema, request.body, 'body');
    const key = parseInput(orderHeaders, request.headers, 'headers')['idempotency-key'];
    const result = await brokerCall(() => broker.placeOrder(request.principal.accountId, order, key));
    return reply.code(result.replayed ? 200 : 201).send(result.order);
  });
  app.get('/api/v1/orders', secured('viewer', 'orders', { querystring: docs(ordersQuerySchema) }), async (request) =>
    broker.listOrders(request.principal.accountId, parseInput(ordersQuerySchema.strict(), request.query, 'query')),
  );
  app.get('/api/v1/orders/:id', secured('viewer', 'orders', { params: docs(idParams) }), async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return brokerCall(() => broker.getOrder(request.principal.accountId, id));
  });
  app.get('/api/v1/orders/:id/events', secured('viewer', 'orders', { params: docs(idParams) }), async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return brokerCall(() => broker.orderEvents(request.principal.accountId, id));
  });
  app.delete('/api/v1/orders/:id', { ...secured('trader', 'orders', { params: docs(idParams) }), config: orderLimit }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return brokerCall(() => broker.cancelOrder(request.principal.accountId, id));
  });

  app.get('/api/v1/portfolio', secured('viewer', 'portfolio'), async (request) => brokerCall(() => broker.portfolio(request.principal.accountId)));
  app.get('/api/v1/portfolio/equity', secured('viewer', 'portfolio'), async (request) => {
    const current = await brokerCall(() => broker.portfolio(request.principal.accountId));
    const history = await broker.equityHistory(request.principal.accountId);
    return [...history, { time: now(), equity: current.equity }];
  });

  app.post('/api/v1/signals', secured('trader', 'signals', { body: docs(signalSchema) }), async (request, reply) => {
    const signal = parseInput(signalSchema.strict(), request.body, 'body');
    const inserted = await insertSignal(db, signal);
    if (inserted) relay.nudge();
    return reply.code(inserted ? 201 : 200).send(signal);
  });
  app.get('/api/v1/signals', secured('viewer', 'signals', { querystring: docs(signalsQuerySchema) }), async (request) =>
    searchSignals(db, parseInput(signalsQuerySchema.strict(), request.query, 'query')),
  );

  const ws = registerWebSocket(app, bus, (request, token) => authenticate(request, token, 'viewer'));

  /** Releases due bars to subscribers and fills resting limit orders they cross. */
  const tick = async () => {
    const events = hub.tick();
    events.forEach(ws.broadcastMarket);
    // Each symbol whose bar moved has one quote event; of those, only symbols with open orders can
    // fill. One query for them instead of one per moved symbol (100+ each tick in the universe).
    if (events.length === 0) return;
    const open = await db.query<{ symbol: string }>(`SELECT DISTINCT symbol FROM orders WHERE status IN ${openStatusList}`);
    const withOrders = new Set(open.map((r) => r.symbol));
    await Promise.all(events.flatMap((e) => (e.channel === 'quotes' && withOrders.has(e.data.symbol) ? [broker.matchRestingOrders(e.data.symbol)] : [])));
  };
  app.addHook('onReady', async () => {
    relay.start();
    market.start();
    let running = false;
    ticker = setInterval(() => {
      if (running) return;
      running = true;
      tick()
        .catch((err) => service.log.error({ err }, 'market tick failed'))
        .finally(() => (running = false));
    }, Math.max(20, Math.min(1000, 1000 / config.REPLAY_BARS_PER_SECOND)));
  });

  return { ...service, db, broker, hub, market, bus, relay, tick };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
