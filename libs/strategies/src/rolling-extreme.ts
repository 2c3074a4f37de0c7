/**
 * Highest (or lowest) of the last `period` values in O(1) amortised per update, with a
 * monotonic deque over ring-buffer slots. Kept private to this lib until
 * @tradeyard/indicators publishes rolling highest/lowest.
 */
export class RollingExtreme {
  private readonly values: Float64Array;
  private readonly indices: Float64Array;
  private head = 0;
  private size = 0;
  private seen = 0;

  constructor(
    readonly period: number,
    private readonly highest: boolean,
  ) {
    this.values = new Float64Array(period);
    this.indices = new Float64Array(period);
  }

  /** The extreme of the last `period` values before this one, or undefined until there are `period`. */
  get current(): number | undefined {
    return this.seen >= this.period ? this.values[this.head] : undefined;
  }

  update(value: number): void {
    const n = this.period;
    const index = this.seen++;
    // Drop the front when it falls out of the window.
    if (this.size > 0 && this.indices[this.head] <= index - n) {
      this.head = (this.head + 1) % n;
      this.size--;
    }
    // Drop from the back every value the new one dominates.
    while (this.size > 0) {
      const back = (this.head + this.size - 1) % n;
      const dominated = this.highest ? this.values[back] <= value : this.values[back] >= value;
      if (!dominated) break;
      this.size--;
    }
    const slot = (this.head + this.size) % n;
    this.values[slot] = value;
    this.indices[slot] = index;
    this.size++;
  }
}
