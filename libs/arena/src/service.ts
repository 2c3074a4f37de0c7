import { arenaBoardSchema, arenaRunIdSchema, arenaRunStatusSchema, GatewayClient, type ArenaBoard } from '@tradeyard/gateway-contract';
import { JobNotCancellableError, JobQuotaError, jobViewer, type JobKind, type JobState } from '@tradeyard/jobs';
import { randomUUID } from 'node:crypto';
import { HttpError, urlVar, validationFailed } from '@tradeyard/service-kit';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { z } from 'zod';
import { arenaApiConfigSchema, ArenaConfigError, arenaConfigJsonSchema, parseArenaConfigText, type ArenaConfig } from './config';
import { commaList, PLATFORM_SECRET_VARS, type ModelAccessPolicy } from './model-access';
import { resolveProbe, startArena, type ResolvedProbe } from './probe';
import { newRunId, readRecording } from './runner';
import { loadArenaStrategies, withStrategyPaths, type ArenaStrategies } from './strategies';

/** The arena runner's variables; the trading-agent app spreads this shape into its config schema. */
export const arenaServiceConfigShape = {
  GATEWAY_URL: urlVar().default('http://127.0.0.1:8080').describe('The gateway the arena runner moves the market clock of and publishes boards to'),
  ADMIN_USERNAME: z.string().min(1).default('admin').describe('Gateway admin the arena runner logs in as (the market clock is admin-only)'),
  ADMIN_PASSWORD: z.string().min(1).optional().describe("That admin's password; unset, arena runs are refused"),
  TRADING_AGENT_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("The trading agent's credential at the gateway (the gateway's TRADING_AGENT_TOKEN): the arena runner publishes boards with it (unset: as the admin); here it is also admitted as a trader of no user, who may start backtests"),
  ARENA_CONFIG: z.string().min(1).optional().describe('An arena config as JSON text, run by `main.js arena` when neither --config nor --replay is given (the compose `worker` profile)'),
  ARENA_API_KEY_VARS: z
    .string()
    .transform((text, ctx) => {
      const names = commaList(text);
      const secrets = names.filter((name) => PLATFORM_SECRET_VARS.includes(name));
      if (secrets.length) ctx.addIssue({ code: 'custom', message: `must not name a platform secret: ${secrets.join(', ')}` });
      return names;
    })
    .optional()
    .describe(`Comma-separated environment variables an arena LLM agent's apiKeyVar may name; unset: any name ending in _API_KEY. Never a platform secret (${PLATFORM_SECRET_VARS.join(', ')})`),
  ARENA_MODEL_HOSTS: z
    .string()
    .transform((text, ctx) => {
      const entries = commaList(text);
      const bad = entries.filter((entry) => !URL.canParse(`http://${entry}`) || new URL(`http://${entry}`).pathname !== '/');
      if (bad.length) ctx.addIssue({ code: 'custom', message: `must be comma-separated host or host:port entries; bad: ${bad.join(', ')}` });
      return entries;
    })
    .optional()
    .describe("Comma-separated hosts (host, or host:port; IPv6 in brackets) an arena LLM agent's baseUrl may name; unset: any public host and loopback. Never the platform's own addresses (GATEWAY_URL, MCP_URL, this service's PORT on loopback)"),
};
export interface ArenaServiceConfig {
  GATEWAY_URL: string;
  ADMIN_USERNAME: string;
  ADMIN_PASSWORD?: string;
  TRADING_AGENT_TOKEN?: string;
  ARENA_CONFIG?: string;
  ARENA_API_KEY_VARS?: string[];
  ARENA_MODEL_HOSTS?: string[];
  /** This service's own port: a model endpoint on loopback at it would be the service itself. */
  PORT?: number;
  MCP_URL: string;
  DATA_DIR: string;
  /** Where agents of kind strategy are found by name. */
  STRATEGIES_DIR?: string;
}

/** The operator's limits on LLM agents: the allow-lists, and the platform's own addresses as the service knows them. */
export const modelAccessPolicy = (config: ArenaServiceConfig): ModelAccessPolicy => ({
  apiKeyVars: config.ARENA_API_KEY_VARS,
  modelHosts: config.ARENA_MODEL_HOSTS,
  platformUrls: [config.GATEWAY_URL, config.MCP_URL, ...(config.PORT ? [`http://127.0.0.1:${config.PORT}`] : [])],
});

