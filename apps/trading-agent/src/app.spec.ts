import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { createAgent } from './app';
import { agentConfigSchema } from './config';

describe('trading-agent buy-and-hold backtest', () => {
  const agent = createAgent(parseConfig(agentConfigSchema, { LOG_LEVEL: 'silent' }));
  afterAll(() => agent.stop());

  it('backtests buy-and-hold over the S&P 500 history', async () => {
    const res = await agent.app.inject({ method: 'GET', url: '/api/v1/backtests/buy-and-hold' });
    expect(res.statusCode).toBe(200);
    const bars = loadSp500();
    expect(res.json()).toMatchObject({
      strategy: 'buy-and-hold',
      symbol: 'SPX',
      bars: 5105,
      from: '2000-01-03',
      to: '2020-04-17',
      initialCash: 100000,
    });
    expect(res.json().finalEquity).toBeCloseTo((100_000 * bars.at(-1)!.close) / bars[1].open, 6);
  });
});
