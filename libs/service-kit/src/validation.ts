import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { brokenTextRule } from '@tradeyard/runtime-util';

/** One bad field: where it is (body.x, query.y, params.z, headers.h) and the rule it breaks. */
export interface FieldIssue {
  field: string;
  rule: string;
}

/** The gateway-contract error body for bad input: {error: 'validation_failed', message, details}. */
export function validationFailed(details: FieldIssue[]) {
  return { error: 'validation_failed', message: details.map((d) => `${d.field}: ${d.rule}`).join('; '), details };
}

const HEADERS_READ_AS_INPUT = ['idempotency-key'];

/** The first string (or object key) under `value` that is not valid text (brokenTextRule), as a field issue. */
export function findInvalidText(value: unknown, path: string, depth = 0): FieldIssue | undefined {
  if (typeof value === 'string') {
    const rule = brokenTextRule(value);
    return rule ? { field: path, rule } : undefined;
  }
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const keyRule = brokenTextRule(key);
    if (keyRule) return { field: `${path}.${JSON.stringify(key).slice(1, -1)}`, rule: `key ${keyRule}` };
    const found = findInvalidText(child, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses any request whose body, query, route params or input headers hold invalid text (a
 * control character, a lone surrogate), with a 400 naming the field, before any handler (or
 * database) sees it: one rule for every route of every service. A protocol endpoint (auth
 * 'endpoint': MCP) answers in its own protocol instead: an HTTP 400 in this format would reach an
 * MCP client as a transport failure, so the tools' own schemas (the contract's validText) refuse
 * such text as a tool error naming the argument.
 */
const validTextPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('preValidation', async (request, reply) => {
    if (request.routeOptions.config.auth === 'endpoint') return;
    const headers = Object.fromEntries(HEADERS_READ_AS_INPUT.map((name) => [name, request.headers[name]]));
    const issue =
      findInvalidText(request.params, 'params') ??
      findInvalidText(request.query, 'query') ??
      findInvalidText(headers, 'headers') ??
      findInvalidText(request.body, 'body');
    if (issue) return reply.code(400).send(validationFailed([issue]));
  });
};

export const rejectInvalidText = fp(validTextPlugin, { name: 'tradeyard-valid-text', fastify: '5.x' });
