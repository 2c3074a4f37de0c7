/**
 * The one reading of a bar time from a file or a request, in ms since the epoch (NaN when it is
 * none of these):
 * - a number (or digits): epoch milliseconds, or epoch seconds when below 1e11 (a millisecond
 *   time that small would be before March 1973, a second time that large after the year 5000);
 * - an ISO date (`2024-01-02`): that day's midnight UTC;
 * - an ISO date-time: UTC unless it names a zone, so the same file reads the same on every machine.
 */
export function parseBarTime(raw: unknown): number {
  const text = typeof raw === 'number' ? String(raw) : String(raw ?? '').trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? n * 1000 : n;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) return NaN;
  return Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`);
}