/** An admin client of the gateway: logs in with the configured admin. */
export async function adminClient(config: ArenaServiceConfig): Promise<GatewayClient> {
  if (!config.ADMIN_PASSWORD) throw new Error('ADMIN_PASSWORD is not set: the arena runner needs a gateway admin to move the market clock');
  const anonymous = new GatewayClient({ baseUrl: config.GATEWAY_URL });
  return anonymous.withToken((await anonymous.login(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)).token);
}

/** The client the runner publishes boards with: the trading agent's own credential, when configured. */
const boardPublisher = (config: ArenaServiceConfig): GatewayClient | undefined =>
  config.TRADING_AGENT_TOKEN ? new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.TRADING_AGENT_TOKEN }) : undefined;

const runParams = z.object({ id: arenaRunIdSchema });
const runView = z.object({
  id: z.string(),
  status: arenaRunStatusSchema,
  stepsDone: z.number(),
  stepsTotal: z.number().nullable(),
  currentDate: z.string().nullable(),
  outDir: z.string(),
  error: z.string().optional(),
  publishError: z.string().optional(),
  board: arenaBoardSchema.nullable(),
});

/** How long one arena run may take as a job: days of an LLM arena over history fit. */
export const ARENA_RUN_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** What an arena job stores: the config as the API validated it (parsed again where the job runs). */
export interface ArenaJobInput {
  config: ArenaConfig;
}

/**
 * An arena run as a durable job (libs/jobs): one chunk, run on a worker process's event loop (it
 * waits on MCP and gateway calls, not on a core), its steps as progress, the final board as its
 * result. The run's id is the job's, so its board is found by it; each attempt trades accounts of
 * its own in a market of its own, so a run whose worker died starts again cleanly on another.
 */
export function arenaJobKind(config: ArenaServiceConfig, log: Logger): JobKind<ArenaJobInput, ArenaBoard> {
  const modelAccess = modelAccessPolicy(config);
  return {
    plan: () => [0],
    timeoutSeconds: ARENA_RUN_TIMEOUT_SECONDS,
    runHere: async (input, _chunk, progress, { jobId, signal }) => {
      const arena = arenaApiConfigSchema(modelAccess).parse(input.config);
      const admin = await adminClient(config);
      const strategies = await loadArenaStrategies(arena, { strategiesDir: config.STRATEGIES_DIR });
      const probe = arena.probe ? await resolveProbe(admin, arena) : undefined;
      const run = startArena(
        {
          config: arena, runId: jobId, attempt: randomUUID().slice(0, 8), outDir: join(config.DATA_DIR, 'arena', jobId), mcpUrl: config.MCP_URL, admin,
          publisher: boardPublisher(config), env: process.env, modelAccess, log, strategies, strategiesDir: config.STRATEGIES_DIR,
        },
        probe,
      );
      signal.addEventListener('abort', () => void run.stop(), { once: true });
      const report = () => progress(run.status().stepsDone, run.status().stepsTotal ?? 0);
      const reporting = setInterval(report, 500);
      try {
        const board = await run.done;
        report();
        if (board.status === 'failed') throw new Error(board.error ?? 'the arena run failed');
        return board;
      } finally {
        clearInterval(reporting);
      }
    },
    merge: (_input, [board]) => board,
  };
}

/** Who reads a run's board at the gateway while it runs: the trading agent's credential, else the admin (logged in once). */
function boardReader(config: ArenaServiceConfig): () => Promise<GatewayClient> {
  const publisher = boardPublisher(config);
  let admin: Promise<GatewayClient> | undefined;
  return async () => publisher ?? (admin ??= adminClient(config).catch((err: unknown) => ((admin = undefined), Promise.reject(err))));
}

/** A job's state as the run's: running while queued or running, else what its board says. */
function runStatus(job: JobState, board: ArenaBoard | null): z.infer<typeof arenaRunStatusSchema> {
  if (job.status === 'queued' || job.status === 'running') return 'running';
  if (job.status === 'done') return (job.result as ArenaBoard).status;
  if (job.status === 'cancelled') return board?.status === 'running' || !board ? 'stopped' : board.status;
  return 'failed';
}

