import { registerArenaRoutes } from '@tradeyard/arena';
import { backtestOptionsSchema, expandStrategyGrid, walkForwardSchema } from '@tradeyard/backtest';
import { JobQueueFullError } from '@tradeyard/runtime-util';
import { bearerVerifier, createService, HttpError, validationFailed } from '@tradeyard/service-kit';
import { describeIssues, strategySpecSchema } from '@tradeyard/strategies';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentConfig } from './config';
import { DataError, dataSourceSchema, loadDataSource } from '@tradeyard/backtest-runner';
import { type AgentJobOptions, type AgentTask, type BacktestOutput, createAgentJobs } from './jobs';

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
const jobStatus = z.enum(['queued', 'running', 'done', 'failed']);
const jobAccepted = z.object({ id: z.string(), status: jobStatus, job: z.string() });
const jobState = z.object({
  id: z.string(),
  kind: z.enum(['backtest', 'grid', 'walk-forward']),
  status: jobStatus,
  progress: z.object({ done: z.number(), total: z.number() }).optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  result: z.record(z.string(), z.unknown()).optional().describe('a backtest: its metrics, tradeLog and report URL; a grid: runs and best; a walk-forward: windows, outOfSample and equity'),
  error: z.string().optional(),
});

export interface AgentDeps {
  /** The job workers (backtests and grids run there, off the HTTP thread); workerFile is the bundle or a fixture. */
  jobs: AgentJobOptions;
}

/** Checks the data source on the HTTP thread (cheap: a slice of columns) so a bad range is a 400, not a failed job; returns its bars. */
function checkData(data: AgentTask['data']): number {
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

export function createAgent(config: AgentConfig, deps: AgentDeps) {
  const jobs = createAgentJobs(deps.jobs);
  const service = createService({
    name: 'trading-agent',
    config,
    auth: bearerVerifier({ serviceToken: config.TRADING_AGENT_TOKEN, serviceTokenVariable: 'TRADING_AGENT_TOKEN', jwtSecret: config.JWT_SECRET }),
    openapi: { description: 'Backtests and parameter grids as jobs on worker threads; the live agent’s runs.' },
    onClose: () => jobs.close(),
  });

  const submit = (reply: FastifyReply, task: AgentTask) => {
    try {
      const job = jobs.submit(task.kind, task);
      return reply.code(202).header('location', `/api/v1/jobs/${job.id}`).send({ id: job.id, status: job.status, job: `/api/v1/jobs/${job.id}` });
    } catch (err) {
      if (!(err instanceof JobQueueFullError)) throw err;
      return reply.code(429).header('retry-after', String(err.retryAfterSeconds)).send({ error: 'busy', message: err.message });
    }
  };

  /** A job's state for clients: a backtest's report is a link, not HTML inside JSON. */
  const view = (id: string) => {
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, { error: 'not_found', message: `no job ${id} (only the last ${jobs.keepFinished} finished jobs are kept)` });
    const { result, ...state } = job;
    if (!result || !('reportHtml' in result)) return { ...state, ...(result ? { result } : {}) };
    const { reportHtml: _html, ...summary } = result;
    return { ...state, result: { ...summary, report: `/api/v1/backtests/${id}/report` } };
  };

  // Starting work needs a trader; reading jobs and results is public, as it was (a report opens from a link).
  const routes: FastifyPluginAsyncZod = async (app) => {
    app.post('/api/v1/backtests', { bodyLimit: 32 * 1024 * 1024, config: { auth: 'trader' }, schema: { body: backtestRequestSchema, response: { 202: jobAccepted } } }, async (request, reply) => {
      const { strategy, data, options } = request.body;
      checkData(data);
      return submit(reply, { kind: 'backtest', strategy, data, options });
    });

    app.post('/api/v1/grids', { bodyLimit: 32 * 1024 * 1024, config: { auth: 'trader' }, schema: { body: gridRequestSchema, response: { 202: jobAccepted } } }, async (request, reply) => {
      const { strategy, data, options } = request.body;
      const strategies = checkGrid(strategy);
      checkData(data);
      return submit(reply, { kind: 'grid', strategies, data, options });
    });

    app.post(
      '/api/v1/walk-forwards',
      { bodyLimit: 32 * 1024 * 1024, config: { auth: 'trader' }, schema: { body: walkForwardRequestSchema, response: { 202: jobAccepted } } },
      async (request, reply) => {
        const { strategy, walk, data, options } = request.body;
        const strategies = checkGrid(strategy);
        const bars = checkData(data);
        if (walk.trainBars + walk.testBars > bars) {
          throw new HttpError(400, validationFailed([{ field: 'body.walk', rule: `trainBars + testBars (${walk.trainBars + walk.testBars}) must be at most the bars of the data (${bars})` }]));
        }
        return submit(reply, { kind: 'walk-forward', strategies, data, options, walk });
      },
    );

    app.get('/api/v1/jobs/:id', { config: { auth: 'public' }, schema: { params: jobIdParams, response: { 200: jobState } } }, async (request) => view(request.params.id));

    const backtest = (id: string): BacktestOutput => {
      const job = jobs.get(id);
      if (job?.kind !== 'backtest') throw new HttpError(404, { error: 'not_found', message: `no backtest ${id} (only the last ${jobs.keepFinished} finished jobs are kept)` });
      if (job.status !== 'done') throw new HttpError(409, { error: 'not_ready', message: `backtest ${id} is ${job.status}${job.error ? `: ${job.error}` : ''}; see /api/v1/jobs/${id}` });
      return job.result as BacktestOutput;
    };

    app.get('/api/v1/backtests/:id', { config: { auth: 'public' }, schema: { params: jobIdParams } }, async (request) => {
      const { reportHtml: _html, ...summary } = backtest(request.params.id);
      return { id: request.params.id, ...summary };
    });

    app.get('/api/v1/backtests/:id/report', { config: { auth: 'public' }, schema: { params: jobIdParams } }, async (request, reply) =>
      reply.type('text/html; charset=utf-8').send(backtest(request.params.id).reportHtml),
    );
  };
  void service.app.register(routes);
  // Arena runs: POST/GET/DELETE /api/v1/arena/runs (libs/arena); a run still going stops with the service.
  const arena = registerArenaRoutes(service.app, config, service.log);
  service.app.addHook('onClose', () => arena.stopAll());
  return Object.assign(service, { jobs });
}
