import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { errorHandling } from './errors';
import { createLogger } from './logger';
import { createMetrics, type ServiceMetrics } from './metrics';
import { rejectControlCharacters } from './validation';

/** A dependency the service needs before it can do useful work (database, upstream, feed). */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

export interface ServiceOptions {
  name: string;
  version?: string;
  config: { PORT: number; HOST: string; LOG_LEVEL: string };
  readiness?: ReadinessCheck[];
  /** Called on shutdown after the HTTP server stopped accepting requests (close pools, flush logs). */
  onClose?: () => Promise<void> | void;
  /** Time one readiness check may take before /ready reports it as down (default 2 s). */
  readinessTimeoutMs?: number;
  /** Time allowed for a graceful stop before the process exits anyway. */
  shutdownTimeoutMs?: number;
  /** Where the JSON log lines go; default stdout (tests read them from a stream). */
  logDestination?: DestinationStream;
}

export interface Service {
  app: FastifyInstance;
  log: Logger;
  metrics: ServiceMetrics;
  /** Registers a check that /ready runs; services add checks as their dependencies come up. */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Starts listening and installs SIGTERM/SIGINT handlers. Resolves with the bound URL. */
  start(): Promise<string>;
  /** Stops accepting requests, runs onClose, resolves when done. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The one HTTP skeleton every Tradeyard service runs on: Fastify with pino JSON logs, the error plugin,
 * GET /health (liveness), GET /ready (dependencies), GET /metrics (Prometheus text),
 * and a graceful stop on SIGTERM/SIGINT bounded by shutdownTimeoutMs (default 10 s).
 */
export function createService(options: ServiceOptions): Service {
  const log = createLogger(options.name, options.config.LOG_LEVEL, options.logDestination);
  const metrics = createMetrics(options.name);
  const checks: ReadinessCheck[] = [...(options.readiness ?? [])];
  const startedAt = Date.now();
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One log line per request comes from the onResponse hook below, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  });

  // First, so that every route (the kit's and the app's) answers errors in the platform's one shape.
  void app.register(errorHandling, { service: options.name });
  rejectControlCharacters(app);

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpDuration.observe({ method: request.method, route, status_code: reply.statusCode }, seconds);
    if (reply.statusCode >= 500) metrics.httpErrors.inc({ route });
    if (route !== '/health' && route !== '/metrics' && route !== '/ready') {
      request.log.info(
        { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
    }
  });

  app.get('/health', async () => ({
    status: 'ok',
    service: options.name,
    version: options.version ?? process.env.APP_VERSION ?? 'dev',
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  // Checks run together, each bounded: a dependency that hangs is reported, never waited on.
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  const runCheck = async ({ check }: ReadinessCheck): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${readinessTimeoutMs} ms`)), readinessTimeoutMs))),
      ]);
      return 'ok';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  };
  app.get('/ready', async (_request, reply) => {
    const outcomes = await Promise.all(checks.map(runCheck));
    const results = Object.fromEntries(checks.map((c, i) => [c.name, outcomes[i]]));
    const missing = checks.filter((_, i) => outcomes[i] !== 'ok').map((c) => c.name);
    if (missing.length) reply.header('retry-after', '2');
    return reply.code(missing.length ? 503 : 200).send({ status: missing.length ? 'not ready' : 'ready', ...(missing.length ? { missing } : {}), checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await app.close();
      await options.onClose?.();
    })();
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };

  return {
    app,
    log,
    metrics,
    addReadinessCheck: (check) => checks.push(check),
    async start() {
      const url = await app.listen({ port: options.config.PORT, host: options.config.HOST });
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      log.info({ url, port: options.config.PORT }, `${options.name} listening`);
      return url;
    },
    stop,
  };
}
