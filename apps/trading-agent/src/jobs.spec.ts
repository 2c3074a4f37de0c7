import { join } from 'node:path';
import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { createAgent, type AgentDeps } from './app';
import { agentConfigSchema } from './config';

const serviceToken = 'trading-agent-token-0123456789';
const auth = { authorization: `Bearer ${serviceToken}` };
const config = { ...parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', TRADING_AGENT_TOKEN: serviceToken }), PORT: 0 };
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

async function untilStatus(url: string, id: string, wanted: string[], withinMs = 60_000) {
  for (const started = Date.now(); Date.now() - started < withinMs; await sleep(25)) {
    const job = (await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as { status: string; progress?: { done: number; total: number }; error?: string };
    if (wanted.includes(job.status)) return job;
  }
  throw new Error(`job ${id} never reached ${wanted.join('/')}`);
}

function startAgent(jobs: Partial<AgentDeps['jobs']> = {}) {
  const agent = createAgent(config, { jobs: { workerFile, ...jobs } });
  return { agent, url: agent.start() };
}

describe('backtest jobs off the request thread', () => {
  it('keeps /health and the job status answering while a long grid runs, its progress advancing between answers', async () => {
    const { agent, url: started } = startAgent();
    const url = await started;
    try {
      const accepted = await fetch(`${url}/api/v1/grids`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(longGrid) });
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      // Answers while the grid runs, each with the progress it reported: a grid on the request
      // thread would leave none to be had until it ended. Their latency is a benchmark's business.
      const progress: number[] = [];
      for (let job = await untilStatus(url, id, ['running', 'done', 'failed']); job.status === 'running' && progress.length < 3; await sleep(50)) {
        expect((await fetch(`${url}/health`)).status).toBe(200);
        job = (await (await fetch(`${url}/api/v1/jobs/${id}`)).json()) as typeof job;
        const done = job.progress?.done ?? 0;
        if (job.status === 'running' && done > (progress.at(-1) ?? 0)) progress.push(done);
      }
      expect(progress).toHaveLength(3);
      const done = await untilStatus(url, id, ['done', 'failed'], 120_000);
      expect(done).toMatchObject({ status: 'done', progress: { done: 2000, total: 2000 } });
    } finally {
      await agent.stop();
    }
  }, 180_000);

  it('refuses a job beyond the queue limit with 429 and Retry-After, and ends a job at its deadline', async () => {
    // A deadline the overlong grid always passes and a one-year buy-and-hold never nears.
    const { agent, url: started } = startAgent({ maxActive: 1, timeoutMs: 3000 });
    const url = await started;
    try {
      const body = JSON.stringify(overlongGrid());
      const submit = () => fetch(`${url}/api/v1/grids`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      const first = await submit();
      expect(first.status).toBe(202);
      const { id } = (await first.json()) as { id: string };
      const second = await submit();
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(await second.json()).toEqual({ error: 'busy', message: '1 jobs are already queued or running; retry in 1 s' });

      const failed = await untilStatus(url, id, ['done', 'failed']);
      expect(failed).toMatchObject({ status: 'failed', error: 'time limit: the job ran longer than 3000 ms' });
      // The slot is free again, and a fresh worker takes the next job.
      const small = await fetch(`${url}/api/v1/backtests`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-01-01' } }) });
      expect(small.status).toBe(202);
      const next = await untilStatus(url, ((await small.json()) as { id: string }).id, ['done', 'failed']);
      expect(next.status).toBe('done');
    } finally {
      await agent.stop();
    }
  }, 120_000);
});
