import { IllegalTransition, orderEvents, orderStatuses, transition, type OrderEvent, type OrderStatus } from './order';

// The expected lifecycle, written out pair by pair independently of the table it checks:
// '-' marks an illegal transition.
const expected: Record<OrderStatus, Record<OrderEvent, OrderStatus | '-'>> = {
  //                accept        deny      partial_fill         fill       cancel       expire     reject
  initialized:      { accept: 'accepted', deny: 'denied', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
  accepted:         { accept: '-', deny: '-', partial_fill: 'partially_filled', fill: 'filled', cancel: 'cancelled', expire: 'expired', reject: 'rejected' },
  partially_filled: { accept: '-', deny: '-', partial_fill: 'partially_filled', fill: 'filled', cancel: 'cancelled', expire: 'expired', reject: 'rejected' },
  filled:           { accept: '-', deny: '-', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
  cancelled:        { accept: '-', deny: '-', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
  expired:          { accept: '-', deny: '-', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
  denied:           { accept: '-', deny: '-', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
  rejected:         { accept: '-', deny: '-', partial_fill: '-', fill: '-', cancel: '-', expire: '-', reject: '-' },
};

const pairs = orderStatuses.flatMap((status) => orderEvents.map((event) => [status, event, expected[status][event]] as const));

describe('order transition table', () => {
  it('covers every status and event', () => {
    expect(pairs).toHaveLength(orderStatuses.length * orderEvents.length);
  });

  it.each(pairs)('%s + %s → %s', (status, event, to) => {
    const order = { id: 'o-1', status, reasonCode: null, reason: null };
    if (to === '-') {
      expect(() => transition(order, event)).toThrow(IllegalTransition);
      expect(() => transition(order, event)).toThrow(`order o-1 is ${status}; ${event} is not allowed from ${status}`);
    } else {
      const { order: next, entry } = transition(order, event, { reasonCode: 'cancelled_by_account', reason: 'why', fillId: 'f-1' });
      expect(next.status).toBe(to);
      expect(order.status).toBe(status); // the input is not mutated
      expect(entry).toEqual({ orderId: 'o-1', event, from: status, to, reasonCode: 'cancelled_by_account', reason: 'why', fillId: 'f-1' });
    }
  });
});
