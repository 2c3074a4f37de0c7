import { liveAgentConfigShape } from '@tradeyard/agent-live';
import { arenaServiceConfigShape } from '@tradeyard/arena';
import { jobsConfigShape } from '@tradeyard/jobs';
import { baseConfigShape } from '@tradeyard/service-kit';
import { strategiesConfigShape } from '@tradeyard/strategy-loader';
import { z } from 'zod';

export const agentConfigSchema = z.object({
  ...baseConfigShape(8082),
  ...jobsConfigShape,
  JOBS_GRID_CHUNK_RUNS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(2000, 'must be at most 2000')
    .default(100)
    .describe('Runs of a grid in one chunk; the chunks are taken by any workers (more runs per chunk where a grid would split into over 64)'),
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
}).refine((config) => config.AGENT_WORKERS > 0 || config.DATABASE_URL !== undefined, {
  path: ['AGENT_WORKERS'],
  message: 'must be at least 1 without DATABASE_URL: on the embedded PGlite no other process can run this one’s jobs',
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
