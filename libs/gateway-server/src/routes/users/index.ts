import { loginRequestSchema, loginResponseSchema, roleSchema } from '@tradeyard/gateway-contract';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkLogin, ensureUser } from '../../auth';
import { MCP_TOOLS_ACCOUNT } from '../../service-credentials';
import { tokenRoutes } from './tokens';

const newUserSchema = z.strictObject({
  username: z
    .string()
    .regex(/^[a-z0-9_.-]{1,64}$/, 'must be 1-64 lowercase letters, digits, dot, dash or underscore')
    // A user's paper account is their name: one named so would trade the account of mcp-tools' credential.
    .refine((name) => name !== MCP_TOOLS_ACCOUNT, `must not be ${MCP_TOOLS_ACCOUNT}, the paper account of mcp-tools' credential`),
  password: z.string().min(8, 'must be at least 8 characters').max(200, 'must be at most 200 characters'),
  role: roleSchema,
});
const newUserResponseSchema = z.object({ username: z.string(), role: roleSchema });

/** Users and their credentials: who am I, API tokens, login, and users an admin makes. A user's paper account opens at login or creation. */
export const userRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config, db, broker } = app;
  await app.register(tokenRoutes);
  app.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public', rateLimit: { max: config.RATE_LIMIT_LOGINS_PER_MINUTE, timeWindow: '1 minute' } },
      schema: { tags: ['auth'], body: loginRequestSchema, response: { 200: loginResponseSchema } },
    },
    async (request) => {
      const { username, password } = request.body;
      const principal = await checkLogin(db, username, password);
      if (!principal) throw new HttpError(401, { error: 'unauthorized', message: 'wrong username or password' });
      await broker.ensureAccount(principal.accountId);
      return { token: app.signToken(principal), role: principal.role, expiresIn: config.JWT_TTL_SECONDS };
    },
  );
  app.post(
    '/api/v1/users',
    { config: { auth: 'admin' }, schema: { tags: ['auth'], body: newUserSchema, response: { 201: newUserResponseSchema } } },
    async (request, reply) => {
      const user = request.body;
      if (!(await ensureUser(db, user.username, user.password, user.role))) {
        throw new HttpError(409, { error: 'conflict', message: `user ${user.username} already exists` });
      }
      await broker.ensureAccount(user.username);
      return reply.code(201).send({ username: user.username, role: user.role });
    },
  );
};
