import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  arenaBoardSchema,
  arenaRunIdSchema,
  GatewayClient,
  GatewayError,
  MAX_OCO_ORDERS,
  calendarDateSchema,
  ocoGroupSchema,
  clockSchema,
  orderNumberSchema,
  orderTypeSchema,
  orderSchema,
  orderStatusSchema,
  portfolioSchema,
  quoteDtoSchema,
  SERVED_INTERVALS,
  symbolListSchema,
  servedIntervalSchema,
  signalSchema,
  timeInForceSchema,
  type PlaceOrder,
  validText,
} from '@tradeyard/gateway-contract';
import { barSchema } from '@tradeyard/market-data';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CalculationError, MAX_EXPRESSION_LENGTH } from './calculator';
import type { CalculatorPool } from './calculator-pool';
import { leaderboardText } from './leaderboard';

/** Wall time any tool call may take; the gateway client's own timeout (10 s) comes first. */
export const TOOL_TIMEOUT_MS = 15_000;
/** Largest tool result (its JSON text, in characters) sent to a client. */
export const MAX_TOOL_OUTPUT_CHARS = 512 * 1024;

export interface TradingToolsOptions {
  /** Gateway client carrying the client's own credential (or mcp-tools' MCP_TOOLS_TOKEN, the 'agent' paper account). */
  gateway: GatewayClient;
  /** Evaluates `calculate` expressions off the main thread, bounded in time and memory. */
  calculator: Pick<CalculatorPool, 'calculate'>;
  version?: string;
  /** Overrides TOOL_TIMEOUT_MS / MAX_TOOL_OUTPUT_CHARS (tests). */
  limits?: { timeoutMs?: number; maxOutputChars?: number };
}

// Tool inputs accept lower-case symbols and plain dates, since models write them that way.
const symbolInput = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9._-]{0,19}$/, 'must be a ticker of 1-20 letters, digits, dot, dash or underscore')
  .describe('Ticker symbol, e.g. SPX, MSFT or SYN000; list_symbols lists the universe');
const dateInput = (what: string) => calendarDateSchema.describe(what);
const orderNumber = (what: string) => orderNumberSchema.describe(what);

const orderInput = {
  symbol: symbolInput,
  quantity: orderNumber('Number of shares; fractions are allowed'),
  type: orderTypeSchema
    .optional()
    .describe(
      'market, limit, stop, stop_limit, trailing_stop, market_on_open (fills at the next session\'s open) or market_on_close (fills at the next bar\'s close); omitted, it follows from the prices given: limitPrice → limit, stopPrice → stop, both → stop_limit, a trail → trailing_stop, none → market',
    ),
  limitPrice: orderNumber('Limit price (limit, stop_limit); omit for a market order that fills at the current price').optional(),
  stopPrice: orderNumber('Trigger price (stop, stop_limit): a sell stop fires when the price falls to it, a buy stop when it rises to it').optional(),
  trailAmount: orderNumber('trailing_stop: the trail as an amount of price behind the best price since placement').optional(),
  trailPercent: orderNumber('trailing_stop: the trail as a percent (below 100) of the best price since placement').optional(),
  timeInForce: timeInForceSchema
    .optional()
    .describe('gtc (default: rests until filled or cancelled), day, ioc (fill what can be now, expire the rest), fok (fill all now or nothing), gtd (rests through expireDate)'),
  expireDate: dateInput('gtd: the last market date (YYYY-MM-DD) the order is good for, not before the market clock\'s date').optional(),
  takeProfitPrice: orderNumber('Bracket: once this order fills, a limit order on the other side at this price (e.g. a buy\'s take-profit above the price)').optional(),
  stopLossPrice: orderNumber('Bracket: once this order fills, a stop order on the other side at this price; the two exits cancel each other').optional(),
  clientOrderId: validText()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .optional()
    .describe('Your id for this order; sending the same id again returns the first order instead of trading twice'),
};

