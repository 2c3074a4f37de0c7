import { DEFAULT_SHORT_MARGIN } from '@tradeyard/broker';
import { calendarDateSchema } from '@tradeyard/gateway-contract';
import { intervalSchema, symbolSchema } from '@tradeyard/market-data';
import { marketProviders, probeableSymbols } from '@tradeyard/market-hub';
import { baseConfigShape, urlVar } from '@tradeyard/service-kit';
import { z } from 'zod';
import { serviceCredentials } from './service-credentials';

const secret = (what: string) =>
  z.string({ error: 'is required' }).min(16, 'must be at least 16 characters').describe(what);
const symbolList = (fallback: string, what: string) =>
  z
    .string()
    .default(fallback)
    .transform((list, ctx) => {
      const symbols = list.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = symbols.filter((s) => !symbolSchema.safeParse(s).success);
      if (bad.length || symbols.length === 0) ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of symbols (capital letters, digits, dot, dash, underscore); bad: ${bad.join(', ') || '(empty)'}` });
      return symbols;
    })
    .describe(what);
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
  SCANNER_TOKEN: secret("The scanner's credential: posts signals (under the scanner's rule ids too) and registers and acknowledges lockstep consumers; reads as a trader; rotate it to revoke it"),
  MCP_TOOLS_TOKEN: secret('The credential of mcp-tools: trades the paper account "agent" (for MCP_AUTH_TOKEN\'s holder); reads as a trader; rotate it to revoke it'),
  TRADING_AGENT_TOKEN: secret("The trading agent's credential: publishes arena boards; reads as a trader; rotate it to revoke it"),
  JWT_SECRET: secret('Secret that signs login tokens (JWT, HS256)'),
  JWT_TTL_SECONDS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(60, 'must be at least 60').default(43_200).describe('Lifetime of a login token'),
  // The market (libs/market-hub openMarket): which provider, and what each one needs.
  MARKET_PROVIDER: z
    .enum(marketProviders, { error: `must be one of ${marketProviders.join(', ')}` })
    .default('replay')
    .describe(
      'replay: SPX, the bundled monthly stocks, the synthetic universe (and MARKET_FILES_DIR when set) on one replay clock; synthetic: the synthetic universe alone; files: MARKET_FILES_DIR alone; binance, alphavantage: those venues polled live',
    ),
  REPLAY_BARS_PER_SECOND: z.coerce.number({ error: 'must be a number' }).positive('must be greater than 0').default(1).describe('Speed of the replay clock in steps per second of wall time: one step is a date of the finest-interval symbols (the S&P 500 trading days in the bundled universe). The first state of the stored clock; then an admin sets it (POST /api/v1/clock)'),
  REPLAY_START_DATE: calendarDateSchema.default('2000-01-03').describe('First day the replay shows as current, when the database holds no clock yet; then an admin restarts it (POST /api/v1/clock)'),
  SYNTHETIC_SYMBOLS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(2000, 'must be at most 2000').default(100).describe('Symbols of the seeded synthetic universe SYN000.. (replay, synthetic); 0: none with replay'),
  SYNTHETIC_SEED: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').default(1).describe('Seed of the synthetic universe: same seed, same bars'),
  MARKET_FILES_DIR: z.string().min(1).optional().describe('Folder of CSV/JSONL bar files (symbol,time,open,high,low,close,volume); required with MARKET_PROVIDER=files, added to replay when set'),
  MARKET_PROBE: z
    .enum(probeableSymbols, { error: `must be one of ${probeableSymbols.join(', ')} (unset: no probe)` })
    .optional()
    .describe(
      'Memorization probe of this bundled daily history (replay only): adds PRBA and PRBB, the real path and a synthetic one of the same drift and volatility, both 28 years later, rescaled to start at 100, source "probe"; which is which follows SYNTHETIC_SEED (memorizationProbe)',
    ),
  BINANCE_BASE_URL: urlVar().default('https://api.binance.com').describe('Binance REST base (GET /api/v3/klines)'),
  BINANCE_STREAM_URL: z
    .string()
    .regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL such as wss://stream.binance.com:9443')
    .optional()
    .describe('Binance WebSocket base; when set, closed klines are pushed from its kline stream between polls'),
  BINANCE_SYMBOLS: symbolList('BTCUSDT,ETHUSDT', 'Binance symbols to poll, comma-separated'),
  BINANCE_INTERVAL: intervalSchema.default('1h').describe('Kline interval polled from Binance'),
  ALPHAVANTAGE_BASE_URL: urlVar().default('https://www.alphavantage.co').describe('Alpha Vantage base (GET /query?function=TIME_SERIES_DAILY)'),
  ALPHAVANTAGE_API_KEY: z.string().min(1).optional().describe('Alpha Vantage API key; required with MARKET_PROVIDER=alphavantage'),
  ALPHAVANTAGE_SYMBOLS: symbolList('IBM,MSFT', 'Alpha Vantage symbols to poll (daily bars), comma-separated'),
  VENUE_POLL_SECONDS: z.coerce.number({ error: 'must be a number' }).min(1, 'must be at least 1').default(60).describe('Seconds between polls of a live venue per symbol (failures retry sooner, with backoff)'),
  VENUE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be at least 100').max(120_000, 'must be at most 120000').default(10_000).describe('Time one venue request may take'),
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
  ALLOW_SHORT: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .describe("Operator policy on selling more than is held: false forbids it on every account (an account's allowShort setting cannot override it); true lets each account opt out"),
  SHORT_INITIAL_MARGIN: nonNegative(DEFAULT_SHORT_MARGIN.initial, "Initial margin of short sales: an order that opens or adds to a short must leave equity of at least this share of the account's short value (0.5: Reg T, 150 % of the short value held); else denied_margin")
    .pipe(z.number().max(10, 'must be at most 10')),
  SHORT_MAINTENANCE_MARGIN: nonNegative(DEFAULT_SHORT_MARGIN.maintenance, "Maintenance margin: an account whose equity is below this share of its short value (0.3: FINRA 4210) may only reduce positions; other orders are denied_margin_call")
    .pipe(z.number().max(10, 'must be at most 10')),
  CLOCK_CONSUMER_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(100, 'must be at least 100')
    .max(3_600_000, 'must be at most 3600000 (an hour)')
    .default(30_000)
    .describe('A registered clock consumer that has not acknowledged (in lockstep) or registered or acknowledged at all (outside it) for this long is dropped (and logged), so a dead one does not stall the market'),
  TRADING_AGENT_URL: urlVar()
    .default('http://127.0.0.1:8082')
    .describe("The trading agent the arena page starts and stops runs on: POST /api/v1/arena/runs and DELETE /api/v1/arena/runs/:id are forwarded to it with the admin's login token, which it verifies with the same JWT_SECRET"),
  TRADING_AGENT_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(100, 'must be at least 100')
    .max(600_000, 'must be at most 600000 (ten minutes)')
    .default(30_000)
    .describe('Longest a call forwarded to the trading agent may take (stopping a run waits for its current step); then the gateway answers 504'),
  ARENA_MAX_RUNS: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').default(1000).describe('Arena runs whose leaderboards the gateway keeps; the least recently updated are dropped beyond it'),
  RATE_LIMIT_ORDERS_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').default(6000).describe('Order requests per minute per client'),
  RATE_LIMIT_LOGINS_PER_MINUTE: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be at least 1').default(20).describe('Login attempts per minute per client address'),
}).superRefine((config, ctx) => {
  // One credential, one principal: two services sharing a value could not be told apart or revoked alone.
  const names = serviceCredentials.map((credential) => credential.variable);
  names.forEach((name, index) => {
    const same = names.slice(0, index).find((other) => config[other] === config[name]);
    if (same) ctx.addIssue({ code: 'custom', path: [name], message: `must differ from ${same}: each service has a credential of its own` });
  });
  // Variables a provider needs are checked with it, so a missing one is named at start-up.
  if (config.MARKET_PROVIDER === 'files' && !config.MARKET_FILES_DIR) ctx.addIssue({ code: 'custom', path: ['MARKET_FILES_DIR'], message: 'is required when MARKET_PROVIDER=files' });
  if (config.MARKET_PROBE && config.MARKET_PROVIDER !== 'replay') ctx.addIssue({ code: 'custom', path: ['MARKET_PROBE'], message: 'needs MARKET_PROVIDER=replay (the bundled history it is built from)' });
  if (config.MARKET_PROVIDER === 'alphavantage' && !config.ALPHAVANTAGE_API_KEY) ctx.addIssue({ code: 'custom', path: ['ALPHAVANTAGE_API_KEY'], message: 'is required when MARKET_PROVIDER=alphavantage' });
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
