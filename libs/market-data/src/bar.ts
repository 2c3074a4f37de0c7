import { z } from 'zod';

/** Bar intervals the platform understands, with their length in milliseconds (1M is nominal). */
export const intervalMs = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
  '1M': 2_592_000_000,
} as const;
export type Interval = keyof typeof intervalMs;
export const intervalSchema = z.enum(Object.keys(intervalMs) as [Interval, ...Interval[]]);

export const symbolSchema = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9._-]{0,19}$/, 'must be 1-20 characters: capital letters, digits, dot, dash or underscore');

const price = z.number().finite().positive();

/** One OHLCV bar. `time` is the bar's open time in milliseconds since the Unix epoch (UTC). */
export const barSchema = z
  .object({
    symbol: symbolSchema,
    time: z.number().int().nonnegative(),
    open: price,
    high: price,
    low: price,
    close: price,
    volume: z.number().finite().nonnegative(),
  })
  .refine((b) => b.high >= Math.max(b.open, b.close, b.low) && b.low <= Math.min(b.open, b.close), {
    message: 'high must be the highest and low the lowest of open, high, low, close',
    path: ['high'],
  });
export type Bar = z.infer<typeof barSchema>;

/** The latest price of a symbol as a market-data source reports it. */
export const quoteSchema = z.object({
  symbol: symbolSchema,
  time: z.number().int().nonnegative(),
  price,
  bid: price.optional(),
  ask: price.optional(),
});
export type Quote = z.infer<typeof quoteSchema>;

/** YYYY-MM-DD of a bar time, in UTC. */
export const isoDate = (time: number) => new Date(time).toISOString().slice(0, 10);
