import { backtestRobustness, expandStrategyGrid, runBacktest, runWalkForward, toColumns } from '@tradeyard/backtest';
import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { createStrategy } from '@tradeyard/strategies';
import { join } from 'node:path';
import { createAgent, type AgentDeps } from './app';
import { agentConfigSchema } from './config';

// Job workers load main.ts through tsx, as the built bundle re-enters main.js; jobs on PGlite in memory.
const jobs = (): AgentDeps => ({ jobs: { workerFile: join(__dirname, '__fixtures__/main-worker.js'), inMemory: true } });

describe('trading-agent backtest API', () => {
  const serviceToken = 'trading-agent-token-0123456789';
  const agent = createAgent(parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent', TRADING_AGENT_TOKEN: serviceToken }), jobs());
  // PGlite takes seconds to open: the tests start once the job queue is up.
  beforeAll(async () => {
    await agent.app.ready();
    await agent.app.jobs.whenOpen();
  });
  afterAll(() => agent.stop());
  const post = (payload: unknown, token = serviceToken, url = '/api/v1/backtests') =>
    agent.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: payload as object });
  /** A GET as the service token, which owns the jobs these tests submit. */
  const get = (url: string) => agent.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${serviceToken}` } });
  /** Polls the job until it finishes and returns its final state. */
  const finished = async (id: string) => {
    for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 50))) {
      const job = (await get(`/api/v1/jobs/${id}`)).json();
      if (job.status === 'done' || job.status === 'failed') return job;
    }
    throw new Error(`job ${id} did not finish within 60 s`);
  };
  /** Runs a backtest as a job and returns its result. */
  const backtest = async (payload: unknown) => {
    const accepted = await post(payload);
    expect(accepted.statusCode).toBe(202);
    const job = await finished(accepted.json().id);
    expect(job).toMatchObject({ status: 'done', kind: 'backtest' });
    return { id: job.id as string, ...job.result };
  };

  it('starts a backtest only with credentials', async () => {
    const anonymous = await agent.app.inject({ method: 'POST', url: '/api/v1/backtests', payload: { strategy: { name: 'buy-and-hold' } } });
    expect(anonymous.statusCode).toBe(401);
    expect((await post({ strategy: { name: 'buy-and-hold' } }, 'wrong-token-0123456789')).statusCode).toBe(401);
    const unconfigured = createAgent(parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent' }), jobs());
    const refused = await unconfigured.app.inject({ method: 'POST', url: '/api/v1/backtests', headers: { authorization: `Bearer ${serviceToken}` }, payload: {} });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().message).toBe('writes are disabled: this service has neither TRADING_AGENT_TOKEN nor JWT_SECRET configured');
    await unconfigured.stop();
  });

  it('refuses a real-looking but impossible date with a 400 naming the field', async () => {
    const res = await post({ strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-13-45' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([expect.objectContaining({ rule: 'must be a real calendar date' })]);
  });

  it('backtests sma-cross over the S&P 500 as a job, and serves the result and its HTML report', async () => {
    const accepted = await post({ strategy: { name: 'sma-cross', fast: 50, slow: 200 } });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toEqual({ id: expect.any(String), status: expect.stringMatching(/^(queued|running)$/), job: `/api/v1/jobs/${accepted.json().id}` });
    expect(accepted.headers.location).toBe(accepted.json().job);
    const job = await finished(accepted.json().id);
    expect(job).toMatchObject({ status: 'done', progress: { done: 5105, total: 5105 }, startedAt: expect.any(String), finishedAt: expect.any(String) });
    const body = job.result;
    const direct = runBacktest(toColumns(loadSp500()), createStrategy({ name: 'sma-cross', fast: 50, slow: 200 }));
    expect(body).toMatchObject({
      strategy: 'sma-cross(50,200)',
      symbol: 'SPX',
      bars: 5105,
      from: '2000-01-03',
      to: '2020-04-17',
      trades: direct.trades,
      finalEquity: direct.finalEquity,
      sharpe: direct.sharpe,
      maxDrawdown: direct.maxDrawdown,
      report: `/api/v1/backtests/${job.id}/report`,
    });
    expect(body.tradeLog).toHaveLength(direct.trades);
    expect(body.robustness).toEqual(JSON.parse(JSON.stringify(backtestRobustness(direct))));

    const again = await get(`/api/v1/backtests/${job.id}`);
    expect(again.json().finalEquity).toBe(direct.finalEquity);
    const report = await get(body.report);
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toContain('text/html');
    expect(report.body).toContain('<svg');
    expect(report.body).toContain('<h2>Monte Carlo</h2>');
  }, 90_000);

  it('buy-and-hold earns close[last] / open[1] on a date range, with fees and inline bars', async () => {
    const bars = loadSp500();
    const ranged = await backtest({ strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2010-01-01', to: '2010-12-31' } });
    const inRange = bars.filter((b) => b.time >= Date.UTC(2010, 0, 1) && b.time <= Date.UTC(2010, 11, 31));
    expect(ranged).toMatchObject({ bars: inRange.length, from: '2010-01-04', to: '2010-12-31' });
    // The bought quantity is whole micro-shares (libs/money), so equity is within a micro-share's worth.
    expect(ranged.finalEquity).toBeCloseTo((100_000 * inRange.at(-1)!.close) / inRange[1].open, 2);

    const inline = await backtest({ strategy: { name: 'buy-and-hold' }, data: { source: 'bars', bars: bars.slice(0, 3) }, options: { feePerTrade: 10 } });
    expect(inline.fees).toBe(10);
  }, 90_000);

  it('runs a parameter grid as a job with progress, each run matching a direct backtest, the best by Sharpe', async () => {
    const accepted = await post({ strategy: { name: 'sma-cross', fast: [10, 20, 300], slow: [100, 200] }, data: { source: 'sp500', from: '2005-01-01' } }, serviceToken, '/api/v1/grids');
    expect(accepted.statusCode).toBe(202);
    const job = await finished(accepted.json().id);
    expect(job).toMatchObject({ kind: 'grid', status: 'done', progress: { done: 6, total: 6 } });
    const { runs, best } = job.result;
    expect(runs).toHaveLength(6);
    // fast 300 is not less than either slow: those two fail alone, saying why.
    expect(runs.filter((r: { error?: string }) => r.error).map((r: { error: string }) => r.error)).toEqual([expect.stringContaining('fast must be less than slow'), expect.stringContaining('fast must be less than slow')]);
    const columns = toColumns(loadSp500().filter((b) => b.time >= Date.UTC(2005, 0, 1)));
    const direct = runBacktest(columns, createStrategy({ name: 'sma-cross', fast: 20, slow: 200 }));
    expect(runs[3]).toMatchObject({ job: 3, strategy: { name: 'sma-cross', fast: 20, slow: 200 }, summary: { sharpe: direct.sharpe, finalEquity: direct.finalEquity } });
    const sharpes = runs.filter((r: { summary?: unknown }) => r.summary).map((r: { summary: { sharpe: number } }) => r.summary.sharpe);
    expect(best.summary.sharpe).toBe(Math.max(...sharpes));
    expect(job.result.heatmap).toMatchObject({ metric: 'sharpe', x: 'fast', y: 'slow', xValues: [10, 20], yValues: [100, 200], best: { value: best.summary.sharpe } });
  }, 90_000);

  it.each([
    [{ strategy: { name: 'sma-cross', fast: Array.from({ length: 50 }, (_, i) => i + 1), slow: Array.from({ length: 50 }, (_, i) => i + 100) } }, 'body.strategy', 'expands to 2500 runs; a grid may hold at most 2000'],
    [{ strategy: { name: 'sma-cross', fast: [300, 400], slow: 200 } }, 'body.strategy.fast', 'fast must be less than slow'],
    [{ strategy: { name: 'breakout' }, data: { source: 'sp500', from: '2030-01-01' } }, 'body.data', 'only 0 bar(s) between 2030-01-01 and the end: a backtest needs at least 2'],
    [{ strategy: { fast: [1, 2] } }, 'body.strategy.name', 'must be a strategy name'],
  ])('refuses the grid %j with 400 naming %s', async (payload, field, rule) => {
    const res = await post(payload, serviceToken, '/api/v1/grids');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', details: [{ field, rule }] });
  });

  it('runs a walk-forward as a job with progress, its windows and out-of-sample result as runWalkForward gives them', async () => {
    const payload = { strategy: { name: 'sma-cross', fast: [10, 20], slow: [50, 100] }, walk: { trainBars: 1000, testBars: 500, metric: 'sortino' }, options: { feeBps: 5 } };
    const accepted = await post(payload, serviceToken, '/api/v1/walk-forwards');
    expect(accepted.statusCode).toBe(202);
    const job = await finished(accepted.json().id);
    expect(job).toMatchObject({ kind: 'walk-forward', status: 'done', progress: { done: 8 * 5, total: 8 * 5 } });
    const direct = runWalkForward({ data: toColumns(loadSp500()), strategies: expandStrategyGrid(payload.strategy), options: { feeBps: 5 }, walk: { trainBars: 1000, testBars: 500, metric: 'sortino' } });
    expect(job.result).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(job.result.windows[0]).toMatchObject({ train: { from: '2000-01-03', bars: 1000 }, test: { bars: 500 }, chosen: { name: 'sma-cross' } });
  }, 90_000);

  it.each([
    [{ strategy: { name: 'sma-cross', fast: [10, 20], slow: 50 }, walk: { trainBars: 5000, testBars: 500 } }, 'body.walk', 'trainBars + testBars (5500) must be at most the bars of the data (5105)'],
    [{ strategy: { name: 'sma-cross', fast: [10, 20], slow: 50 }, walk: { trainBars: 500, testBars: 100, stepBars: 50 } }, 'body.walk.stepBars', 'stepBars must be at least testBars, so test windows do not overlap'],
    [{ strategy: { name: 'sma-cross', fast: [10, 20], slow: 50 }, walk: { trainBars: 500, testBars: 100, metric: 'luck' } }, 'body.walk.metric', 'metric must be one of sharpe, sortino, totalReturn, cagr, maxDrawdown, winRate'],
    [{ strategy: { name: 'sma-cross', fast: [10, 20], slow: 50 }, walk: { trainBars: 1.5, testBars: 100 } }, 'body.walk.trainBars', 'trainBars must be a whole number'],
    [{ strategy: { name: 'sma-cross', fast: [100, 200], slow: 50 }, walk: { trainBars: 500, testBars: 100 } }, 'body.strategy.fast', 'fast must be less than slow'],
    [{ strategy: { name: 'sma-cross' } }, 'body.walk', expect.any(String)],
  ])('refuses the walk-forward %j with 400 naming %s', async (payload, field, rule) => {
    const res = await post(payload, serviceToken, '/api/v1/walk-forwards');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', details: [{ field, rule }] });
  });

  it.each([
    [{ strategy: { name: 'sma-cross', fast: 200, slow: 50 } }, 'body.strategy.fast', 'fast must be less than slow'],
    [{ strategy: { name: 'macd' } }, 'body.strategy.name', 'must be one of buy-and-hold, sma-cross, rsi-reversion, breakout'],
    [{}, 'body.strategy', 'must be one of buy-and-hold, sma-cross, rsi-reversion, breakout'],
    [{ strategy: { name: 'breakout' }, options: { feeBps: -1 } }, 'body.options.feeBps', 'feeBps must be 0 or more'],
    [{ strategy: { name: 'breakout' }, data: { source: 'sp500', from: '2030-01-01' } }, 'body.data', 'only 0 bar(s) between 2030-01-01 and the end: a backtest needs at least 2'],
    [{ strategy: { name: 'breakout' }, data: { source: 'file', path: '/etc/passwd' } }, 'body.data.source', 'must be one of sp500, bars'],
    [{ strategy: { name: 'buy-and-hold', fast: 3 } }, 'body.strategy', 'unknown field(s): fast'],
  ])('refuses %j with 400 naming %s', async (payload, field, rule) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', details: [{ field, rule }] });
  });

  it('names the bad bar of inline data', async () => {
    const bar = { symbol: 'X', time: 0, open: 10, high: 9, low: 8, close: 9, volume: 1 };
    const res = await post({ strategy: { name: 'buy-and-hold' }, data: { source: 'bars', bars: [bar, { ...bar, time: 1, high: 11 }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().details[0]).toEqual({ field: 'body.data.bars.0.high', rule: 'high must be the highest and low the lowest of open, high, low, close' });
  });

  it('answers malformed JSON, an unknown route and bad input in the platform error shape', async () => {
    const headers = { authorization: `Bearer ${serviceToken}`, 'content-type': 'application/json' };
    const malformed = await agent.app.inject({ method: 'POST', url: '/api/v1/backtests', headers, payload: '{"strategy":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
    const unknown = await agent.app.inject({ method: 'DELETE', url: '/api/v1/backtests' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'not_found', message: 'no route DELETE /api/v1/backtests' });
    const invalid = await agent.app.inject({ method: 'POST', url: '/api/v1/backtests', headers, payload: { strategy: { name: 'breakout' }, extra: true } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toEqual({ error: 'validation_failed', message: 'body: unknown field(s): extra', details: [{ field: 'body', rule: 'unknown field(s): extra' }] });
  });

  it('answers 404 for an unknown backtest or job, and 401 to a read without credentials', async () => {
    const res = await get('/api/v1/backtests/nope/report');
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
    expect((await get('/api/v1/jobs/nope')).statusCode).toBe(404);
    expect((await agent.app.inject('/api/v1/jobs/nope')).statusCode).toBe(401);
  });

  it('serves OpenAPI at /openapi.json listing its routes with their request schemas', async () => {
    const res = await agent.app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const { paths } = res.json();
    expect(Object.keys(paths).sort()).toEqual(['/api/v1/arena/config-schema', '/api/v1/arena/runs', '/api/v1/arena/runs/{id}', '/api/v1/backtests', '/api/v1/backtests/{id}', '/api/v1/backtests/{id}/report', '/api/v1/grids', '/api/v1/jobs', '/api/v1/jobs/{id}', '/api/v1/walk-forwards', '/health', '/metrics', '/ready']);
    const backtestBody = paths['/api/v1/backtests'].post.requestBody.content['application/json'].schema;
    expect(backtestBody).toMatchObject({ required: ['strategy'], properties: { strategy: expect.anything(), data: expect.anything(), options: expect.anything() } });
    expect(paths['/api/v1/grids'].post.requestBody.content['application/json'].schema.properties.strategy.description).toMatch(/parameters may be lists/);
    expect(paths['/api/v1/grids'].post.security).toEqual([{ bearer: [] }]);
    expect(paths['/api/v1/jobs/{id}'].get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id' })]);
  });
});
