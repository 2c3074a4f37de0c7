import { symbolSchema } from '@tradeyard/market-data';
import { z } from 'zod';
import { calendarDateSchema, clockSchema, validText } from './schemas';

/**
 * Markets: the gateway serves any number, each with its own clock, universe and accounts. The
 * default market is what `npm start` replays (the dashboard's, the live agent's); others are
 * simulated markets over a universe and a date range (an arena run's), created and archived over
 * REST. A request names its market with MARKET_HEADER; without it, a credential bound to an
 * account acts in that account's market, and any other in the default market.
 */
export const DEFAULT_MARKET = 'default';
export const MARKET_HEADER = 'x-tradeyard-market';

export const marketIdSchema = validText().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit');

/** Most symbols one simulated market holds (the default market's universe is 106). */
export const MAX_MARKET_SYMBOLS = 500;

export const createMarketSchema = z
  .object({
    id: marketIdSchema.optional().describe('The id (default: a random one)'),
    name: validText().min(1, 'must not be empty').max(80, 'must be at most 80 characters').optional().describe('A label for people (default: the id)'),
    symbols: z
      .array(symbolSchema)
      .min(1, 'must name at least one symbol')
      .max(MAX_MARKET_SYMBOLS, `must name at most ${MAX_MARKET_SYMBOLS} symbols`)
      .refine((symbols) => new Set(symbols).size === symbols.length, 'must not repeat a symbol')
      .optional()
      .describe("The universe, symbols of the default market's history (default: every one of them)"),
    from: calendarDateSchema.describe('The first date the market shows (YYYY-MM-DD)'),
    to: calendarDateSchema.describe('The last date it moves to (YYYY-MM-DD)'),
  })
  .strict()
  .refine((m) => m.from <= m.to, { path: ['to'], message: 'must be on or after from' });
export type CreateMarket = z.infer<typeof createMarketSchema>;

export const marketSchema = z.object({
  id: marketIdSchema,
  name: validText(),
  kind: z.enum(['default', 'simulated']).describe('default: what npm start serves; simulated: a replay over a universe and a range, created over REST'),
  status: z.enum(['open', 'archived']).describe('archived: read only (its accounts, orders, fills and equity are kept); its clock no longer moves'),
  symbols: z.array(validText()),
  from: validText().nullable(),
  to: validText().nullable(),
  createdBy: validText().nullable(),
  createdAt: validText().nullable(),
  archivedAt: validText().nullable(),
  steps: z.number().int().nonnegative().nullable().describe('Steps of its clock from `from` through `to` (a lockstep run takes as many); null for the default market'),
  clock: clockSchema.pick({ time: true, date: true, state: true, ended: true, epoch: true }),
});
export type MarketDto = z.infer<typeof marketSchema>;
export const marketListSchema = z.array(marketSchema);
export const marketParamsSchema = z.object({ id: marketIdSchema });
