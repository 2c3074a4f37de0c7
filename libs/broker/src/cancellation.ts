import type { Order } from '@tradeyard/gateway-contract';
import { BrokerError, cancelLinked, groupEndedBy, transition } from '@tradeyard/fill-engine';
import type { BrokerContext, BrokerEvent } from './context';
import { toOrder } from './order-view';
import { UnitOfWork, type OrderRecord } from './unit-of-work';

/** Cancels an open order; cancelling an order in any other status is an illegal transition. */
export async function cancelOrder(ctx: BrokerContext, accountId: string, orderId: string): Promise<Order> {
  const result = await ctx.db.transaction(async (tx) => {
    const work = await UnitOfWork.open(tx, { accounts: [accountId], allowShort: ctx.settings.allowShort, trading: false, orderIds: [orderId] });
    const found = work.order(orderId);
    if (!found || found.accountId !== accountId) throw new BrokerError('not_found', 'not_found', `no order ${orderId} in account ${accountId}`);
    const step = transition(found, 'cancel', { reasonCode: 'cancelled_by_account', reason: 'cancelled by the account' });
    const cancelled = { ...step.order, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
    work.save(cancelled, [step.entry]);
    const order = toOrder(cancelled);
    work.publish([{ channel: 'orders', accountId, data: order }, ...(await endGroup(work, cancelled))]);
    await work.flush();
    return order;
  });
  ctx.committed();
  return result;
}

/**
 * Ends the group of an order that traded or closed (libs/fill-engine src/oco.ts): the other open
 * exits of its bracket are cancelled (cancelled_by_bracket), or the other open orders of its
 * one-cancels-other group (cancelled_by_oco), in this transaction. An order alone has none.
 */
export async function endGroup(work: UnitOfWork, order: OrderRecord): Promise<BrokerEvent[]> {
  const [code, link] = order.parentId !== null ? (['cancelled_by_bracket', 'bracket'] as const) : (['cancelled_by_oco', 'one-cancels-other group'] as const);
  const events: BrokerEvent[] = [];
  for (const linked of await work.linkedOrders(order)) {
    const { order: next, journal } = cancelLinked(linked, code, groupEndedBy(order, link));
    const cancelled = { ...next, reservedCash: 0n, reservedQuantity: 0n, updatedAt: new Date().toISOString() };
    work.save(cancelled, journal);
    events.push({ channel: 'orders', accountId: cancelled.accountId, data: toOrder(cancelled) });
  }
  return events;
}
