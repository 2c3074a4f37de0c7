import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** A dependency the service needs before it can do useful work (database, upstream, feed). */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void> | void;
}

export interface HealthOptions {
  service: string;
  version: string;
  /** The service's checks; the list is read at each request, so checks added later count. */
  checks: ReadinessCheck[];
  /** Time one readiness check may take before /ready reports it as down. */
  readinessTimeoutMs: number;
}

/** GET /health (liveness: the process answers) and GET /ready (every dependency answers, each bounded). */
const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  const startedAt = Date.now();
  app.get('/health', { config: { auth: 'public' } }, async () => ({
    status: 'ok',
    service: options.service,
    version: options.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  // Checks run together, each bounded: a dependency that hangs is reported, never waited on.
  const runCheck = async ({ check }: ReadinessCheck): Promise<string> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${options.readinessTimeoutMs} ms`)), options.readinessTimeoutMs))),
      ]);
      return 'ok';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
  };
  app.get('/ready', { config: { auth: 'public' } }, async (_request, reply) => {
    const { checks } = options;
    const outcomes = await Promise.all(checks.map(runCheck));
    const results = Object.fromEntries(checks.map((c, i) => [c.name, outcomes[i]]));
    const missing = checks.filter((_, i) => outcomes[i] !== 'ok').map((c) => c.name);
    if (missing.length) reply.header('retry-after', '2');
    return reply.code(missing.length ? 503 : 200).send({ status: missing.length ? 'not ready' : 'ready', ...(missing.length ? { missing } : {}), checks: results });
  });
};

export const health = fp(healthPlugin, { name: 'tradeyard-health', fastify: '5.x' });
