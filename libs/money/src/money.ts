/**
 * Exact amounts for the broker and its clients. Prices, quantities, cash and fees are integers of micro-units
 * (1e-6) held as bigint, so sums and differences are exact and the ledger identity holds to the
 * last digit. The one rounding rule: a value that has more than six decimals — an input number,
 * a product (quantity × price), a ratio (fees in basis points, a share of a cost basis) — is
 * rounded to the nearest micro-unit, halves away from zero. PostgreSQL's numeric(24,6) uses the
 * same rule, so what is stored is what was computed.
 */

export const MICROS = 1_000_000n;

/** The currency every cash amount of this broker is in (prices of all symbols are quoted in it). */
export type Currency = 'USD';

/** A cash amount: micro-units of a currency. */
export interface Money {
  readonly micros: bigint;
  readonly currency: Currency;
}

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/** a / b rounded to the nearest integer, halves away from zero (the one rounding rule). */
export function divRound(a: bigint, b: bigint): bigint {
  // Amounts are almost always positive: that case first, with the fewest BigInt operations (grids round millions).
  if (a >= 0n && b > 0n) return (a * 2n + b) / (b * 2n);
  if (b === 0n) throw new RangeError('division by zero');
  const negative = a < 0n !== b < 0n;
  const absA = a < 0n ? -a : a;
  const absB = b < 0n ? -b : b;
  const rounded = (absA * 2n + absB) / (absB * 2n);
  return negative ? -rounded : rounded;
}

/**
 * A JavaScript number as micro-units, rounded by the rule. It reads the number's shortest
 * decimal form (what the client wrote, e.g. `0.1`, `1e-7`) rather than its binary value, so
 * 1.0000005 rounds up as written instead of down as stored in binary.
 */
export function toMicros(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const match = decimalPattern.exec(String(value));
  if (!match) throw new RangeError(`not a decimal number: ${value}`);
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  const digits = BigInt(whole + fraction);
  const scale = Number(exponentText) - fraction.length + 6; // value = digits × 10^(scale - 6)
  const magnitude = scale >= 0 ? digits * 10n ** BigInt(scale) : divRound(digits, 10n ** BigInt(-scale));
  return sign === '-' ? -magnitude : magnitude;
}

/** Micro-units as the nearest JavaScript number (exact for every value below 2^53 micro-units). */
export const fromMicros = (micros: bigint): number => Number(micros) / 1e6;

/** The stored decimals: micro-units (6 places) and their squares (12), each scale and pattern made once (the broker formats and reads thousands a second). */
const scales = { 6: MICROS, 12: MICROS * MICROS } as const;
const fixedPatterns = { 6: /^(-?)(\d+)(?:\.(\d{0,6}))?$/, 12: /^(-?)(\d+)(?:\.(\d{0,12}))?$/ } as const;

/** An integer of 10^-places units as a decimal string with that many places. */
function formatFixed(units: bigint, places: 6 | 12): string {
  const scale = scales[places];
  const negative = units < 0n;
  const abs = negative ? -units : units;
  return `${negative ? '-' : ''}${abs / scale}.${(abs % scale).toString().padStart(places, '0')}`;
}

/** A decimal string of at most `places` places back to an integer of 10^-places units, exactly. */
function parseFixed(text: string | null | undefined, places: 6 | 12): bigint {
  if (text === null || text === undefined) return 0n;
  const match = fixedPatterns[places].exec(text.trim());
  if (!match) throw new RangeError(`not a stored amount: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const magnitude = BigInt(whole) * scales[places] + BigInt(fraction.padEnd(places, '0'));
  return sign === '-' ? -magnitude : magnitude;
}

/** Micro-units as a decimal string with six places, the form numeric(24,6) columns take and give. */
export const formatMicros = (micros: bigint): string => formatFixed(micros, 6);

/** A numeric column read as text (`::text`) back to micro-units, exactly. */
export const parseMicros = (text: string | null | undefined): bigint => parseFixed(text, 6);

/**
 * An exact product of two amounts (quantity × price before any rounding: micro-units squared) as
 * a decimal string with twelve places, the form a numeric(40,12) column takes and gives.
 */
export const formatMicrosSquared = (value: bigint): string => formatFixed(value, 12);

/** A numeric(40,12) column read as text back to micro-units squared, exactly. */
export const parseMicrosSquared = (text: string | null | undefined): bigint => parseFixed(text, 12);

/** quantity × price in micro-units of cash, rounded by the rule. */
export const notional = (quantity: bigint, price: bigint): bigint => divRound(quantity * price, MICROS);

/**
 * A quantity as the broker will store it: the number rounded to micro-units by the rule. Clients
 * sizing orders (the live agent) use it so that what they send is what gets traded.
 */
export const roundQuantity = (quantity: number): number => fromMicros(toMicros(quantity));

/** The smallest quantity or price the broker stores: one micro-unit. */
export const MIN_AMOUNT = 1e-6;
