import { MAX_OCO_ORDERS, ocoGroupIssues, priceFieldsOf } from '@tradeyard/fill-engine';
import { barSchema, type Interval, intervalMs, intervalSchema, symbolSchema } from '@tradeyard/market-data';
import { brokenTextRule } from '@tradeyard/runtime-util';
import { z } from 'zod';

/**
 * The gateway's REST and WebSocket contract, shared by the gateway (validation, OpenAPI)
 * and every client (scanner, mcp-tools, trading agent, dashboard tests) so both sides
 * cannot drift apart. Times are milliseconds since the Unix epoch unless named *At (ISO).
 */

/**
 * Every text of the contract (ids, names, rule expressions, record keys, queries) is valid text as
 * brokenTextRule defines it: no control characters, no lone UTF-16 surrogate. The services' request
 * hook applies the same rule to HTTP input; these schemas also hold it where no hook looks (the
 * WebSocket acknowledgement's signals) and for every client that builds a request from them.
 */
export const validText = (params?: Parameters<typeof z.string>[0]) =>
  z.string(params).superRefine((value, ctx) => {
    const rule = brokenTextRule(value);
    if (rule) ctx.addIssue({ code: 'custom', message: rule });
  });

/** A record keyed by valid text; a bad key is refused with the rule it breaks (zod alone says "Invalid key in record"). */
export const validTextRecord = <V extends z.ZodType>(value: V) =>
  z.record(validText(), value, { error: (issue) => (issue.code === 'invalid_key' ? `key ${issue.issues[0]?.message}` : undefined) });

/**
 * A real calendar date as YYYY-MM-DD (2020-02-29 yes, 2021-02-29 and 2020-13-45 no): the one
 * date schema of every route and tool (gateway REST, MCP tools, trading agent).
 */
