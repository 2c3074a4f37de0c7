import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

export const gatewayConfigSchema = z.object({
  ...baseConfigShape(8080),
  REPLAY_BARS_PER_SECOND: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be greater than 0')
    .default(1)
    .describe('Speed of the bundled S&P 500 replay, in daily bars per second of wall time'),
  REPLAY_START_DATE: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
    .default('2000-01-03')
    .describe('First day of the bundled S&P 500 history the replay shows as current'),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
