import { GatewayClient } from '@tradeyard/gateway-contract';
import { bearerVerifier, createService, declareRouteAuth } from '@tradeyard/service-kit';
import { CalculatorPool } from './calculator-pool';
import type { McpToolsConfig } from './config';
import { mountMcpEndpoint } from './http';
import { gatewayPrincipalAuth } from './principals';
import { createTradingMcpServer } from './tools';

export interface McpToolsDeps {
  /** Script the calculator's worker threads start: the bundle itself (main.js), or a test fixture. */
  calculatorWorkerFile: string;
}

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
  const gateway = new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.MCP_TOOLS_TOKEN });
  if (!config.MCP_AUTH_TOKEN) service.log.warn('MCP_AUTH_TOKEN is not set: clients without a token are served from loopback only (peer address, Host and Origin), as the service account');
  if (!config.MCP_TOOLS_TOKEN) service.log.warn('MCP_TOOLS_TOKEN is not set: MCP_AUTH_TOKEN and loopback clients cannot trade');
  // /mcp checks its own clients: each acts as the gateway principal of its own token (principals.ts).
  declareRouteAuth(service.app, 'endpoint', (app) =>
    mountMcpEndpoint(app, {
      authenticate: gatewayPrincipalAuth({ service: gateway, mcpAuthToken: config.MCP_AUTH_TOKEN }),
      createServer: (principal) => createTradingMcpServer({ gateway: principal.gateway, calculator }),
    }),
  );
  return service;
}
