import { GatewayClient } from '@tradeyard/gateway-contract';
import { openDatabase } from '@tradeyard/persistence';
import { ConfigError, parseConfig } from '@tradeyard/service-kit';
import { gatewayConfigSchema } from './config';
import { createGateway } from './gateway';
import { secrets } from './__fixtures__/secrets';

const problems = (env: Record<string, string>) => {
  try {
    parseConfig(gatewayConfigSchema, { ...secrets, ...env });
    return [];
  } catch (err) {
    return (err as ConfigError).lines;
  }
};

describe('gateway cost variables', () => {
  it('reads per-share fee, minimum fee, price impact and the volume cap, 0 (none) by default', () => {
    const defaults = parseConfig(gatewayConfigSchema, secrets);
    expect([defaults.FEE_PER_SHARE, defaults.FEE_MINIMUM, defaults.SLIPPAGE_PRICE_IMPACT, defaults.VOLUME_LIMIT]).toEqual([0, 0, 0, 0]);
    const set = parseConfig(gatewayConfigSchema, { ...secrets, FEE_PER_SHARE: '0.005', FEE_MINIMUM: '1', SLIPPAGE_PRICE_IMPACT: '0.1', VOLUME_LIMIT: '0.025' });
    expect([set.FEE_PER_SHARE, set.FEE_MINIMUM, set.SLIPPAGE_PRICE_IMPACT, set.VOLUME_LIMIT]).toEqual([0.005, 1, 0.1, 0.025]);
  });

  it.each([
    [{ FEE_PER_SHARE: '-0.01' }, 'invalid configuration: FEE_PER_SHARE is "-0.01": must be 0 or more'],
    [{ FEE_MINIMUM: 'one' }, 'invalid configuration: FEE_MINIMUM is "one": must be a number'],
    [{ SLIPPAGE_PRICE_IMPACT: 'Infinity' }, 'invalid configuration: SLIPPAGE_PRICE_IMPACT is "Infinity": must be a number'],
    [{ VOLUME_LIMIT: '2' }, 'invalid configuration: VOLUME_LIMIT is "2": must be at most 1 (a share of the bar volume)'],
  ])('refuses %j with one line naming the variable and the rule', (env, line) => {
    expect(problems(env)).toEqual([line]);
  });

  it('charges the per-share fee, at least the minimum, on the real gateway', async () => {
    const config = parseConfig(gatewayConfigSchema, { ...secrets, HOST: '127.0.0.1', LOG_LEVEL: 'silent', PAPER_STARTING_CASH: '1000000', FEE_PER_SHARE: '0.01', FEE_MINIMUM: '1' });
    const gateway = await createGateway({ ...config, PORT: 0 }, { database: await openDatabase({}) });
    try {
      const client = new GatewayClient({ baseUrl: await gateway.start(), token: secrets.MCP_TOOLS_TOKEN });
      expect((await client.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 10 })).fees).toBe(1); // 10 × 0.01 < the minimum
      expect((await client.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 250 })).fees).toBe(2.5);
      expect((await client.getPortfolio()).feesPaid).toBe(3.5);
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});

describe('MARKET_PROBE', () => {
  it('is off by default and takes a bundled daily history with the replay provider', () => {
    expect(parseConfig(gatewayConfigSchema, secrets).MARKET_PROBE).toBeUndefined();
    expect(parseConfig(gatewayConfigSchema, { ...secrets, MARKET_PROBE: 'SPX' }).MARKET_PROBE).toBe('SPX');
  });

  it.each([
    [{ MARKET_PROBE: 'AAPL' }, 'invalid configuration: MARKET_PROBE is "AAPL": must be one of SPX (unset: no probe)'],
    [{ MARKET_PROBE: 'SPX', MARKET_PROVIDER: 'synthetic' }, 'invalid configuration: MARKET_PROBE is "SPX": needs MARKET_PROVIDER=replay (the bundled history it is built from)'],
  ])('refuses %j naming the variable and the rule', (env, line) => {
    expect(problems(env)).toEqual([line]);
  });
});
