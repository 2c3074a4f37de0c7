import type { ApiError } from '@tradeyard/gateway-contract';
import { validationFailed } from '@tradeyard/service-kit';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';

/** An error the API answers with its status and a JSON body {error, message, details}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message);
  }
}

/** Parses input with a zod schema; on failure a 400 naming every bad field and its rule. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  // A missing body/query reads as an empty object so the errors name each missing field.
  const result = schema.safeParse(where === 'headers' ? value : (value ?? {}));
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const field = issue.code === 'unrecognized_keys' ? `${where}${path ? '.' + path : ''}` : `${where}.${path || '(root)'}`;
    const rule = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { field, rule };
  });
  throw new HttpError(400, validationFailed(details));
}

/** Every error leaves as JSON; malformed requests are 4xx with the reason, never a 500. */
export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send(error.body);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code?.startsWith('FST_ERR_CTP') ? 'bad_request' : 'client_error';
      return reply.code(status).send({ error: status === 429 ? 'rate_limited' : code, message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the gateway log' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
