import { arenaJobKind, registerArenaRoutes } from '@tradeyard/arena';
import { backtestOptionsSchema, expandStrategyGrid, walkForwardSchema } from '@tradeyard/backtest';
import { acceptJob, durableJobs, jobViewer, type JobKind } from '@tradeyard/jobs';
import { bearerVerifier, createService, HttpError, type Service, validationFailed } from '@tradeyard/service-kit';
import { describeIssues, strategySpecSchema } from '@tradeyard/strategies';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentConfig } from './config';
import { DataError, type DataSource, dataSourceSchema, loadDataSource } from '@tradeyard/backtest-runner';
import { agentJobKinds, type BacktestOutput, gridChunkRuns, presentJob } from './jobs';

export const backtestRequestSchema = z.strictObject({
  strategy: strategySpecSchema,
  data: dataSourceSchema.default({ source: 'sp500' }),
  options: backtestOptionsSchema.default(backtestOptionsSchema.parse({})),
});

/** Runs one grid may hold: the product of its parameter lists. */
export const MAX_GRID_RUNS = 2000;

const gridStrategySchema = z
  .looseObject({ name: z.string({ error: 'must be a strategy name' }) })
  .describe('a strategy spec whose parameters may be lists: each combination is one run, e.g. {"name":"sma-cross","fast":[10,20],"slow":[100,200]}');

export const gridRequestSchema = z.strictObject({
  strategy: gridStrategySchema,
  data: dataSourceSchema.default({ source: 'sp500' }),
  options: backtestOptionsSchema.default(backtestOptionsSchema.parse({})),
});

export const walkForwardRequestSchema = z.strictObject({
  strategy: gridStrategySchema,
  walk: walkForwardSchema.describe('rolling windows in bars: train on trainBars, trade the best by metric on the next testBars, move by stepBars (default testBars)'),
  data: dataSourceSchema.default({ source: 'sp500' }),
  options: backtestOptionsSchema.default(backtestOptionsSchema.parse({})),
});

