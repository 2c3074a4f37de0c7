import { sizeToTarget } from '@tradeyard/backtest';
import type { CostModel } from '@tradeyard/fill-engine';
import type { OcoGroup, Order, Portfolio } from '@tradeyard/gateway-contract';
import { isoDate } from '@tradeyard/market-data';
import { fromMicros, toMicros } from '@tradeyard/money';
import type { Decision, ValidOrder } from '@tradeyard/strategy';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { resultText } from './mcp-tools-client';

/** The MCP tools a live strategy trades through (McpToolsClient, or an arena agent's client). */
export interface StrategyTools {
  call<T>(name: string, args?: Record<string, unknown>): Promise<T>;
  callRaw(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

/** A decision made at a step's close, with the symbols that had a bar then (targets leave the others alone). */
export interface TimedDecision {
  time: number;
  current: ReadonlySet<string>;
  decision: Decision;
}

/** What a cycle's decisions come to, as the backtester treats them: the last target of each symbol, explicit orders, cancels. */
export interface Plan {
  targets: Map<string, { weight: number; reason: string | null; decidedAt: number }>;
  /** `group`: the one-cancels-other group the order belongs to, named apart from other decisions' groups. */
  orders: Array<{ order: ValidOrder; reason: string | null; decidedAt: number; group: string | null }>;
  cancels: Array<readonly string[] | 'all'>;
}

/**
 * Merges decisions in the order they were made: a symbol with a bar at a targets decision (or one
 * it names) takes its weight (0 when left out); a later target of a symbol replaces an earlier one;
 * cancelling 'all' drops the targets decided before it (libs/portfolio-backtest's engine, `apply`).
 */
export function planOf(decisions: readonly TimedDecision[], symbols: readonly string[]): Plan {
  const plan: Plan = { targets: new Map(), orders: [], cancels: [] };
  decisions.forEach(({ time, current, decision }, index) => {
    const reason = decision.reason ?? null;
    if (decision.kind === 'targets') {
      for (const symbol of symbols) {
        const weight = decision.weights[symbol];
        if (weight !== undefined || current.has(symbol)) plan.targets.set(symbol, { weight: weight ?? 0, reason, decidedAt: time });
      }
      return;
    }
    if (decision.cancel === 'all') plan.targets.clear();
    if (decision.cancel === 'all' || decision.cancel.length > 0) plan.cancels.push(decision.cancel);
    for (const order of decision.orders) plan.orders.push({ order, reason: order.reason ?? reason, decidedAt: time, group: order.ocoGroup === undefined ? null : `${index}/${order.ocoGroup}` });
  });
  return plan;
}

/** clientOrderId the tools take at most. */
const MAX_CLIENT_ORDER_ID = 100;

/** A bar time as the date (and the time of day, for intraday bars), compact: 20240105 or 20240105T1430. */
const compactTime = (time: number) => {
  const iso = new Date(time).toISOString();
  const date = isoDate(time).replaceAll('-', '');
  return iso.slice(11, 16) === '00:00' ? date : `${date}T${iso.slice(11, 13)}${iso.slice(14, 16)}`;
};

/**
 * The clientOrderId of an order a live strategy places: who (`prefix`), when it was decided and
 * which order, then `~reason`. The same decision names the same order after a restart, so the
 * gateway's idempotency keeps a retried placement from trading twice; the broker keeps it with the
 * order. A reason that would make it longer than the tools take is cut (the run log has it whole).
 */
export function strategyOrderKey(prefix: string, decidedAt: number, which: string, reason: string | null): string {
  const key = `${prefix}-${compactTime(decidedAt)}-${which}`;
  return (reason === null ? key : `${key}~${reason}`).slice(0, MAX_CLIENT_ORDER_ID);
}

/** The fields of `fields` that are set: the tools take an absent field, not an undefined one. */
const definedFields = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));

/** An explicit SDK order as the buy and sell tools take it (a bracket's takeProfit/stopLoss as the broker's prices). */
export function orderArguments(order: ValidOrder, clientOrderId: string): Record<string, unknown> {
  const { symbol, quantity, type, limitPrice, stopPrice, trailAmount, trailPercent, timeInForce, expireDate, takeProfit, stopLoss } = order;
  const fields = { symbol, quantity, type, limitPrice, stopPrice, trailAmount, trailPercent, timeInForce, expireDate, takeProfitPrice: takeProfit, stopLossPrice: stopLoss, clientOrderId };
  return definedFields(fields);
}

/** A one-cancels-other group as the place_oco tool takes it: the symbol, time in force and date are the group's, the rest each order's. */
export function ocoArguments(orders: readonly ValidOrder[], clientOrderId: string): Record<string, unknown> {
  const [{ symbol, timeInForce, expireDate }] = orders;
  const legs = orders.map(({ side, quantity, type, limitPrice, stopPrice, trailAmount, trailPercent }) => definedFields({ side, quantity, type, limitPrice, stopPrice, trailAmount, trailPercent }));
  return definedFields({ symbol, orders: legs, timeInForce, expireDate, clientOrderId });
}

/** One order placed (or refused: `error`), with what the strategy named it. */
export interface PlacedOrder {
  order?: Order;
  args: Record<string, unknown>;
  reason: string | null;
  decidedAt: number;
  clientId: string | null;
  error?: string;
}

