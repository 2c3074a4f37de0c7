import { buyAndHold } from './buy-and-hold';

it('buy-and-hold always wants to be fully invested', () => {
  const strategy = buyAndHold();
  const bar = { symbol: 'X', time: 0, open: 1, high: 1, low: 1, close: 1, volume: 0 };
  expect([strategy.onBar(bar), strategy.onBar(bar)]).toEqual([1, 1]);
});
