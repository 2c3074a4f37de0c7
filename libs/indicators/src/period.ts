/** Every windowed indicator takes a whole-number period of at least 1. */
export function checkPeriod(period: number, name = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${period}`);
}
