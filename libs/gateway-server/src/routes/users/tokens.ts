import { apiTokenCreatedSchema, apiTokenListSchema, apiTokenRequestSchema, apiTokenSchema, whoAmISchema } from '@tradeyard/gateway-contract';
import { HttpError, validationFailed } from '@tradeyard/service-kit';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayCaller } from '../../api-tokens';
import type { Principal } from '../../auth';
import { brokerCall } from '../../plugins/app/broker';

const tokenParams = z.object({ id: z.string().uuid('must be a token id (a UUID)') });
const forbidden = (message: string) => new HttpError(403, { error: 'forbidden', message });
const callerOf = (request: FastifyRequest) => request.caller as unknown as GatewayCaller;

/**
 * GET /api/v1/auth/me and the API token routes. A user makes tokens for themself; an admin also
 * for another user (`username`) or for an arena agent's account (`account`, role trader), opening
 * that account with the starting cash as a login opens a user's.
 */
export const tokenRoutes: FastifyPluginAsyncZod = async (app) => {
  const { apiTokens: tokens, broker } = app;
  app.get('/api/v1/auth/me', { config: { auth: 'viewer' }, schema: { tags: ['auth'], response: { 200: whoAmISchema } } }, async (request) => {
    const { username, role, accountId, service, tokenId } = callerOf(request);
    return { username, role, accountId, credential: service ? 'service' : tokenId ? 'api-token' : 'login' } as const;
  });
  app.post(
    '/api/v1/tokens',
    { config: { auth: 'viewer' }, schema: { tags: ['auth'], body: apiTokenRequestSchema, response: { 201: apiTokenCreatedSchema } } },
    async (request, reply) => {
      const caller = callerOf(request);
      const { username, account } = request.body;
      if ((username !== undefined || account !== undefined) && caller.role !== 'admin') {
        throw forbidden(`${username !== undefined ? 'username' : 'account'}: only an admin makes tokens for another user or an arena account`);
      }
      if (caller.tokenId) throw forbidden('an API token cannot make API tokens: log in (POST /api/v1/auth/login) to make one');
      if (username !== undefined && account !== undefined) {
        throw new HttpError(400, validationFailed([{ field: 'body.account', rule: 'give username or account, not both' }]));
      }
      const owner: Principal = account !== undefined ? { username: account, role: 'trader', accountId: account } : username !== undefined ? await tokens.userPrincipal(username) : caller;
      const market = request.body.market;
      if (market !== undefined && !app.markets.get(market)) throw new HttpError(400, validationFailed([{ field: 'body.market', rule: `must name a market this gateway serves (no market ${market}; GET /api/v1/markets lists them)` }]));
      await brokerCall(() => broker.ensureAccount(owner.accountId, market));
      return reply.code(201).send(await tokens.create(owner, owner.accountId, request.body));
    },
  );
  app.get('/api/v1/tokens', { config: { auth: 'viewer' }, schema: { tags: ['auth'], response: { 200: apiTokenListSchema } } }, async (request) => {
    const caller = callerOf(request);
    return tokens.list(caller.role === 'admin' ? undefined : caller.username);
  });
  app.delete('/api/v1/tokens/:id', { config: { auth: 'viewer' }, schema: { tags: ['auth'], params: tokenParams, response: { 200: apiTokenSchema } } }, async (request) =>
    tokens.revoke(request.params.id, callerOf(request)),
  );
};
