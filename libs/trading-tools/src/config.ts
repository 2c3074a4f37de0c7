import { baseConfigShape, urlVar } from '@tradeyard/service-kit';
import { z } from 'zod';

export const mcpToolsConfigSchema = z.object({
  ...baseConfigShape(8000),
  GATEWAY_URL: urlVar().default('http://127.0.0.1:8080').describe('Base URL of the API gateway the tools trade through'),
  SERVICE_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("Static bearer token for the gateway (role trader, paper account 'agent'); unset, gateway calls are unauthenticated and the gateway refuses them"),
  MCP_AUTH_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('Bearer token MCP clients must send on /mcp; unset, only loopback clients (127.0.0.1, ::1) are served'),
});
export type McpToolsConfig = z.infer<typeof mcpToolsConfigSchema>;
