// The live agent trading through the real MCP tools server (trading-tools): a project of its own,
// so that this test's imports are no production dependency of agent-live in the Nx graph.
import type { Order } from '@tradeyard/gateway-contract';
import { startTestGateway, waitFor, type TestGateway } from '@tradeyard/gateway-testing';
import { isoDate, loadSp500 } from '@tradeyard/market-data';
import { bearerVerifier, ConfigError, createLogger, createService, parseConfig } from '@tradeyard/service-kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveAgentConfigSchema, readRunEvents, sizeOrder, startLiveAgent, TOOL_DATA_RULE } from '@tradeyard/agent-live';
import conversation from './__fixtures__/llm-conversation.json';
import { startChatCompletions } from './chat-completions-server';
import { mcpToken, startMcpTools } from './__fixtures__/mcp-tools';

const spx = loadSp500().slice(0, 400);
const log = createLogger('agent-test', 'silent');
/** The service the agent's run routes are mounted on in production: the kit's, with its schemas and route auth. */
const agentApp = () => createService({ name: 'agent-test', config: { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, auth: bearerVerifier({}) }).app;

let gateway: TestGateway;
let mcp: Awaited<ReturnType<typeof startMcpTools>>;
let mcpUrl: string;
let dataDir: string;

beforeEach(async () => {
  // The real gateway, its replay standing at the 101st bundled day until the test advances it.
  gateway = await startTestGateway({ startDate: isoDate(spx[100].time) });
  mcp = await startMcpTools(gateway);
  mcpUrl = mcp.url;
  dataDir = mkdtempSync(join(tmpdir(), 'agent-live-'));
  // The real gateway starts an in-memory PostgreSQL (PGlite): seconds, more on a busy machine.
}, 120_000);
afterEach(async () => {
  await mcp.close();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const configFor = (env: Record<string, string>) =>
  parseConfig(liveAgentConfigSchema, { MCP_URL: mcpUrl, MCP_AUTH_TOKEN: mcpToken, DATA_DIR: dataDir, AGENT_INTERVAL_MS: '100', ...env });
const placedOrders = async () => (await gateway.client.getOrders({ limit: 1000 })).reverse();

describe('live agent, rule-based', () => {
  it('trades the strategy over several replay cycles through the MCP tools and records the run', async () => {
    const app = agentApp();
    const agent = startLiveAgent(configFor({ AGENT_SYMBOLS: 'spx,NOPE', AGENT_STRATEGY: '{"name":"sma-cross","fast":3,"slow":8}' }), { log, app, autoStart: false });
    expect(agent.status()).toMatchObject({ mode: 'rule-based', modeReason: 'OPENAI_API_KEY is not set: decisions by the sma-cross strategy', symbols: ['SPX', 'NOPE'] });
    for (let i = 0; i < 30; i++) {
      await agent.runCycle();
      await gateway.clock.advance();
    }
    await agent.stop();

    // Orders reached the gateway, each with an idempotency key derived from run, cycle and symbol.
    const runId = agent.status().runId;
    const orders = await placedOrders();
    expect(orders.length).toBeGreaterThanOrEqual(2);
    for (const key of await gateway.idempotencyKeys()) expect(key).toMatch(new RegExp(`^mcp-${runId}-\\d+-SPX$`));
    const sides = orders.map((o) => o.side);
    expect(sides).toContain('buy');
    expect(sides).toContain('sell');

    const runs = (await app.inject('/api/v1/runs')).json();
    expect(runs.current).toMatchObject({ runId, mode: 'rule-based', cycles: 30, running: false });
    expect(runs.runs[0]).toMatchObject({ id: runId, mode: 'rule-based', strategy: { name: 'sma-cross', fast: 3, slow: 8 } });
    expect(runs.runs[0].counts).toMatchObject({ run_start: 1, cycle: 30, decision: 30, order: orders.length, error: 30, run_end: 1 });

    // The unknown symbol fails each cycle as a recorded error; SPX trading goes on.
    const errors = (await app.inject(`/api/v1/runs/${runId}?type=error&limit=1`)).json();
    expect(errors.total).toBe(30);
    expect(errors.events[0]).toMatchObject({ type: 'error', symbol: 'NOPE', message: 'get_price failed: unknown symbol NOPE; GET /api/v1/symbols lists the 106 known [gateway 404 not_found]' });

    // The account holds what the last decision left: its target after a trade, else what it held
    // (a change under 1% of the allocation is not traded). Fills were recorded as they happened.
    const decisions = (await app.inject(`/api/v1/runs/${runId}?type=decision`)).json().events;
    const fills = (await app.inject(`/api/v1/runs/${runId}?type=fill`)).json().events as { side: string; quantity: number }[];
    const held = fills.reduce((q, f) => q + (f.side === 'buy' ? f.quantity : -f.quantity), 0);
    const last = decisions.at(-1);
    expect(held).toBeCloseTo(last.action === 'hold' ? last.held : last.targetQuantity, 6);
    expect(decisions.some((d: { exposure: number }) => d.exposure === 1)).toBe(true);

    expect((await app.inject(`/api/v1/runs/${runId}?type=nope`)).json().message).toBe(
      'query.type: must be one of run_start, cycle, decision, order, fill, error, llm_transcript, run_end',
    );
    expect((await app.inject('/api/v1/runs/..%2Fetc')).statusCode).toBe(404);
    await app.close();
  });

  it('keeps cycling when mcp-tools is down, recording each failure', async () => {
    const agent = startLiveAgent(configFor({ MCP_URL: 'http://127.0.0.1:1/mcp' }), { log, autoStart: false });
    await agent.runCycle();
    await agent.runCycle();
    await agent.stop();
    expect(agent.status().cycles).toBe(2);
  });

  it('runs on its own interval and stop() lets the current cycle finish', async () => {
    const agent = startLiveAgent(configFor({ AGENT_STRATEGY: 'buy-and-hold' }), { log });
    // Two cycles on its own, however long a loaded machine makes each.
    await waitFor(() => agent.status().cycles >= 2);
    await agent.stop();
    const cycles = agent.status().cycles;
    // Buy-and-hold buys once, on the first cycle: 99.5% of equity, rounded down to 1/10,000 share.
    expect((await placedOrders()).map((o) => o.quantity)).toEqual([Math.floor((100_000 * 0.995 / spx[100].close) * 1e4) / 1e4]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(agent.status().cycles).toBe(cycles);
  });

  it('names a bad AGENT_STRATEGY and the rule it breaks', () => {
    const parse = (value: string) => () => parseConfig(liveAgentConfigSchema, { AGENT_STRATEGY: value });
    expect(parse('{"name":"sma-cross","fast":50,"slow":20}')).toThrow('AGENT_STRATEGY is "{\\"name\\":\\"sma-cross\\",\\"fast\\":50,\\"slow\\":20}": fast: fast must be less than slow');
    expect(parse('no such strategy!')).toThrow(ConfigError);
    expect(parse('no such strategy!')).toThrow('must be file:PATH of a strategy file or the name of a strategy');
    expect(parse('{oops')).toThrow('must be a strategy name, file:PATH or valid JSON');
    expect(parseConfig(liveAgentConfigSchema, {}).AGENT_STRATEGY).toEqual({ name: 'sma-cross', fast: 10, slow: 30 });
    // Anything else names an SDK strategy (a file, or a strategy of STRATEGIES_DIR), loaded and checked at start.
    expect(parseConfig(liveAgentConfigSchema, { AGENT_STRATEGY: 'martingale' }).AGENT_STRATEGY).toEqual({ ref: 'martingale', params: {} });
    expect(parseConfig(liveAgentConfigSchema, { AGENT_STRATEGY: '{"name":"file:./rotation.ts","lookback":90}' }).AGENT_STRATEGY).toEqual({ ref: 'file:./rotation.ts', params: { lookback: 90 } });
  });
});

describe('live agent, LLM mode', () => {
  it('replays a recorded tool-calling conversation: tool calls reach mcp-tools and the transcript is saved', async () => {
    const llm = await startChatCompletions((_body, n) => conversation.responses[n]);
    const app = agentApp();
    const agent = startLiveAgent(configFor({ OPENAI_API_KEY: 'sk-test', OPENAI_API_BASE: llm.base, OPENAI_MODEL: 'gpt-4o-mini' }), { log, app, autoStart: false });
    expect(agent.status().mode).toBe('llm');
    await agent.runCycle();
    await agent.stop();
    await llm.close();

    expect(llm.received).toHaveLength(4);
    expect(llm.received[0].authorization).toBe('Bearer sk-test');
    const tools = llm.received[0].body.tools as Array<{ type: string; function: { name: string; parameters: { required?: string[] } } }>;
    expect(tools.find((t) => t.function.name === 'buy')).toMatchObject({ type: 'function', function: { parameters: { required: ['symbol', 'quantity'] } } });
    // The model saw the tool results, including the validation error of its bad call.
    // Each result reaches it as data, inside the envelope the system message describes.
    expect(llm.received[0].body.messages[0]).toEqual({ role: 'system', content: TOOL_DATA_RULE });
    const toolMessages = llm.received[2].body.messages.filter((m) => m.role === 'tool').map((m) => m.content!);
    const [, price] = /^<tool_output tool="get_price">\n(.*)\n<\/tool_output>$/.exec(toolMessages[0])!;
    expect(JSON.parse(price)).toMatchObject({ symbol: 'SPX', price: spx[100].close });
    expect(toolMessages[2]).toMatch(/^<tool_output tool="buy" status="error">\n.*must be greater than 0 at quantity/);
    const answered = llm.received[3].body.messages.filter((m) => m.role === 'tool') as unknown as Array<{ tool_call_id: string }>;
    expect(answered.map((m) => m.tool_call_id)).toEqual(['call_price', 'call_portfolio', 'call_bad', 'call_buy']);
    expect(llm.received[0].body.model).toBe('gpt-4o-mini');

    // The calls reached the gateway through mcp-tools: one order, with the model's client id.
    expect(await placedOrders()).toEqual([expect.objectContaining({ symbol: 'SPX', side: 'buy', type: 'market', quantity: 3 })]);
    expect(await gateway.idempotencyKeys()).toEqual(['mcp-llm-1']);
    const runId = agent.status().runId;
    const events = (await app.inject(`/api/v1/runs/${runId}`)).json().events as Array<{ type: string; [k: string]: unknown }>;
    const transcript = events.find((e) => e.type === 'llm_transcript')!;
    expect(transcript).toMatchObject({ steps: 4, stoppedBy: 'model', final: 'Bought 3 SPX: the fast SMA is above the slow one.' });
    expect((transcript.messages as unknown[]).length).toBe(3 + 4 + 4);
    expect(events.filter((e) => e.type === 'order').map((e) => (e.order as Order).status)).toEqual(['filled']);
    expect(events.filter((e) => e.type === 'fill')).toHaveLength(1);
    await app.close();
  });

  it('stops a decision at AGENT_MAX_STEP model calls', async () => {
    const llm = await startChatCompletions((_body, n) => ({ ...conversation.responses[0], id: `chatcmpl-loop-${n}` }));
    const agent = startLiveAgent(configFor({ OPENAI_API_KEY: 'sk-test', OPENAI_API_BASE: llm.base, AGENT_MAX_STEP: '3' }), { log, autoStart: false });
    await agent.runCycle();
    await agent.stop();
    await llm.close();
    expect(llm.received).toHaveLength(3);
    const events = (await readRunEvents(join(dataDir, 'agent-runs'), agent.status().runId))!;
    expect(events.find((e) => e.type === 'llm_transcript')).toMatchObject({ steps: 3, stoppedBy: 'step_limit' });
    // Two tool calls per step went through mcp-tools to the gateway.
    expect(await gateway.requestCount('GET', '/api/v1/quotes/:symbol')).toBe(3);
  });
});

describe('order sizing', () => {
  it('closes a position exactly, even one with more decimals than the target lot', () => {
    // Math.floor on the negative difference sold 10.0001 of 10.00005 held, which the broker denied.
    expect(sizeOrder(0, 50_000, 100, 10.00005)).toEqual({ targetQuantity: 0, delta: -10.00005 });
    expect(sizeOrder(0, 50_000, 100, 0.000001)).toEqual({ targetQuantity: 0, delta: -0.000001 });
  });

  it('never buys more than the allocation and trades the exact difference to the target', () => {
    const { targetQuantity, delta } = sizeOrder(1, 1000, 3, 0.1);
    expect(targetQuantity).toBe(333.3333);
    expect(targetQuantity * 3).toBeLessThanOrEqual(1000);
    expect(delta).toBe(333.2333);
    expect(sizeOrder(0.5, 1000, 3, 200.000007)).toEqual({ targetQuantity: 166.6666, delta: -33.333407 });
  });
});
