import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { parseConfig, urlVar } from '@tradeyard/service-kit';
import { z } from 'zod';
import { CalculatorPool } from './calculator-pool';
import { createTradingMcpServer } from './tools';

export const stdioConfigSchema = z.object({
  GATEWAY_URL: urlVar().default('http://127.0.0.1:8080').describe('Base URL of the API gateway the tools trade through'),
  TRADEYARD_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .describe("The user's gateway credential the tools act with (`main.js stdio`): an API token (POST /api/v1/tokens) or a login token"),
});

/**
 * The MCP tools over stdio, for desktop clients (Claude Desktop, MCP Inspector) that start a
 * server of their own: one user, the one whose credential TRADEYARD_TOKEN is, every tool acting
 * with it on the gateway as the HTTP endpoint acts with a client's bearer token. stdout carries
 * the protocol, so everything else goes to stderr. Resolves when the client closes stdin.
 */
export async function serveStdio(env: NodeJS.ProcessEnv, calculatorWorkerFile: string): Promise<void> {
  const config = parseConfig(stdioConfigSchema, env);
  const gateway = new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.TRADEYARD_TOKEN });
  try {
    const me = await gateway.whoAmI();
    process.stderr.write(`tradeyard mcp-tools (stdio): acting as ${me.username} (account ${me.accountId}, role ${me.role}) on ${config.GATEWAY_URL}\n`);
  } catch (err) {
    const why = err instanceof GatewayError ? `the gateway refused TRADEYARD_TOKEN: ${err.message}` : `cannot reach the gateway at ${config.GATEWAY_URL}: ${(err as Error).message}`;
    throw new Error(why);
  }
  const calculator = new CalculatorPool({ workerFile: calculatorWorkerFile });
  const server = createTradingMcpServer({ gateway, calculator });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  process.stdin.once('end', () => void server.close());
  await closed;
  await calculator.close();
}
