import { ArenaConfigError, parseArenaConfig, parseArenaConfigText, readModelApiKeys } from './config';

const valid = {
  name: 'demo',
  market: { symbols: ['SPX'], from: '2001-01-02', to: '2001-06-29' },
  agents: [
    { kind: 'rule', name: 'sma', strategy: { name: 'sma-cross', fast: 10, slow: 30 } },
    { kind: 'llm', name: 'gpt', baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKeyVar: 'OPENAI_API_KEY' },
  ],
};
const errorOf = (input: unknown) => {
  try {
    parseArenaConfig(input);
  } catch (err) {
    return (err as ArenaConfigError).message;
  }
  return 'accepted';
};

describe('arena config', () => {
  it('fills the defaults of a valid config', () => {
    expect(parseArenaConfig(valid)).toMatchObject({ seed: 1, startingCash: 100_000, costs: {}, agents: [{ strategy: { name: 'sma-cross' } }, { maxSteps: 10 }] });
    expect(parseArenaConfig({ ...valid, market: { live: true, symbols: ['SPX'], steps: 10 } }).market).toEqual({ live: true, symbols: ['SPX'], steps: 10 });
    expect(parseArenaConfig({ ...valid, probe: { symbol: 'SPX' } }).probe).toEqual({ symbol: 'SPX' });
    expect(parseArenaConfig({ ...valid, agents: [{ kind: 'strategy', name: 'rotation', strategy: 'momentum-rotation' }] }).agents).toEqual([{ kind: 'strategy', name: 'rotation', strategy: 'momentum-rotation', params: {} }]);
  });

  it.each([
    [{ ...valid, agents: [...valid.agents, { ...valid.agents[1], name: 'other', model: '' }] }, 'agents.2.model: must not be empty'],
    [{ ...valid, agents: [valid.agents[0], { ...valid.agents[1], apiKeyVar: 'sk-123' }] }, 'agents.1.apiKeyVar: must be an environment variable name (capital letters, digits, underscore)'],
    [{ ...valid, agents: [valid.agents[0], { ...valid.agents[1], baseUrl: 'ftp://x' }] }, 'agents.1.baseUrl: must be an http(s) URL'],
    [{ ...valid, agents: [{ kind: 'rule', name: 'a', strategy: { name: 'sma-cross', fast: 50, slow: 20 } }] }, 'agents.0.strategy.fast: fast must be less than slow'],
    [{ ...valid, agents: [valid.agents[0], valid.agents[0]] }, 'agents.1.name: must be unique; sma is named twice'],
    [{ ...valid, agents: [{ kind: 'robot', name: 'r' }] }, 'agents.0.kind: kind must be rule, llm or strategy'],
    [{ ...valid, agents: [{ ...valid.agents[0], name: 'has space' }] }, 'agents.0.name: must be 1-40 letters, digits, dash or underscore'],
    [{ ...valid, market: { symbols: ['SPX'], from: '2001-06-29', to: '2001-01-02' } }, 'market.to: must be after from'],
    [{ ...valid, agents: [{ kind: 'strategy', name: 's', strategy: '../rotation.ts' }] }, 'agents.0.strategy: must be file:PATH of a strategy file or the name of a strategy (1-64 letters, digits, dot, dash or underscore)'],
    [{ ...valid, agents: [{ kind: 'strategy', name: 's', strategy: 'rotation', params: [90] }] }, 'agents.0.params: must be an object of parameter values'],
    [{ ...valid, startingCash: -5 }, 'startingCash: must be greater than 0'],
    [{ ...valid, costs: { feeBps: -1 } }, 'costs.feeBps: must be 0 or more'],
    [{ ...valid, extra: 1 }, '(config): Unrecognized key: "extra"'],
    [{ ...valid, probe: { symbol: 'SPX', legs: 3 } }, 'probe: Unrecognized key: "legs"'],
    [{ ...valid, probe: { symbol: 'SPX!' } }, 'probe.symbol: must be 1-20 characters: capital letters, digits, dot, dash or underscore; market.symbols: must be ["SPX!"] alone with a probe of SPX!'],
    [{ ...valid, probe: { symbol: 'SPX' }, market: { ...valid.market, symbols: ['SPX', 'AAPL'] } }, 'market.symbols: must be ["SPX"] alone with a probe of SPX'],
    [{ ...valid, probe: { symbol: 'SPX' }, market: { live: true, symbols: ['SPX'] } }, 'probe: needs a market over history ({symbols, from, to}), not live'],
  ])('names the key path of a bad value (%#)', (input, message) => {
    expect(errorOf(input)).toBe(message);
  });

  it('says when the file is not JSON', () => {
    expect(() => parseArenaConfigText('{nope')).toThrow(/^\(config\): must be JSON: /);
  });

  describe('against the operator policy', () => {
    const policy = { platformUrls: ['http://127.0.0.1:8080'] };
    const llm = (overrides: object) => ({ ...valid, agents: [valid.agents[0], { ...valid.agents[1], ...overrides }] });

    it('refuses an apiKeyVar naming a platform secret and a baseUrl of the platform, by key path', () => {
      expect(errorOf(llm({ apiKeyVar: 'JWT_SECRET' }))).toBe('accepted'); // the structure alone is fine
      expect(() => parseArenaConfig(llm({ apiKeyVar: 'JWT_SECRET', baseUrl: 'http://localhost:8080/v1' }), policy)).toThrow(
        "agents.1.apiKeyVar: must not name a platform secret (JWT_SECRET, ADMIN_PASSWORD, SCANNER_TOKEN, MCP_TOOLS_TOKEN, TRADING_AGENT_TOKEN, MCP_AUTH_TOKEN, DATABASE_URL, REDIS_URL, ALPHAVANTAGE_API_KEY); agents.1.baseUrl: must not be an address of the platform's own services (gateway, MCP tools, trading agent)",
      );
      expect(parseArenaConfig(valid, policy).agents).toHaveLength(2);
    });

    it('reads a key only for an allowed variable and endpoint', () => {
      const env = { JWT_SECRET: 'platform-secret', OPENAI_API_KEY: 'sk-model' };
      expect(() => readModelApiKeys(parseArenaConfig(llm({ apiKeyVar: 'JWT_SECRET' })), policy, env)).toThrow(/^agents\.1\.apiKeyVar: must not name a platform secret/);
      expect(() => readModelApiKeys(parseArenaConfig(llm({ apiKeyVar: 'OTHER_API_KEY' })), policy, env)).toThrow('agents.1.apiKeyVar: environment variable OTHER_API_KEY is not set');
      expect(readModelApiKeys(parseArenaConfig(valid), policy, env)).toEqual(new Map([['gpt', 'sk-model']]));
    });
  });
});
