import { readFileSync } from 'node:fs';
import { GatewayClient, ruleIdSchema } from '@tradeyard/gateway-contract';
import { Rsi } from '@tradeyard/indicators';
import { isoDate, symbolSchema, type Bar } from '@tradeyard/market-data';
import { RuleSyntaxError } from '@tradeyard/scan-rules';
import { bearerVerifier, createService, HttpError, validationFailed, type Caller } from '@tradeyard/service-kit';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Counter, Gauge } from 'prom-client';
import { z } from 'zod';
import type { ScannerConfig } from './config';
import { defaultRules, ScanEngine, type RuleStatus } from '@tradeyard/scan-rules';
import { GatewayFeed, ReplayFeed, replayProvider, type Feed } from './feeds';
import { SignalPoster } from './poster';
import { join } from 'node:path';

const expressionSchema = z.string().min(1, 'must not be empty').max(500, 'must be at most 500 characters');
const createRuleSchema = z.strictObject({ id: ruleIdSchema, expression: expressionSchema });
const updateRuleSchema = z.strictObject({ expression: expressionSchema });
/** Most symbols a watchlist holds (the gateway's synthetic universe alone may have 2000). */
export const MAX_WATCHLIST = 2000;
const watchlistSchema = z.array(symbolSchema).max(MAX_WATCHLIST, `must hold at most ${MAX_WATCHLIST} symbols`);
const rulesFileSchema = z.object({
  rules: z.array(createRuleSchema).default([]),
  watchlist: watchlistSchema.optional(),
});
const watchlistBodySchema = z.strictObject({
  symbols: watchlistSchema.describe('Symbols to scan; empty: every symbol of the stream'),
});
const watchlistResponseSchema = z.object({
  symbols: z.array(z.string()).describe('Symbols scanned; empty: every symbol of the stream'),
  all: z.boolean().describe('Every symbol of the stream is scanned'),
});
const signalsQuerySchema = z.object({
  symbol: symbolSchema.optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
/** Most values one indicator read answers. */
export const MAX_INDICATOR_LIMIT = 5_000;
const rsiQuery = z.object({
  period: z.coerce.number().int().min(2).max(500).default(14),
  limit: z.coerce.number().int().min(1).max(MAX_INDICATOR_LIMIT).default(20),
});
const ruleSchema = z.object({
  id: z.string(),
  expression: z.string(),
  owner: z.string().nullable().describe('The trader who made the rule; null: a shared rule (starter, SCANNER_RULES_FILE, made by an admin), changed only by an admin'),
  status: z.enum(['active', 'disabled']).describe('disabled: the rule threw on a bar and is no longer evaluated until it is changed'),
  disabled: z.object({ error: z.string(), at: z.string(), symbol: z.string(), barTime: z.number() }).optional().describe('Why and when it was disabled'),
});
const ruleIdParams = z.object({ id: z.string() });
const errorSchema = z.object({ error: z.string(), message: z.string(), details: z.array(z.object({ field: z.string(), rule: z.string() })).optional() });

const gatewayUnavailable = (err: Error): never => {
  throw new HttpError(503, { error: 'unavailable', message: `cannot check the symbols with the gateway: ${err.message}` });
};

/** Every rule runs on every bar of every scanned symbol: one trader's rules must not slow everyone's scan. */
export const MAX_RULES_PER_TRADER = 50;

/** Adds or replaces a rule; a bad expression becomes a 400 naming the rule and the column. */
function applyRule(engine: ScanEngine, rule: { id: string; expression: string; owner: string | null }): RuleStatus {
  try {
    engine.setRule(rule);
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error;
    throw new HttpError(400, { error: 'bad_rule', message: `rule ${rule.id}: expression ${error.message}`, details: [{ field: 'body.expression', rule: error.message }] });
  }
  return engine.getRule(rule.id)!;
}

/** Who owns the rules `caller` makes: a trader's username; null (shared) for an admin. SCANNER_TOKEN names no user: 403. */
function ownerFor(caller: Caller | undefined): string | null {
  if (caller?.role === 'admin') return null;
  if (typeof caller?.username !== 'string') throw new HttpError(403, { error: 'forbidden', message: 'this token names no user to own the rule (a gateway login token does)' });
  return caller.username;
}

/** Admins change any rule; a trader only their own (403 naming whose it is: GET /api/v1/rules shows owners anyway). */
function checkMayChange(caller: Caller | undefined, rule: RuleStatus): void {
  if (caller?.role === 'admin' || (rule.owner !== null && rule.owner === caller?.username)) return;
  const whose = rule.owner === null ? 'is a shared rule: changing it needs role admin' : `belongs to ${rule.owner}: only its owner or an admin may change it`;
  throw new HttpError(403, { error: 'forbidden', message: `rule ${rule.id} ${whose}` });
}

/** The rule `id`, or a 404. */
function existingRule(engine: ScanEngine, id: string): RuleStatus {
  const rule = engine.getRule(id);
  if (!rule) throw new HttpError(404, { error: 'not_found', message: `no rule ${id}`, details: [] });
  return rule;
}

/** Unsent bytes a signal stream may hold before its client, which stopped reading, is dropped. */
const MAX_UNSENT_STREAM_BYTES = 1024 * 1024;

/** Rules and watchlist from SCANNER_RULES_FILE; a bad file stops the start with a message naming it. */
export function loadRulesFile(path: string, engine: ScanEngine): void {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`SCANNER_RULES_FILE ${path}: ${(error as Error).message}`);
  }
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`SCANNER_RULES_FILE ${path}: ${i.path.join('.')} ${i.message}`);
  }
  parsed.data.rules.forEach((rule, index) => {
    try {
      engine.setRule(rule);
    } catch (error) {
      throw new Error(`SCANNER_RULES_FILE ${path}: rules.${index}.expression ${(error as Error).message}`);
    }
  });
  engine.setWatchlist(parsed.data.watchlist);
}

