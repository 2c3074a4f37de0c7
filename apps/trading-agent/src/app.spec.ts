import { runBacktest, toColumns } from '@tradeyard/backtest';
import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { createStrategy } from '@tradeyard/strategies';
import { createAgent } from './app';
import { agentConfigSchema } from './config';

describe('trading-agent backtest API', () => {
  const serviceToken = 'service-token-0123456789';
  const agent = createAgent(parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent', SERVICE_TOKEN: serviceToken }));
  afterAll(() => agent.stop());
  const post = (payload: unknown, token = serviceToken) =>
    agent.app.inject({ method: 'POST', url: '/api/v1/backtests', headers: { authorization: `Bearer ${token}` }, payload: payload as object });

  it('starts a backtest only with credentials', async () => {
    const anonymous = await agent.app.inject({ method: 'POST', url: '/api/v1/backtests', payload: { strategy: { name: 'buy-and-hold' } } });
    expect(anonymous.statusCode).toBe(401);
    expect((await post({ strategy: { name: 'buy-and-hold' } }, 'wrong-token-0123456789')).statusCode).toBe(401);
    const unconfigured = createAgent(parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent' }));
    const refused = await unconfigured.app.inject({ method: 'POST', url: '/api/v1/backtests', headers: { authorization: `Bearer ${serviceToken}` }, payload: {} });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().message).toBe('writes are disabled: this service has neither SERVICE_TOKEN nor JWT_SECRET configured');
    await unconfigured.stop();
  });

  it('refuses a real-looking but impossible date with a 400 naming the field', async () => {
    const res = await post({ strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2020-13-45' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toEqual([expect.objectContaining({ rule: 'must be a real calendar date' })]);
  });

  it('backtests sma-cross over the S&P 500 and serves the result and its HTML report', async () => {
    const res = await post({ strategy: { name: 'sma-cross', fast: 50, slow: 200 } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
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
    });
    expect(body.tradeLog).toHaveLength(direct.trades);

    const again = await agent.app.inject({ method: 'GET', url: `/api/v1/backtests/${body.id}` });
    expect(again.json().finalEquity).toBe(direct.finalEquity);
    const report = await agent.app.inject({ method: 'GET', url: body.report });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toContain('text/html');
    expect(report.body).toContain('<svg');
  });

  it('buy-and-hold earns close[last] / open[1] on a date range, with fees and inline bars', async () => {
    const bars = loadSp500();
    const res = await post({ strategy: { name: 'buy-and-hold' }, data: { source: 'sp500', from: '2010-01-01', to: '2010-12-31' } });
    const inRange = bars.filter((b) => b.time >= Date.UTC(2010, 0, 1) && b.time <= Date.UTC(2010, 11, 31));
    expect(res.json()).toMatchObject({ bars: inRange.length, from: '2010-01-04', to: '2010-12-31' });
    // The bought quantity is whole micro-shares (libs/money), so equity is within a micro-share's worth.
    expect(res.json().finalEquity).toBeCloseTo((100_000 * inRange.at(-1)!.close) / inRange[1].open, 2);

    const inline = await post({ strategy: { name: 'buy-and-hold' }, data: { source: 'bars', bars: bars.slice(0, 3) }, options: { feePerTrade: 10 } });
    expect(inline.statusCode).toBe(201);
    expect(inline.json().fees).toBe(10);
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

  it('answers 404 for an unknown backtest', async () => {
    const res = await agent.app.inject({ method: 'GET', url: '/api/v1/backtests/nope/report' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });
});
