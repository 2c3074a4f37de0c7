import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { parseConfig } from '@tradeyard/service-kit';
import { join } from 'node:path';
import { createMcpTools, mcpToolsConfigSchema } from '@tradeyard/trading-tools';

// The service is wiring only (the tools are tested in tools.spec.ts): this checks that config
// reaches the endpoint (auth token) and the gateway client (URL and MCP_TOOLS_TOKEN).
const token = 'test-token-0123456789';
let mcpUrl: URL;
let gateway: TestGateway;
let service: ReturnType<typeof createMcpTools>;

beforeAll(async () => {
  gateway = await startTestGateway();
  const config = parseConfig(mcpToolsConfigSchema, {
    PORT: '1', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_URL: gateway.url, MCP_TOOLS_TOKEN: gateway.tokens.mcpTools, MCP_AUTH_TOKEN: token,
  });
  service = createMcpTools({ ...config, PORT: 0 }, { calculatorWorkerFile: join(__dirname, '__fixtures__/calculator-worker.js') });
  mcpUrl = new URL('/mcp', await service.start());
  // Both calculator workers up before the timed cases: their first start (tsx loading mathjs)
  // can take longer on a loaded machine than the pool lets a call wait for a free worker.
  const warm = await connect(token);
  await Promise.all([1, 2].map((n) => warm.callTool({ name: 'calculate', arguments: { expression: `${n}+1` } })));
  await warm.close();
}, 120_000);
afterAll(async () => {
  await service.stop();
  await gateway.close();
});

async function connect(bearer: string) {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  return client;
}

describe('mcp-tools service', () => {
  it("serves the tools with mcp-tools' credential on gateway calls", async () => {
    const client = await connect(token);
    const result = (await client.callTool({ name: 'get_price', arguments: { symbol: 'spx' } })) as CallToolResult;
    expect(result.structuredContent).toEqual({ symbol: 'SPX', price: 1455.219971, time: 946857600000, date: '2000-01-03' });
    await client.close();
  });

  // Resource exhaustion: hostile calls through the real endpoint, each an isError naming its
  // limit, while a normal call from another client is answered and /health stays 200.
  it.each([
    ['resize([1],[1e9])', 'matrix size limit: resize(1000000000) would have 1000000000 elements, more than 100000'],
    ['zeros(1e5,1e5)', 'matrix size limit: zeros(100000, 100000)'],
    ['ones(1e5,1e5)', 'matrix size limit: ones(100000, 100000)'],
    ['1:1e10', 'matrix size limit: range 1:10000000000'],
    ['isPrime(bignumber("170141183460469231731687303715884105727"))', 'time limit: the evaluation ran longer than 1000 ms'],
    ['bignumber(10)^1e9', 'big number size limit: exponent 1000000000'],
    ['1e308*10', 'result is not a finite number (Infinity)'],
    ['0/0', 'result is not a finite number (NaN)'],
    ['import({x: 1})', 'function import is not allowed'],
  ])('calculate(%j) is a tool error naming the limit; others are served during and after', async (expression, message) => {
    const hostile = await connect(token);
    const neighbour = await connect(token);
    try {
      const pending = hostile.callTool({ name: 'calculate', arguments: { expression } }) as Promise<CallToolResult>;
      const during = await Promise.all([
        neighbour.callTool({ name: 'get_price', arguments: { symbol: 'SPX' } }) as Promise<CallToolResult>,
        neighbour.callTool({ name: 'calculate', arguments: { expression: '1+1' } }) as Promise<CallToolResult>,
        fetch(new URL('/health', mcpUrl)),
      ]);
      expect(during[0].isError).toBeFalsy();
      expect(during[1].structuredContent).toEqual({ expression: '1+1', result: '2', value: 2 });
      expect(during[2].status).toBe(200);
      const result = await pending;
      expect(result.isError).toBe(true);
      expect((result.content[0] as { text: string }).text).toContain(`calculate failed: ${message}`);
      const after = (await neighbour.callTool({ name: 'calculate', arguments: { expression: '2*3' } })) as CallToolResult;
      expect(after.structuredContent).toEqual({ expression: '2*3', result: '6', value: 6 });
      expect((await fetch(new URL('/health', mcpUrl))).status).toBe(200);
    } finally {
      await hostile.close();
      await neighbour.close();
    }
  });

  it('refuses an over-long expression at the input schema', async () => {
    const client = await connect(token);
    const result = (await client.callTool({ name: 'calculate', arguments: { expression: '1+'.repeat(600) + '1' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.content[0] as { text: string }).text).toMatch(/must be at most 1000 characters/);
    await client.close();
  });

  it('refuses a client whose token the gateway does not know', async () => {
    await expect(connect('wrong-token-0123456789')).rejects.toThrow('the gateway refused this token');
  });

  it('answers arguments with invalid text (a NUL byte, a lone surrogate) as a tool error naming the argument, not an HTTP 400', async () => {
    const client = await connect(token);
    for (const [name, args, field] of [
      ['get_price', { symbol: 'SP\u0000X' }, 'symbol'],
      ['search_signals', { rule: 'rsi\u0000(14) < 30' }, 'rule'],
      ['calculate', { expression: '1 + \ud800' }, 'expression'],
    ] as const) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect((result.content[0] as { text: string }).text).toMatch(new RegExp(field));
    }
    await client.close();
  });

  it('answers malformed JSON, an unknown route and bad input in the platform error shape', async () => {
    const malformed = await fetch(mcpUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
    const unknown = await fetch(new URL('/api/v1/nope', mcpUrl));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no route GET /api/v1/nope' });
    const invalid = await fetch(new URL('/health?probe=%01', mcpUrl));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: 'validation_failed', message: 'query.probe: must not contain control characters (found U+0001)', details: [{ field: 'query.probe', rule: 'must not contain control characters (found U+0001)' }] });
  });

  it('serves OpenAPI at /openapi.json listing the MCP endpoint and the kit routes', async () => {
    const res = await fetch(new URL('/openapi.json', mcpUrl));
    expect(res.status).toBe(200);
    const { paths } = (await res.json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(paths).sort()).toEqual(['/health', '/mcp', '/metrics', '/ready']);
    expect(Object.keys(paths['/mcp']).sort()).toEqual(['delete', 'get', 'post']);
    // The endpoint checks its own clients; the kit's bearer scheme is not claimed for it.
    expect(paths['/mcp'].post.security).toBeUndefined();
  });

  it('rejects a short MCP_AUTH_TOKEN at start-up, naming it, never its value', () => {
    expect(() => parseConfig(mcpToolsConfigSchema, { MCP_AUTH_TOKEN: 'short' })).toThrow('MCP_AUTH_TOKEN is set (value hidden): must be at least 16 characters');
  });
});
