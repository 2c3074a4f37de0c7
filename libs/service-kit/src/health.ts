import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/**
 * A dependency the service needs before it can do useful work (database, upstream, feed). A check
 * throws when the dependency is down; it returns a note when the service works degraded (a feed
 * serving stale data): /ready stays 200 with status "degraded" and the note.
 */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<string | void> | string | void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds a check /ready runs (Service.addReadinessCheck, for a plugin that opens a dependency). */
    addReadinessCheck(check: ReadinessCheck): void;
  }
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
  app.decorate('addReadinessCheck', (check: ReadinessCheck) => void options.checks.push(check));
  app.get('/health', { config: { auth: 'public' } }, async () => ({
    status: 'ok',
    service: options.service,
    version: options.version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  }));

  // Checks run together, each bounded: a dependency that hangs is reported, never waited on.
  const runCheck = async ({ check }: ReadinessCheck): Promise<{ down: boolean; text: string }> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const note = await Promise.race([
        check(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${options.readinessTimeoutMs} ms`)), options.readinessTimeoutMs))),
      ]);
      return { down: false, text: typeof note === 'string' ? note : 'ok' };
    } catch (err) {
      return { down: true, text: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  };
  app.get('/ready', { config: { auth: 'public' } }, async (_request, reply) => {
    const { checks } = options;
    const outcomes = await Promise.all(checks.map(runCheck));
    const results = Object.fromEntries(checks.map((c, i) => [c.name, outcomes[i].text]));
    const missing = checks.filter((_, i) => outcomes[i].down).map((c) => c.name);
    const degraded = checks.filter((_, i) => !outcomes[i].down && outcomes[i].text !== 'ok').map((c) => c.name);
    if (missing.length) reply.header('retry-after', '2');
    const status = missing.length ? 'not ready' : degraded.length ? 'degraded' : 'ready';
    return reply.code(missing.length ? 503 : 200).send({ status, ...(missing.length ? { missing } : {}), ...(degraded.length ? { degraded } : {}), checks: results });
  });
};

export const health = fp(healthPlugin, { name: 'tradeyard-health', fastify: '5.x' });
