import { GatewayClient } from '@tradeyard/gateway-contract';
import { bearerVerifier, createService, declareRouteAuth } from '@tradeyard/service-kit';
import { CalculatorPool } from './calculator-pool';
import type { McpToolsConfig } from './config';
import { mountMcpEndpoint } from './http';
import { createTradingMcpServer } from './tools';

export interface McpToolsDeps {
  /** Script the calculator's worker threads start: the bundle itself (main.js), or a test fixture. */
  calculatorWorkerFile: string;
}

/** The gateway client acting for the paper account the MCP client names (an arena agent's), else the service's own; the gateway checks the id. */
export const gatewayForAccount = (gateway: GatewayClient, account: string | undefined): GatewayClient => (account === undefined ? gateway : gateway.forAccount(account));

export function createMcpTools(config: McpToolsConfig, deps: McpToolsDeps) {
  const calculator = new CalculatorPool({ workerFile: deps.calculatorWorkerFile });
  const service = createService({
    name: 'mcp-tools',
    config,
    // No route asks for a role today; one that did would take the token MCP clients hold.
    auth: bearerVerifier({ serviceToken: config.MCP_AUTH_TOKEN }),
    openapi: { description: 'The MCP endpoint (Streamable HTTP, stateless) at POST /mcp; the tools are listed by MCP tools/list.' },
    onClose: () => calculator.close(),
  });
  const gateway = new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.SERVICE_TOKEN });
  if (!config.MCP_AUTH_TOKEN) service.log.warn('MCP_AUTH_TOKEN is not set: /mcp serves loopback clients (peer address, Host and Origin) only');
  if (!config.SERVICE_TOKEN) service.log.warn('SERVICE_TOKEN is not set: the gateway will refuse the trading tools');
  // /mcp checks its own clients (MCP_AUTH_TOKEN, or loopback with Host and Origin checked): see mountMcpEndpoint.
  declareRouteAuth(service.app, 'endpoint', (app) =>
    mountMcpEndpoint(app, {
      authToken: config.MCP_AUTH_TOKEN,
      createServer: (account) => createTradingMcpServer({ gateway: gatewayForAccount(gateway, account), calculator }),
    }),
  );
  return service;
}
