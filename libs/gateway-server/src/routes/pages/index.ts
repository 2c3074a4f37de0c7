import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { arenaPageHtml } from '../../arena-page';
import { chartLibrary, dashboardHtml } from '../../dashboard';

/** The dashboard at /, the arena page and the charting library they load: pages log in themselves, so the routes are public. */
export const pageRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/', { schema: { hide: true }, config: { auth: 'public' } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(dashboardHtml));
  app.get('/arena', { schema: { hide: true }, config: { auth: 'public' } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(arenaPageHtml));
  const charts = chartLibrary();
  app.get('/assets/lightweight-charts.js', { schema: { hide: true }, config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(charts),
  );
};
