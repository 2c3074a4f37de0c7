import { openMarket, type MarketHub } from '@tradeyard/market-hub';
import type { Logger } from '@tradeyard/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayMarket } from './gateway-market';

/*
 * The market plugin owns the market: its data, its clock (the stored replay clock, its lockstep
 * consumers, restarts) and the loops that move it. Everything else reaches it through the one
 * accessor `app.marketOf(request)` and hears it through `listen` (the WebSocket, the broker).
 *
 * How markets will plug in (issue 23, item 1): this plugin keeps a map of GatewayMarket by id,
 * the default one built here from the configuration and others created over a universe and a
 * date range (each with its own settings row for its clock, and its own loops); `marketOf`
 * resolves the market a request names (one documented path segment or header, the default one
 * otherwise), and listeners are told which market spoke. Routes already ask it per request, so
 * they need no change; nothing outside this folder holds a hub or a clock store of its own.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The market a request acts on (data, clock, lockstep consumers, replay); without a request,
     * the default market, the one `npm start` replays. There is one market today: see the header.
     */
    marketOf(request?: FastifyRequest): GatewayMarket;
  }
}

export interface MarketPluginOptions {
  /** Wall clock of the market replay, in ms since the epoch. */
  now: () => number;
  log: Logger;
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

/** Opens the configured market; its replay starts where the first start of this database put it. */
const registerMarket: FastifyPluginAsync<MarketPluginOptions> = async (app, { now, log }) => {
  const { config, db } = app;
  await db.query("INSERT INTO settings (key, value) VALUES ('replay_started_at', $1) ON CONFLICT (key) DO NOTHING", [String(now())]);
  const [{ value: startedAt }] = await db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'replay_started_at'");
  const feed = openMarket({
    provider: config.MARKET_PROVIDER,
    replay: { barsPerSecond: config.REPLAY_BARS_PER_SECOND, startDate: config.REPLAY_START_DATE, startedAt: Number(startedAt), now },
    synthetic: { seed: config.SYNTHETIC_SEED, symbols: config.SYNTHETIC_SYMBOLS },
    filesDir: config.MARKET_FILES_DIR,
    probe: config.MARKET_PROBE,
    binance: { baseUrl: config.BINANCE_BASE_URL, streamUrl: config.BINANCE_STREAM_URL, symbols: config.BINANCE_SYMBOLS, interval: config.BINANCE_INTERVAL },
    alphavantage: { baseUrl: config.ALPHAVANTAGE_BASE_URL, apiKey: config.ALPHAVANTAGE_API_KEY, symbols: config.ALPHAVANTAGE_SYMBOLS },
    venue: { pollMs: config.VENUE_POLL_SECONDS * 1000, timeoutMs: config.VENUE_TIMEOUT_MS },
    log,
  });
  const market = new GatewayMarket({
    feed,
    db,
    provider: config.MARKET_PROVIDER,
    barsPerSecond: config.REPLAY_BARS_PER_SECOND,
    consumerTimeoutMs: config.CLOCK_CONSUMER_TIMEOUT_MS,
    log,
  });
  await market.clockStore?.init();
  app.decorate('marketOf', () => market);
  app.addReadinessCheck({ name: 'market', check: () => marketReadiness(market.hub.status()) });
  app.addHook('onReady', async () => market.start());
  app.addHook('onClose', async () => market.stop());
};

export const marketPlugin = fp(registerMarket, { name: 'market', fastify: '5.x', dependencies: ['database'] });
