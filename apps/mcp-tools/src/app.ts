import { GatewayClient } from '@tradeyard/gateway-contract';
import { createService } from '@tradeyard/service-kit';
import { CalculatorPool, createTradingMcpServer, mountMcpEndpoint } from '@tradeyard/trading-tools';
import type { McpToolsConfig } from './config';

export interface McpToolsDeps {
  /** Script the calculator's worker threads start: the bundle itself (main.js), or a test fixture. */
  calculatorWorkerFile: string;
}

export function createMcpTools(config: McpToolsConfig, deps: McpToolsDeps) {
  const calculator = new CalculatorPool({ workerFile: deps.calculatorWorkerFile });
  const service = createService({ name: 'mcp-tools', config, onClose: () => calculator.close() });
  const gateway = new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.SERVICE_TOKEN });
  if (!config.MCP_AUTH_TOKEN) service.log.warn('MCP_AUTH_TOKEN is not set: /mcp serves loopback clients (peer address, Host and Origin) only');
  if (!config.SERVICE_TOKEN) service.log.warn('SERVICE_TOKEN is not set: the gateway will refuse the trading tools');
  mountMcpEndpoint(service.app, { authToken: config.MCP_AUTH_TOKEN, createServer: () => createTradingMcpServer({ gateway, calculator }) });
  return service;
}
