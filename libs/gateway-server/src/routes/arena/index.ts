import { arenaBoardSchema, arenaRunIdSchema, arenaRunListSchema } from '@tradeyard/gateway-contract';
import { HttpError, validationFailed } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { arenaControl } from '../../arena-control';
import { ArenaStore } from '../../arena-store';
import { principalOf } from '../../auth';
import { holdsScope } from '../../service-credentials';

const arenaRunParams = z.object({ id: arenaRunIdSchema });

/** A board of the largest size its schema allows (2,000 symbols, 100 rows, 200 columns) fits in 4 MB. */
const ARENA_BOARD_BODY_LIMIT = 4 * 1024 * 1024;

/** Arena leaderboards: the runner (the trading agent's credential, or an admin) publishes, viewers read. */
export const arenaRoutes: FastifyPluginAsyncZod = async (app) => {
  const arena = new ArenaStore(app.db, app.config.ARENA_MAX_RUNS);
  app.put(
    '/api/v1/arena/runs/:id',
    {
      config: { auth: 'trader', serviceScope: 'arena' },
      bodyLimit: ARENA_BOARD_BODY_LIMIT,
      schema: { tags: ['arena'], params: arenaRunParams, body: arenaBoardSchema, response: { 200: arenaBoardSchema } },
    },
    async (request) => {
      // Traders may not publish: only the runner (a credential holding the arena scope) and admins write the shared board.
      const caller = principalOf(request);
      if (caller.role !== 'admin' && !holdsScope(caller, 'arena')) {
        throw new HttpError(403, { error: 'forbidden', message: "publishing an arena board needs the admin role or the trading agent's credential (TRADING_AGENT_TOKEN)" });
      }
      if (request.body.runId !== request.params.id) {
        throw new HttpError(400, validationFailed([{ field: 'body.runId', rule: `must equal the run id in the path (${request.params.id})` }]));
      }
      return arena.publish(request.body);
    },
  );
  await app.register(arenaControl, { tradingAgentUrl: app.config.TRADING_AGENT_URL, timeoutMs: app.config.TRADING_AGENT_TIMEOUT_MS });
  app.get('/api/v1/arena/runs', { config: { auth: 'viewer' }, schema: { tags: ['arena'], response: { 200: arenaRunListSchema } } }, async () => arena.list());
  app.get(
    '/api/v1/arena/runs/:id',
    { config: { auth: 'viewer' }, schema: { tags: ['arena'], params: arenaRunParams, response: { 200: arenaBoardSchema } } },
    async (request) => {
      const board = await arena.get(request.params.id);
      if (!board) throw new HttpError(404, { error: 'not_found', message: `no arena run ${request.params.id}; GET /api/v1/arena/runs lists them` });
      return board;
    },
  );
};
