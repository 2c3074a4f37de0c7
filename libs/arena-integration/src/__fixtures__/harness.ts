// What every arena spec runs on: the real gateway (in-process, PGlite), the real MCP tools server
// in front of it, and a local OpenAI-compatible server answering LLM agents like a recorded conversation.
import { arenaJobKind, registerArenaRoutes, type ArenaServiceConfig } from '@tradeyard/arena';
import type { GatewayClient } from '@tradeyard/gateway-contract';
import { durableJobs, jobsConfigSchema, type JobKind } from '@tradeyard/jobs';
import { createLogger, createService, type AuthVerifier } from '@tradeyard/service-kit';
import { startTestGateway, type TestGateway } from '@tradeyard/gateway-testing';
import { calculate, createTradingMcpServer, gatewayPrincipalAuth, mountMcpEndpoint } from '@tradeyard/trading-tools';
import Fastify from 'fastify';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export const mcpToken = 'mcp-token-0123456789abcd';
const calculator = { calculate: async (expression: string) => calculate(expression) };

export interface ArenaHarness {
  gateway: TestGateway;
  admin: GatewayClient;
  mcpUrl: string;
  close(): Promise<void>;
}

export async function startArenaHarness(options: Parameters<typeof startTestGateway>[0]): Promise<ArenaHarness> {
  const gateway = await startTestGateway(options);
  const admin = (await gateway.signedIn()).admin;
  const mcp = Fastify();
  mountMcpEndpoint(mcp, { authenticate: gatewayPrincipalAuth({ service: gateway.client, mcpAuthToken: mcpToken }), createServer: (principal) => createTradingMcpServer({ gateway: principal.gateway, calculator }) });
  const mcpUrl = `${await mcp.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  return {
    gateway, admin, mcpUrl,
    close: async () => {
      await mcp.close();
      await gateway.close();
    },
  };
}

type ChatRequest = { model: string; messages: Array<{ role: string; content: string | null }> };

/**
 * The model of the conversation: each turn it reads the price of the arena's symbol, buys
 * `quantity` of it on every third step (with the clientOrderId the prompt asks for), and ends the
 * turn with a summary. `order` may make the buy another order type (e.g. a resting limit).
 */
export function modelReply(body: ChatRequest, quantity: number, order: (price: number) => Record<string, unknown> = () => ({})) {
  const user = body.messages.find((m) => m.role === 'user')!.content!;
  const step = Number(/Step (\d+)/.exec(user)![1]);
  const symbol = /Symbols: ([A-Z0-9_-]+)/.exec(user)![1];
  const clientOrderId = /clientOrderId "([^"]+)-<symbol>"/.exec(user)![1] + `-${symbol}`;
  const answered = body.messages.filter((m) => m.role === 'assistant').length;
  const priceReply = body.messages.findLast((m) => m.role === 'tool')?.content;
  const price = priceReply ? Number(/"price":\s*([\d.]+)/.exec(priceReply)?.[1]) : NaN;
  const toolCall = (id: string, name: string, args: object) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
  const message =
    answered === 0
      ? { role: 'assistant', content: null, tool_calls: [toolCall(`call_price_${step}`, 'get_price', { symbol })] }
      : answered === 1 && step % 3 === 1
        ? { role: 'assistant', content: null, tool_calls: [toolCall(`call_buy_${step}`, 'buy', { symbol, quantity, clientOrderId, ...order(price) })] }
        : { role: 'assistant', content: `step ${step}: ${answered === 1 ? 'held' : `bought ${quantity} ${symbol}`}` };
  return {
    id: `chatcmpl-${step}-${answered}`, object: 'chat.completion', created: 1_700_000_000, model: body.model,
    choices: [{ index: 0, message, finish_reason: message.content ? 'stop' : 'tool_calls' }],
    usage: { prompt_tokens: 100 + answered, completion_tokens: 10, total_tokens: 110 + answered },
  };
}

/** The local model API: `reply` answers each chat-completions request; `onRequest` sees its headers (the API key the agent sent). */
export async function startModelApi(reply: (body: ChatRequest) => unknown, onRequest: (headers: IncomingHttpHeaders) => void = () => undefined) {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    onRequest(req.headers);
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply(JSON.parse(raw))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, calls: () => calls, close: () => new Promise((r) => server.close(r)) };
}

/**
 * The trading agent's arena service as it runs: the arena routes on a service with the durable job
 * queue (in-memory PGlite, or the PostgreSQL at `databaseUrl` that several services share), each
 * run a job taken on the service's own event loop. Closing the service hands its runs back to the queue.
 */
export async function startArenaService(config: ArenaServiceConfig, auth: AuthVerifier, options: { port?: number; databaseUrl?: string } = {}) {
  const log = createLogger('arena-service-test', 'silent');
  const service = createService({ name: 'trading-agent', config: { PORT: options.port ?? 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, auth });
  const jobs = jobsConfigSchema.parse({ DATA_DIR: config.DATA_DIR, AGENT_WORKERS: '1', ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl }) });
  // No kind here runs on a worker thread: the thread pool's script is never started.
  await service.app.register(durableJobs, { config: jobs, kinds: { arena: arenaJobKind(config, log) as JobKind }, workerFile: __filename, routes: false, inMemory: !options.databaseUrl, log });
  registerArenaRoutes(service.app, config);
  return service;
}
