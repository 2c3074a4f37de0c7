import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** One bad field: where it is (body.x, query.y, params.z, headers.h) and the rule it breaks. */
export interface FieldIssue {
  field: string;
  rule: string;
}

/** The gateway-contract error body for bad input: {error: 'validation_failed', message, details}. */
export function validationFailed(details: FieldIssue[]) {
  return { error: 'validation_failed', message: details.map((d) => `${d.field}: ${d.rule}`).join('; '), details };
}

// C0 controls except tab, line feed and carriage return (which text may hold), DEL and C1 controls.
// PostgreSQL refuses NUL in text, and none of these belong in a name, a key or a query.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const HEADERS_READ_AS_INPUT = ['idempotency-key'];

const describe = (text: string) => {
  const code = text.match(CONTROL)![0].charCodeAt(0);
  return `must not contain control characters (found U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
};

/** The first string (or object key) under `value` holding a control character, as a field issue. */
export function findControlCharacter(value: unknown, path: string, depth = 0): FieldIssue | undefined {
  if (typeof value === 'string') return CONTROL.test(value) ? { field: path, rule: describe(value) } : undefined;
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const field = `${path}.${key}`;
    if (CONTROL.test(key)) return { field: `${path}.${JSON.stringify(key).slice(1, -1)}`, rule: `key ${describe(key)}` };
    const found = findControlCharacter(child, field, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses any request whose body, query, route params or input headers hold a control
 * character, with a 400 naming the field, before any handler (or database) sees it.
 */
const controlCharactersPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('preValidation', async (request, reply) => {
    const headers = Object.fromEntries(HEADERS_READ_AS_INPUT.map((name) => [name, request.headers[name]]));
    const issue =
      findControlCharacter(request.params, 'params') ??
      findControlCharacter(request.query, 'query') ??
      findControlCharacter(headers, 'headers') ??
      findControlCharacter(request.body, 'body');
    if (issue) return reply.code(400).send(validationFailed([issue]));
  });
};

export const rejectControlCharacters = fp(controlCharactersPlugin, { name: 'tradeyard-control-characters', fastify: '5.x' });