/**
 * POST /api/v1/arena/runs (a config: 202 and the run's id), GET /api/v1/arena/runs/:id (status and
 * the board so far), DELETE /api/v1/arena/runs/:id (stops it after the current step), GET
 * /api/v1/arena/config-schema (the config as JSON Schema, for forms). A run is a durable job
 * (arenaJobKind on the service's job queue, `app.jobs`): any worker process takes it, it survives
 * a restart of the service, several proceed at once (the submitter's JOBS_MAX_ACTIVE_PER_USER),
 * each in a market of its own. Starting and stopping need admin.
 */
export function registerArenaRoutes(app: FastifyInstance, config: ArenaServiceConfig): void {
  const modelAccess = modelAccessPolicy(config);
  const configJsonSchema = arenaConfigJsonSchema();
  const reader = boardReader(config);
  const anyone = { owner: '', admin: true };
  const view = async (id: string) => {
    const job = await app.jobs.get(id, anyone);
    if (!job || job.kind !== 'arena') throw new HttpError(404, { error: 'not_found', message: `no arena run ${id}` });
    const board = (job.result as ArenaBoard | undefined) ?? (await (await reader()).getArenaBoard(id).catch(() => null));
    const status = runStatus(job, board);
    return {
      id, status, stepsDone: job.progress?.done ?? 0, stepsTotal: job.progress?.total || board?.stepsTotal || null, currentDate: board?.currentDate ?? null,
      outDir: join(config.DATA_DIR, 'arena', id), ...(job.error ? { error: job.error } : {}), board,
    };
  };
  const routes: FastifyPluginAsyncZod = async (scope) => {
    scope.get('/api/v1/arena/config-schema', { config: { auth: 'public' }, schema: { response: { 200: z.record(z.string(), z.unknown()) } } }, async () => configJsonSchema);
    scope.post('/api/v1/arena/runs', { config: { auth: 'admin' }, schema: { body: arenaApiConfigSchema(modelAccess), response: { 202: z.object({ id: z.string(), status: z.string(), run: z.string() }), 429: z.object({ error: z.string(), message: z.string() }) } } }, async (request, reply) => {
      await checkRun(request.body);
      const input: ArenaJobInput = { config: request.body };
      let id: string;
      try {
        id = (await app.jobs.submit(jobViewer(request.caller).owner, 'arena', input)).id;
      } catch (err) {
        if (err instanceof JobQuotaError) return reply.code(429).header('retry-after', String(err.retryAfterSeconds)).send({ error: 'quota_exceeded', message: err.message });
        throw err;
      }
      return reply.code(202).send({ id, status: 'running', run: `/api/v1/arena/runs/${id}` });
    });
    /** A probe the gateway cannot serve, or a strategy not found or given bad parameters, is the caller's to fix: 400 before the run is queued. */
    const checkRun = async (body: ArenaConfig) => {
      let admin: GatewayClient;
      try {
        admin = await adminClient(config);
      } catch (err) {
        throw new HttpError(503, { error: 'unavailable', message: `cannot act as the gateway admin: ${(err as Error).message}` });
      }
      try {
        await loadArenaStrategies(body, { strategiesDir: config.STRATEGIES_DIR });
        if (body.probe) await resolveProbe(admin, body);
      } catch (err) {
        if (err instanceof ArenaConfigError) throw new HttpError(400, validationFailed(err.issues.map((i) => ({ ...i, field: `body.${i.field}` }))));
        throw err;
      }
    };
    scope.get('/api/v1/arena/runs/:id', { config: { auth: 'public' }, schema: { params: runParams, response: { 200: runView } } }, async (request) => view(request.params.id));
    scope.delete('/api/v1/arena/runs/:id', { config: { auth: 'admin' }, schema: { params: runParams, response: { 200: runView } } }, async (request) => {
      const { id } = request.params;
      await view(id);
      await app.jobs.cancel(id, anyone).catch((err: unknown) => {
        if (!(err instanceof JobNotCancellableError)) throw err;
      });
      // The run stops after its current step and publishes its final board: answered once it has.
      for (let waited = 0; waited < STOP_WAIT_MS; waited += 100) {
        const stopped = await view(id);
        if (stopped.board?.status !== 'running') return stopped;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return view(id);
    });
  };
  void app.register(routes);
}

/** How long DELETE waits for a run to finish its current step and publish its final board. */
const STOP_WAIT_MS = 60_000;

export const ARENA_USAGE = 'usage: main.js arena [--config=FILE.json | --replay=RECORDED_DIR] [--out=DIR]  (no --config or --replay: the config is ARENA_CONFIG; no --out: DATA_DIR/arena/<run id>)';

/**
 * `main.js arena`: runs a config file, the ARENA_CONFIG variable (a container has no file of its
 * own to hand it) or a recorded run's config against the platform named by the environment,
 * prints progress and the board, exits 0 when the run finished, 1 when it failed, 2 on a bad
 * argument or config.
 */
export async function runArenaCommand(args: string[], io: { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown }; config: ArenaServiceConfig; log: Logger }): Promise<number> {
  let values: { config?: string; out?: string; replay?: string };
  try {
    ({ values } = parseArgs({ args, options: { config: { type: 'string' }, out: { type: 'string' }, replay: { type: 'string' } }, strict: true }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${ARENA_USAGE}\n`);
    return 2;
  }
  if (values.config && values.replay) {
    io.stderr.write(`give at most one of --config and --replay\n${ARENA_USAGE}\n`);
    return 2;
  }
  const source = values.config ?? values.replay ?? (io.config.ARENA_CONFIG ? 'ARENA_CONFIG' : undefined);
  if (!source) {
    io.stderr.write(`no arena config: give --config or --replay, or set ARENA_CONFIG\n${ARENA_USAGE}\n`);
    return 2;
  }
  let arenaConfig: ArenaConfig;
  let probe: ResolvedProbe | undefined;
  let strategies: ArenaStrategies;
  const modelAccess = modelAccessPolicy(io.config);
  const admin = await adminClient(io.config);
  try {
    if (values.replay) arenaConfig = (await readRecording(values.replay)).config;
    else arenaConfig = parseArenaConfigText(values.config ? await readFile(values.config, 'utf8') : io.config.ARENA_CONFIG!, modelAccess);
    // A strategy's file: path in a config file is relative to the file's folder (in ARENA_CONFIG, to the working directory).
    arenaConfig = withStrategyPaths(arenaConfig, values.config ? dirname(resolve(values.config)) : process.cwd());
    strategies = await loadArenaStrategies(arenaConfig, { strategiesDir: io.config.STRATEGIES_DIR });
    if (arenaConfig.probe) probe = await resolveProbe(admin, arenaConfig);
  } catch (err) {
    io.stderr.write(`${err instanceof ArenaConfigError ? `${source}: ` : ''}${(err as Error).message}\n`);
    return 2;
  }
  const runId = newRunId(arenaConfig.name);
  const outDir = values.out ?? join(io.config.DATA_DIR, 'arena', runId);
  const run = startArena(
    { config: arenaConfig, runId, outDir, mcpUrl: io.config.MCP_URL, admin, publisher: boardPublisher(io.config), env: process.env, modelAccess, log: io.log, replayOf: values.replay, strategies },
    probe,
  );
  const stop = () => void run.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = setInterval(() => {
    const s = run.status();
    io.stderr.write(`arena ${s.runId}: step ${s.stepsDone}, ${s.currentDate ?? 'starting'}\n`);
  }, 5000);
  const board = await run.done.finally(() => clearInterval(progress));
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  for (const row of board.rows) {
    const s = row.statistics;
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
    io.stdout.write(`${String(row.rank ?? '-').padStart(2)} ${row.agent.padEnd(20)} return ${pct(s.totalReturn).padStart(9)}  sharpe ${(s.sharpe ?? NaN).toFixed(2).padStart(6)}  maxDD ${pct(s.maxDrawdown).padStart(8)}\n`);
  }
  for (const c of board.comparisons) io.stdout.write(`${c.verdict}\n`);
  const status = run.status();
  io.stdout.write(`${status.status}: ${status.stepsDone} steps; board in ${join(outDir, 'board.json')}, events in ${join(outDir, 'run.jsonl')}${status.publishError ? `; ${status.publishError}` : ''}${status.error ? `\nerror: ${status.error}` : ''}\n`);
  return status.status === 'failed' ? 1 : 0;
}
