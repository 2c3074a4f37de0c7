// Every app names its environment in src/config.ts (tools/docs/env-reference.ts reads it there);
// the service's schema lives with the MCP tools in libs/trading-tools.
export { mcpToolsConfigSchema, type McpToolsConfig } from '@tradeyard/trading-tools';
