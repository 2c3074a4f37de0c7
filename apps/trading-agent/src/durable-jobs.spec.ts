import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backtestOptionsSchema, expandStrategyGrid, runGridInline } from '@tradeyard/backtest';
import { type DataSource, gridOutput, loadDataSource } from '@tradeyard/backtest-runner';
import { loadSp500 } from '@tradeyard/market-data';
import { freePort, onPostgres } from '@tradeyard/persistence';
import { createSigner } from 'fast-jwt';

/**
 * Durable jobs across processes on a real PostgreSQL: an API process that runs no jobs
 * (AGENT_WORKERS=0) and separate worker processes (`main.js worker`), each started from the sources
 * as the built bundle starts (the fixture loads main.ts through tsx).
 */
const entry = join(__dirname, '__fixtures__/main-worker.js');
const jwtSecret = 'durable-jobs-jwt-secret-0123456789';
const sign = createSigner({ key: jwtSecret });
const tokenOf = (username: string) => ({ authorization: `Bearer ${sign({ username, role: 'trader', accountId: username })}` });
const alice = tokenOf('alice');
const bob = tokenOf('bob');
const carol = tokenOf('carol');
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Chunk {
  chunk: number;
  status: string;
  worker: string | null;
  attempts: number;
  done: number;
  total: number;
}
interface JobBody {
  id: string;
  status: string;
  chunks: Chunk[];
  result?: unknown;
  error?: string;
}

interface AgentProcess {
  child: ChildProcess;
  url: string;
  /** The worker id its chunks record. */
  workerId: string;
  output: () => string;
  kill(): Promise<void>;
}

/** Starts `main.js <command>` and resolves once its /ready answers (the job database is open). */
async function startProcess(command: 'serve' | 'worker', env: Record<string, string>): Promise<AgentProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [entry, command], {
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), AGENT_LIVE: 'off', JOBS_HEARTBEAT_SECONDS: '10', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const processOf: AgentProcess = {
    child,
    url,
    workerId: `${hostname()}:${child.pid}`,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  for (const started = Date.now(); Date.now() - started < 120_000; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`main.js ${command} exited with ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/ready`).then((r) => r.ok, () => false);
    if (ready) return processOf;
  }
  await processOf.kill();
  throw new Error(`main.js ${command} was not ready within 120 s: ${output}`);
}

async function jobOf(api: AgentProcess, id: string, as: Record<string, string>): Promise<JobBody> {
  return (await (await fetch(`${api.url}/api/v1/jobs/${id}`, { headers: as })).json()) as JobBody;
}

/** Polls the job until `until` holds of it. */
async function waitFor(api: () => AgentProcess, id: string, as: Record<string, string>, until: (job: JobBody) => boolean, what: string, withinMs = 240_000): Promise<JobBody> {
  for (const started = Date.now(); Date.now() - started < withinMs; await sleep(50)) {
    const job = await jobOf(api(), id, as).catch(() => undefined);
    if (job && until(job)) return job;
  }
  throw new Error(`job ${id} never ${what}: ${JSON.stringify(await jobOf(api(), id, as).catch(() => undefined))?.slice(0, 2000)}`);
}
const finished = (api: () => AgentProcess, id: string, as: Record<string, string>) => waitFor(api, id, as, (job) => ['done', 'failed', 'cancelled'].includes(job.status), 'finished');

async function submit(api: AgentProcess, as: Record<string, string>, path: string, body: unknown): Promise<string> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { ...as, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer.id;
}

/** The grid run in this process, all of it at once: what the merged chunks must equal. */
function gridInOneProcess(strategy: Record<string, unknown>, data: DataSource) {
  const columns = loadDataSource(data);
  const runs = runGridInline({ datasets: [columns], jobs: expandStrategyGrid(strategy).map((s) => ({ dataset: 0, strategy: s })), options: backtestOptionsSchema.parse({}) });
  return JSON.parse(JSON.stringify(gridOutput(columns, runs)));
}

/** The S&P 500 history laid end to end `times` times, as inline bars: a longer run per grid point. */
function longHistory(times: number): DataSource {
  const spx = loadSp500();
  const span = spx.at(-1)!.time - spx[0].time + 86_400_000;
  return { source: 'bars', bars: Array.from({ length: times }, (_, k) => spx.map((bar) => ({ ...bar, time: bar.time + k * span }))).flat() };
}

