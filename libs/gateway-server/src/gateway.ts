import type { Database } from '@tradeyard/persistence';
import { createService } from '@tradeyard/service-kit';
import type { GatewayConfig } from './config';
import { authPlugin } from './plugins/app/auth';
import { brokerPlugin } from './plugins/app/broker';
import { busPlugin } from './plugins/app/bus';
import { configPlugin } from './plugins/app/config';
import { databasePlugin } from './plugins/app/database';
import { marketPlugin } from './plugins/app/market';
import { signalsPlugin } from './plugins/app/signals';
import { rateLimitPlugin } from './plugins/external/rate-limit';
import { websocketPlugin } from './plugins/external/websocket';
import { arenaRoutes } from './routes/arena';
import { clockRoutes } from './routes/clock';
import { marketDataRoutes } from './routes/market';
import { marketRoutes } from './routes/markets';
import { orderRoutes } from './routes/orders';
import { pageRoutes } from './routes/pages';
import { portfolioRoutes } from './routes/portfolio';
import { signalRoutes } from './routes/signals';
import { streamRoutes } from './routes/streams';
import { userRoutes } from './routes/users';

/** What a caller may supply instead of the gateway opening it from the config (tests do). */
export interface GatewayDependencies {
  /** An open database the gateway migrates, uses and closes; default: opened from DATABASE_URL or DATA_DIR. */
  database?: Database;
  /** Wall clock of the market replay, in ms since the epoch; default Date.now. */
  now?: () => number;
}

/** One encapsulated plugin per resource; a new resource is a folder under routes/ and a name here. */
const routePlugins = [userRoutes, pageRoutes, marketRoutes, clockRoutes, marketDataRoutes, orderRoutes, portfolioRoutes, signalRoutes, arenaRoutes, streamRoutes];

/**
 * Builds the gateway in the layout of Fastify's reference application (fastify/demo): the
 * third-party plugins (plugins/external), the decorators the app shares (plugins/app), each after
 * those it uses, then the routes (routes/<resource>). Registered in order rather than loaded from
 * the folders (@fastify/autoload): the gateway ships as one esbuild bundle.
 */
export async function createGateway(config: GatewayConfig, dependencies: GatewayDependencies = {}) {
  const service = createService({
    name: 'api-gateway',
    config,
    // The auth plugin checks each route's credential (plugins/app/auth).
    auth: (request, role) => request.server.authenticate(request, role),
    openapi: { description: 'Paper trading, market data, signals. Errors: {error, message, details}.', docsPage: '/docs' },
    // The plugins open the database, migrate it and read the market's history: as long as that takes.
    pluginTimeoutMs: 0,
  });
  const { app, log } = service;
  await app.register(configPlugin, { config });
  await app.register(databasePlugin, { database: dependencies.database, log });
  await app.register(busPlugin, { log });
  // The third-party plugins come after the bus, whose Redis the rate limiter counts in.
  await app.register(rateLimitPlugin);
  await app.register(websocketPlugin);
  await app.register(marketPlugin, { now: dependencies.now ?? Date.now, log });
  await app.register(brokerPlugin);
  await app.register(authPlugin);
  await app.register(signalsPlugin);
  for (const routes of routePlugins) await app.register(routes);
  const { db, bus, relay, broker } = app;
  const market = app.marketOf();
  return { ...service, db, broker, hub: market.hub, market: market.feed, clockStore: market.clockStore, bus, relay, tick: () => market.tick() };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
