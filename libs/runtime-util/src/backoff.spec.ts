import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the initial wait and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, 250, 5000))).toEqual([250, 500, 1000, 2000, 4000, 5000]);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(backoffDelay(0, 100, 2000)).toBe(100);
  });
});
