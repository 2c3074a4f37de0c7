import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { createAgent } from './app';
import { agentConfigSchema } from './config';

const serviceToken = 'trading-agent-token-0123456789';
const jwtSecret = 'jobs-spec-jwt-secret-0123456789';
const sign = createSigner({ key: jwtSecret });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Gateway login tokens of two traders and an admin, as the gateway signs them. */
const alice = bearer(sign({ username: 'alice', role: 'trader', accountId: 'alice' }));
const bob = bearer(sign({ username: 'bob', role: 'trader', accountId: 'bob' }));
const admin = bearer(sign({ username: 'admin', role: 'admin', accountId: 'admin' }));
const service = bearer(serviceToken);
const workerFile = join(__dirname, '__fixtures__/main-worker.js');
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
/**
 * 2000 breakout runs over the S&P 500: several seconds of work for one worker (breakout runs bar
 * by bar; an sma-cross grid of this size is now too quick, on its shared series, to stay running).
 */
const longGrid = { strategy: { name: 'breakout', entryPeriod: range(2, 40), exitPeriod: range(2, 50) } };
/**
 * The same grid over the S&P 500 history laid end to end 19 times (97k bars, in the request):
 * minutes of work, far past the queue test's 3 s deadline on any machine.
 */
function overlongGrid() {
  const spx = loadSp500();
  const span = spx.at(-1)!.time - spx[0].time + 86_400_000;
  const bars = Array.from({ length: 19 }, (_, k) => spx.map((bar) => ({ ...bar, time: bar.time + k * span }))).flat();
  return { ...longGrid, data: { source: 'bars', bars } };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type JobBody = { status: string; owner: string; progress?: { done: number; total: number }; chunks?: Array<{ worker: string | null }>; error?: string };

async function untilStatus(url: string, id: string, wanted: string[], as = service, withinMs = 120_000): Promise<JobBody> {
  for (const started = Date.now(); Date.now() - started < withinMs; await sleep(25)) {
    const job = (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: as })).json()) as JobBody;
    if (wanted.includes(job.status)) return job;
  }
  throw new Error(`job ${id} never reached ${wanted.join('/')}`);
}

