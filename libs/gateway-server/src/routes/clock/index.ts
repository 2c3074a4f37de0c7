import { clockAckSchema, clockConsumerResponseSchema, clockControlResponseSchema, clockControlSchema, clockSchema, consumerParamsSchema, registerConsumerSchema } from '@tradeyard/gateway-contract';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../../auth';
import { clockSeenBy } from '../../plugins/app/market/clock-store';
import { holdsScope } from '../../service-credentials';

/** Who may register a lockstep consumer (POST /api/v1/clock/consumers). */
const LOCKSTEP_CONSUMER_RULE = "must be an admin's credential or a service credential whose scopes include clock (the scanner's)";

/**
 * The market clock: everyone reads it, admins control it, and lockstep consumers (admins', and the
 * services' whose credential holds the clock scope: the scanner's) register, acknowledge and leave.
 * A trader's consumer could stall a lockstep clock by never acknowledging. The consumer id answered
 * at registration is what its acknowledgements and deregistration name. A consumer belongs to the
 * principal that registered it: only it acknowledges; it or an admin deregisters.
 */
export const clockRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/v1/clock', { config: { auth: 'viewer' }, schema: { tags: ['market'], response: { 200: clockSchema } } }, async (request) =>
    clockSeenBy(app.marketOf(request).view(), principalOf(request)),
  );
  app.post(
    '/api/v1/clock',
    { config: { auth: 'admin' }, schema: { tags: ['market'], body: clockControlSchema, response: { 200: clockControlResponseSchema } } },
    async (request) => app.marketOf(request).operate((store) => store.control(request.body, principalOf(request))),
  );
  app.post(
    '/api/v1/clock/consumers',
    { config: { auth: 'trader', serviceScope: 'clock' }, schema: { tags: ['market'], body: registerConsumerSchema, response: { 201: clockConsumerResponseSchema } } },
    async (request, reply) => {
      const caller = principalOf(request);
      if (caller.role !== 'admin' && !holdsScope(caller, 'clock')) {
        throw new HttpError(403, {
          error: 'forbidden',
          message: 'a trader cannot register lockstep consumers: one that never acknowledged would stall the market clock for everyone',
          details: [{ field: 'headers.authorization', rule: LOCKSTEP_CONSUMER_RULE }],
        });
      }
      return reply.code(201).send(await app.marketOf(request).operate((store) => store.register(request.body.name, caller)));
    },
  );
  app.post(
    '/api/v1/clock/consumers/:id/ack',
    { config: { auth: 'trader', serviceScope: 'clock' }, schema: { tags: ['market'], params: consumerParamsSchema, body: clockAckSchema, response: { 200: clockConsumerResponseSchema } } },
    async (request) => app.marketOf(request).operate((store) => store.ack(request.params.id, request.body.time, principalOf(request))),
  );
  app.delete(
    '/api/v1/clock/consumers/:id',
    { config: { auth: 'trader', serviceScope: 'clock' }, schema: { tags: ['market'], params: consumerParamsSchema, response: { 200: clockSchema } } },
    async (request) => app.marketOf(request).operate((store) => store.deregister(request.params.id, principalOf(request))),
  );
};
