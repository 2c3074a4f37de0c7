/**
 * Symbols with different calendars on one clock: the union of their bar times, oldest first, and
 * for each step the symbols that have a bar at it (a symbol without a bar at a step simply has none
 * there: nothing is filled forward). Step s holds symbols symbolAt[start[s]] .. symbolAt[start[s + 1] − 1],
 * in symbol order.
 */
export interface UnionCalendar {
  readonly times: Float64Array;
  readonly start: Int32Array;
  readonly symbolAt: Int32Array;
}

/** Calls `each(step, k)` for every bar of every symbol k, step by step in symbol order; checks each symbol's times increase. */
function mergeSteps(clock: Float64Array, times: readonly ArrayLike<number>[], each: (step: number, k: number) => void): void {
  const cursors = times.map(() => 0);
  for (let s = 0; s < clock.length; s++) {
    for (let k = 0; k < times.length; k++) {
      if (cursors[k] < times[k].length && times[k][cursors[k]] === clock[s]) {
        each(s, k);
        cursors[k]++;
      }
    }
  }
  const stuck = cursors.findIndex((c, k) => c !== times[k].length);
  if (stuck >= 0) throw new RangeError(`the bar times of symbol ${stuck} must increase strictly (bar ${cursors[stuck]} does not)`);
}

/** The union calendar of symbols' bar times (each strictly increasing). */
export function unionCalendar(times: readonly ArrayLike<number>[]): UnionCalendar {
  const all = new Set<number>();
  for (const t of times) for (let i = 0; i < t.length; i++) all.add(t[i]);
  const clock = Float64Array.from(all).sort();
  const start = new Int32Array(clock.length + 1);
  mergeSteps(clock, times, (s) => start[s + 1]++);
  for (let s = 0; s < clock.length; s++) start[s + 1] += start[s];
  const symbolAt = new Int32Array(start[clock.length]);
  const filled = Int32Array.from(start);
  mergeSteps(clock, times, (s, k) => (symbolAt[filled[s]++] = k));
  return { times: clock, start, symbolAt };
}
