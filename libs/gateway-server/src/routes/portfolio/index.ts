import { accountSettingsSchema, equityHistorySchema, portfolioSchema } from '@tradeyard/gateway-contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../../auth';
import { brokerCall } from '../../plugins/app/broker';

/** The caller's own paper account: its portfolio, its equity over market time, and its settings (short selling, borrow fee, protections), which the broker enforces. */
export const portfolioRoutes: FastifyPluginAsyncZod = async (app) => {
  const { broker } = app;
  app.get('/api/v1/portfolio', { config: { auth: 'viewer' }, schema: { tags: ['portfolio'], response: { 200: portfolioSchema } } }, async (request) =>
    brokerCall(() => broker.portfolio(principalOf(request).accountId)),
  );
  app.get('/api/v1/portfolio/equity', { config: { auth: 'viewer' }, schema: { tags: ['portfolio'], response: { 200: equityHistorySchema } } }, async (request) => {
    const { accountId } = principalOf(request);
    const current = await brokerCall(() => broker.portfolio(accountId));
    const history = await broker.equityHistory(accountId);
    // Points are stamped with market time (the fills' and the clock's), so the chart lines up with fills.
    return [...history, { time: app.marketOf(request).hub.time(), equity: current.equity }];
  });
  app.get(
    '/api/v1/account/settings',
    { config: { auth: 'viewer' }, schema: { tags: ['account'], response: { 200: accountSettingsSchema } } },
    async (request) => brokerCall(() => broker.accountConfig(principalOf(request).accountId)),
  );
  app.put(
    '/api/v1/account/settings',
    { config: { auth: 'trader', serviceScope: 'trade' }, schema: { tags: ['account'], body: accountSettingsSchema, response: { 200: accountSettingsSchema } } },
    async (request) => brokerCall(() => broker.configureAccount(principalOf(request).accountId, request.body)),
  );
};
