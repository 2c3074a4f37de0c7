import type { Strategy } from './strategy';

/** Fully invested from the first decision on. */
export const buyAndHold = (): Strategy => ({ name: 'buy-and-hold', onBar: () => 1 });
