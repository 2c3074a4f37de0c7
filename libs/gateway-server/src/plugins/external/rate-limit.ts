import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { RedisBus } from '../../bus';

/**
 * @fastify/rate-limit, for the routes that set `config.rateLimit` (orders, logins): counts are kept
 * in the bus's Redis when there is one, so every replica counts the same client together.
 */
const registerRateLimit: FastifyPluginAsync = async (app) => {
  const { bus } = app;
  await app.register(rateLimit, {
    global: false,
    ...(bus instanceof RedisBus ? { redis: bus.client } : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded; retry later`,
    }),
  });
};

export const rateLimitPlugin = fp(registerRateLimit, { name: 'rate-limits', fastify: '5.x', dependencies: ['bus'] });
