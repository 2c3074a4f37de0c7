import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadSp500 } from '@tradeyard/market-data';
import { parseConfig } from '@tradeyard/service-kit';
import { startGatewayDouble, type GatewayDouble } from '@tradeyard/trading-tools';
import { createMcpTools } from './app';
import { mcpToolsConfigSchema } from './config';

// The app is wiring only (the tools are tested in libs/trading-tools): this checks that config
// reaches the endpoint (auth token) and the gateway client (URL and service token).
const token = 'test-token-0123456789';
const serviceToken = 'service-token-0123456789';
let mcpUrl: URL;
let gateway: GatewayDouble;
let service: ReturnType<typeof createMcpTools>;

beforeAll(async () => {
  gateway = await startGatewayDouble({ token: serviceToken, bars: { SPX: loadSp500().slice(0, 3) }, cursor: 0 });
  const config = parseConfig(mcpToolsConfigSchema, {
    PORT: '1', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_URL: gateway.url, SERVICE_TOKEN: serviceToken, MCP_AUTH_TOKEN: token,
  });
  service = createMcpTools({ ...config, PORT: 0 });
  mcpUrl = new URL('/mcp', await service.start());
});
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
  it('serves the tools with the service token on gateway calls', async () => {
    const client = await connect(token);
    const result = (await client.callTool({ name: 'get_price', arguments: { symbol: 'spx' } })) as CallToolResult;
    expect(result.structuredContent).toEqual({ symbol: 'SPX', price: 1455.219971, time: 946857600000, date: '2000-01-03' });
    await client.close();
  });

  it('refuses a client without the bearer token', async () => {
    await expect(connect('wrong-token-0123456789')).rejects.toThrow('missing or wrong bearer token');
  });

  it('rejects a short MCP_AUTH_TOKEN at start-up, naming it', () => {
    expect(() => parseConfig(mcpToolsConfigSchema, { MCP_AUTH_TOKEN: 'short' })).toThrow('MCP_AUTH_TOKEN is "short": must be at least 16 characters');
  });
});