export const calendarDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((text) => {
    const [y, m, d] = text.split('-').map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'must be a real calendar date');

/** Quantities and prices are kept to 6 decimals (the broker rounds them); this is checked after that rounding. */
export const ORDER_DECIMALS = 6;
/** Largest quantity or price the API accepts; beyond it numbers lose cent precision. */
export const MAX_ORDER_NUMBER = 1e9;
/** An order quantity or price: finite, at most 1e9, and still above 0 once rounded to 6 decimals. */
export const orderNumberSchema = z
  .number({ error: 'must be a number' })
  .finite('must be a finite number')
  .positive('must be greater than 0')
  .max(MAX_ORDER_NUMBER, 'must be at most 1e9')
  .refine((x) => !(x > 0) || Math.round(x * 10 ** ORDER_DECIMALS) > 0, 'must be at least 0.000001 (quantities and prices are kept to 6 decimals)');

export const roleSchema = z.enum(['viewer', 'trader', 'admin']);
export type Role = z.infer<typeof roleSchema>;

// Plain strings: an error may quote the bad input it refuses, and a client must read it whatever it holds.
export const apiErrorSchema = z.object({
  error: z.string().describe('Machine-readable code, e.g. validation_failed, not_found, unauthorized'),
  message: z.string().describe('What went wrong, naming the field and the rule where there is one'),
  details: z.array(z.object({ field: z.string(), rule: z.string() })).optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export const loginRequestSchema = z.object({
  username: validText().min(1).max(100),
  password: validText().min(1).max(200),
});
export const loginResponseSchema = z.object({ token: validText(), role: roleSchema, expiresIn: z.number() });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const symbolInfoSchema = z.object({
  symbol: symbolSchema,
  name: validText(),
  source: validText().describe("Where the symbol's bars come from: replay:sp500, replay:stocks, synthetic:<seed>, file:<name>, binance, alphavantage"),
  interval: intervalSchema.describe('The interval of its own bars'),
  intervals: z.array(intervalSchema).describe('Intervals /bars serves for it: its own and those aggregated from it'),
  firstDate: validText().nullable().describe('Date of its first bar released at the market clock; null before it'),
  lastDate: validText().nullable().describe('Date of its latest bar released at the market clock'),
  stale: z.boolean().describe('Its live venue is failing: the last good bars are served'),
  error: validText().optional().describe('What failed, while stale'),
});
export type SymbolInfo = z.infer<typeof symbolInfoSchema>;
export const symbolListSchema = z.array(symbolInfoSchema);

export const quoteDtoSchema = z.object({ symbol: symbolSchema, price: z.number(), time: z.number(), date: validText() });
export type QuoteDto = z.infer<typeof quoteDtoSchema>;
/** The latest quote of every symbol that has one at the clock. */
export const quoteListSchema = z.array(quoteDtoSchema);

/**
 * The bar intervals the gateway knows. Each symbol serves its own interval and those aggregated
 * from it (its `intervals` in /symbols; weeks from Monday, calendar months), others are refused
 * with the list. The current week or month is partial: it aggregates the bars released up to the
 * market clock, never a later one.
 */
export const SERVED_INTERVALS = Object.keys(intervalMs) as [Interval, ...Interval[]];
export const servedIntervalSchema = z.enum(SERVED_INTERVALS, { error: `must be one of ${SERVED_INTERVALS.join(', ')} (the intervals the gateway knows)` });
export type ServedInterval = z.infer<typeof servedIntervalSchema>;

export const barListSchema = z.array(barSchema);

export const barsQuerySchema = z.object({
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
  interval: servedIntervalSchema.optional().describe("One of the symbol's intervals (GET /symbols); default its own"),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type BarsQuery = z.infer<typeof barsQuerySchema>;

export const sideSchema = z.enum(['buy', 'sell']);
/** See libs/broker/README.md ("Orders") for how each type and time in force fills. */
export const orderTypeSchema = z.enum(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop', 'market_on_open', 'market_on_close']);
export const timeInForceSchema = z.enum(['day', 'gtc', 'ioc', 'fok', 'gtd']);
/**
 * accepted (open, may rest), partially_filled (open), filled, cancelled, expired, denied (refused
 * before trading), rejected (refused after it was accepted). See libs/broker/README.md.
 */
export const orderStatusSchema = z.enum(['accepted', 'partially_filled', 'filled', 'cancelled', 'expired', 'denied', 'rejected']);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** Auction orders trade once, in the auction they name: they take no time in force but gtc. */
const auctionTypes: readonly string[] = ['market_on_open', 'market_on_close'];

export const placeOrderSchema = z
  .object({
    symbol: symbolSchema,
    side: sideSchema,
    type: orderTypeSchema.default('market'),
    quantity: orderNumberSchema,
    limitPrice: orderNumberSchema.optional(),
    stopPrice: orderNumberSchema.optional().describe('stop and stop_limit: the price that triggers the order'),
    trailAmount: orderNumberSchema.optional().describe('trailing_stop: the trail as an amount of price (or give trailPercent)'),
    trailPercent: orderNumberSchema.max(99.999999, 'must be below 100').optional().describe('trailing_stop: the trail as a percent of the best price since placement'),
    timeInForce: timeInForceSchema
      .optional()
      .describe('day, gtc (default), ioc (fill what can be at once, expire the rest), fok (fill all at once or expire), gtd (good till expireDate)'),
    expireDate: calendarDateSchema
      .optional()
      .describe('gtd: the last market date (YYYY-MM-DD) the order is good for, not before the market clock\'s date; it expires on the first bar after it'),
    takeProfitPrice: orderNumberSchema.optional().describe('Bracket: once this entry fills, a limit order on the other side at this price'),
    stopLossPrice: orderNumberSchema.optional().describe('Bracket: once this entry fills, a stop order on the other side at this price; the two exits cancel each other'),
  })
  .strict()
  .superRefine((order, ctx) => {
    const required: readonly string[] = priceFieldsOf[order.type];
    for (const field of ['limitPrice', 'stopPrice'] as const) {
      if (required.includes(field) && order[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for a ${order.type} order` });
      if (!required.includes(field) && order[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `must be omitted for a ${order.type} order` });
    }
    const trails = (['trailAmount', 'trailPercent'] as const).filter((field) => order[field] !== undefined);
    if (order.type === 'trailing_stop' && trails.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['trailAmount'], message: 'a trailing_stop order takes exactly one of trailAmount and trailPercent' });
    }
    if (order.type !== 'trailing_stop') for (const field of trails) ctx.addIssue({ code: 'custom', path: [field], message: `must be omitted for a ${order.type} order` });
    if (order.timeInForce === 'gtd' && order.expireDate === undefined) ctx.addIssue({ code: 'custom', path: ['expireDate'], message: 'is required for timeInForce gtd' });
    if (order.timeInForce !== 'gtd' && order.expireDate !== undefined) ctx.addIssue({ code: 'custom', path: ['expireDate'], message: 'must be omitted unless timeInForce is gtd' });
    if (auctionTypes.includes(order.type) && (order.timeInForce ?? 'gtc') !== 'gtc') {
      ctx.addIssue({ code: 'custom', path: ['timeInForce'], message: `must be gtc or omitted for a ${order.type} order: it trades once, in its auction` });
    }
  });
export type PlaceOrder = z.input<typeof placeOrderSchema>;

/** Most orders one one-cancels-other group links: the fill engine's bound, for the contract's users. */
export { MAX_OCO_ORDERS };

/**
 * POST /api/v1/orders/oco: two or more orders of one symbol linked so that the first to trade (a
 * partial fill included) or to close cancels the others (libs/broker/README.md "One-cancels-other").
 * They rest together: same time in force (no ioc or fok) and expiry date (fill-engine ocoGroupIssues).
 */
export const placeOcoSchema = z
  .strictObject({
    orders: z
      .array(placeOrderSchema, { error: 'must be an array of orders' })
      .min(2, 'must hold at least 2 orders: a one-cancels-other group links two or more')
      .max(MAX_OCO_ORDERS, `must hold at most ${MAX_OCO_ORDERS} orders`),
  })
  .superRefine(({ orders }, ctx) => {
    for (const { index, field, message } of ocoGroupIssues(orders)) ctx.addIssue({ code: 'custom', path: ['orders', index, field], message });
  });
export type PlaceOco = z.input<typeof placeOcoSchema>;

export const orderSchema = z.object({
  id: validText(),
  accountId: validText(),
  symbol: symbolSchema,
  side: sideSchema,
  type: orderTypeSchema,
  quantity: z.number(),
  limitPrice: z.number().nullable(),
  stopPrice: z.number().nullable().optional().describe('stop and stop_limit: the trigger; trailing_stop: the current trigger'),
  trailAmount: z.number().nullable().optional(),
  trailPercent: z.number().nullable().optional(),
  timeInForce: timeInForceSchema.optional(),
  takeProfitPrice: z.number().nullable().optional(),
  stopLossPrice: z.number().nullable().optional(),
  parentId: validText().nullable().optional().describe('For a bracket exit: the entry order that placed it'),
  expireDate: validText().nullable().optional().describe('gtd: the last market date it is good for'),
  ocoGroupId: validText().nullable().optional().describe('The one-cancels-other group it belongs to (POST /api/v1/orders/oco)'),
  status: orderStatusSchema,
  reasonCode: validText().nullable().describe('Stable code of why the order was denied, rejected or cancelled, e.g. denied_buying_power'),
  reason: validText().nullable().describe('Why the order was denied, rejected or cancelled, with the numbers'),
  filledQuantity: z.number(),
  avgFillPrice: z.number().nullable(),
  fees: z.number(),
  currency: validText().describe('Currency of limitPrice, avgFillPrice and fees'),
  createdAt: validText(),
  updatedAt: validText(),
});
export type Order = z.infer<typeof orderSchema>;
export const orderListSchema = z.array(orderSchema);
/** A one-cancels-other group as placed: its id and its orders, in the order given. */
export const ocoGroupSchema = z.object({ groupId: validText(), orders: orderListSchema });
export type OcoGroup = z.infer<typeof ocoGroupSchema>;

/** One entry of an order's journal: a status change, the event that made it, and why. */
export const orderEventSchema = z.object({
  orderId: validText(),
  event: z.enum(['accept', 'deny', 'partial_fill', 'fill', 'cancel', 'expire', 'reject']),
  from: validText().describe('Status before; initialized for the first entry'),
  to: orderStatusSchema,
  reasonCode: validText().nullable(),
  reason: validText().nullable(),
  fillId: validText().nullable().describe('The fill this entry records, for fill and partial_fill'),
  createdAt: validText(),
});
export type OrderEventEntry = z.infer<typeof orderEventSchema>;
export const orderEventListSchema = z.array(orderEventSchema);

export const ordersQuerySchema = z.object({
  status: orderStatusSchema.optional(),
  symbol: symbolSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type OrdersQuery = z.infer<typeof ordersQuerySchema>;

export const fillSchema = z.object({
  id: validText(),
  orderId: validText(),
  accountId: validText(),
  symbol: symbolSchema,
  side: sideSchema,
  quantity: z.number(),
  price: z.number(),
  fee: z.number(),
  currency: validText().describe('Currency of price and fee'),
  time: z.number(),
});
export type Fill = z.infer<typeof fillSchema>;

export const positionSchema = z.object({
  symbol: symbolSchema,
  quantity: z.number(),
  avgPrice: z.number(),
  costBasis: z.number().describe('What the open quantity cost; unrealizedPnl = marketValue - costBasis'),
  marketPrice: z.number(),
  marketValue: z.number(),
  unrealizedPnl: z.number(),
  realizedPnl: z.number(),
});
export type Position = z.infer<typeof positionSchema>;

export const portfolioSchema = z.object({
  accountId: validText(),
  currency: validText().describe('Currency of every amount of the portfolio'),
  initialCash: z.number(),
  cash: z.number(),
  positionsValue: z.number(),
  equity: z.number().describe('cash + positionsValue, which equals initialCash + realizedPnl + unrealizedPnl exactly'),
  realizedPnl: z.number().describe('Realized profit and loss after every fee paid'),
  unrealizedPnl: z.number(),
  feesPaid: z.number(),
  positions: z.array(positionSchema),
});
export type Portfolio = z.infer<typeof portfolioSchema>;

export const equityPointSchema = z.object({ time: z.number(), equity: z.number() });
export type EquityPoint = z.infer<typeof equityPointSchema>;
export const equityHistorySchema = z.array(equityPointSchema);

/**
 * An account's settings (GET/PUT /api/v1/account/settings): short selling and its borrow fee, and
 * the five protections, each off at 0 or unset. A PUT changes the fields it gives and keeps the
 * rest. The broker enforces them (libs/broker/README.md "Protections"); a denial names its code.
 */
export const accountSettingsSchema = z.strictObject({
  allowShort: z.boolean({ error: 'must be true or false' }).optional().describe("Short selling for this account; unset: the gateway's ALLOW_SHORT"),
  borrowRateBps: z.number({ error: 'must be a number' }).finite('must be a finite number').min(0, 'must be 0 or more').max(100_000, 'must be at most 100000').optional()
    .describe('Yearly borrow fee of a short, in basis points of its cost, charged when it is covered'),
  maxDrawdown: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(1, 'must be at most 1').optional()
    .describe('Lock against new exposure when equity is this fraction below its peak (0.2 = 20 %)'),
  dailyLossLimit: z.number({ error: 'must be a number' }).finite('must be a finite number').min(0, 'must be 0 or more').optional()
    .describe('Reduce-only for the rest of the market day once equity is this much cash below its start of day'),
  cooldownAfterLosses: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(1000, 'must be at most 1000').optional()
    .describe('After this many losing trades in a row, no new exposure for cooldownMinutes'),
  cooldownMinutes: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(525_600, 'must be at most 525600 (a year)').optional(),
  maxOpenPositions: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(10_000, 'must be at most 10000').optional(),
  maxPositionShare: z.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(1, 'must be at most 1').optional()
    .describe('Largest share of equity one position may be after a fill (0.25 = 25 %)'),
});
export type AccountSettings = z.infer<typeof accountSettingsSchema>;

/** Id of a scan rule, e.g. rsi-oversold (the scanner's rule ids). */
export const ruleIdSchema = validText().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 lowercase letters, digits, dash or underscore');
/** The scanner's built-in rule ids (its starter rules): signals under them come from the scanner's credential alone. */
export const SCANNER_RULE_IDS = ['rsi-oversold', 'golden-cross', 'volume-spike', 'breakout-20'] as const;

/** Most keys of a signal's values, and most bytes of them as JSON: a few indicator readings, not a store. */
export const MAX_SIGNAL_VALUE_KEYS = 32;
export const MAX_SIGNAL_VALUES_BYTES = 4096;
const signalValuesSchema = validTextRecord(z.number().finite().nullable())
  .refine((values) => Object.keys(values).length <= MAX_SIGNAL_VALUE_KEYS, `must have at most ${MAX_SIGNAL_VALUE_KEYS} keys`)
  .refine((values) => new TextEncoder().encode(JSON.stringify(values)).length <= MAX_SIGNAL_VALUES_BYTES, `must be at most ${MAX_SIGNAL_VALUES_BYTES} bytes as JSON`);

export const signalSchema = z.object({
  id: validText().min(1).max(200).describe('Stable id: the same signal posted twice is stored once'),
  symbol: symbolSchema,
  rule: validText().min(1).max(500).describe('The expression of the rule that fired, e.g. rsi(14) < 30'),
  ruleId: ruleIdSchema.optional().describe('The id of the rule that fired, e.g. rsi-oversold (absent on signals stored before rule ids were kept)'),
  time: z.number().int().nonnegative().describe('Open time of the bar the rule fired on'),
  close: z.number().finite(),
  values: signalValuesSchema.default({}),
  postedBy: validText().optional().describe('Username of the credential that posted it, recorded by the gateway (absent on signals stored before it was kept)'),
});
export type Signal = z.infer<typeof signalSchema>;
/** A signal as posted: who posted it is the gateway's to record, not the poster's to say. */
export const postedSignalSchema = signalSchema.omit({ postedBy: true }).strict();
export type PostedSignal = z.infer<typeof postedSignalSchema>;
export const signalListSchema = z.array(signalSchema);
/** Most signals one POST /api/v1/signals/batch stores. */
export const MAX_SIGNAL_BATCH = 1000;
/** POST /api/v1/signals/batch: several signals in one request and one transaction (a lockstep step's). */
export const signalBatchSchema = z.strictObject({ signals: z.array(postedSignalSchema).min(1, 'must hold at least 1 signal').max(MAX_SIGNAL_BATCH, `must hold at most ${MAX_SIGNAL_BATCH} signals`) });
export const signalBatchResponseSchema = z.object({
  stored: z.number().int().describe('Signals new to the gateway, stored now'),
  duplicates: z.number().int().describe('Signals it already had (same id), left as they were'),
});

export const signalsQuerySchema = z.object({
  symbol: symbolSchema.optional(),
  rule: validText().max(500).optional().describe('A rule id (e.g. rsi-oversold) or a rule expression (e.g. rsi(14) < 30)'),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type SignalsQuery = z.infer<typeof signalsQuerySchema>;

/**
 * The market clock (GET /api/v1/clock, WebSocket channel clock, MCP get_clock): every route,
 * channel and tool answers as of `time`; no bar opening after it is visible.
 */
const consumerIdSchema = validText().describe('The id the gateway gave it at registration: what acknowledges and deregisters it');
const lockstepConsumerFields = {
  name: validText().describe('The name it registered with'),
  lastAckWallMs: z.number().nullable().describe('Wall time (ms) of its last acknowledgement; null before the first'),
  lastAckTime: z.number().nullable().describe('Market time (ms) of the last step it acknowledged; null before the first'),
};
export const lockstepConsumerSchema = z.object({ id: consumerIdSchema, ...lockstepConsumerFields, acked: z.boolean().describe('It acknowledged the current step') });
export type LockstepConsumerDto = z.infer<typeof lockstepConsumerSchema>;
/** A consumer in the clock's lists: its id is shown only to the principal that registered it, and to admins. */
const listedConsumerId = consumerIdSchema.optional().describe('Shown only to the principal that registered it and to admins');

export const clockSchema = z.object({
  time: z.number().describe('The market time: open of the current bar (ms since the epoch)'),
  date: validText().describe('The market date (YYYY-MM-DD)'),
  state: z
    .enum(['running', 'paused', 'lockstep', 'live'])
    .describe('running or paused (a replay); lockstep: a replay that moves one step once every registered consumer acknowledged the current one; live: a live venue on the wall clock, not controllable'),
  ended: z.boolean().describe('The replay reached its end date (or its last bar) and stands there'),
  barsPerSecond: z.number().nullable().describe('Replay speed in bars per second; null for a live venue'),
  startDate: validText().nullable().describe('The day the replay (re)started from'),
  endDate: validText().nullable().describe('The last day the replay moves to; null: to its last bar'),
  epoch: z.number().int().describe('Counts restarts: the clock moves backwards only when this grows'),
  consumers: z.array(lockstepConsumerSchema.extend({ id: listedConsumerId })).describe('Registered lockstep consumers; in lockstep the clock waits for each of them'),
  dropped: z
    .array(z.object({ id: listedConsumerId, ...lockstepConsumerFields, droppedWallMs: z.number().describe('Wall time (ms) it was dropped') }))
    .describe('The latest consumers dropped for not acknowledging within CLOCK_CONSUMER_TIMEOUT_MS, newest last'),
});
export type ClockDto = z.infer<typeof clockSchema>;

/** Largest replay speed an admin may set: each step releases a bar of every symbol. */
export const MAX_BARS_PER_SECOND = 1000;
export const clockActionSchema = z.enum(['pause', 'resume', 'step', 'speed', 'restart', 'lockstep'], { error: 'must be one of pause, resume, step, speed, restart, lockstep' });
/** Which fields each action takes: required ones, and every other one must be omitted. */
const clockFieldsOf = { pause: [], resume: [], step: ['bars'], speed: ['barsPerSecond'], restart: ['startDate'], lockstep: [] } as const;
const optionalClockFields = { restart: ['endDate'] } as Partial<Record<z.infer<typeof clockActionSchema>, readonly string[]>>;

/**
 * POST /api/v1/clock (admin): pause, resume, step N bars while paused, set the speed, restart from a
 * date, or enter lockstep (resume and pause leave it).
 */
export const clockControlSchema = z
  .strictObject({
    action: clockActionSchema,
    bars: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional()
      .describe('step: how many bars to release (the clock must be paused)'),
    barsPerSecond: z.number({ error: 'must be a number' }).finite('must be a finite number').min(0.01, 'must be at least 0.01').max(MAX_BARS_PER_SECOND, `must be at most ${MAX_BARS_PER_SECOND}`).optional()
      .describe('speed: the new replay speed'),
    startDate: calendarDateSchema.optional().describe('restart: the first day shown (YYYY-MM-DD); the clock moves back if it is earlier'),
    endDate: calendarDateSchema.optional().describe('restart: the last day the replay moves to; omitted, to its last bar'),
  })
  .superRefine((body, ctx) => {
    const required: readonly string[] = clockFieldsOf[body.action];
    const allowed = [...required, ...(optionalClockFields[body.action] ?? [])];
    for (const field of ['bars', 'barsPerSecond', 'startDate', 'endDate'] as const) {
      if (required.includes(field) && body[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for action ${body.action}` });
      if (!allowed.includes(field) && body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `must be omitted for action ${body.action}` });
    }
    if (body.startDate && body.endDate && body.endDate < body.startDate) ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' });
  });
export type ClockControl = z.infer<typeof clockControlSchema>;
export const clockControlResponseSchema = clockSchema.extend({
  restarted: z.boolean().describe('The action restarted the replay: the clock may have moved backwards (a new epoch)'),
});
export type ClockControlResponse = z.infer<typeof clockControlResponseSchema>;

/** POST /api/v1/clock/consumers: a lockstep consumer registers (an admin or the scanner's credential); the answer carries its id. */
export const registerConsumerSchema = z.strictObject({
  name: validText({ error: 'is required' }).regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits, dot, colon, dash or underscore').describe('Who it is, shown in GET /api/v1/clock (e.g. scanner)'),
});
export const consumerParamsSchema = z.object({ id: validText().uuid('must be a consumer id (UUID) from POST /api/v1/clock/consumers') });
/** POST /api/v1/clock/consumers/:id/ack: the consumer finished the step at `time` (the clock's current time). */
export const clockAckSchema = z.strictObject({
  time: z.number({ error: 'must be a number' }).int('must be a whole number of ms').describe('The market time of the step it finished: the clock\'s current time'),
});
export const clockConsumerResponseSchema = z.object({ consumer: lockstepConsumerSchema, clock: clockSchema });
export type ClockConsumerResponse = z.infer<typeof clockConsumerResponseSchema>;

/** WebSocket /ws channels; a client subscribes with {type:'subscribe', channels, symbols?}. */
export const wsChannelSchema = z.enum(['quotes', 'bars', 'signals', 'orders', 'fills', 'clock', 'steps']);
export type WsChannel = z.infer<typeof wsChannelSchema>;
export const wsClientMessageSchema = z.object({
  type: z.enum(['subscribe', 'unsubscribe']),
  channels: z.array(wsChannelSchema).min(1),
  symbols: z.array(symbolSchema).optional(),
});
export type WsClientMessage = z.infer<typeof wsClientMessageSchema>;
/**
 * A lockstep consumer's acknowledgement over the socket (trader or admin tokens), the same as
 * POST /api/v1/clock/consumers/:id/ack without an HTTP request per step. Nothing is answered on
 * success (the next step's message follows); a refusal comes back as an `error` message with the
 * HTTP status the REST route would answer (404: register again; 409: not the current step).
 */
export const wsAckMessageSchema = z.strictObject({
  type: z.literal('ack'),
  consumer: consumerParamsSchema.shape.id,
  time: clockAckSchema.shape.time,
  /**
   * The step's signals, stored (once per id, as POST /api/v1/signals/batch stores them) before the
   * acknowledgement counts: a lockstep scanner's step in one message. A refused acknowledgement
   * may or may not have stored them; posting them again is harmless.
   */
  signals: signalBatchSchema.shape.signals.optional(),
});
export type WsAckMessage = z.infer<typeof wsAckMessageSchema>;
/**
 * A `steps` message: every bar the clock released since the previous one, in one message, with the
 * clock as of them (in lockstep: one step; a consumer acknowledges `clock.time` once done with them).
 */
export const stepMessageSchema = z.object({ clock: clockSchema, bars: z.array(barSchema) });
export type StepMessage = z.infer<typeof stepMessageSchema>;
/** Every server message: {channel, data} where data is a Quote, Bar, Signal, Order, Fill, Clock (on a change of state, speed, epoch or lockstep step) or StepMessage. */
export interface WsServerMessage {
  channel: WsChannel | 'error' | 'subscribed';
  data: unknown;
}
