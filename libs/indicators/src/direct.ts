/** Order of two quantities: -1 (first below), 0 (equal), 1 (first above); undefined while either is undefined. */
export type Order = -1 | 0 | 1 | undefined;

/** A number's shortest round-trip decimal (what `String(x)` prints) as digits × 10^exponent. */
function decimalOf(x: number): { digits: bigint; exponent: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!match) throw new RangeError(`not a finite number: ${x}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = BigInt(whole + fraction);
  return { digits: sign ? -digits : digits, exponent: Number(exponent) - fraction.length };
}

/**
 * The direct window computation, for tests and audits of the streaming indicators: each window's
 * sum in exact integer arithmetic on the values' decimal digits (BigInt, no rounding anywhere).
 * Slow (BigInt): a reference, not for live use.
 */
export class DirectSma {
  /** prefix[i] = exact sum of the first i values, in units of 10^exponent. */
  private readonly prefix: bigint[] = [0n];

  constructor(values: readonly number[]) {
    const decimals = values.map(decimalOf);
    const exponent = Math.min(0, ...decimals.map((d) => d.exponent));
    for (const d of decimals) this.prefix.push(this.prefix[this.prefix.length - 1] + d.digits * 10n ** BigInt(d.exponent - exponent));
  }

  /** The order of SMA(first) and SMA(second) at every bar: sum_first × second vs sum_second × first. */
  order(first: number, second: number): Order[] {
    const { prefix } = this;
    const a = BigInt(first);
    const b = BigInt(second);
    return prefix.slice(1).map((total, i) => {
      if (i + 1 < Math.max(first, second)) return undefined;
      const difference = (total - prefix[i + 1 - first]) * b - (total - prefix[i + 1 - second]) * a;
      return difference > 0n ? 1 : difference < 0n ? -1 : 0;
    });
  }
}
