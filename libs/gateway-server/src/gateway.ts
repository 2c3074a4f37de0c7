import { type Bar } from '@tradeyard/market-data';
import type { Database } from '@tradeyard/persistence';
import { createService, HttpError } from '@tradeyard/service-kit';
import { marketPlugin } from './plugins/app/market';
import type { GatewayConfig } from './config';
import { admitServiceScope } from './service-credentials';
import { registerWebSocket } from './ws';
import { busPlugin } from './plugins/app/bus';
import { configPlugin } from './plugins/app/config';
import { databasePlugin } from './plugins/app/database';
import { rateLimitPlugin } from './plugins/external/rate-limit';
import { websocketPlugin } from './plugins/external/websocket';
import { authPlugin } from './plugins/app/auth';
import { userRoutes } from './routes/users';
import { pageRoutes } from './routes/pages';
import { clockRoutes } from './routes/clock';
import { marketDataRoutes } from './routes/market';
import { orderRoutes } from './routes/orders';
import { portfolioRoutes } from './routes/portfolio';
import { signalRoutes } from './routes/signals';
import { arenaRoutes } from './routes/arena';
import { signalsPlugin } from './plugins/app/signals';
import { brokerPlugin } from './plugins/app/broker';



/** What a caller may supply instead of the gateway opening it from the config (tests do). */
export interface GatewayDependencies {
  /** An open database the gateway migrates, uses and closes; default: opened from DATABASE_URL or DATA_DIR. */
  database?: Database;
  /** Wall clock of the market replay, in ms since the epoch; default Date.now. */
  now?: () => number;
}

/** Builds the gateway: database (migrated), broker, market hub, auth, REST, WebSocket, dashboard. */
export async function createGateway(config: GatewayConfig, dependencies: GatewayDependencies = {}) {
  const now = dependencies.now ?? Date.now;
  const service = createService({
    name: 'api-gateway',
    config,
    // The auth plugin (plugins/app/auth) checks each route's credential.
    auth: (request, role) => request.server.authenticate(request, role),
    openapi: { description: 'Paper trading, market data, signals. Errors: {error, message, details}.', docsPage: '/docs' },
    // The plugins open the database, migrate it and read the market's history: as long as that takes.
    pluginTimeoutMs: 0,
  });
  const { app } = service;
  await app.register(configPlugin, { config });
  await app.register(databasePlugin, { database: dependencies.database, log: service.log });
  await app.register(busPlugin, { log: service.log });
  await app.register(rateLimitPlugin);
  await app.register(websocketPlugin);
  const { db, bus, relay } = app;
  await app.register(marketPlugin, { now, log: service.log });
  const gatewayMarket = app.marketOf();
  const { hub } = gatewayMarket;

  await app.register(brokerPlugin);
  await app.register(authPlugin);
  await app.register(signalsPlugin);
  const { broker } = app;

  await app.register(userRoutes);

  await app.register(pageRoutes);

  await app.register(clockRoutes);
  await app.register(marketDataRoutes);

  await app.register(orderRoutes);
  await app.register(portfolioRoutes);

  await app.register(signalRoutes);

  await app.register(arenaRoutes);

  // The WebSocket checks its own clients: browsers cannot send an authorization header, so ?token=.
  const ws = registerWebSocket(
    app,
    bus,
    (token) => app.verifyToken(token, 'viewer'),
    (message, principal) =>
      gatewayMarket.operate(async (store) => {
        admitServiceScope(principal, 'clock', 'acknowledge lockstep steps');
        // The step's signals are stored before its acknowledgement counts: whoever reads at the next step sees them.
        if (message.signals) await app.storeSignals(message.signals, principal, (index) => `signals.${index}`);
        return store.ack(message.consumer, message.time, principal);
      }).catch((err: unknown) => {
        if (!(err instanceof HttpError)) service.log.error({ err }, 'a lockstep acknowledgement over the WebSocket failed');
        throw err;
      }),
    () => hub.time(),
  );
  gatewayMarket.listen({
    clockChanged: ws.broadcastClock,
    released: (events) => {
      events.forEach(ws.broadcastMarket);
      const bars: Bar[] = events.flatMap((e) => (e.channel === 'bars' ? [e.data] : []));
      if (bars.length) ws.broadcastStep(gatewayMarket.view(), bars);
    },
  });
  return { ...service, db, broker, hub, market: gatewayMarket.feed, clockStore: gatewayMarket.clockStore, bus, relay, tick: () => gatewayMarket.tick() };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
