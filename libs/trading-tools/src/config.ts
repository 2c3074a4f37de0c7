import { baseConfigShape, urlVar } from '@tradeyard/service-kit';
import { z } from 'zod';

export const mcpToolsConfigSchema = z.object({
  ...baseConfigShape(8000),
  GATEWAY_URL: urlVar().default('http://127.0.0.1:8080').describe('Base URL of the API gateway the tools trade through'),
  MCP_TOOLS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("The credential of mcp-tools at the gateway (the gateway's MCP_TOOLS_TOKEN: it trades the paper account 'agent'), used for MCP_AUTH_TOKEN's holder and, without it, loopback clients; clients with a token of their own use theirs. Unset, those clients' gateway calls are refused"),
  MCP_AUTH_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('Bearer token MCP clients must send on /mcp; unset, only loopback clients (127.0.0.1, ::1) are served'),
});
export type McpToolsConfig = z.infer<typeof mcpToolsConfigSchema>;