/** The order type the prices given imply, for an order that does not name one. */
function impliedType(fields: { limitPrice?: number; stopPrice?: number; trailAmount?: number; trailPercent?: number }): PlaceOrder['type'] {
  if (fields.trailAmount !== undefined || fields.trailPercent !== undefined) return 'trailing_stop';
  if (fields.stopPrice !== undefined) return fields.limitPrice === undefined ? 'stop' : 'stop_limit';
  return fields.limitPrice === undefined ? 'market' : 'limit';
}

const text = (value: unknown) => [{ type: 'text' as const, text: JSON.stringify(value) }];
const ok = (structured: Record<string, unknown>): CallToolResult => ({ content: text(structured), structuredContent: structured });
const toolError = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

/** The gateway's own words for a failure (its message names the field and the rule), else the cause. */
function describeFailure(tool: string, err: unknown): string {
  if (err instanceof GatewayError) {
    const details = err.body.details?.length ? ` (${err.body.details.map((d) => `${d.field}: ${d.rule}`).join('; ')})` : '';
    return `${tool} failed: ${err.body.message}${details} [gateway ${err.status} ${err.body.error}]`;
  }
  // Not `instanceof Error`: fetch's TypeError may come from another realm.
  const { message, cause } = (err ?? {}) as { message?: string; cause?: { message?: string } };
  const why = cause?.message ? `${message} (${cause.message})` : (message ?? String(err));
  return `${tool} failed: gateway unreachable or answered badly: ${why}`;
}

/** A tool error for a result over the output size limit, else the result. */
function capOutput(tool: string, result: CallToolResult, maxChars: number): CallToolResult {
  const size = JSON.stringify(result.content).length + (result.structuredContent ? JSON.stringify(result.structuredContent).length : 0);
  if (size <= maxChars) return result;
  return toolError(`${tool} failed: output size limit: the result is ${size} characters, more than ${maxChars}; ask for less (a smaller limit or date range)`);
}