export interface ScannerDeps {
  /** Replaces the configured feed (tests). */
  feed?: Feed;
}

export function createScanner(config: ScannerConfig, deps: ScannerDeps = {}) {
  const engine = new ScanEngine(config.SIGNAL_HISTORY, config.INDICATOR_HISTORY_BARS);
  if (config.SCANNER_RULES_FILE) loadRulesFile(config.SCANNER_RULES_FILE, engine);
  else defaultRules.forEach((rule) => engine.setRule(rule));
  const streams = new Set<FastifyReply>();
  const service = createService({
    name: 'scanner',
    config,
    auth: bearerVerifier({ serviceToken: config.SCANNER_TOKEN, serviceTokenVariable: 'SCANNER_TOKEN', jwtSecret: config.JWT_SECRET }),
    openapi: { description: 'Scan rules over the bar feed, and the signals they fire.' },
    // feed and poster are created below, once the logger exists; onClose only runs after that.
    onClose: () => {
      feed.stop();
      poster?.stop();
      for (const reply of streams) reply.raw.end();
    },
  });
  const { app, log, metrics } = service;

  const barsSeen = new Counter({ name: 'scanner_bars_total', help: 'Bars scanned', registers: [metrics.registry] });
  const signalsFired = new Counter({ name: 'scanner_signals_total', help: 'Signals fired', registers: [metrics.registry] });
  new Gauge({
    name: 'scanner_rules_disabled',
    help: 'Rules disabled because they threw on a bar',
    registers: [metrics.registry],
    collect() {
      this.set(engine.listRules().filter((rule) => rule.status === 'disabled').length);
    },
  });
  // A rule that throws is one rule's fault, not the scanner's: /ready stays up (one trader's rule
  // must not take the scanner out of service); the rule's status, this log line and the gauge report it.
  engine.onRuleDisabled((rule) => log.error({ rule: rule.id, owner: rule.owner, ...rule.disabled }, 'scan rule threw on a bar and was disabled'));

  const gateway = config.GATEWAY_URL && config.SCANNER_TOKEN ? new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.SCANNER_TOKEN }) : undefined;
  const poster =
    gateway
      ? new SignalPoster(gateway, log, {
          maxAttempts: config.SIGNAL_POST_MAX_ATTEMPTS,
          backoffMs: config.SIGNAL_POST_BACKOFF_MS,
          pendingFile: config.DATA_DIR ? join(config.DATA_DIR, 'pending-signals.jsonl') : undefined,
        })
      : undefined;
  if (poster) engine.onSignal((signal) => poster.enqueue(signal));
  engine.onSignal((signal) => {
    signalsFired.inc();
    const frame = `id: ${signal.id}\nevent: signal\ndata: ${JSON.stringify(signal)}\n\n`;
    for (const reply of streams) {
      // A client that stopped reading is dropped, not buffered for without bound.
      if (reply.raw.writableLength > MAX_UNSENT_STREAM_BYTES) reply.raw.destroy();
      else reply.raw.write(frame);
    }
  });

  // In lockstep a step is acknowledged once its signals reached the gateway, so whoever reads signals at the next step sees them:
  // over the socket the acknowledgement carries them, and the gateway stores them before it counts it.
  const lockstep =
    gateway && poster && config.SCANNER_LOCKSTEP === 'true'
      ? { client: gateway, name: 'scanner', settle: () => poster.settled(), carrier: poster }
      : undefined;
  const feed: Feed =
    deps.feed ??
    (config.GATEWAY_URL && config.SCANNER_TOKEN
      ? new GatewayFeed(config.GATEWAY_URL, config.SCANNER_TOKEN, log, undefined, lockstep)
      : new ReplayFeed(replayProvider(config), config.REPLAY_BARS_PER_SECOND, log));
  service.addReadinessCheck({
    name: 'bar feed',
    check: () => {
      if (!feed.healthy()) throw new Error('bar feed is not connected');
    },
  });

  app.addHook('onReady', async () => {
    feed.start((bar: Bar) => {
      barsSeen.inc();
      engine.onBar(bar);
    });
  });

  // Reads are public (the design's scanner serves its rules and signals to anyone who can reach it);
  // a trader makes rules of their own; shared rules are an admin's.
  const routes: FastifyPluginAsyncZod = async (app) => {
    app.get('/api/v1/rules', { config: { auth: 'public' }, schema: { response: { 200: z.array(ruleSchema) } } }, async () => engine.listRules());

    app.post('/api/v1/rules', { config: { auth: 'trader' }, schema: { body: createRuleSchema, response: { 201: ruleSchema, 409: errorSchema } } }, async (request, reply) => {
      const { body } = request;
      const owner = ownerFor(request.caller);
      if (engine.getRule(body.id)) return reply.code(409).send({ error: 'conflict', message: `rule ${body.id} already exists`, details: [{ field: 'body.id', rule: 'must be unique' }] });
      if (owner !== null && engine.listRules().filter((rule) => rule.owner === owner).length >= MAX_RULES_PER_TRADER) {
        const rule = `a trader keeps at most ${MAX_RULES_PER_TRADER} rules`;
        return reply.code(409).send({ error: 'conflict', message: `${owner} has ${MAX_RULES_PER_TRADER} rules; ${rule}: change or delete one`, details: [{ field: 'body', rule }] });
      }
      return reply.code(201).send(applyRule(engine, { ...body, owner }));
    });

    app.put('/api/v1/rules/:id', { config: { auth: 'trader' }, schema: { params: ruleIdParams, body: updateRuleSchema, response: { 200: ruleSchema, 403: errorSchema, 404: errorSchema } } }, async (request) => {
      const rule = existingRule(engine, request.params.id);
      checkMayChange(request.caller, rule);
      return applyRule(engine, { id: rule.id, expression: request.body.expression, owner: rule.owner });
    });

    app.delete('/api/v1/rules/:id', { config: { auth: 'trader' }, schema: { params: ruleIdParams, response: { 204: z.null().describe('Deleted'), 403: errorSchema, 404: errorSchema } } }, async (request, reply) => {
      checkMayChange(request.caller, existingRule(engine, request.params.id));
      engine.deleteRule(request.params.id);
      return reply.code(204).send(null);
    });

    const watchlistView = () => {
      const symbols = engine.getWatchlist();
      return { symbols: symbols ?? [], all: symbols === undefined };
    };
    app.get('/api/v1/watchlist', { config: { auth: 'public' }, schema: { response: { 200: watchlistResponseSchema } } }, async () => watchlistView());
    app.put('/api/v1/watchlist', { config: { auth: 'trader' }, schema: { body: watchlistBodySchema, response: { 200: watchlistResponseSchema } } }, async (request) => {
      const symbols = [...new Set(request.body.symbols)];
      if (gateway && symbols.length) {
        // Consuming the gateway, the watchlist holds symbols it serves: a typo would scan nothing, silently.
        const known = new Set((await gateway.listSymbols().catch(gatewayUnavailable)).map((s) => s.symbol));
        const unknown = symbols.filter((symbol) => !known.has(symbol));
        if (unknown.length) {
          throw new HttpError(400, validationFailed([{ field: 'body.symbols', rule: `must be symbols the gateway serves (GET /api/v1/symbols); unknown: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}` }]));
        }
      }
      engine.setWatchlist(symbols);
      return watchlistView();
    });

    app.get('/api/v1/signals', { config: { auth: 'public' }, schema: { querystring: signalsQuerySchema } }, async (request) => engine.signals(request.query));

    // Server-sent events: one `signal` event per signal as it fires.
    app.get('/api/v1/signals/stream', { config: { auth: 'public' } }, (request, reply) => {
      if (streams.size >= config.SIGNAL_STREAMS_MAX) {
        return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: `${streams.size} signal streams are open, the most this scanner serves (SIGNAL_STREAMS_MAX); retry in 5 s` });
      }
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      reply.raw.write(': connected\n\n');
      streams.add(reply);
      request.raw.on('close', () => streams.delete(reply));
    });

    // RSI over the closes this scanner scanned, streaming bar by bar as the live scanner does: only
    // bars its feed gave it, so the answer is as of the clock of the market it scans.
    app.get('/api/v1/indicators/:symbol/rsi', { config: { auth: 'public' }, schema: { params: z.object({ symbol: symbolSchema }), querystring: rsiQuery } }, async (request, reply) => {
      const { period, limit } = request.query;
      const { symbol } = request.params;
      const series = engine.closes(symbol);
      if (!series) return reply.code(404).send({ error: 'not_found', message: `no bars of ${symbol} scanned yet`, details: [] });
      const rsi = new Rsi(period);
      const values = series.closes.map((close, i) => ({ date: isoDate(series.times[i]), value: rsi.update(close) }));
      return { symbol, indicator: `rsi(${period})`, values: values.slice(-limit) };
    });
  };
  void app.register(routes);

  return Object.assign(service, { engine, poster: () => poster });
}
