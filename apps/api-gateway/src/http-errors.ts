import type { ApiError } from '@tradeyard/gateway-contract';
import { DependencyUnavailableError, validationFailed } from '@tradeyard/service-kit';
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

/**
 * Every error leaves as JSON; malformed requests are 4xx with the reason, never a 500. A down
 * dependency (a DependencyUnavailableError, or what `unavailable` recognises as one) is a 503
 * with Retry-After, so clients know to come back rather than that the request was wrong.
 */
export function installErrorHandling(app: FastifyInstance, unavailable: (error: Error) => DependencyUnavailableError | undefined = () => undefined) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send(error.body);
    const down = error instanceof DependencyUnavailableError ? error : unavailable(error);
    if (down) {
      request.log.warn({ dependency: down.dependency, err: down.message }, 'dependency unavailable');
      return reply.code(503).header('retry-after', String(down.retryAfterSeconds)).send({ error: 'unavailable', message: `${down.message}; retry in ${down.retryAfterSeconds} s` });
    }
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
