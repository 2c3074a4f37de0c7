import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { validationFailed, type FieldIssue } from './validation';

/** Every error body of every service: a code, a sentence, and for bad input each field and its rule. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: FieldIssue[];
}

/** An error a handler throws to answer with its status and body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

export type InputPart = 'body' | 'query' | 'params' | 'headers';

/** zod issues as field issues: `body.strategy.fast`, and `query` with the names for unknown keys. */
export function fieldIssues(error: z.ZodError, where: InputPart): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') return { field: `${where}${path ? '.' + path : ''}`, rule: `unknown field(s): ${issue.keys.join(', ')}` };
    return { field: `${where}.${path || '(root)'}`, rule: issue.message };
  });
}

export interface ErrorHandlingOptions {
  /** Named in the 5xx body, so the reader knows which log to read. */
  service: string;
}

/** Recognises an error of a dependency's client (a Redis error, say) as that dependency being down. */
export type UnavailableCheck = (error: Error) => DependencyUnavailableError | undefined;

// Per app rather than a plugin option: createService registers the plugin before the app knows its clients.
const unavailableChecks = new WeakMap<FastifyInstance, UnavailableCheck[]>();

/** Makes the app's error plugin answer errors `check` recognises as a down dependency with 503. */
export function recogniseUnavailable(app: FastifyInstance, check: UnavailableCheck): void {
  unavailableChecks.set(app, [...(unavailableChecks.get(app) ?? []), check]);
}

const findUnavailable = (app: FastifyInstance, error: Error): DependencyUnavailableError | undefined => {
  if (error instanceof DependencyUnavailableError) return error;
  for (const check of unavailableChecks.get(app) ?? []) {
    const down = check(error);
    if (down) return down;
  }
  return undefined;
};

const VALIDATION_CONTEXTS: Record<string, InputPart> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * A route schema's validation errors (zod through the type provider: keyword is the issue code,
 * params the rest of the issue) as field issues, named as fieldIssues names them.
 */
function schemaIssues(error: FastifyError): FieldIssue[] {
  const where = VALIDATION_CONTEXTS[error.validationContext ?? 'body'] ?? 'body';
  return error.validation!.map((v) => {
    const path = v.instancePath.split('/').filter(Boolean).join('.');
    const keys = (v.params as { keys?: unknown }).keys;
    if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) return { field: `${where}${path ? '.' + path : ''}`, rule: `unknown field(s): ${keys.join(', ')}` };
    return { field: `${where}.${path || '(root)'}`, rule: v.message ?? v.keyword };
  });
}

// Fastify's own 4xx errors, by status, in the platform's vocabulary.
const CLIENT_ERRORS: Record<number, string> = { 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type', 429: 'rate_limited' };

/**
 * Every error of every service leaves as {error, message, details?}: thrown HttpErrors as they are,
 * zod and Fastify validation errors and malformed bodies as 4xx naming the reason, unknown routes
 * as 404, a down dependency as 503 with Retry-After (clients come back rather than give up), and
 * anything else as a 500 that names no internals (the log has them).
 */
const errorHandlingPlugin: FastifyPluginAsync<ErrorHandlingOptions> = async (app, options) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.status === 401) reply.header('www-authenticate', 'Bearer');
      return reply.code(error.status).send(error.body);
    }
    if (error instanceof z.ZodError) return reply.code(400).send(validationFailed(fieldIssues(error, 'body')));
    if (error.validation) return reply.code(400).send(validationFailed(schemaIssues(error)));
    const down = findUnavailable(app, error);
    if (down) {
      request.log.warn({ dependency: down.dependency, err: down.message }, 'dependency unavailable');
      return reply.code(503).header('retry-after', String(down.retryAfterSeconds)).send({ error: 'unavailable', message: `${down.message}; retry in ${down.retryAfterSeconds} s` });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return reply.code(400).send({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = CLIENT_ERRORS[status] ?? (error.code?.startsWith('FST_ERR_CTP') ? 'bad_request' : 'client_error');
      return reply.code(status).send({ error: code, message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: `internal error; see the ${options.service} log` });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
};

/** The platform's one error plugin; createService registers it before any route, so every service has it. */
export const errorHandling = fp(errorHandlingPlugin, { name: 'tradeyard-error-handling', fastify: '5.x' });
