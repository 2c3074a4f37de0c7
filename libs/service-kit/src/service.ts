import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type RouteOptions, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream, Logger } from 'pino';
import { routeAuth, type AuthVerifier } from './auth';
import { errorHandling } from './errors';
import { health, type ReadinessCheck } from './health';
import { createLogger } from './logger';
import { createMetrics, requestMetrics, type ServiceMetrics } from './metrics';
import { openApi } from './openapi';
import { rejectInvalidText } from './validation';

export type { ReadinessCheck } from './health';

/** Every service's Fastify instance: route schemas are zod schemas, inferred through the type provider. */
/** How long a client may take to send one whole request (Node's server.requestTimeout). */
export const REQUEST_TIMEOUT_MS = 60_000;

export type ServiceApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

export interface ServiceConfig {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's validated configuration (the kit's config plugin). */
    serviceConfig: ServiceConfig;
  }
}

export interface ServiceOptions {
  name: string;
  version?: string;
  config: ServiceConfig;
  readiness?: ReadinessCheck[];
  /** Called on shutdown after the HTTP server stopped accepting requests (close pools, flush logs). */
  onClose?: () => Promise<void> | void;
  /** Time one readiness check may take before /ready reports it as down (default 2 s). */
  readinessTimeoutMs?: number;
  /**
   * Longest one plugin may take to load (Fastify's pluginTimeout, default 10 s); 0 waits for ever,
   * as a service needs whose plugins open its dependencies (the gateway's database and migrations).
   */
  pluginTimeoutMs?: number;
  /** Time allowed for a graceful stop before the process exits anyway. */
  shutdownTimeoutMs?: number;
  /** Where the JSON log lines go; default stdout (tests read them from a stream). */
  logDestination?: DestinationStream;
  /**
   * Enforces each route's `config.auth` with this verifier, and refuses to start with a route
   * that declares none. Every app passes one; optional for the kit's own unit tests.
   */
  auth?: AuthVerifier;
  /**
   * OpenAPI from the route schemas at GET /openapi.json; `docsPage` also serves Swagger UI over
   * the same document at that prefix (the gateway's '/docs').
   */
  openapi?: { description?: string; docsPage?: string };
}

export interface Service {
  app: ServiceApp;
  log: Logger;
  metrics: ServiceMetrics;
  /** Registers a check that /ready runs; services add checks as their dependencies come up. */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Starts listening and installs SIGTERM/SIGINT handlers. Resolves with the bound URL. */
  start(): Promise<string>;
  /** Stops accepting requests, runs onClose, resolves when done. Idempotent. */
  stop(): Promise<void>;
}

const configPlugin: FastifyPluginAsync<{ config: ServiceConfig }> = async (app, { config }) => {
  app.decorate('serviceConfig', config);
};
const serviceConfig = fp(configPlugin, { name: 'tradeyard-config', fastify: '5.x' });

const shutdownPlugin: FastifyPluginAsync<{ onClose?: () => Promise<void> | void }> = async (app, options) => {
  // onClose hooks run after the server stopped accepting requests and in-flight ones finished.
  app.addHook('onClose', async () => void (await options.onClose?.()));
};
const shutdown = fp(shutdownPlugin, { name: 'tradeyard-shutdown', fastify: '5.x' });

/**
 * The one HTTP skeleton every Tradeyard service runs on: Fastify with pino JSON logs (secrets
 * redacted), and the kit's plugins in this order: errors, invalid text, config, zod
 * validation and serialization, OpenAPI, route auth, health/ready, metrics, shutdown. A graceful
 * stop on SIGTERM/SIGINT is bounded by shutdownTimeoutMs (default 10 s).
 *
 * The plugins load when the app is first awaited, so an app adds its routes in a plugin of its own
 * (`app.register(routes)`): routes added at once, before that, would be missing from OpenAPI.
 */
export function createService(options: ServiceOptions): Service {
  const log = createLogger(options.name, options.config.LOG_LEVEL, options.logDestination);
  const metrics = createMetrics(options.name);
  const checks: ReadinessCheck[] = [...(options.readiness ?? [])];
  const version = options.version ?? process.env.APP_VERSION ?? 'dev';
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One log line per request comes from the request-metrics plugin, not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    // A client gets this long to send a whole request (headers and body), so one that trickles
    // bytes (slowloris) cannot hold a connection open; answers and long-lived streams (SSE,
    // WebSocket) are not bounded by it.
    requestTimeout: REQUEST_TIMEOUT_MS,
    ...(options.pluginTimeoutMs !== undefined && { pluginTimeout: options.pluginTimeoutMs }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => void routes.push(route));

  // First, so that every route (the kit's and the app's) answers errors in the platform's one shape.
  void app.register(errorHandling, { service: options.name });
  void app.register(rejectInvalidText);
  void app.register(serviceConfig, { config: options.config });
  if (options.openapi) void app.register(openApi, { title: options.name, version, description: options.openapi.description, docsPage: options.openapi.docsPage });
  if (options.auth) void app.register(routeAuth, { verify: options.auth, routes });
  void app.register(health, { service: options.name, version, checks, readinessTimeoutMs: options.readinessTimeoutMs ?? 2000 });
  void app.register(requestMetrics, { metrics });
  void app.register(shutdown, { onClose: options.onClose });

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= app.close());

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
