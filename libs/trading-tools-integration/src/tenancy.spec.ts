import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ACCOUNT_HEADER, GatewayClient, MARKET_HEADER, type Portfolio } from '@tradeyard/gateway-contract';
import { startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { parseConfig } from '@tradeyard/service-kit';
import { createMcpTools, mcpToolsConfigSchema } from '@tradeyard/trading-tools';
import { join } from 'node:path';

// Tenancy through the MCP tools (issue 21): every MCP client acts as the gateway principal of its
// own credential, on the real gateway (in-process, PGlite) behind the real mcp-tools service.
const operatorToken = 'operator-mcp-token-0123456789';
let gateway: TestGateway;
let admin: GatewayClient;
let service: ReturnType<typeof createMcpTools>;
let mcpUrl: URL;
const clients: Client[] = [];

beforeAll(async () => {
  gateway = await startTestGateway();
  admin = (await gateway.signedIn()).admin;
  const config = parseConfig(mcpToolsConfigSchema, {
    PORT: '1', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_URL: gateway.url, MCP_TOOLS_TOKEN: gateway.tokens.mcpTools, MCP_AUTH_TOKEN: operatorToken,
  });
  service = createMcpTools({ ...config, PORT: 0 }, { calculatorWorkerFile: join(__dirname, '__fixtures__/calculator-worker.js') });
  mcpUrl = new URL('/mcp', await service.start());
}, 120_000);
afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.close()))));
afterAll(async () => {
  await service.stop();
  await gateway.close();
});

async function connect(bearer: string, headers: Record<string, string> = {}) {
  const client = new Client({ name: 'tenancy', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: { authorization: `Bearer ${bearer}`, ...headers } } }));
  clients.push(client);
  return client;
}
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const portfolioOf = async (client: Client) => (await call(client, 'get_portfolio')).structuredContent as unknown as Portfolio;

/** A trader user and its login token. */
async function trader(username: string) {
  await admin.request('POST', '/users', { body: { username, password: `${username}-password`, role: 'trader' } });
  return (await new GatewayClient({ baseUrl: gateway.url }).login(username, `${username}-password`)).token;
}

