import { z } from 'zod';

const isNumbers = (v: unknown): v is ArrayLike<number> =>
  (Array.isArray(v) || ArrayBuffer.isView(v)) && Array.prototype.every.call(v, (x: unknown) => typeof x === 'number' && Number.isFinite(x));
const numbers = (rule: string) => z.custom<ArrayLike<number>>(isNumbers, { error: rule });
const finite = (field: string) => z.number({ error: `${field} must be a number` }).finite(`${field} must be finite`);
const nonNegative = (field: string) => finite(field).min(0, `${field} must be 0 or more`);

const curveSchema = z.object({
  time: numbers('must be an array of finite times (ms since the epoch)'),
  equity: numbers('must be an array of finite numbers'),
});

const checkCurve = (curve: { time: ArrayLike<number>; equity: ArrayLike<number> }, ctx: z.RefinementCtx, prefix: string[] = []) => {
  const { time, equity } = curve;
  if (time.length === 0) ctx.addIssue({ code: 'custom', path: [...prefix, 'time'], message: 'must hold at least one point' });
  if (time.length !== equity.length) ctx.addIssue({ code: 'custom', path: [...prefix, 'equity'], message: `must have one value per time (${equity.length} values, ${time.length} times)` });
  for (let i = 1; i < time.length; i++) {
    if (!(time[i] > time[i - 1])) {
      ctx.addIssue({ code: 'custom', path: [...prefix, 'time', i], message: 'times must increase strictly' });
      break;
    }
  }
  for (let i = 0; i < equity.length; i++) {
    if (equity[i] < 0) {
      ctx.addIssue({ code: 'custom', path: [...prefix, 'equity', i], message: 'equity must be 0 or more' });
      break;
    }
  }
};

const tradeSchema = z.object({
  entryTime: finite('entryTime'),
  exitTime: finite('exitTime'),
  entryPrice: finite('entryPrice').positive('entryPrice must be above 0'),
  exitPrice: nonNegative('exitPrice'),
  quantity: finite('quantity').positive('quantity must be above 0'),
  side: z.enum(['long', 'short'], { error: 'side must be long or short' }),
  fees: nonNegative('fees').optional(),
  pnl: finite('pnl').optional(),
  open: z.boolean({ error: 'open must be true or false' }).optional(),
}).refine((t) => t.exitTime >= t.entryTime, { path: ['exitTime'], error: 'exitTime must not precede entryTime' });

/** One run to report on. Times are ms since the epoch (UTC), oldest first, one per bar close. */
export const runInputSchema = z
  .object({
    name: z.string({ error: 'name must be a string' }).min(1, 'name must not be empty'),
    ...curveSchema.shape,
    /** The peak drawdowns start from and the base of every return; default equity[0]. */
    initialCash: finite('initialCash').positive('initialCash must be above 0').optional(),
    barsPerYear: finite('barsPerYear').positive('barsPerYear must be above 0').default(252),
    trades: z.array(tradeSchema).default([]),
    /** Bar highs and lows of the traded symbol, for each trade's MAE and MFE. */
    bars: z.object({ time: numbers('must be an array of finite times'), high: numbers('must be an array of finite numbers'), low: numbers('must be an array of finite numbers') }).optional(),
    /** Total fees paid; default the sum of the trades' fees. */
    fees: nonNegative('fees').optional(),
    /** Notional bought plus sold over the run; default Σ quantity × (entry + exit price), the exit only for closed trades. */
    tradedNotional: nonNegative('tradedNotional').optional(),
    /** Buy and hold (or any benchmark) marked at the same bar closes. */
    benchmark: curveSchema.extend({ name: z.string().min(1, 'name must not be empty') }).optional(),
    usage: z.object({ tokens: nonNegative('tokens'), inferenceCost: nonNegative('inferenceCost') }).optional(),
    /** How many variants were tried to find this one, for the deflated Sharpe ratio. */
    trials: z.object({ count: finite('count').int('count must be a whole number').min(1, 'count must be 1 or more'), sharpeVariance: nonNegative('sharpeVariance').optional() }).optional(),
  })
  .superRefine((run, ctx) => {
    checkCurve(run, ctx);
    if (run.benchmark) checkCurve(run.benchmark, ctx, ['benchmark']);
    if (run.bars && !(run.bars.time.length === run.bars.high.length && run.bars.time.length === run.bars.low.length)) {
      ctx.addIssue({ code: 'custom', path: ['bars'], message: 'time, high and low must have the same length' });
    }
  });

export type RunInput = z.input<typeof runInputSchema>;
export type Run = z.output<typeof runInputSchema>;
export type TradeInput = z.input<typeof tradeSchema>;

/** Validates a run; a bad one throws a RangeError naming each bad field and its rule. */
export function parseRun(input: RunInput): Run {
  const parsed = runInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new RangeError(parsed.error.issues.map((issue) => `${['run', ...issue.path].join('.')}: ${issue.message}`).join('; '));
}

/** A buy-and-hold benchmark run: all the cash into the first close, held to the end. */
export function buyAndHold(name: string, time: ArrayLike<number>, close: ArrayLike<number>, initialCash: number): RunInput {
  const quantity = initialCash / close[0];
  const last = close.length - 1;
  return {
    name,
    time,
    equity: Float64Array.from(close, (c) => c * quantity),
    initialCash,
    trades: [{ entryTime: time[0], exitTime: time[last], entryPrice: close[0], exitPrice: close[last], quantity, side: 'long', open: true }],
  };
}