const jobIdParams = z.object({ id: z.string().max(64) });
const jobAccepted = z.object({ id: z.string(), status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']), job: z.string() });

export interface AgentDeps {
  jobs: {
    /** The script chunk worker threads start: the bundle itself (main.js), or a test fixture. */
    workerFile: string;
    /** Jobs on PGlite in memory rather than in DATA_DIR/jobs when DATABASE_URL is unset (tests). */
    inMemory?: boolean;
  };
}

/** Checks the data source on the HTTP thread (cheap: a slice of columns) so a bad range is a 400, not a failed job; returns its bars. */
function checkData(data: DataSource): number {
  try {
    return loadDataSource(data).length;
  } catch (err) {
    if (err instanceof DataError) throw new HttpError(400, validationFailed([{ field: 'body.data', rule: err.message }]));
    throw err;
  }
}

/** A grid's expanded specs, or a 400: too many runs, or none valid (invalid combinations alone fail in the results). */
function checkGrid(strategy: z.infer<typeof gridStrategySchema>): Array<Record<string, unknown>> {
  const strategies = expandStrategyGrid(strategy);
  if (strategies.length > MAX_GRID_RUNS) {
    throw new HttpError(400, validationFailed([{ field: 'body.strategy', rule: `expands to ${strategies.length} runs; a grid may hold at most ${MAX_GRID_RUNS}` }]));
  }
  const checked = strategies.map((s) => strategySpecSchema.safeParse(s));
  if (checked.every((c) => !c.success)) throw new HttpError(400, validationFailed(describeIssues(checked[0].error!, 'body.strategy')));
  return strategies;
}

/** The durable job queue on the service: workers unless AGENT_WORKERS=0, the jobs API when `routes`. */
function withJobs(service: Service, config: AgentConfig, deps: AgentDeps, routes: boolean): void {
  // Arena runs are jobs too, run on a worker process's event loop (libs/arena arenaJobKind).
  const kinds = { ...agentJobKinds, arena: arenaJobKind(config, service.log) as JobKind };
  void service.app.register(durableJobs, { config, kinds, workerFile: deps.jobs.workerFile, inMemory: deps.jobs.inMemory, routes, present: presentJob, log: service.log });
  service.addReadinessCheck({ name: 'jobs database', check: () => service.app.jobs.ping() });
}

const MiB = 1024 * 1024;

const agentAuth = (config: AgentConfig) => bearerVerifier({ serviceToken: config.TRADING_AGENT_TOKEN, serviceTokenVariable: 'TRADING_AGENT_TOKEN', jwtSecret: config.JWT_SECRET });

export function createAgent(config: AgentConfig, deps: AgentDeps) {
  const service = createService({
    name: 'trading-agent',
    config,
    auth: agentAuth(config),
    openapi: { description: 'Backtests, parameter grids and walk-forwards as durable jobs (pg-boss) that any trading-agent worker takes; the live agent’s runs.' },
    // The embedded job store opens before the service listens (libs/jobs), which takes longer
    // than Fastify's 10 s plugin default under arm64 emulation (the container tier) or on a
    // loaded machine; the gateway waits for its database the same way.
    pluginTimeoutMs: 0,
  });
  withJobs(service, config, deps, true);
  const { app } = service;
  // A job's input is stored whole (inline bars and all): the body may be as large as that bound.
  const bodyLimit = config.JOBS_MAX_INPUT_MB * MiB;

  // Starting work needs a trader; a job and its result are its owner's (and an admin's) to read.
  const routes: FastifyPluginAsyncZod = async (scope) => {
    scope.post('/api/v1/backtests', { bodyLimit, config: { auth: 'trader' }, schema: { body: backtestRequestSchema, response: { 202: jobAccepted } } }, async (request, reply) => {
      const { strategy, data, options } = request.body;
      checkData(data);
      return acceptJob(app, request, reply, 'backtest', { strategy, data, options });
    });

    scope.post('/api/v1/grids', { bodyLimit, config: { auth: 'trader' }, schema: { body: gridRequestSchema, response: { 202: jobAccepted } } }, async (request, reply) => {
      const { strategy, data, options } = request.body;
      const strategies = checkGrid(strategy);
      checkData(data);
      return acceptJob(app, request, reply, 'grid', { strategies, data, options, chunkRuns: gridChunkRuns(strategies.length, config.JOBS_GRID_CHUNK_RUNS) });
    });

    scope.post('/api/v1/walk-forwards', { bodyLimit, config: { auth: 'trader' }, schema: { body: walkForwardRequestSchema, response: { 202: jobAccepted } } }, async (request, reply) => {
      const { strategy, walk, data, options } = request.body;
      const strategies = checkGrid(strategy);
      const bars = checkData(data);
      if (walk.trainBars + walk.testBars > bars) {
        throw new HttpError(400, validationFailed([{ field: 'body.walk', rule: `trainBars + testBars (${walk.trainBars + walk.testBars}) must be at most the bars of the data (${bars})` }]));
      }
      return acceptJob(app, request, reply, 'walk-forward', { strategies, data, options, walk });
    });

    const backtest = async (id: string, viewer: ReturnType<typeof jobViewer>): Promise<BacktestOutput> => {
      const job = await app.jobs.get(id, viewer);
      if (job?.kind !== 'backtest') throw new HttpError(404, { error: 'not_found', message: `no backtest ${id} of yours` });
      if (job.status !== 'done') throw new HttpError(409, { error: 'not_ready', message: `backtest ${id} is ${job.status}${job.error ? `: ${job.error}` : ''}; see /api/v1/jobs/${id}` });
      return job.result as unknown as BacktestOutput;
    };

    scope.get('/api/v1/backtests/:id', { config: { auth: 'viewer' }, schema: { params: jobIdParams } }, async (request) => {
      const { reportHtml: _html, ...summary } = await backtest(request.params.id, jobViewer(request.caller));
      return { id: request.params.id, ...summary };
    });

    scope.get('/api/v1/backtests/:id/report', { config: { auth: 'viewer' }, schema: { params: jobIdParams } }, async (request, reply) =>
      reply.type('text/html; charset=utf-8').send((await backtest(request.params.id, jobViewer(request.caller))).reportHtml),
    );
  };
  void app.register(routes);
  // Arena runs: POST/GET/DELETE /api/v1/arena/runs (libs/arena), jobs on the queue above: a run
  // still going when the service stops goes back to the queue and starts again on a worker.
  registerArenaRoutes(app, config);
  return service;
}

/**
 * `main.js worker`: a process that only runs jobs (the compose `worker` profile, extra Swarm
 * replicas): no jobs API, no live agent, no arena; /health, /ready and /metrics for its orchestrator.
 */
export function createJobWorker(config: AgentConfig, deps: AgentDeps) {
  const service = createService({ name: 'trading-agent-worker', config, auth: agentAuth(config) });
  withJobs(service, config, deps, false);
  return service;
}
