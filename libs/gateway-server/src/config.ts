import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

const secret = (what: string) =>
  z.string({ error: 'is required' }).min(16, 'must be at least 16 characters').describe(what);
const nonNegative = (fallback: number, what: string) =>
  z.coerce.number({ error: 'must be a number' }).finite('must be a finite number').min(0, 'must be 0 or more').default(fallback).describe(what);

export const gatewayConfigSchema = z.object({
  ...baseConfigShape(8080),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL connection URL; unset: embedded PGlite in DATA_DIR'),
  DATA_DIR: z.string().min(1).default('data').describe('Folder of the embedded PGlite database when DATABASE_URL is unset'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional()
    .describe('Redis URL for order/fill/signal fan-out across replicas and the rate-limit store; unset: in-process'),
  ADMIN_USERNAME: z.string().regex(/^[a-z0-9_.-]{1,64}$/, 'must be 1-64 lowercase letters, digits, dot, dash or underscore').default('admin').describe('The first admin, created at start-up when missing'),
  ADMIN_PASSWORD: z.string({ error: 'is required' }).min(8, 'must be at least 8 characters').describe('Password of the first admin (used only when it is created)'),
  SERVICE_TOKEN: secret('Bearer token of the scanner and mcp-tools: role trader on the paper account "agent"'),
  JWT_SECRET: secret('Secret that signs login tokens (JWT, HS256)'),
  JWT_TTL_SECONDS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(60, 'must be at least 60').default(43_200).describe('Lifetime of a login token'),
  REPLAY_BARS_PER_SECOND: z.coerce.number({ error: 'must be a number' }).positive('must be greater than 0').default(1).describe('Speed of the bundled S&P 500 replay, in daily bars per second of wall time'),
  REPLAY_START_DATE: calendarDateSchema.default('2000-01-03').describe('First day of the bundled S&P 500 history the replay shows as current'),
  PAPER_STARTING_CASH: z.coerce.number({ error: 'must be a number' }).positive('must be greater than 0').default(100_000).describe('Cash of a new paper account'),
  FEE_BPS: nonNegative(0, 'Fee per fill in basis points of its notional'),
  FEE_FIXED: nonNegative(0, 'Fixed fee per fill'),
  SLIPPAGE_BPS: nonNegative(0, 'Slippage in basis points, against the trade'),
  // The fill engine's other costs (libs/fill-engine/src/costs.ts), each 0 (none) by default.
  FEE_PER_SHARE: nonNegative(0, 'Fee per share (unit) filled, added to FEE_FIXED and FEE_BPS'),
  FEE_MINIMUM: nonNegative(0, 'Least fee of one fill; 0: no minimum'),
  SLIPPAGE_PRICE_IMPACT: nonNegative(0, 'Volume-share slippage: the fill price moves against the trade by this × (fill quantity / bar volume)² of the price; 0: none'),
  VOLUME_LIMIT: nonNegative(0, "Participation cap: the largest share of a bar's volume one order fills in that bar (0.025 = 2.5 %), the rest stays open or expires; 0: no cap")
    .pipe(z.number().max(1, 'must be at most 1 (a share of the bar volume)')),
  MAX_ORDER_NOTIONAL: nonNegative(0, 'Largest notional of one order; 0: no limit'),
  MAX_POSITION_NOTIONAL: nonNegative(0, 'Largest notional of one position; 0: no limit'),
  ALLOW_SHORT: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').describe('Allow selling more than is held'),
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').default(6000).describe('Order requests per minute per client'),
  RATE_LIMIT_LOGINS_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').default(20).describe('Login attempts per minute per client address'),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
