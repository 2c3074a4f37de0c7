import { z } from 'zod';
import { apiKeyVarRefusal, baseUrlRefusal, type ModelAccessPolicy } from './model-access';
import { arenaServiceConfigShape, modelAccessPolicy } from './service';

const platform: ModelAccessPolicy = { platformUrls: ['http://127.0.0.1:8080', 'http://127.0.0.1:8000/mcp', 'http://127.0.0.1:8082'] };

describe('model access policy', () => {
  it.each(['JWT_SECRET', 'ADMIN_PASSWORD', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'MCP_AUTH_TOKEN', 'DATABASE_URL', 'ALPHAVANTAGE_API_KEY'])('never allows the platform secret %s, whatever the allow-list', (name) => {
    expect(apiKeyVarRefusal(name, platform)).toMatch(/^must not name a platform secret/);
    expect(apiKeyVarRefusal(name, { ...platform, apiKeyVars: [name] })).toMatch(/^must not name a platform secret/);
  });

  it('allows names ending in _API_KEY by default, and only the listed ones when the operator lists some', () => {
    expect(apiKeyVarRefusal('OPENAI_API_KEY', platform)).toBeUndefined();
    expect(apiKeyVarRefusal('HOME', platform)).toBe('must end in _API_KEY (the operator may allow other names with ARENA_API_KEY_VARS)');
    const listed = { ...platform, apiKeyVars: ['MODEL_TOKEN'] };
    expect(apiKeyVarRefusal('MODEL_TOKEN', listed)).toBeUndefined();
    expect(apiKeyVarRefusal('OPENAI_API_KEY', listed)).toBe("must be one of the operator's ARENA_API_KEY_VARS: MODEL_TOKEN");
  });

  it.each([
    'http://127.0.0.1:8080/v1', 'http://localhost:8080', 'http://127.0.0.2:8080', 'http://[::1]:8080', 'http://0.0.0.0:8080', 'http://2130706433:8080',
    'http://[::ffff:127.0.0.1]:8000/v1', 'http://LOCALHOST:8082',
  ])('refuses %s, an address of the platform itself', (url) => {
    expect(baseUrlRefusal(url, platform)).toBe("must not be an address of the platform's own services (gateway, MCP tools, trading agent)");
    expect(baseUrlRefusal(url, { ...platform, modelHosts: ['127.0.0.1', 'localhost'] })).toMatch(/^must not be an address of the platform/);
  });

  it.each(['http://10.0.0.5/v1', 'http://192.168.1.2:11434/v1', 'http://169.254.169.254/latest', 'http://172.20.0.3:8080', 'http://gateway:8080', 'http://db.internal/v1', 'http://[fd00::1]/v1'])(
    'refuses the internal address %s by default',
    (url) => expect(baseUrlRefusal(url, platform)).toBe('must be a public host or loopback (the operator may allow others with ARENA_MODEL_HOSTS)'),
  );

  it('allows public hosts and other loopback ports by default, and only the listed hosts when the operator lists some', () => {
    expect(baseUrlRefusal('https://api.openai.com/v1', platform)).toBeUndefined();
    expect(baseUrlRefusal('http://127.0.0.1:11434/v1', platform)).toBeUndefined();
    const listed = { ...platform, modelHosts: ['api.openai.com', 'ollama:11434'] };
    expect(baseUrlRefusal('https://api.openai.com/v1', listed)).toBeUndefined();
    expect(baseUrlRefusal('http://ollama:11434/v1', listed)).toBeUndefined();
    expect(baseUrlRefusal('http://ollama:8080/v1', listed)).toBe("must be on a host of the operator's ARENA_MODEL_HOSTS: api.openai.com, ollama:11434");
    expect(baseUrlRefusal('https://evil.example/v1', listed)).toMatch(/^must be on a host of the operator's ARENA_MODEL_HOSTS/);
  });

  it('reads the operator variables at start-up, refusing a platform secret in the allow-list', () => {
    const schema = z.object(arenaServiceConfigShape);
    const parsed = schema.parse({ ARENA_API_KEY_VARS: ' OPENAI_API_KEY, MODEL_TOKEN ,', ARENA_MODEL_HOSTS: 'api.openai.com,[::1]:9000' });
    expect(modelAccessPolicy({ ...parsed, MCP_URL: 'http://127.0.0.1:8000/mcp', DATA_DIR: 'data', PORT: 8082 })).toEqual({
      apiKeyVars: ['OPENAI_API_KEY', 'MODEL_TOKEN'], modelHosts: ['api.openai.com', '[::1]:9000'],
      platformUrls: ['http://127.0.0.1:8080', 'http://127.0.0.1:8000/mcp', 'http://127.0.0.1:8082'],
    });
    expect(schema.safeParse({ ARENA_API_KEY_VARS: 'OPENAI_API_KEY,JWT_SECRET' }).error?.issues[0].message).toBe('must not name a platform secret: JWT_SECRET');
    expect(schema.safeParse({ ARENA_MODEL_HOSTS: 'api.openai.com/v1' }).error?.issues[0].message).toBe('must be comma-separated host or host:port entries; bad: api.openai.com/v1');
  });
});
