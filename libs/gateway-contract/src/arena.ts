import { z } from 'zod';
import { validText, validTextRecord } from './schemas';

/**
 * An arena run's leaderboard as the gateway stores and serves it. The arena runner (trading-agent)
 * computes it from its agents' equity and fills and publishes it; REST, the MCP get_leaderboard
 * tool and the dashboard read it. It carries its own column list so readers need no statistic table.
 */
export const arenaRunIdSchema = validText().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/, 'must be 1-80 letters, digits, dash or underscore');

/**
 * A header naming the paper account a request acts on. A credential acts on its own account only
 * (an arena agent's API token is issued for its arena account): the gateway and mcp-tools accept
 * the header when it names that account and refuse any other value with 403, so a caller that
 * sends it learns at once when its credential is not the one it meant.
 */
export const ACCOUNT_HEADER = 'x-tradeyard-account';
export const arenaAccountIdSchema = z
  .string()
  .regex(/^arena:[A-Za-z0-9][A-Za-z0-9_-]{0,79}:[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/, 'must be arena:<run id>:<agent name>, each 1-80 letters, digits, dash or underscore');

export const arenaColumnSchema = z.object({
  key: validText(),
  label: validText(),
  format: z.enum(['percent', 'money', 'count', 'ratio', 'days']),
  better: z.enum(['higher', 'lower']),
});

/** Points of each row's equity curve a board carries at most: enough for a chart, small enough to publish often. */
export const ARENA_EQUITY_POINTS = 500;

export const arenaBoardRowSchema = z.object({
  /** 1 for the best; null for the benchmark row (buy-and-hold), which is not ranked. */
  rank: z.number().int().positive().nullable(),
  agent: validText().min(1).max(80),
  kind: z.enum(['rule', 'llm', 'strategy', 'benchmark']),
  /** The gateway account the agent traded (absent for the benchmark). */
  accountId: validText().optional(),
  /** Keys are the board's column keys; null where a statistic is undefined (no trades, no model...). */
  statistics: validTextRecord(z.number().nullable()),
  /** The row's equity curve (market time in ms), sampled to at most ARENA_EQUITY_POINTS with every peak and trough kept; absent on boards published before it was. */
  equity: z.array(z.object({ time: z.number().int(), equity: z.number() })).max(ARENA_EQUITY_POINTS).optional(),
});

/** Whether two rows' difference in the ranked statistic is distinguishable from luck. */
export const arenaComparisonSchema = z.object({
  first: validText(),
  second: validText(),
  /** How it was judged, e.g. 'stationary bootstrap of the Sharpe difference' or 'probabilistic Sharpe ratio'. */
  method: validText(),
  difference: z.number(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  distinguishable: z.boolean(),
  /** Plain words, e.g. "not distinguishable from luck at 95%". */
  verdict: validText(),
});

export const arenaRunStatusSchema = z.enum(['running', 'finished', 'stopped', 'failed']);

const nullableNumber = z.number().nullable();
/**
 * A memorization probe run (config key `probe`): the same agents on the real symbol, on the real
 * path under shifted dates and a disguised ticker, and on a synthetic path of the same drift and
 * volatility, each leg a run of its own; per agent, the statistics on each leg, the gaps, and
 * whether the real − disguised Sharpe gap is distinguishable from luck.
 */
export const arenaProbeSchema = z.object({
  symbols: z.object({ real: validText(), disguised: validText(), synthetic: validText() }),
  legs: z.array(z.object({
    leg: z.enum(['real', 'disguised', 'synthetic']),
    symbol: validText(),
    runId: arenaRunIdSchema,
    from: validText(),
    to: validText(),
    status: arenaRunStatusSchema,
    stepsDone: z.number().int().nonnegative(),
  })).max(3),
  agents: z.array(z.object({
    agent: validText().min(1).max(80),
    rows: z.array(z.object({
      key: validText(), label: validText(),
      real: nullableNumber, synthetic: nullableNumber, disguised: nullableNumber, realMinusSynthetic: nullableNumber, realMinusDisguised: nullableNumber,
    })).max(50),
    recall: z.object({ sharpeDifference: z.number(), interval: z.tuple([z.number(), z.number()]).nullable(), sharedBars: z.number().int().nonnegative(), distinguishable: z.boolean() }),
    verdict: validText(),
  })).max(20),
});
export type ArenaProbe = z.infer<typeof arenaProbeSchema>;

export const arenaBoardSchema = z.object({
  runId: arenaRunIdSchema,
  name: validText().min(1).max(200),
  status: arenaRunStatusSchema,
  mode: z.enum(['lockstep', 'live']),
  /** Market dates the run spans (YYYY-MM-DD) and how far it got. */
  from: validText(),
  to: validText(),
  currentDate: validText().nullable(),
  stepsDone: z.number().int().nonnegative(),
  stepsTotal: z.number().int().nonnegative().nullable(),
  symbols: z.array(validText()).min(1).max(2000),
  startingCash: z.number().positive(),
  /** The statistic the rows are ranked by (a column key). */
  rankedBy: validText(),
  columns: z.array(arenaColumnSchema).max(200),
  rows: z.array(arenaBoardRowSchema).max(100),
  comparisons: z.array(arenaComparisonSchema).max(200),
  /** Set when the run failed or an agent was dropped: what happened, for people. */
  error: validText().max(2000).optional(),
  /** A memorization probe run: its legs and gap table (the rows are the real leg's). */
  probe: arenaProbeSchema.optional(),
  updatedAt: z.number().int().nonnegative(),
});
export type ArenaBoard = z.infer<typeof arenaBoardSchema>;

export const arenaRunSummarySchema = arenaBoardSchema.pick({
  runId: true, name: true, status: true, mode: true, from: true, to: true, currentDate: true, stepsDone: true, stepsTotal: true, updatedAt: true,
});
export const arenaRunListSchema = z.array(arenaRunSummarySchema);

/**
 * A board statistic as people read it, by its column's format; '—' where it is undefined. Self-contained
 * (no imports, no closures) because the arena page ships its source text to the browser.
 */
export function formatArenaValue(value: number | null | undefined, format: z.infer<typeof arenaColumnSchema>['format']): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const grouped = (n: number, digits: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  switch (format) {
    case 'percent':
      return `${grouped(value * 100, 2)} %`;
    case 'money':
      return grouped(value, 2);
    case 'count':
      return grouped(value, 0);
    case 'days':
      return `${grouped(value, 0)} d`;
    default:
      return grouped(value, 2);
  }
}