async function startAgent(env: Record<string, string> = {}) {
  const config = { ...parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', TRADING_AGENT_TOKEN: serviceToken, JWT_SECRET: jwtSecret, ...env }), PORT: 0 };
  const agent = createAgent(config, { jobs: { workerFile, inMemory: true } });
  const url = await agent.start();
  await agent.app.jobs.whenOpen();
  return { agent, url };
}

const submit = (url: string, as: Record<string, string>, body: unknown, path = '/api/v1/grids') =>
  fetch(`${url}${path}`, { method: 'POST', headers: { ...as, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('backtest jobs off the request thread', () => {
  it('keeps /health and the job status answering while a long grid runs in chunks, its progress advancing between answers', async () => {
    const { agent, url } = await startAgent({ JOBS_GRID_CHUNK_RUNS: '500' });
    try {
      const accepted = await submit(url, service, longGrid);
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      // Answers while the grid runs, each with the progress it reported: a grid on the request
      // thread would leave none to be had until it ended. Their latency is a benchmark's business.
      const progress: number[] = [];
      for (let job = await untilStatus(url, id, ['running', 'done', 'failed']); job.status === 'running' && progress.length < 3; await sleep(50)) {
        expect((await fetch(`${url}/health`)).status).toBe(200);
        job = (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: service })).json()) as JobBody;
        const done = job.progress?.done ?? 0;
        if (job.status === 'running' && done > (progress.at(-1) ?? 0)) progress.push(done);
      }
      expect(progress).toHaveLength(3);
      const done = await untilStatus(url, id, ['done', 'failed'], service, 180_000);
      expect(done).toMatchObject({ status: 'done', owner: 'service:trading-agent', progress: { done: 2000, total: 2000 } });
      expect(done.chunks).toHaveLength(4);
    } finally {
      await agent.stop();
    }
  }, 240_000);

  it('refuses a job beyond the principal’s quota with 429 naming the limit, and ends a chunk at its deadline', async () => {
    // A deadline the overlong grid always passes and a one-year buy-and-hold never nears.
    const { agent, url } = await startAgent({ JOBS_MAX_ACTIVE_PER_USER: '1', JOBS_CHUNK_TIMEOUT_SECONDS: '3', JOBS_GRID_CHUNK_RUNS: '2000' });
    try {
      const body = overlongGrid();
      const first = await submit(url, alice, body);
      expect(first.status).toBe(202);
      const { id } = (await first.json()) as { id: string };
      const second = await submit(url, alice, body);
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(await second.json()).toEqual({ error: 'quota_exceeded', message: '1 of your jobs are queued or running; at most 1 may be at once (JOBS_MAX_ACTIVE_PER_USER): retry when one finishes' });
      // The quota is each principal's own.
      const bobs = await submit(url, bob, { strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-01-01' } }, '/api/v1/backtests');
      expect(bobs.status).toBe(202);

      const failed = await untilStatus(url, id, ['done', 'failed'], alice);
      expect(failed).toMatchObject({ status: 'failed', error: 'time limit: the chunk ran longer than 3000 ms' });
      // The slot is free again, and a fresh worker takes the next job.
      const small = await submit(url, alice, { strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-01-01' } }, '/api/v1/backtests');
      expect(small.status).toBe(202);
      const next = await untilStatus(url, ((await small.json()) as { id: string }).id, ['done', 'failed'], alice);
      expect(next.status).toBe('done');
    } finally {
      await agent.stop();
    }
  }, 180_000);

  it('shows and cancels a job only for its owner or an admin, and a cancelled grid stops running', async () => {
    const { agent, url } = await startAgent({ JOBS_GRID_CHUNK_RUNS: '100' });
    try {
      const accepted = await submit(url, alice, longGrid);
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      await untilStatus(url, id, ['running'], alice);

      const asBob = await fetch(`${url}/api/v1/jobs/${id}`, { headers: bob });
      expect(asBob.status).toBe(404);
      expect(await asBob.json()).toEqual({ error: 'not_found', message: `no job ${id} of yours (finished jobs are kept: the newest 50 of each principal)` });
      expect((await fetch(`${url}/api/v1/jobs/${id}`, { method: 'DELETE', headers: bob })).status).toBe(404);
      expect(((await (await fetch(`${url}/api/v1/jobs`, { headers: bob })).json()) as { jobs: unknown[] }).jobs).toEqual([]);
      expect((await fetch(`${url}/api/v1/jobs/${id}`)).status).toBe(401);
      expect(await (await fetch(`${url}/api/v1/jobs`, { headers: alice })).json()).toEqual({ jobs: [expect.objectContaining({ id, owner: 'user:alice', kind: 'grid' })] });
      expect(await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: admin })).json()).toMatchObject({ id, owner: 'user:alice' });

      const cancelled = await fetch(`${url}/api/v1/jobs/${id}`, { method: 'DELETE', headers: alice });
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toMatchObject({ id, status: 'cancelled' });
      const again = await fetch(`${url}/api/v1/jobs/${id}`, { method: 'DELETE', headers: admin });
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({ error: 'job_finished', message: `job ${id} is cancelled; only a queued or running job can be cancelled` });
      // The worker is free for the next job once the cancelled chunk stopped at its progress tick.
      const next = await submit(url, bob, { strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-01-01' } }, '/api/v1/backtests');
      expect(await untilStatus(url, ((await next.json()) as { id: string }).id, ['done', 'failed'], bob)).toMatchObject({ status: 'done', owner: 'user:bob' });
      const job = (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers: alice })).json()) as JobBody & { progress: { done: number; total: number } };
      expect(job.status).toBe('cancelled');
      expect(job.progress.done).toBeLessThan(2000);
    } finally {
      await agent.stop();
    }
  }, 180_000);
});
