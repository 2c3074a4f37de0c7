import { liveAgentConfigShape } from '@tradeyard/agent-live';
import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

export const agentConfigSchema = z.object({
  ...baseConfigShape(8082),
  ...liveAgentConfigShape,
  AGENT_LIVE: z
    .enum(['on', 'off'], { error: 'must be on or off' })
    .default('on')
    .describe('on: serve mode also runs the live agent loop through mcp-tools; off: the HTTP API only (backtests)'),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
