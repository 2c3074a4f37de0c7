import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '@tradeyard/service-kit';
import { createServer } from 'node:http';
import { createMcpTools } from './app';
import { mcpToolsConfigSchema } from './config';

// A gateway double speaking the gateway's quote route; the real gateway is exercised in the
// start-up smoke test of `npm test`.
const gateway = createServer((req, res) => {
  const match = /^\/api\/v1\/quotes\/(\w+)$/.exec(req.url ?? '');
  res.setHeader('content-type', 'application/json');
  if (match?.[1] === 'SPX') return res.end(JSON.stringify({ symbol: 'SPX', price: 1455.22, date: '2000-01-03' }));
  res.statusCode = 404;
  res.end(JSON.stringify({ error: 'not_found', message: `unknown symbol ${match?.[1]}` }));
});

const token = 'test-token-0123456789';
let mcpUrl: URL;
let service: ReturnType<typeof createMcpTools>;

beforeAll(async () => {
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const port = (gateway.address() as { port: number }).port;
  const config = parseConfig(mcpToolsConfigSchema, {
    PORT: '1',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    GATEWAY_URL: `http://127.0.0.1:${port}`,
    MCP_AUTH_TOKEN: token,
  });
  service = createMcpTools({ ...config, PORT: 0 });
  mcpUrl = new URL('/mcp', await service.start());
});
afterAll(async () => {
  await service.stop();
  gateway.close();
});

async function connect(bearer: string) {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }),
  );
  return client;
}

describe('mcp-tools over Streamable HTTP with the official SDK client', () => {
  it('lists get_price with its input schema', async () => {
    const client = await connect(token);
    const { tools } = await client.listTools();
    const getPrice = tools.find((t) => t.name === 'get_price');
    expect(getPrice?.inputSchema.required).toEqual(['symbol']);
    await client.close();
  });

  it('reads a price through the gateway, and reports an unknown symbol as a tool error', async () => {
    const client = await connect(token);
    const ok = await client.callTool({ name: 'get_price', arguments: { symbol: 'spx' } });
    expect(ok.structuredContent).toEqual({ symbol: 'SPX', price: 1455.22, date: '2000-01-03' });
    const bad = await client.callTool({ name: 'get_price', arguments: { symbol: 'NOPE' } });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0].text).toContain('unknown symbol NOPE');
    await client.close();
  });

  it('refuses a client without the bearer token', async () => {
    await expect(connect('wrong-token-0123456789')).rejects.toThrow(/401|bearer/i);
  });
});
