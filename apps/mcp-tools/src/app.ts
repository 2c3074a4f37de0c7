import { GatewayClient } from '@tradeyard/gateway-contract';
import { createService } from '@tradeyard/service-kit';
import { createTradingMcpServer, mountMcpEndpoint } from '@tradeyard/trading-tools';
import type { McpToolsConfig } from './config';

export function createMcpTools(config: McpToolsConfig) {
  const service = createService({ name: 'mcp-tools', config });
  const gateway = new GatewayClient({ baseUrl: config.GATEWAY_URL, token: config.SERVICE_TOKEN });
  if (!config.MCP_AUTH_TOKEN) service.log.warn('MCP_AUTH_TOKEN is not set: /mcp serves loopback clients only');
  if (!config.SERVICE_TOKEN) service.log.warn('SERVICE_TOKEN is not set: the gateway will refuse the trading tools');
  mountMcpEndpoint(service.app, { authToken: config.MCP_AUTH_TOKEN, createServer: () => createTradingMcpServer({ gateway }) });
  return service;
}
