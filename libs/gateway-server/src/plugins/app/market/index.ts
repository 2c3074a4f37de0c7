import { accountMarkets } from '@tradeyard/broker';
import { DEFAULT_MARKET, MARKET_HEADER, marketIdSchema } from '@tradeyard/gateway-contract';
import { openMarket, type MarketHub } from '@tradeyard/market-hub';
import { HttpError, validationFailed, type Logger } from '@tradeyard/service-kit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayMarket } from './gateway-market';
import { MarketRegistry } from './market-registry';

/*
 * The market plugin owns the markets: the default one (its data, its clock: the stored replay
 * clock, its lockstep consumers, restarts; the loops that move it) and the simulated ones of the
 * markets table (MarketRegistry), each with a clock of its own. Everything else reaches a market
 * through `app.marketOf(request)` and hears markets through `app.markets.onOpened` + `listen`.
 *
 * Which market a request acts on (resolved once per request, before its handler): the one
 * MARKET_HEADER names; without it, the market of the caller's account (an arena agent's token
 * acts in its run's market); else the default market.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** The market a request acts on (see the header); without a request, the default market. */
    marketOf(request?: FastifyRequest): GatewayMarket;
    markets: MarketRegistry;
    /** The market named (a header's or query's value; an unknown one is a 404 naming `field`), else `accountId`'s market, else the default one. */
    resolveMarket(named: unknown, accountId: string | undefined, field?: string): Promise<string>;
  }
  interface FastifyRequest {
    /** The id of the market this request acts on, resolved before its handler. */
    marketId?: string;
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
    id: DEFAULT_MARKET,
    feed,
    db,
    provider: config.MARKET_PROVIDER,
    barsPerSecond: config.REPLAY_BARS_PER_SECOND,
    consumerTimeoutMs: config.CLOCK_CONSUMER_TIMEOUT_MS,
    log,
  });
  await market.clockStore?.init();
  const markets = new MarketRegistry(market, { db, barsPerSecond: config.REPLAY_BARS_PER_SECOND, consumerTimeoutMs: config.CLOCK_CONSUMER_TIMEOUT_MS, now, log });
  await markets.sync();
  const accountMarket = accountMarkets(db);
  const resolveMarket = (named: unknown, accountId: string | undefined, field = `headers.${MARKET_HEADER}`) => requestedMarket(named, accountId, field, markets, accountMarket);
  app.decorate('markets', markets);
  app.decorate('resolveMarket', resolveMarket);
  app.decorate('marketOf', (request?: FastifyRequest) => (request?.marketId !== undefined && markets.get(request.marketId)) || market);
  app.decorateRequest('marketId', undefined);
  app.addHook('preHandler', async (request) => {
    request.marketId = await resolveMarket(request.headers[MARKET_HEADER], (request.caller as { accountId?: string } | undefined)?.accountId);
  });
  app.addReadinessCheck({ name: 'market', check: () => marketReadiness(market.hub.status()) });
  app.addHook('onReady', async () => markets.start());
  app.addHook('onClose', async () => markets.stop());
};

/** The market named, else the account's, else the default; an unknown one named is a 404 naming `field`. */
async function requestedMarket(named: unknown, accountId: string | undefined, field: string, markets: MarketRegistry, accountMarket: (accountId: string) => Promise<string>): Promise<string> {
  if (named !== undefined) {
    const id = marketIdSchema.safeParse(named);
    if (!id.success) throw new HttpError(400, validationFailed([{ field, rule: id.error.issues[0].message }]));
    if (!markets.get(id.data)) throw new HttpError(404, { error: 'not_found', message: `no market ${id.data}; GET /api/v1/markets lists them`, details: [{ field, rule: 'must name a market this gateway serves' }] });
    return id.data;
  }
  return accountId === undefined ? DEFAULT_MARKET : accountMarket(accountId);
}

export const marketPlugin = fp(registerMarket, { name: 'market', fastify: '5.x', dependencies: ['database'] });
