import { parseConfig } from '@tradeyard/service-kit';
import { createGateway } from './app';
import { gatewayConfigSchema } from './config';

describe('api-gateway quotes from the bundled S&P 500 replay', () => {
  let now = 0;
  const config = parseConfig(gatewayConfigSchema, { REPLAY_BARS_PER_SECOND: '10', LOG_LEVEL: 'silent' });
  const gateway = createGateway(config, () => now);
  afterAll(() => gateway.stop());

  it('serves the current replayed close, advancing with the clock', async () => {
    const first = await gateway.app.inject({ method: 'GET', url: '/api/v1/quotes/SPX' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ symbol: 'SPX', price: 1455.219971, date: '2000-01-03' });
    now += 1000;
    expect((await gateway.app.inject({ method: 'GET', url: '/api/v1/quotes/SPX' })).json().date).toBe('2000-01-18');
  });

  it('serves recent bars with a validated limit', async () => {
    const bars = await gateway.app.inject({ method: 'GET', url: '/api/v1/bars/SPX?limit=3' });
    expect(bars.json()).toHaveLength(3);
    const bad = await gateway.app.inject({ method: 'GET', url: '/api/v1/bars/SPX?limit=-1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^limit /);
  });

  it('answers 404 naming the unknown symbol', async () => {
    const res = await gateway.app.inject({ method: 'GET', url: '/api/v1/quotes/NOPE' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('unknown symbol NOPE');
  });
});
