import { arenaRunIdSchema, arenaRunStatusSchema } from '@tradeyard/gateway-contract';
import { DependencyUnavailableError } from '@tradeyard/runtime-util';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayCaller } from './api-tokens';

export interface ArenaControlOptions {
  /** The trading agent's base URL (TRADING_AGENT_URL): its arena API runs the runs. */
  tradingAgentUrl: string;
  /** Longest one forwarded call may take, answer included (TRADING_AGENT_TIMEOUT_MS). */
  timeoutMs: number;
}

/** An arena config is small (20 agents at most); a larger body is refused before it is forwarded. */
const CONFIG_BODY_LIMIT = 256 * 1024;
/** The trading agent's answers: a run's view carries its board (4 MB at most). */
const ANSWER_LIMIT = 8 * 1024 * 1024;

const upstreamError = z.object({ error: z.string(), message: z.string(), details: z.array(z.object({ field: z.string(), rule: z.string() })).optional() });
const runAccepted = z.object({ id: arenaRunIdSchema, status: z.string(), run: z.string() });
const runProgress = z.object({
  id: arenaRunIdSchema,
  status: arenaRunStatusSchema,
  stepsDone: z.number().int().nonnegative(),
  stepsTotal: z.number().int().nonnegative().nullable(),
  currentDate: z.string().nullable(),
  error: z.string().optional(),
});
const runParams = z.object({ id: arenaRunIdSchema });

/** The answer's text, refused past `limit` bytes (the trading agent is trusted, not unbounded). */
async function boundedText(response: Response, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw new HttpError(502, { error: 'bad_gateway', message: `the trading agent's answer exceeds ${limit / 1024 / 1024} MB` });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starting and stopping arena runs from the gateway's origin (the arena page): the browser reaches
 * only the gateway, so these routes forward to the trading agent's arena API with the caller's own
 * login token (the trading agent verifies it with the shared JWT_SECRET and checks the admin role
 * itself), bounded in time and size. Its 4xx answers (a bad config names the field) pass through as
 * they are; its absence is a 503, its silence a 504, its failures a 502.
 */
export const arenaControl: FastifyPluginAsyncZod<ArenaControlOptions> = async (app, options) => {
  const { timeoutMs } = options;
  const forward = async (method: string, path: string, authorization: string, body?: unknown): Promise<unknown> => {
    const url = new URL(path, options.tradingAgentUrl);
    let text: string;
    let status: number;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method,
        headers: { authorization, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal,
      });
      status = response.status;
      text = await boundedText(response, ANSWER_LIMIT);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (signal.aborted) throw new HttpError(504, { error: 'timeout', message: `the trading agent did not answer ${method} ${path} within ${timeoutMs / 1000} s` });
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new DependencyUnavailableError('trading agent', `cannot reach it at ${options.tradingAgentUrl} (${cause?.code ?? cause?.message ?? (err as Error).message})`, 5);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new HttpError(502, { error: 'bad_gateway', message: `the trading agent answered ${status} with a body that is not JSON` });
    }
    if (status < 400) return data;
    const refusal = upstreamError.safeParse(data);
    const message = refusal.success ? refusal.data.message : `status ${status}`;
    if (status === 401 || status === 403) {
      // The gateway admitted the admin already: a refusal there means the services disagree (JWT_SECRET), not that the caller may not.
      throw new HttpError(502, { error: 'bad_gateway', message: `the trading agent refused the admin's login token (does it have the gateway's JWT_SECRET?): ${message}` });
    }
    if (status === 503) throw new DependencyUnavailableError('trading agent', message, 5);
    if (status >= 500 || !refusal.success) throw new HttpError(502, { error: 'bad_gateway', message: `the trading agent answered ${status}: ${message}` });
    throw new HttpError(status, refusal.data);
  };
  /** The caller's login token; an API token means nothing to the trading agent. */
  const loginToken = (request: { headers: { authorization?: string }; caller?: unknown }) => {
    if ((request.caller as GatewayCaller).tokenId) {
      throw new HttpError(403, {
        error: 'forbidden',
        message: "arena runs are started and stopped with an admin's login token (POST /api/v1/auth/login): the trading agent does not know API tokens",
        details: [{ field: 'headers.authorization', rule: "must be an admin's login token" }],
      });
    }
    return request.headers.authorization!;
  };
  /** The trading agent's answer in the shape promised, or a 502 saying it was not. */
  const answerAs = <T>(schema: z.ZodType<T>, data: unknown, what: string): T => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new HttpError(502, { error: 'bad_gateway', message: `the trading agent's answer to ${what} is not what its API promises` });
    return parsed.data;
  };

  app.get(
    '/api/v1/arena/config-schema',
    { config: { auth: 'admin' }, schema: { tags: ['arena'], description: "The arena config as JSON Schema, from the trading agent (the arena page's start form)", response: { 200: z.record(z.string(), z.unknown()) } } },
    async (request) => answerAs(z.record(z.string(), z.unknown()), await forward('GET', '/api/v1/arena/config-schema', loginToken(request)), 'GET config-schema'),
  );
  app.post(
    '/api/v1/arena/runs',
    {
      config: { auth: 'admin' },
      bodyLimit: CONFIG_BODY_LIMIT,
      schema: {
        tags: ['arena'],
        description: "Starts an arena run on the trading agent; the body is an arena config (GET /api/v1/arena/config-schema), checked there, each bad field named. Its board appears here after the run's first step.",
        body: z.record(z.string(), z.unknown()),
        response: { 202: runAccepted },
      },
    },
    async (request, reply) => {
      const { id, status } = answerAs(runAccepted, await forward('POST', '/api/v1/arena/runs', loginToken(request), request.body), 'POST runs');
      return reply.code(202).send({ id, status, run: `/api/v1/arena/runs/${id}` });
    },
  );
  app.delete(
    '/api/v1/arena/runs/:id',
    {
      config: { auth: 'admin' },
      schema: { tags: ['arena'], description: 'Stops a run on the trading agent after its current step; answers its progress as stopped', params: runParams, response: { 200: runProgress } },
    },
    async (request) => answerAs(runProgress, await forward('DELETE', `/api/v1/arena/runs/${request.params.id}`, loginToken(request)), 'DELETE run'),
  );
};
