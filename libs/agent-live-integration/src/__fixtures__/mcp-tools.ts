// The real MCP tools server in front of a test gateway, as the live agent meets it in production.
import type { TestGateway } from '@tradeyard/gateway-testing';
import { calculate, createTradingMcpServer, mountMcpEndpoint, sharedTokenAuth } from '@tradeyard/trading-tools';
import Fastify from 'fastify';

/** The bearer token the agent sends to the tools server (MCP_AUTH_TOKEN). */
export const mcpToken = 'mcp-token-0123456789abcd';
// The agent never calls calculate in these specs; its bounds (worker threads) are tested in trading-tools.
const calculator = { calculate: async (expression: string) => calculate(expression) };

/** Serves the trading tools on a free loopback port, acting with mcp-tools' credential (the paper account "agent"). */
export async function startMcpTools(gateway: TestGateway): Promise<{ url: string; close(): Promise<void> }> {
  const mcp = Fastify();
  mountMcpEndpoint(mcp, { authenticate: sharedTokenAuth(mcpToken), createServer: () => createTradingMcpServer({ gateway: gateway.client, calculator }) });
  const url = `${await mcp.listen({ port: 0, host: '127.0.0.1' })}/mcp`;
  return { url, close: () => mcp.close() };
}
