/**
 * The order aggregate: its statuses, the events that move it and the one table of transitions
 * (the habit of nautilus_trader's order state machine). Nothing else changes an order's status:
 * `transition` is the only door, and an event the table does not allow from the current status
 * throws an IllegalTransition instead of being applied.
 */

/** `initialized` exists only in memory, before the broker decides to accept or deny the order. */
export const orderStatuses = ['initialized', 'accepted', 'partially_filled', 'filled', 'cancelled', 'expired', 'denied', 'rejected'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/**
 * - deny: refused before trading (a pre-trade check failed); the order never rested or traded.
 * - accept: passed the pre-trade checks; it may now trade or rest.
 * - partial_fill / fill: a fill that leaves some quantity open / that completes the order.
 * - cancel: withdrawn by the account. expire: its time ran out.
 * - reject: refused after it was accepted (e.g. a risk limit at the moment it would fill).
 */
export const orderEvents = ['accept', 'deny', 'partial_fill', 'fill', 'cancel', 'expire', 'reject'] as const;
export type OrderEvent = (typeof orderEvents)[number];

const open = { partial_fill: 'partially_filled', fill: 'filled', cancel: 'cancelled', expire: 'expired', reject: 'rejected' } as const;

/** The transition table: status → event → next status. A missing entry is an illegal transition. */
export const transitions: Readonly<Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>>> = {
  initialized: { accept: 'accepted', deny: 'denied' },
  accepted: open,
  partially_filled: open,
  filled: {},
  cancelled: {},
  expired: {},
  denied: {},
  rejected: {},
};

/** Statuses an order can still trade from (it rests, holds a reservation and can be cancelled). */
export const openStatuses: readonly OrderStatus[] = ['accepted', 'partially_filled'];

/**
 * Stable reason codes: `denied_*` before acceptance, `rejected_*` after; `cancelled_*` names who
 * ended the order and `expired_*` which time in force did; `migrated_legacy` marks orders refused before the
 * lifecycle existed, when the cause was not recorded. The sentence beside the code says the numbers.
 */
export const reasonCodes = [
  'denied_order_notional',
  'denied_position_notional',
  'denied_buying_power',
  'denied_insufficient_position',
  'denied_max_drawdown',
  'denied_daily_loss',
  'denied_cooldown',
  'denied_max_open_positions',
  'denied_position_share',
  'denied_margin',
  'denied_margin_call',
  'rejected_order_notional',
  'rejected_position_notional',
  'rejected_buying_power',
  'rejected_insufficient_position',
  'rejected_margin',
  'rejected_margin_call',
  'denied_oco_group',
  'cancelled_by_account',
  'cancelled_by_bracket',
  'cancelled_by_oco',
  'expired_day',
  'expired_ioc',
  'expired_fok',
  'expired_gtd',
  'expired_at_open',
  'expired_at_close',
  'migrated_legacy',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

/** A domain error of the broker; the gateway maps `kind` to an HTTP status, the broker knows none. */
export class BrokerError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not_found' | 'conflict' | 'idempotency_mismatch',
    readonly code: string,
    message: string,
    /** The input field at fault, for `invalid` and `idempotency_mismatch`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An event that the transition table does not allow from the order's current status. */
export class IllegalTransition extends BrokerError {
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly event: OrderEvent,
  ) {
    super('conflict', 'illegal_transition', `order ${orderId} is ${from}; ${event} is not allowed from ${from}`);
  }
}

/** One entry of the order's journal (the `order_events` table). */
export interface OrderJournalEntry {
  orderId: string;
  event: OrderEvent;
  from: OrderStatus;
  to: OrderStatus;
  reasonCode: ReasonCode | null;
  reason: string | null;
  fillId: string | null;
}

/** The next status after `event`, or an IllegalTransition. */
export function nextStatus(orderId: string, from: OrderStatus, event: OrderEvent): OrderStatus {
  const to = transitions[from][event];
  if (!to) throw new IllegalTransition(orderId, from, event);
  return to;
}

/** The part of an order the state machine owns; the broker persists it with the journal entry. */
export interface OrderState {
  id: string;
  status: OrderStatus;
  reasonCode: ReasonCode | null;
  reason: string | null;
}

/**
 * Applies one event to an order: returns the order in its next status and the journal entry
 * recording the change. The caller writes both in one transaction.
 */
export function transition<T extends OrderState>(
  order: T,
  event: OrderEvent,
  detail: { reasonCode?: ReasonCode; reason?: string; fillId?: string } = {},
): { order: T; entry: OrderJournalEntry } {
  const to = nextStatus(order.id, order.status, event);
  const reasonCode = detail.reasonCode ?? null;
  const reason = detail.reason ?? null;
  const entry: OrderJournalEntry = { orderId: order.id, event, from: order.status, to, reasonCode, reason, fillId: detail.fillId ?? null };
  const changed = reasonCode ? { ...order, status: to, reasonCode, reason } : { ...order, status: to };
  return { order: changed, entry };
}
