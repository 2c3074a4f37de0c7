import { baseConfigShape, urlVar } from '@tradeyard/service-kit';
import { z } from 'zod';

export const scannerConfigSchema = z.object({
  ...baseConfigShape(8081),
  GATEWAY_URL: urlVar()
    .optional()
    .describe('API gateway base URL; when set the scanner consumes its /ws bar stream and posts signals to it, otherwise it replays bundled data'),
  SCANNER_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("The scanner's credential at the gateway (the gateway's SCANNER_TOKEN: it reads the /ws bar stream, posts signals, drives the lockstep consumer), required with GATEWAY_URL; here it is a trader of no user: it may set the watchlist, and writes no rules"),
  JWT_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe("The gateway's JWT_SECRET: set, a gateway login token may write rules (a trader their own, an admin the shared ones); unset, rule changes are refused"),
  SCANNER_RULES_FILE: z.string().min(1).optional().describe('JSON file {"rules":[{"id","expression"}],"watchlist":["SPX",...]} loaded at start; unset: the four starter rules (rsi-oversold, golden-cross, volume-spike, breakout-20) on every symbol'),
  REPLAY_DATASET: z
    .enum(['sp500', 'stocks', 'all', 'synthetic'], { error: 'must be one of sp500, stocks, all, synthetic' })
    .default('all')
    .describe('Bars replayed when GATEWAY_URL is not set: bundled sp500/stocks/all or a seeded synthetic universe'),
  REPLAY_BARS_PER_SECOND: z.coerce
    .number({ error: 'must be a number' })
    .positive('must be greater than 0')
    .default(20)
    .describe('Replay speed in bars per second across all symbols'),
  SYNTHETIC_SYMBOLS: z.coerce.number().int().min(1).max(10_000).default(50).describe('How many symbols the synthetic replay generates'),
  SYNTHETIC_SEED: z.coerce.number().int().default(1).describe('Seed of the synthetic replay: same seed, same bars'),
  SIGNAL_HISTORY: z.coerce.number().int().min(100).max(1_000_000).default(10_000).describe('How many recent signals the scanner keeps for GET /api/v1/signals'),
  INDICATOR_HISTORY_BARS: z.coerce
    .number()
    .int()
    .min(100)
    .max(100_000)
    .default(5_000)
    .describe('How many recent closes of each scanned symbol the scanner keeps for GET /api/v1/indicators (computed from the bars it scanned, as of its market clock)'),
  SIGNAL_STREAMS_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(100)
    .describe('Most open GET /api/v1/signals/stream connections (a public route: no principal to count per); beyond it 503 with Retry-After'),
  SIGNAL_POST_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8).describe('Attempts to post one signal to the gateway before giving up'),
  DATA_DIR: z.string().min(1).optional().describe('Folder for state kept across restarts (signals not yet posted to the gateway); unset: kept in memory only'),
  SCANNER_LOCKSTEP: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .describe("With GATEWAY_URL: register as a lockstep consumer of the gateway's clock and acknowledge each step once its bars are scanned and their signals posted, so a lockstep replay waits for the scanner"),
  SIGNAL_POST_BACKOFF_MS: z.coerce.number().int().min(1).max(60_000).default(500).describe('First retry delay for signal posts; doubles per attempt up to 30 s'),
})
  .refine((c) => !c.GATEWAY_URL || c.SCANNER_TOKEN, { message: 'is required when GATEWAY_URL is set', path: ['SCANNER_TOKEN'] });
export type ScannerConfig = z.infer<typeof scannerConfigSchema>;
