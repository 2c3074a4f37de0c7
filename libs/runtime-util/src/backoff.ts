/**
 * The wait before retry number `attempt` (1 for the first retry): `initialMs`, doubled with each
 * further attempt, never more than `maxMs`. Every reconnect and retry loop of the services uses it.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(initialMs * 2 ** Math.max(0, attempt - 1), maxMs);
}