onPostgres('durable jobs across processes', (server) => {
  const running: AgentProcess[] = [];
  const start = async (command: 'serve' | 'worker', env: Record<string, string> = {}) => {
    const started = await startProcess(command, { DATABASE_URL: server().url, TRADING_AGENT_TOKEN: 'durable-jobs-service-token-0123', JWT_SECRET: jwtSecret, JOBS_GRID_CHUNK_RUNS: '50', ...env });
    running.push(started);
    return started;
  };
  let api: AgentProcess;
  let workers: AgentProcess[];
  beforeAll(async () => {
    [api, ...workers] = await Promise.all([start('serve', { AGENT_WORKERS: '0' }), start('worker'), start('worker')]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill()));
  });

  it('splits a grid into chunks that both worker processes take, and merges them into what one process computes', async () => {
    const strategy = { name: 'breakout', entryPeriod: range(2, 20), exitPeriod: range(2, 20) };
    const data: DataSource = { source: 'sp500' };
    const id = await submit(api, alice, '/api/v1/grids', { strategy, data });
    const job = await finished(() => api, id, alice);
    expect(job.status).toBe('done');
    expect(job.chunks).toHaveLength(8);
    expect(new Set(job.chunks.map((c) => c.worker))).toEqual(new Set(workers.map((w) => w.workerId)));
    expect(job.result).toEqual(gridInOneProcess(strategy, data));
    // The API process ran none of it, and any replica serves the result: it is in the database.
    expect(job.chunks.map((c) => c.worker)).not.toContain(api.workerId);
  }, 300_000);

  it('hands the chunk of a worker killed mid-way (kill -9) to another, with the result of an undisturbed run', async () => {
    const strategy = { name: 'breakout', entryPeriod: range(2, 10), exitPeriod: range(2, 10) };
    const data = longHistory(3);
    const id = await submit(api, bob, '/api/v1/grids', { strategy, data });
    // A chunk under half done on some worker: kill that worker's process outright.
    const caught = await waitFor(() => api, id, bob, (job) => job.chunks.some((c) => c.status === 'running' && c.done > 0 && c.done < c.total / 2), 'ran a chunk half way');
    const victim = caught.chunks.find((c) => c.status === 'running' && c.done > 0 && c.done < c.total / 2)!;
    const killed = workers.find((w) => w.workerId === victim.worker)!;
    await killed.kill();
    const survivor = workers.find((w) => w !== killed)!;

    const job = await finished(() => api, id, bob);
    expect(job.status).toBe('done');
    expect(job.chunks[victim.chunk]).toMatchObject({ status: 'done', worker: survivor.workerId, attempts: 2 });
    expect(job.result).toEqual(gridInOneProcess(strategy, data));
    workers = [survivor, await start('worker')];
  }, 300_000);

  it('loses no acknowledged job when the API process and every worker are killed and started again', async () => {
    const grid = { strategy: { name: 'breakout', entryPeriod: range(2, 12), exitPeriod: range(2, 10) }, data: { source: 'sp500' } as DataSource };
    const backtest = { strategy: { name: 'sma-cross', fast: 20, slow: 100 }, data: { source: 'sp500', from: '2010-01-01' } };
    const accepted = [
      { as: alice, id: await submit(api, alice, '/api/v1/grids', grid) },
      { as: bob, id: await submit(api, bob, '/api/v1/backtests', backtest) },
      { as: carol, id: await submit(api, carol, '/api/v1/grids', grid) },
    ];
    // Some chunks are running when everything dies.
    await waitFor(() => api, accepted[0].id, alice, (job) => job.chunks.some((c) => c.done > 0), 'started');
    await Promise.all([api, ...workers].map((p) => p.kill()));

    [api, ...workers] = await Promise.all([start('serve', { AGENT_WORKERS: '0' }), start('worker')]);
    const expected = gridInOneProcess(grid.strategy, grid.data);
    for (const { as, id } of accepted) {
      const job = await finished(() => api, id, as);
      expect(job).toMatchObject({ id, status: 'done' });
      if (as !== bob) expect(job.result).toEqual(expected);
    }
    expect((await jobOf(api, accepted[1].id, bob)).result).toMatchObject({ strategy: 'sma-cross(20,100)', report: `/api/v1/backtests/${accepted[1].id}/report` });
  }, 400_000);
});
