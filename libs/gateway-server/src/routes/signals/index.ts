import { postedSignalSchema, signalBatchResponseSchema, signalBatchSchema, signalListSchema, signalSchema, signalsQuerySchema } from '@tradeyard/gateway-contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../../auth';
import { searchSignals } from '../../signal-store';

/** Signals: the scanner (or a trader) posts them, one or a batch, into a market; everyone searches a market's as of its clock. */
export const signalRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/api/v1/signals',
    { config: { auth: 'trader', serviceScope: 'signals' }, schema: { tags: ['signals'], body: postedSignalSchema, response: { 200: signalSchema, 201: signalSchema } } },
    async (request, reply) => {
      const [stored] = await app.storeSignals([request.body], principalOf(request), () => 'body', app.marketOf(request).id);
      // Already stored by this caller (an id of theirs posted again): answered as posted.
      return stored ? reply.code(201).send(stored) : reply.code(200).send(request.body);
    },
  );
  app.post(
    '/api/v1/signals/batch',
    { config: { auth: 'trader', serviceScope: 'signals' }, schema: { tags: ['signals'], body: signalBatchSchema, response: { 200: signalBatchResponseSchema } } },
    async (request) => {
      const { signals } = request.body;
      const stored = (await app.storeSignals(signals, principalOf(request), (index) => `body.signals.${index}`, app.marketOf(request).id)).length;
      return { stored, duplicates: signals.length - stored };
    },
  );
  app.get(
    '/api/v1/signals',
    { config: { auth: 'viewer' }, schema: { tags: ['signals'], querystring: signalsQuerySchema.strict(), response: { 200: signalListSchema } } },
    // Point in time: a signal dated after the clock (one posted ahead of it) is not served until the clock reaches it.
    async (request) => {
      const market = app.marketOf(request);
      return searchSignals(app.db, { ...request.query, to: Math.min(request.query.to ?? Infinity, market.hub.time()) }, market.id);
    },
  );
};
