import { createMarketSchema, marketListSchema, marketParamsSchema, marketSchema } from '@tradeyard/gateway-contract';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../../auth';
import { holdsScope } from '../../service-credentials';

/** Creating and archiving markets: admins and the arena's credential only (a trader's route with the arena scope, then this). */
async function marketOperator(request: FastifyRequest) {
  const caller = principalOf(request);
  if (caller.role !== 'admin' && !holdsScope(caller, 'arena')) {
    throw new HttpError(403, { error: 'forbidden', message: "creating or archiving a market needs the admin role or the trading agent's credential (TRADING_AGENT_TOKEN)" });
  }
}

/**
 * Markets as resources: everyone reads them; an admin or the arena's credential (the trading
 * agent's service credential, scope arena) creates a simulated market over a universe and a range,
 * and archives it: its clock stops, and its accounts, orders, fills and equity stay readable.
 * A market's clock is controlled as the default one's is, naming it with the market header.
 */
export const marketRoutes: FastifyPluginAsyncZod = async (app) => {
  const { markets } = app;
  app.get('/api/v1/markets', { config: { auth: 'viewer' }, schema: { tags: ['markets'], response: { 200: marketListSchema } } }, async () => markets.list());
  app.get('/api/v1/markets/:id', { config: { auth: 'viewer' }, schema: { tags: ['markets'], params: marketParamsSchema, response: { 200: marketSchema } } }, async (request) => {
    const market = markets.dto(request.params.id);
    if (!market) throw new HttpError(404, { error: 'not_found', message: `no market ${request.params.id}; GET /api/v1/markets lists them` });
    return market;
  });
  app.post(
    '/api/v1/markets',
    { config: { auth: 'trader', serviceScope: 'arena' }, preHandler: marketOperator, schema: { tags: ['markets'], body: createMarketSchema, response: { 201: marketSchema } } },
    async (request, reply) => reply.code(201).send(await markets.create(request.body, principalOf(request).username)),
  );
  app.delete(
    '/api/v1/markets/:id',
    { config: { auth: 'trader', serviceScope: 'arena' }, preHandler: marketOperator, schema: { tags: ['markets'], params: marketParamsSchema, response: { 200: marketSchema } } },
    async (request) => markets.archive(request.params.id),
  );
};