export interface ExecutionInput {
  plan: Plan;
  tools: StrategyTools;
  prefix: string;
  /** The account when the strategy decided: equity sizes the targets, as at the backtester's open. */
  portfolio: Portfolio;
  /** Open orders then, and the strategy's names of them (id or clientId → broker id). */
  openOrders: readonly Order[];
  names: Readonly<Record<string, { clientId: string | null }>>;
  /** The latest close of a symbol: the price a market order fills at now, and targets are sized at. */
  price(symbol: string): number;
  costs: CostModel;
}

/**
 * Places a cycle's plan through the tools, in the backtester's order: cancels, the sells that
 * targets need, explicit orders, then the buys (sized on the same equity, capped by the cash then
 * left). Targets are sized by libs/backtest `sizeToTarget`, in whole shares, at the latest close.
 * A refused order is reported and the rest go on.
 */
export async function executePlan(input: ExecutionInput): Promise<PlacedOrder[]> {
  const { plan, tools, prefix, portfolio, costs } = input;
  const placed: PlacedOrder[] = [];
  const place = async (tool: 'buy' | 'sell', args: Record<string, unknown>, meta: Omit<PlacedOrder, 'args' | 'order' | 'error'>) => {
    const result = await tools.callRaw(tool, args);
    const order = result.structuredContent as Order | undefined;
    const entry: PlacedOrder = { ...meta, args, ...(order?.id ? { order } : {}), ...(result.isError ? { error: resultText(result) } : {}) };
    placed.push(entry);
    return entry;
  };

  await cancelOrders(input, placed);

  const equity = toMicros(portfolio.equity);
  let cash = toMicros(portfolio.cash);
  const held = (symbol: string) => toMicros(portfolio.positions.find((p) => p.symbol === symbol)?.quantity ?? 0);
  const sized = (symbol: string, weight: number) => sizeToTarget(weight, equity, cash, held(symbol), toMicros(input.price(symbol)), costs, true);
  const buys: string[] = [];
  for (const [symbol, target] of plan.targets) {
    const order = sized(symbol, target.weight);
    if (order?.side === 'buy') buys.push(symbol);
    if (order?.side !== 'sell') continue;
    const done = await place('sell', { symbol, quantity: fromMicros(order.quantity), clientOrderId: strategyOrderKey(prefix, target.decidedAt, symbol, target.reason) }, { reason: target.reason, decidedAt: target.decidedAt, clientId: null });
    cash += proceeds(done.order);
  }
  let n = 0;
  const groupsPlaced = new Set<string>();
  for (const { order, reason, decidedAt, group } of plan.orders) {
    if (group === null) {
      const which = order.clientId ?? `${++n}-${order.symbol}`;
      const done = await place(order.side, orderArguments(order, strategyOrderKey(prefix, decidedAt, which, reason)), { reason, decidedAt, clientId: order.clientId ?? null });
      cash += proceeds(done.order);
    } else if (!groupsPlaced.has(group)) {
      groupsPlaced.add(group);
      const members = plan.orders.filter((o) => o.group === group);
      const args = ocoArguments(members.map((m) => m.order), strategyOrderKey(prefix, decidedAt, `oco-${order.ocoGroup}`, reason));
      for (const done of await placeGroup(tools, args, members)) {
        placed.push(done);
        cash += proceeds(done.order);
      }
    }
  }
  for (const symbol of buys) {
    const target = plan.targets.get(symbol)!;
    const order = sized(symbol, target.weight);
    if (order?.side !== 'buy') continue;
    const done = await place('buy', { symbol, quantity: fromMicros(order.quantity), clientOrderId: strategyOrderKey(prefix, target.decidedAt, symbol, target.reason) }, { reason: target.reason, decidedAt: target.decidedAt, clientId: null });
    cash += proceeds(done.order);
  }
  return placed;
}

/** Places a one-cancels-other group through place_oco: one entry per order of it, each with its strategy's name and reason. */
async function placeGroup(tools: StrategyTools, args: Record<string, unknown>, members: Plan['orders']): Promise<PlacedOrder[]> {
  const result = await tools.callRaw('place_oco', args);
  const orders = (result.structuredContent as OcoGroup | undefined)?.orders ?? [];
  // A refused group is one error, reported on its first order.
  const error = result.isError ? { error: resultText(result) } : {};
  return members.map(({ order, reason, decidedAt }, index) => ({ args, reason, decidedAt, clientId: order.clientId ?? null, ...(orders[index] ? { order: orders[index] } : {}), ...(index === 0 ? error : {}) }));
}

/** The cash an order's fills moved so far: + for a sale, − for a purchase, fees paid either way. */
function proceeds(order: Order | undefined): bigint {
  if (!order || order.filledQuantity === 0 || order.avgFillPrice === null) return 0n;
  const value = toMicros(order.filledQuantity * order.avgFillPrice);
  return (order.side === 'sell' ? value : -value) - toMicros(order.fees);
}

/** Cancels the open orders the plan names (ids or the strategy's clientIds, or all); one already closed (a bracket sibling) is no error. */
async function cancelOrders(input: ExecutionInput, placed: PlacedOrder[]): Promise<void> {
  const { plan, openOrders, names, tools } = input;
  const chosen = new Set<string>();
  for (const which of plan.cancels) {
    for (const order of openOrders) {
      if (which === 'all' || which.includes(order.id) || (names[order.id]?.clientId != null && which.includes(names[order.id].clientId!))) chosen.add(order.id);
    }
  }
  for (const orderId of chosen) {
    const result = await tools.callRaw('cancel_order', { orderId });
    if (result.isError && !/illegal_transition/.test(resultText(result))) placed.push({ args: { orderId }, reason: null, decidedAt: NaN, clientId: null, error: resultText(result) });
  }
}
