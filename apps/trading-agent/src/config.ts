import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

export const agentConfigSchema = z.object({
  ...baseConfigShape(8082),
  DATA_DIR: z.string().min(1).default('data').describe('Folder for run logs and backtest-worker results (under backtests/)'),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
