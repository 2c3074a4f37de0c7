import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listRuns, readRunEvents, RUN_ID_PATTERN } from './run-log';

const eventsQuerySchema = z.strictObject({
  type: z.enum(['run_start', 'cycle', 'decision', 'order', 'fill', 'error', 'llm_transcript', 'run_end'], {
    error: 'must be one of run_start, cycle, decision, order, fill, error, llm_transcript, run_end',
  }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').optional(),
});

/**
 * GET /api/v1/runs (the current run's mode and every recorded run) and GET /api/v1/runs/:id?type&limit
 * (its events), registered as a plugin so they load after the service kit's. Reads are public.
 */
export function registerRunRoutes(app: FastifyInstance, runsDir: string, current: () => unknown): void {
  const routes: FastifyPluginAsyncZod = async (scope) => {
    scope.get('/api/v1/runs', { config: { auth: 'public' } }, async () => ({ current: current(), runs: await listRuns(runsDir) }));

    scope.get('/api/v1/runs/:id', { config: { auth: 'public' }, schema: { params: z.object({ id: z.string() }), querystring: eventsQuerySchema } }, async (request, reply) => {
      const { type, limit } = request.query;
      const { id } = request.params;
      const events = RUN_ID_PATTERN.test(id) ? await readRunEvents(runsDir, id) : undefined;
      if (!events) return reply.code(404).send({ error: 'not_found', message: `no run ${id}` });
      const selected = type ? events.filter((e) => e.type === type) : events;
      return { id, total: selected.length, events: limit ? selected.slice(-limit) : selected };
    });
  };
  void app.register(routes);
}