const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** Builds an MCP server with every Tradeyard trading tool, acting for one account (mountMcpEndpoint reuses it for that account). */
export function createTradingMcpServer({ gateway, calculator, version = '0.1.0', limits = {} }: TradingToolsOptions): McpServer {
  const server = new McpServer({ name: 'tradeyard-mcp-tools', version });
  const timeoutMs = limits.timeoutMs ?? TOOL_TIMEOUT_MS;
  const maxOutputChars = limits.maxOutputChars ?? MAX_TOOL_OUTPUT_CHARS;

  /**
   * Runs a tool body within the time and output bounds; any gateway or runtime failure becomes
   * a tool error whose text says why.
   */
  const guarded = async (tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CallToolResult>((resolve) => {
      timer = setTimeout(() => resolve(toolError(`${tool} failed: time limit: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return capOutput(tool, await Promise.race([body(), deadline]), maxOutputChars);
    } catch (err) {
      if (err instanceof CalculationError) return toolError(`${tool} failed: ${err.message}`);
      return toolError(describeFailure(tool, err));
    } finally {
      clearTimeout(timer);
    }
  };

  server.registerTool(
    'get_price',
    {
      title: 'Get price',
      description:
        'Latest price of a symbol on the platform feed, as of the market clock. Returns price, the bar time (ms epoch UTC) and its date. Use list_symbols to see what is tradable.',
      inputSchema: { symbol: symbolInput },
      outputSchema: quoteDtoSchema.shape,
      annotations: { readOnlyHint: true },
    },
    ({ symbol }) => guarded('get_price', async () => ok(await gateway.getQuote(symbol))),
  );

  server.registerTool(
    'get_history',
    {
      title: 'Get price history',
      description:
        `OHLCV bars of a symbol, oldest first: the most recent \`limit\` bars opening between \`from\` and \`to\` (inclusive dates, UTC). Bar \`time\` is the bar open in ms since the epoch. Each symbol has its own interval and those aggregated from it (list_symbols gives them; weeks from Monday, calendar months, the current one partial up to the market clock); others are refused with the list.`,
      inputSchema: {
        symbol: symbolInput,
        from: dateInput('First date to include, YYYY-MM-DD').optional(),
        to: dateInput('Last date to include, YYYY-MM-DD').optional(),
        interval: servedIntervalSchema.optional().describe(`Bar length: ${SERVED_INTERVALS.join(', ')}; default the symbol's own`),
        limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(2000, 'must be at most 2000').default(100).describe('Most bars to return (default 100)'),
      },
      outputSchema: { symbol: z.string(), interval: servedIntervalSchema.optional(), bars: z.array(barSchema) },
      annotations: { readOnlyHint: true },
    },
    ({ symbol, from, to, interval, limit }) =>
      guarded('get_history', async () => {
        if (from && to && from > to) return toolError('get_history failed: from must not be after to');
        return ok({ symbol, interval, bars: await gateway.getBars(symbol, { from, to, interval, limit }) });
      }),
  );

  server.registerTool(
    'calculate',
    {
      title: 'Calculate',
      description:
        'Evaluates a math expression exactly as written: + - * / ^ %, parentheses, functions such as sqrt, log, exp, abs, round, min, max, mean, median, std, and units (e.g. "100 * 1.05^10", "mean(3, 4, 8)", "sqrt(252) * 0.01"). Variables may be assigned within one expression ("a = 2; a * 3"); defining functions is not allowed. Bounded: matrices up to 100,000 elements, strings up to 10,000 characters, about 1 s of work; a non-finite result (overflow, 0/0) is an error.',
      inputSchema: {
        expression: validText().min(1, 'must not be empty').max(MAX_EXPRESSION_LENGTH, `must be at most ${MAX_EXPRESSION_LENGTH} characters`).describe('The expression'),
      },
      outputSchema: { expression: z.string(), result: z.string(), value: z.number().optional() },
      annotations: { readOnlyHint: true },
    },
    ({ expression }) => guarded('calculate', async () => ok({ ...(await calculator.calculate(expression)) })),
  );

  server.registerTool(
    'search_signals',
    {
      title: 'Search signals',
      description:
        'Signals the market scanner raised (a rule firing on a bar, with the indicator values), newest first. Filter by symbol, rule (its id or its expression) and date range.',
      inputSchema: {
        symbol: symbolInput.optional(),
        rule: validText().min(1).max(500).optional().describe('A scan rule id (e.g. rsi-oversold) or a rule expression (e.g. rsi(14) < 30)'),
        from: dateInput('Only signals on bars from this date on, YYYY-MM-DD').optional(),
        to: dateInput('Only signals on bars up to this date (inclusive), YYYY-MM-DD').optional(),
        limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50).describe('Most signals to return (default 50)'),
      },
      outputSchema: { signals: z.array(signalSchema) },
      annotations: { readOnlyHint: true },
    },
    ({ symbol, rule, from, to, limit }) =>
      guarded('search_signals', async () => {
        const query = {
          symbol,
          rule,
          limit,
          from: from === undefined ? undefined : dayStart(from),
          to: to === undefined ? undefined : dayStart(to) + 86_400_000 - 1,
        };
        return ok({ signals: await gateway.searchSignals(query) });
      }),
  );

  server.registerTool(
    'get_clock',
    {
      title: 'Get market clock',
      description:
        'The market clock every tool answers as of: its time and date (no bar, quote or signal after it is visible), whether the replay is running, paused or in lockstep (moving one step once every registered consumer acknowledged the current one; live for a live venue), its speed in bars per second, its start and end dates, whether it reached the end, and the lockstep consumers with their last acknowledgement.',
      inputSchema: {},
      outputSchema: clockSchema.shape,
      annotations: { readOnlyHint: true },
    },
    () => guarded('get_clock', async () => ok(await gateway.getClock())),
  );

  server.registerTool(
    'list_symbols',
    {
      title: 'List symbols',
      description:
        'Every symbol the platform has market data for and can trade: name, data source, bar interval and the intervals get_history serves for it, first and last date as of the market clock, and whether its live feed is stale.',
      inputSchema: {},
      outputSchema: { symbols: symbolListSchema },
      annotations: { readOnlyHint: true },
    },
    () => guarded('list_symbols', async () => ok({ symbols: await gateway.listSymbols() })),
  );

  server.registerTool(
    'get_leaderboard',
    {
      title: 'Get arena leaderboard',
      description:
        'The leaderboard of an arena run (agents trading the same market with the same cash and costs): the ranking with total return, Sharpe, drawdown, trades, fees and the other statistics, buy-and-hold as an unranked benchmark row, and for each compared pair whether the difference is distinguishable from luck. Without runId, the most recently updated run.',
      inputSchema: { runId: arenaRunIdSchema.optional().describe('Arena run id; omit for the newest run') },
      outputSchema: arenaBoardSchema.shape,
      annotations: { readOnlyHint: true },
    },
    ({ runId }) =>
      guarded('get_leaderboard', async () => {
        const id = runId ?? (await gateway.listArenaRuns())[0]?.runId;
        if (!id) return toolError('get_leaderboard failed: no arena run has published a leaderboard yet');
        const board = await gateway.getArenaBoard(id);
        // The equity curves are for charts (hundreds of points a row): a model reads the statistics.
        const rows = board.rows.map(({ equity: _equity, ...row }) => row);
        return { content: [{ type: 'text', text: leaderboardText(board) }], structuredContent: { ...board, rows } };
      }),
  );

  const placeOrder = (side: 'buy' | 'sell') =>
    ({ clientOrderId, type, ...fields }: Omit<PlaceOrder, 'side'> & { clientOrderId?: string }) =>
      guarded(side, async () => {
        // The gateway checks the combination (which prices each type takes) and answers 400 naming the field.
        const order: PlaceOrder = { ...fields, side, type: type ?? impliedType(fields) };
        // The gateway dedupes on the key; a client id makes a retried call safe, else each call is a new order.
        const placed = await gateway.placeOrder(order, clientOrderId ? `mcp-${clientOrderId}` : randomUUID());
        if (placed.status === 'denied' || placed.status === 'rejected') {
          return { ...toolError(`${side} ${placed.status} (${placed.reasonCode ?? 'no code'}): ${placed.reason ?? 'no reason given'}`), structuredContent: placed };
        }
        return ok(placed);
      });
  const orderDescription = (side: 'buy' | 'sell') =>
    `${side === 'buy' ? 'Buys' : 'Sells'} shares on the paper account through the gateway's broker. Without prices it is a market order that fills at the current price; with limitPrice it rests until the price ${side === 'buy' ? 'falls to' : 'rises to'} it; stopPrice, stopPrice with limitPrice, and trailAmount or trailPercent make stop, stop-limit and trailing-stop orders (${side === 'sell' ? 'e.g. a stop-loss below the price' : 'e.g. a breakout entry above the price'}); timeInForce says how long it rests; takeProfitPrice and stopLossPrice make it a bracket (its exits rest once it fills and cancel each other). Returns the order with status (filled, accepted while it rests, denied), filled quantity, average fill price and fees. A denied order (e.g. not enough cash${side === 'sell' ? ' or free shares' : ''}) is an error with its reason code and the reason.`;
  for (const side of ['buy', 'sell'] as const) {
    server.registerTool(
      side,
      {
        title: side === 'buy' ? 'Buy' : 'Sell',
        description: orderDescription(side),
        inputSchema: orderInput,
        outputSchema: orderSchema.shape,
        annotations: { destructiveHint: false, idempotentHint: false },
      },
      placeOrder(side),
    );
  }

  // One order of a group: its side and the prices buy and sell take; symbol, time in force and date are the group's.
  const { quantity, type, limitPrice, stopPrice, trailAmount, trailPercent } = orderInput;
  const legInput = { side: z.enum(['buy', 'sell']).describe('buy or sell'), quantity, type, limitPrice, stopPrice, trailAmount, trailPercent };
  server.registerTool(
    'place_oco',
    {
      title: 'Place one-cancels-other orders',
      description:
        'Places two to ten resting orders of one symbol as a one-cancels-other group: the first of them to fill (even partly) or to close cancels the others at once, so at most one trades. E.g. a take-profit sell limit above the price with a stop-loss sell stop below it, or a breakout buy stop above with a buy limit below. The group holds the cash or shares of its largest order once. Returns the group id and its orders; if any order is denied (e.g. not enough cash or shares), all are, and it is an error with the reason.',
      inputSchema: {
        symbol: symbolInput,
        orders: z
          .array(z.object(legInput))
          .min(2, 'must hold at least 2 orders')
          .max(MAX_OCO_ORDERS, `must hold at most ${MAX_OCO_ORDERS} orders`)
          .describe('The orders of the group, in the order a bar that reaches several of them fills them'),
        timeInForce: z.enum(['gtc', 'day', 'gtd']).optional().describe('How long the whole group rests: gtc (default), day, or gtd (through expireDate)'),
        expireDate: orderInput.expireDate,
        clientOrderId: orderInput.clientOrderId,
      },
      outputSchema: ocoGroupSchema.shape,
      annotations: { destructiveHint: false, idempotentHint: false },
    },
    ({ symbol, orders, timeInForce, expireDate, clientOrderId }) =>
      guarded('place_oco', async () => {
        const group = { orders: orders.map(({ type, ...fields }) => ({ ...fields, symbol, type: type ?? impliedType(fields), timeInForce, expireDate })) };
        const placed = await gateway.placeOcoOrders(group, clientOrderId ? `mcp-${clientOrderId}` : randomUUID());
        const denied = placed.orders.find((o) => o.status === 'denied' && o.reasonCode !== 'denied_oco_group');
        if (denied) return { ...toolError(`place_oco denied (${denied.reasonCode ?? 'no code'}): ${denied.reason ?? 'no reason given'}`), structuredContent: placed };
        return ok(placed);
      }),
  );

  server.registerTool(
    'cancel_order',
    {
      title: 'Cancel order',
      description:
        'Cancels an open order (accepted or partially filled) by its id; cancelling one order of a one-cancels-other group or one exit of a bracket cancels the others with it. Filled or already closed orders cannot be cancelled.',
      inputSchema: { orderId: validText().min(1, 'must not be empty').max(100).describe('Order id returned by buy, sell or get_orders') },
      outputSchema: orderSchema.shape,
    },
    ({ orderId }) => guarded('cancel_order', async () => ok(await gateway.cancelOrder(orderId))),
  );

  server.registerTool(
    'get_portfolio',
    {
      title: 'Get portfolio',
      description: 'The paper account: cash, equity, positions (quantity, average price, market value, P&L).',
      inputSchema: {},
      outputSchema: portfolioSchema.shape,
      annotations: { readOnlyHint: true },
    },
    () => guarded('get_portfolio', async () => ok(await gateway.getPortfolio())),
  );

  server.registerTool(
    'get_orders',
    {
      title: 'Get orders',
      description: 'Orders of the paper account, newest first, optionally only one status or symbol.',
      inputSchema: {
        status: orderStatusSchema.optional().describe('accepted, partially_filled, filled, cancelled, expired, denied or rejected'),
        symbol: symbolInput.optional(),
        limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50).describe('Most orders to return (default 50)'),
      },
      outputSchema: { orders: z.array(orderSchema) },
      annotations: { readOnlyHint: true },
    },
    (query) => guarded('get_orders', async () => ok({ orders: await gateway.getOrders(query) })),
  );

  return server;
}
