import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

export const agentConfigSchema = z.object({
  ...baseConfigShape(8082),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;