describe('MCP clients act as themselves', () => {
  it("gives two users' clients each their own account: neither sees the other's orders or positions", async () => {
    const [alice, bob] = await Promise.all([connect(await trader('alice')), connect(await trader('bob'))]);
    const bought = await call(alice, 'buy', { symbol: 'SPX', quantity: 2, clientOrderId: 'same-id' });
    expect(bought.structuredContent).toMatchObject({ status: 'filled' });
    // The same clientOrderId from another user is another order, not the first one replayed.
    const bobs = await call(bob, 'buy', { symbol: 'SPX', quantity: 1, clientOrderId: 'same-id' });
    expect(bobs.structuredContent).toMatchObject({ status: 'filled', quantity: 1 });
    expect((bobs.structuredContent as { id: string }).id).not.toBe((bought.structuredContent as { id: string }).id);
    expect(await portfolioOf(alice)).toMatchObject({ accountId: 'alice', positions: [expect.objectContaining({ symbol: 'SPX', quantity: 2 })] });
    expect(await portfolioOf(bob)).toMatchObject({ accountId: 'bob', positions: [expect.objectContaining({ symbol: 'SPX', quantity: 1 })] });
    const bobOrders = (await call(bob, 'get_orders')).structuredContent as { orders: { id: string }[] };
    expect(bobOrders.orders.map((o) => o.id)).toEqual([(bobs.structuredContent as { id: string }).id]);
  });

  it('serves an API token a user made for their MCP client, until it is revoked', async () => {
    const carol = new GatewayClient({ baseUrl: gateway.url, token: await trader('carol') });
    const made = await carol.createApiToken({ label: 'claude desktop' });
    expect(made.token).toMatch(/^tyk_/);
    const client = await connect(made.token);
    expect(await portfolioOf(client)).toMatchObject({ accountId: 'carol' });
    await carol.revokeApiToken(made.id);
    // mcp-tools trusts a token's principal for a while (30 s by default): a fresh service asks again.
    const again = createMcpTools(
      { ...parseConfig(mcpToolsConfigSchema, { PORT: '1', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_URL: gateway.url, MCP_TOOLS_TOKEN: gateway.tokens.mcpTools }), PORT: 0 },
      { calculatorWorkerFile: join(__dirname, '__fixtures__/calculator-worker.js') },
    );
    const url = new URL('/mcp', await again.start());
    try {
      const refused = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${made.token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^the gateway refused this token: invalid, expired or revoked API token/);
    } finally {
      await again.stop();
    }
  });

  it("refuses the account header of another account (the reproduction: the shared token naming an arena agent's account)", async () => {
    const { token } = await admin.createApiToken({ label: 'agent a', account: 'arena:run1:a' });
    await admin.createApiToken({ label: 'agent b', account: 'arena:run1:b' });
    const attempts = [
      { bearer: operatorToken, header: 'arena:run1:a' },
      { bearer: token, header: 'arena:run1:b' },
    ];
    for (const { bearer, header } of attempts) {
      const response = await fetch(mcpUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, [ACCOUNT_HEADER]: header, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'buy', arguments: { symbol: 'SPX', quantity: 1 } } }),
      });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^headers\\.${ACCOUNT_HEADER}: `));
    }
    expect((await gateway.gateway.broker.portfolio('arena:run1:a')).positions).toEqual([]);
    expect((await gateway.gateway.broker.portfolio('arena:run1:b')).positions).toEqual([]);
  });

  it("lets an arena agent's token trade its own account and no other", async () => {
    const { token } = await admin.createApiToken({ label: 'agent c', account: 'arena:run2:c' });
    const agent = await connect(token, { [ACCOUNT_HEADER]: 'arena:run2:c' });
    expect((await call(agent, 'buy', { symbol: 'SPX', quantity: 1 })).structuredContent).toMatchObject({ status: 'filled' });
    expect(await portfolioOf(agent)).toMatchObject({ accountId: 'arena:run2:c', positions: [expect.objectContaining({ quantity: 1 })] });
    expect((await gateway.gateway.broker.portfolio('agent')).positions.filter((p) => p.quantity !== 0).length).toBe(0);
  });

  it('keeps the operator token on the service account, and refuses a client without a credential', async () => {
    const operator = await connect(operatorToken);
    expect(await portfolioOf(operator)).toMatchObject({ accountId: 'agent' });
    const anonymous = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});

describe('MCP clients in markets', () => {
  it("act in their account's market, or the one they name; an order outside the account's market is refused", async () => {
    const market = await admin.createMarket({ symbols: ['SPX'], from: '2008-10-01', to: '2008-10-31' });
    const quoteIn = async (client: Client) => ((await call(client, 'get_price', { symbol: 'SPX' })).structuredContent as { price: number; date: string }).date;
    const defaultDate = (await admin.getClock()).date;
    // An arena agent's token acts in its account's market without naming it.
    const agent = await connect((await admin.createApiToken({ label: 'mcp agent', account: 'arena:mcp:agent', market: market.id })).token);
    expect(await quoteIn(agent)).toBe('2008-10-01');
    expect(await call(agent, 'buy', { symbol: 'SPX', quantity: 1 })).toMatchObject({ structuredContent: { status: 'filled' } });
    // A user's client names the market to read it; its own account is the default market's, so it cannot trade there.
    const alice = await trader('alice-markets');
    const named = await connect(alice, { [MARKET_HEADER]: market.id });
    expect(await quoteIn(named)).toBe('2008-10-01');
    const refused = await call(named, 'buy', { symbol: 'SPX', quantity: 1 });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toMatch(/account_in_other_market|trades in market default/);
    expect(await quoteIn(await connect(alice))).toBe(defaultDate);
  });
});
