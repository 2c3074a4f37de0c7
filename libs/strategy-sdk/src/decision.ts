import { MAX_OCO_ORDERS, ocoGroupIssues, orderTypes, priceFieldsOf, timesInForce, type OrderType, type TimeInForce } from '@tradeyard/fill-engine';
import { z } from 'zod';

/** Why a decision was made: a short tag carried by its orders, fills and trades (`top-momentum`). */
export const reasonSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$/, 'must be 1-64 letters, digits, spaces or . _ : / -');

const price = (what: string) => z.number({ error: `${what} must be a number` }).finite(`${what} must be finite`).positive(`${what} must be above 0`);


/**
 * An explicit order a strategy places: every order type, time in force and bracket exit the fill
 * engine knows. It goes out at the next bar of its symbol (it arrives at that bar's open).
 * `takeProfit` / `stopLoss` make it a bracket entry: once it has filled, a limit and a stop order
 * on the other side for the filled quantity rest from the next bar, and one cancels the other.
 */
export const orderRequestSchema = z
  .strictObject({
    symbol: z.string({ error: 'symbol must be a string' }),
    side: z.enum(['buy', 'sell'], { error: 'side must be buy or sell' }),
    /** Shares (fractions allowed unless the run trades whole shares). */
    quantity: z.number({ error: 'quantity must be a number' }).finite('quantity must be finite').positive('quantity must be above 0'),
    type: z.enum(orderTypes, { error: `type must be one of ${orderTypes.join(', ')}` }).default('market'),
    limitPrice: price('limitPrice').optional(),
    stopPrice: price('stopPrice').optional(),
    trailAmount: price('trailAmount').optional(),
    trailPercent: price('trailPercent').max(99.999999, 'trailPercent must be below 100').optional(),
    timeInForce: z.enum(timesInForce, { error: `timeInForce must be one of ${timesInForce.join(', ')}` }).default('gtc'),
    /** gtd: the last market date (YYYY-MM-DD) the order may fill on; it expires on the first bar after. */
    expireDate: z.iso.date('expireDate must be a date YYYY-MM-DD').optional(),
    takeProfit: price('takeProfit').optional(),
    stopLoss: price('stopLoss').optional(),
    /**
     * Orders of one decision with the same `ocoGroup` form a one-cancels-other group: the first of
     * them to trade (a partial fill included) or to close cancels the others, so at most one
     * trades. Two to ten orders of one symbol that rest together (day, gtc or gtd, the same for
     * all, with the same expireDate); no bracket exits on them (a bracket is a group of its own).
     */
    ocoGroup: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'ocoGroup must be 1-64 letters, digits or . _ : -').optional(),
    /** The strategy's own name for the order, unique in a run, to find it in openOrders and cancel it. */
    clientId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'clientId must be 1-64 letters, digits or . _ : -').optional(),
    /** Overrides the decision's reason for this order. */
    reason: reasonSchema.optional(),
  })
  .superRefine((order, ctx) => {
    const required = priceFieldsOf[order.type];
    for (const field of ['limitPrice', 'stopPrice'] as const) {
      if (required.includes(field) && order[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required for a ${order.type} order` });
      if (!required.includes(field) && order[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} must be omitted for a ${order.type} order` });
    }
    if ((order.timeInForce === 'gtd') !== (order.expireDate !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['expireDate'], message: order.timeInForce === 'gtd' ? 'expireDate is required for a gtd order' : 'expireDate is only for a gtd order' });
    }
    const trails = (['trailAmount', 'trailPercent'] as const).filter((field) => order[field] !== undefined);
    if (order.type === 'trailing_stop' && trails.length !== 1) ctx.addIssue({ code: 'custom', path: ['trailAmount'], message: 'a trailing_stop order takes exactly one of trailAmount and trailPercent' });
    if (order.type !== 'trailing_stop') for (const field of trails) ctx.addIssue({ code: 'custom', path: [field], message: `${field} must be omitted for a ${order.type} order` });
    if (order.ocoGroup !== undefined) {
      for (const field of ['takeProfit', 'stopLoss'] as const) {
        if (order[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} must be omitted for an order of a one-cancels-other group (a bracket is a group of its own)` });
      }
    }
    if (order.side === 'buy' && order.takeProfit !== undefined && order.stopLoss !== undefined && order.takeProfit <= order.stopLoss) {
      ctx.addIssue({ code: 'custom', path: ['takeProfit'], message: 'takeProfit must be above stopLoss for a buy' });
    }
    if (order.side === 'sell' && order.takeProfit !== undefined && order.stopLoss !== undefined && order.takeProfit >= order.stopLoss) {
      ctx.addIssue({ code: 'custom', path: ['takeProfit'], message: 'takeProfit must be below stopLoss for a sell' });
    }
  });

export type OrderRequest = z.input<typeof orderRequestSchema>;
export type ValidOrder = z.output<typeof orderRequestSchema>;
export type { OrderType, TimeInForce };

/** Target weights: the fraction of equity each symbol should hold once filled; symbols of the decision left out go to 0. */
export interface TargetsDecision {
  readonly kind: 'targets';
  readonly weights: Readonly<Record<string, number>>;
  readonly reason?: string;
}

/** Explicit orders, and orders to cancel first (ids or clientIds of open orders, or all of them). */
export interface OrdersDecision {
  readonly kind: 'orders';
  readonly orders: readonly ValidOrder[];
  readonly cancel: readonly string[] | 'all';
  readonly reason?: string;
}

export type Decision = TargetsDecision | OrdersDecision;

/** What decide returns: a decision, several, or nothing (hold: keep positions and open orders). */
export type DecisionResult = Decision | readonly Decision[] | void | undefined;

/** A decision the strategy got wrong: where (the field) and the rule it breaks. */
export class DecisionError extends RangeError {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = 'DecisionError';
  }
}

/** Headroom for weights that should sum to 1 but add up to a hair more in floating point (1/3 × 3). */
const WEIGHT_SUM_TOLERANCE = 1e-9;

/** What the run lets a strategy's decisions do, beyond the rules every run keeps. */
export interface DecisionRules {
  /** Negative target weights and sells beyond the position held (short selling); the runtime's option of the same name. Default false. */
  allowShort?: boolean;
}

/**
 * Checks target weights: known symbols, finite, summing to at most 1 (no leverage). Long only
 * unless the run allows shorts: then a weight may be negative (a short of that fraction of
 * equity) and it is the gross exposure, Σ |weight|, that is at most 1.
 */
export function checkTargets(weights: Readonly<Record<string, number>>, isSymbol: (symbol: string) => boolean, rules: DecisionRules = {}): void {
  let sum = 0;
  for (const symbol in weights) {
    const w = weights[symbol];
    if (!isSymbol(symbol)) throw new DecisionError(`targets.${symbol}`, 'is not a symbol of the universe');
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new DecisionError(`targets.${symbol}`, 'weight must be a finite number');
    if (w < 0 && !rules.allowShort) throw new DecisionError(`targets.${symbol}`, 'weight must be 0 or more (long only); a negative weight (a short) needs the run option allowShort');
    sum += Math.abs(w);
  }
  if (sum <= 1 + WEIGHT_SUM_TOLERANCE) return;
  if (rules.allowShort) throw new DecisionError('targets', `weights' sizes |weight| must sum to at most 1 (gross exposure, longs and shorts together: no leverage), got ${sum}`);
  throw new DecisionError('targets', `weights must sum to at most 1 (no leverage), got ${sum}`);
}

/** Validates explicit orders, naming the order's index and field of the first bad one. */
export function checkOrders(orders: readonly OrderRequest[], isSymbol: (symbol: string) => boolean): ValidOrder[] {
  const valid = orders.map((order, index) => {
    const parsed = orderRequestSchema.safeParse(order);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.join('.');
      throw new DecisionError(`orders[${index}].${field}`, issue.code === 'unrecognized_keys' ? 'is not a field of an order' : issue.message);
    }
    if (!isSymbol(parsed.data.symbol)) throw new DecisionError(`orders[${index}].symbol`, `${parsed.data.symbol} is not a symbol of the universe`);
    return parsed.data;
  });
  checkOcoGroups(valid);
  return valid;
}

/** The orders of each one-cancels-other group of a decision: 2 to MAX_OCO_ORDERS, keeping the group rules of the broker. */
function checkOcoGroups(orders: readonly ValidOrder[]): void {
  const groups = new Map<string, number[]>();
  orders.forEach(({ ocoGroup }, index) => {
    if (ocoGroup !== undefined) groups.set(ocoGroup, [...(groups.get(ocoGroup) ?? []), index]);
  });
  for (const [group, indices] of groups) {
    const at = indices[indices.length - 1];
    if (indices.length < 2) throw new DecisionError(`orders[${at}].ocoGroup`, `group ${group} holds 1 order: a one-cancels-other group links 2 or more`);
    if (indices.length > MAX_OCO_ORDERS) throw new DecisionError(`orders[${at}].ocoGroup`, `group ${group} holds ${indices.length} orders: at most ${MAX_OCO_ORDERS}`);
    const [issue] = ocoGroupIssues(indices.map((index) => orders[index]));
    if (issue) throw new DecisionError(`orders[${indices[issue.index]}].${issue.field}`, issue.message);
  }
}

/** No decision: hold. One frozen list, so that a step that holds allocates nothing. */
export const HOLD: readonly Decision[] = Object.freeze([]);

/** A decision as a list (HOLD for nothing). */
export const decisionsOf = (result: DecisionResult): readonly Decision[] => (result === undefined ? HOLD : Array.isArray(result) ? result : [result as Decision]);
