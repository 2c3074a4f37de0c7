import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

export interface WriteAuthOptions {
  /** The platform's service token (SERVICE_TOKEN): accepted as a writer. */
  serviceToken?: string;
  /** The gateway's JWT_SECRET: a gateway login token with role trader or admin is accepted as a writer. */
  jwtSecret?: string;
}

const WRITER_ROLES = new Set(['trader', 'admin']);

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * A preHandler for routes that change state or start work: it admits the service token or a
 * gateway JWT whose role is trader or admin, answers 401 without valid credentials and 403 for
 * a weaker role. With neither secret configured every write is refused (401 saying so).
 */
export function writeAuth(app: FastifyInstance, options: WriteAuthOptions) {
  if (options.jwtSecret) void app.register(fastifyJwt, { secret: options.jwtSecret });
  const deny = (reply: FastifyReply, status: 401 | 403, message: string) =>
    reply.code(status).header('www-authenticate', 'Bearer').send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!options.serviceToken && !options.jwtSecret) return deny(reply, 401, 'writes are disabled: this service has neither SERVICE_TOKEN nor JWT_SECRET configured');
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) return deny(reply, 401, 'missing bearer token: send the service token or a gateway login token (role trader or admin)');
    if (options.serviceToken && sameSecret(token, options.serviceToken)) return;
    let role: unknown;
    try {
      if (!options.jwtSecret) throw new Error('no JWT_SECRET');
      role = request.server.jwt.verify<{ role?: unknown }>(token).role;
    } catch {
      return deny(reply, 401, 'invalid or expired token');
    }
    if (!WRITER_ROLES.has(String(role))) return deny(reply, 403, `requires role trader or admin; this token has role ${String(role)}`);
  };
}
