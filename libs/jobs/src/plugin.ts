import { type Caller, HttpError } from '@tradeyard/service-kit';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { JobsConfig } from './config';
import type { JobKinds } from './kinds';
import { JobInputTooLargeError, JobNotCancellableError, JobQuotaError, JobService } from './queue';
import type { JobState, JobViewer } from './store';

declare module 'fastify' {
  interface FastifyInstance {
    /** The durable job queue (libs/jobs): submit, read, cancel. */
    jobs: JobService;
  }
}

export interface JobsPluginOptions {
  config: JobsConfig;
  kinds: JobKinds;
  /** The script chunk worker threads start: the bundle itself (main.js), or a test fixture. */
  workerFile: string;
  /** Serve GET /api/v1/jobs, GET and DELETE /api/v1/jobs/:id (a worker-only process does not). */
  routes: boolean;
  /** How a finished job's result shows in GET /api/v1/jobs/:id (a backtest's HTML report as a link). */
  present?: (job: JobState) => JobState;
  log: Logger;
  /** PGlite in memory instead of DATA_DIR/jobs when DATABASE_URL is unset (tests). */
  inMemory?: boolean;
}

/**
 * Who owns what a caller submits: a gateway user by name, the service's own credential as the
 * service. The prefixes keep the two apart, whatever a username holds.
 */
export function jobViewer(caller: Caller | undefined): JobViewer {
  const admin = caller?.role === 'admin';
  if (typeof caller?.username === 'string') return { owner: `user:${caller.username}`, admin };
  if (caller?.service === true) return { owner: 'service:trading-agent', admin };
  throw new HttpError(403, { error: 'forbidden', message: 'this token names no principal to own jobs (a gateway login token or the service token does)' });
}

const jobStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
const chunkState = z.object({ chunk: z.number(), status: z.enum(['queued', 'running', 'done']), worker: z.string().nullable(), attempts: z.number(), done: z.number(), total: z.number() });
export const jobStateSchema = z.object({
  id: z.string(),
  kind: z.string(),
  owner: z.string().describe('who submitted it: user:<username>, or service:trading-agent for the service token'),
  status: jobStatus,
  progress: z.object({ done: z.number(), total: z.number() }).optional().describe('units done over all chunks: a backtest’s bars, a grid’s runs'),
  chunks: z.array(chunkState).optional().describe('the chunks any worker may take: which worker took each (host:pid), how often, how far it got'),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional().describe('a backtest: its metrics, tradeLog and report URL; a grid: runs and best; a walk-forward: windows, outOfSample and equity'),
  error: z.string().optional(),
});

const jobIdParams = z.object({ id: z.string().max(64) });
const notFound = (id: string) => new HttpError(404, { error: 'not_found', message: `no job ${id} of yours (finished jobs are kept: the newest 50 of each principal)` });

const jobRoutes = (present: (job: JobState) => JobState): FastifyPluginAsyncZod =>
  async function routes(app) {
    app.get(
      '/api/v1/jobs',
      {
        config: { auth: 'viewer' },
        schema: {
          querystring: z.strictObject({ limit: z.coerce.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(200, 'limit must be at most 200').default(50) }),
          response: { 200: z.object({ jobs: z.array(jobStateSchema) }) },
        },
      },
      async (request) => ({ jobs: await app.jobs.list(jobViewer(request.caller), request.query.limit) }),
    );

    app.get('/api/v1/jobs/:id', { config: { auth: 'viewer' }, schema: { params: jobIdParams, response: { 200: jobStateSchema } } }, async (request) => {
      const job = await app.jobs.get(request.params.id, jobViewer(request.caller));
      if (!job) throw notFound(request.params.id);
      return present(job);
    });

    app.delete('/api/v1/jobs/:id', { config: { auth: 'trader' }, schema: { params: jobIdParams, response: { 200: jobStateSchema } } }, async (request) => {
      const job = await app.jobs.cancel(request.params.id, jobViewer(request.caller)).catch((err: unknown) => {
        if (err instanceof JobNotCancellableError) throw new HttpError(409, { error: 'job_finished', message: err.message });
        throw err;
      });
      if (!job) throw notFound(request.params.id);
      return present(job);
    });
  };

/**
 * Submits a job owned by the request's caller and answers 202 with where to follow it; 429 with
 * Retry-After past a quota (the message names the limit), 413 past the input bound.
 */
export async function acceptJob(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, kind: string, input: unknown) {
  try {
    const job = await app.jobs.submit(jobViewer(request.caller).owner, kind, input);
    const url = `/api/v1/jobs/${job.id}`;
    return reply.code(202).header('location', url).send({ id: job.id, status: job.status, job: url });
  } catch (err) {
    if (err instanceof JobQuotaError) return reply.code(429).header('retry-after', String(err.retryAfterSeconds)).send({ error: 'quota_exceeded', message: err.message });
    if (err instanceof JobInputTooLargeError) throw new HttpError(413, { error: 'payload_too_large', message: err.message });
    throw err;
  }
}

/**
 * Durable jobs as one plugin: opens the queue (pg-boss) and the job tables on the service's
 * database, runs this process's workers (unless AGENT_WORKERS=0), serves the jobs API, and hands
 * running chunks back to the queue on close.
 */
export const durableJobs = fp<JobsPluginOptions>(
  async (app, options) => {
    const jobs = new JobService(options.config, options.kinds, options.log, { inMemory: options.inMemory, workerFile: options.workerFile });
    app.decorate('jobs', jobs);
    app.addHook('onClose', () => jobs.close());
    // The embedded store (PGlite, no DATABASE_URL) opens before the service listens: opening it is
    // local work the service needs, and PGlite's WASM holds the event loop for seconds while it
    // runs, which after listening would leave /health unanswered. PostgreSQL may be down at start,
    // so that store keeps opening in the background and /ready reports it.
    if (!options.config.DATABASE_URL) app.addHook('onReady', () => jobs.whenFirstAttempted());
    if (options.routes) await app.register(jobRoutes(options.present ?? ((job) => job)));
  },
  { name: 'tradeyard-durable-jobs', fastify: '5.x' },
);
