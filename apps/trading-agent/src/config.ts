import { liveAgentConfigShape } from '@tradeyard/agent-live';
import { arenaServiceConfigShape } from '@tradeyard/arena';
import { baseConfigShape } from '@tradeyard/service-kit';
import { strategiesConfigShape } from '@tradeyard/strategy-loader';
import { z } from 'zod';

export const agentConfigSchema = z.object({
  ...baseConfigShape(8082),
  ...liveAgentConfigShape,
  ...arenaServiceConfigShape,
  ...strategiesConfigShape,
  JWT_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("The gateway's JWT_SECRET: set, a gateway login token with role trader or admin may start backtests; with neither it nor TRADING_AGENT_TOKEN set, backtests are refused"),
  AGENT_LIVE: z
    .enum(['on', 'off'], { error: 'must be on or off' })
    .default('on')
    .describe('on: serve mode also runs the live agent loop through mcp-tools; off: the HTTP API only (backtests)'),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
