import { ocoGroupSchema, orderEventListSchema, orderListSchema, orderSchema, ordersQuerySchema, placeOcoSchema, placeOrderSchema, type OrderEventEntry } from '@tradeyard/gateway-contract';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '@tradeyard/service-kit';
import { principalOf } from '../../auth';
import { brokerCall } from '../../plugins/app/broker';

const idParams = z.object({ id: z.string().uuid('must be an order id (UUID)') });
const idempotencyKeySchema = z.string().min(1).max(200, 'must be at most 200 characters').optional();
const orderHeaders = z.object({ 'idempotency-key': idempotencyKeySchema });

/** The caller's orders: place (one, or a one-cancels-other group), read, read the journal of, cancel. */
export const orderRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config, broker, markets } = app;
  /** The market an order of this request trades in (the broker checks it is the account's); an archived market's accounts are read only. */
  const tradingMarket = (request: FastifyRequest): string => {
    const market = app.marketOf(request).id;
    if (markets.isArchived(market)) throw new HttpError(409, { error: 'conflict', message: `market ${market} is archived: its accounts are read only` });
    return market;
  };
  // Orders keep flowing while Redis (the shared rate-limit store) is down: they need only the
  // database, and their events wait in the outbox. Logins stay limited: they answer 503 instead.
  const orderLimit = { max: config.RATE_LIMIT_ORDERS_PER_MINUTE, timeWindow: '1 minute', skipOnError: true };
  app.post(
    '/api/v1/orders',
    {
      config: { auth: 'trader', serviceScope: 'trade', rateLimit: orderLimit },
      schema: { tags: ['orders'], body: placeOrderSchema, headers: orderHeaders, response: { 200: orderSchema, 201: orderSchema } },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const result = await brokerCall(() => broker.placeOrder(principalOf(request).accountId, request.body, key, tradingMarket(request)));
      return reply.code(result.replayed ? 200 : 201).send(result.order);
    },
  );
  app.post(
    '/api/v1/orders/oco',
    {
      config: { auth: 'trader', serviceScope: 'trade', rateLimit: orderLimit },
      schema: {
        tags: ['orders'],
        description: 'A one-cancels-other group: the first of its orders to trade (a partial fill included) or to close cancels the others.',
        body: placeOcoSchema,
        headers: orderHeaders,
        response: { 200: ocoGroupSchema, 201: ocoGroupSchema },
      },
    },
    async (request, reply) => {
      const result = await brokerCall(() => broker.placeOcoOrders(principalOf(request).accountId, request.body.orders, request.headers['idempotency-key'], tradingMarket(request)));
      return reply.code(result.replayed ? 200 : 201).send(result.group);
    },
  );
  app.get(
    '/api/v1/orders',
    { config: { auth: 'viewer' }, schema: { tags: ['orders'], querystring: ordersQuerySchema.strict(), response: { 200: orderListSchema } } },
    async (request) => broker.listOrders(principalOf(request).accountId, request.query),
  );
  app.get(
    '/api/v1/orders/:id',
    { config: { auth: 'viewer' }, schema: { tags: ['orders'], params: idParams, response: { 200: orderSchema } } },
    async (request) => brokerCall(() => broker.getOrder(principalOf(request).accountId, request.params.id)),
  );
  app.get(
    '/api/v1/orders/:id/events',
    { config: { auth: 'viewer' }, schema: { tags: ['orders'], params: idParams, response: { 200: orderEventListSchema } } },
    // The broker's type lets `to` be 'initialized' (a state no event enters); the serializer checks each entry against the contract.
    async (request) => (await brokerCall(() => broker.orderEvents(principalOf(request).accountId, request.params.id))) as OrderEventEntry[],
  );
  app.delete(
    '/api/v1/orders/:id',
    { config: { auth: 'trader', serviceScope: 'trade', rateLimit: orderLimit }, schema: { tags: ['orders'], params: idParams, response: { 200: orderSchema } } },
    async (request) => brokerCall(() => broker.cancelOrder(principalOf(request).accountId, request.params.id)),
  );
};
