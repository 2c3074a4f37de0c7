import { GatewayClient, GatewayError, type Signal } from '@tradeyard/gateway-contract';
import { gatewayConfigSchema } from '@tradeyard/gateway-server';
import { parseConfig } from '@tradeyard/service-kit';
import WebSocket from 'ws';
import { sampleArenaBoard } from './arena-board';
import { startTestGateway, testGatewaySecrets, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// Least privilege for services (issue 21, item 3): each service has a credential of its own
// (SCANNER_TOKEN, MCP_TOOLS_TOKEN, TRADING_AGENT_TOKEN) that grants what that service needs and no
// more, and rotating one revokes it alone.
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));
const signal = (id: string, fields: Partial<Signal> = {}): Signal => ({ id, symbol: 'SPX', rule: 'close > open', ruleId: 'up-day', time: 946_857_600_000, close: 1455.22, values: {}, ...fields });
const lacking = (scope: string) => ({ status: 403, body: { error: 'forbidden', details: [{ field: 'headers.authorization', rule: `must be a credential whose scopes include ${scope}` }] } });
const noService = { status: 403, body: { error: 'forbidden', details: [{ field: 'headers.authorization', rule: 'must be a user credential: no service credential is granted this' }] } };

describe('each service credential grants what its service needs and no more', () => {
  let gateway: TestGateway;
  let scanner: GatewayClient;
  let mcpTools: GatewayClient;
  let tradingAgent: GatewayClient;
  let admin: GatewayClient;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2' } });
    ({ admin } = await gateway.signedIn());
    ({ scanner, client: mcpTools } = gateway);
    tradingAgent = mcpTools.withToken(gateway.tokens.tradingAgent);
  }, 120_000);
  afterAll(() => gateway.close());

  it('names a principal of its own for each service, none of them admin', async () => {
    expect(await scanner.whoAmI()).toEqual({ username: 'service:scanner', role: 'trader', accountId: 'service:scanner', credential: 'service' });
    expect(await mcpTools.whoAmI()).toEqual({ username: 'service:mcp-tools', role: 'trader', accountId: 'agent', credential: 'service' });
    expect(await tradingAgent.whoAmI()).toEqual({ username: 'service:trading-agent', role: 'trader', accountId: 'service:trading-agent', credential: 'service' });
  });

  it("lets each do its service's work: the scanner posts signals and drives a lockstep consumer, mcp-tools trades its account, the trading agent publishes boards", async () => {
    expect(await scanner.postSignal(signal('scanner-1', { ruleId: 'rsi-oversold' }))).toMatchObject({ postedBy: 'service:scanner' });
    await admin.controlClock({ action: 'lockstep' });
    const { consumer, clock } = await scanner.registerClockConsumer('scanner');
    expect((await scanner.ackClock(consumer.id, clock.time)).clock.time).toBeGreaterThan(clock.time);
    await scanner.deregisterClockConsumer(consumer.id);
    await admin.controlClock({ action: 'resume' });
    expect(await mcpTools.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 })).toMatchObject({ status: 'filled', accountId: 'agent' });
    expect(await tradingAgent.publishArenaBoard(sampleArenaBoard())).toEqual(sampleArenaBoard());
  });

  it('refuses the scanner orders, account settings, arena boards and API tokens with a 403 naming the credential', async () => {
    expect(await refusal(scanner.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject(lacking('trade'));
    expect(await refusal(scanner.updateAccountSettings({ borrowRateBps: 1 }))).toMatchObject(lacking('trade'));
    expect(await refusal(scanner.publishArenaBoard(sampleArenaBoard({ runId: 'by-scanner' })))).toMatchObject(lacking('arena'));
    expect(await refusal(scanner.createApiToken({ label: 'more' }))).toMatchObject(noService);
    expect(await refusal(scanner.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject({
      body: { message: 'the scanner service credential may not POST /api/v1/orders: it grants signals, clock only' },
    });
  });

  it('refuses mcp-tools signals, lockstep consumers and arena boards', async () => {
    expect(await refusal(mcpTools.postSignal(signal('mcp-1')))).toMatchObject(lacking('signals'));
    expect(await refusal(mcpTools.postSignals([signal('mcp-2')]))).toMatchObject(lacking('signals'));
    expect(await refusal(mcpTools.registerClockConsumer('mcp'))).toMatchObject(lacking('clock'));
    expect(await refusal(mcpTools.publishArenaBoard(sampleArenaBoard({ runId: 'by-mcp' })))).toMatchObject(lacking('arena'));
  });

  it("refuses the trading agent signals (the scanner's rule ids and any other), orders and lockstep consumers", async () => {
    expect(await refusal(tradingAgent.postSignal(signal('agent-1', { ruleId: 'rsi-oversold' })))).toMatchObject(lacking('signals'));
    expect(await refusal(tradingAgent.postSignal(signal('agent-2')))).toMatchObject(lacking('signals'));
    expect(await refusal(tradingAgent.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject(lacking('trade'));
    expect(await refusal(tradingAgent.registerClockConsumer('agent'))).toMatchObject(lacking('clock'));
    expect((await mcpTools.searchSignals({ limit: 1000 })).map((s) => s.id)).not.toEqual(expect.arrayContaining(['agent-1', 'agent-2', 'mcp-1', 'mcp-2']));
    expect((await mcpTools.listArenaRuns()).map((r) => r.runId)).toEqual(['sample-run']);
  });

  it('refuses admin routes to every service credential', async () => {
    for (const client of [scanner, mcpTools, tradingAgent]) {
      expect(await refusal(client.controlClock({ action: 'pause' }))).toMatchObject({ status: 403, body: { message: 'requires role admin; this token has role trader' } });
    }
  });

  it("refuses a lockstep acknowledgement over the WebSocket, and the signals it carries, from a credential without the clock scope", async () => {
    const { consumer, clock } = await scanner.registerClockConsumer('scanner');
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${gateway.tokens.mcpTools}`);
    const errors: { status?: number; message?: string }[] = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.channel === 'error') errors.push(message.data);
    });
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'ack', consumer: consumer.id, time: clock.time, signals: [signal('carried-by-mcp')] }));
      await waitFor(() => errors.length > 0);
      expect(errors[0]).toMatchObject({ status: 403, message: 'the mcp-tools service credential may not acknowledge lockstep steps: it grants trade only' });
      expect((await mcpTools.searchSignals({ limit: 1000 })).map((s) => s.id)).not.toContain('carried-by-mcp');
    } finally {
      socket.close();
      await scanner.deregisterClockConsumer(consumer.id);
    }
  });

  it('answers the old scanner token 401 once SCANNER_TOKEN is rotated, while mcp-tools and the trading agent keep working', async () => {
    const old = gateway.tokens;
    const rotated = await startTestGateway({ env: { SYNTHETIC_SYMBOLS: '2', SCANNER_TOKEN: 'rotated-scanner-token-0123456789' } });
    try {
      const anonymous = new GatewayClient({ baseUrl: rotated.url });
      expect(await refusal(anonymous.withToken(old.scanner).postSignal(signal('old-scanner')))).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await anonymous.withToken('rotated-scanner-token-0123456789').postSignal(signal('new-scanner'))).toMatchObject({ postedBy: 'service:scanner' });
      expect(rotated.tokens.mcpTools).toBe(old.mcpTools);
      expect(await anonymous.withToken(old.mcpTools).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 })).toMatchObject({ status: 'filled' });
      expect(await anonymous.withToken(old.tradingAgent).publishArenaBoard(sampleArenaBoard())).toEqual(sampleArenaBoard());
    } finally {
      await rotated.close();
    }
  }, 120_000);
});

describe('service credentials in the configuration', () => {
  it('refuses to start with two services sharing a credential, naming the variables, never the value', () => {
    const shared = 'shared-service-token-0123456789';
    const env = { ...testGatewaySecrets, SCANNER_TOKEN: shared, MCP_TOOLS_TOKEN: shared };
    expect(() => parseConfig(gatewayConfigSchema, env)).toThrow('MCP_TOOLS_TOKEN is set (value hidden): must differ from SCANNER_TOKEN: each service has a credential of its own');
  });
});
