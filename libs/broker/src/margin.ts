import { divRound, fromMicros, MICROS, toMicros } from '@tradeyard/money';

/**
 * Margin of short positions, as fractions of the account's short market value its equity must
 * cover. Operator settings (the gateway's SHORT_INITIAL_MARGIN, SHORT_MAINTENANCE_MARGIN); the
 * defaults are Reg T's initial 50 % (proceeds plus half again held: 150 % of the short value)
 * and FINRA 4210's maintenance 30 %.
 */
export interface ShortMargin {
  initial: number;
  maintenance: number;
}
export const DEFAULT_SHORT_MARGIN: ShortMargin = { initial: 0.5, maintenance: 0.3 };

/** What the margin rule looks at, gathered by the broker in the order's transaction (amounts in micro-units). */
export interface MarginInputs {
  /** The order only reduces an open position: always allowed, it is how an account gets back above maintenance. */
  reducing: boolean;
  /** The order sells beyond what is held, or adds to a short. */
  increasesShort: boolean;
  /** Equity and the market value of every short now. */
  equity: bigint;
  shortValue: bigint;
  /** The same once the order filled at the check price, its fee paid. */
  equityAfter: bigint;
  shortValueAfter: bigint;
}

export type MarginCode = 'margin' | 'margin_call';

const percent = (fraction: bigint) => `${(fromMicros(fraction) * 100).toFixed(1)} %`;
const cash = (micros: bigint) => fromMicros(micros).toFixed(2);
/** Equity `fraction` of the short value requires, rounded by the one rule. */
const required = (fraction: bigint, shortValue: bigint) => divRound(fraction * shortValue, MICROS);

/**
 * The margin rule an order breaks, with a sentence an agent can act on, or undefined. Below
 * maintenance (equity < maintenance × short value, at market prices) the account takes no new
 * risk: every order but a reducing one is refused (`margin_call`). An order that increases a
 * short must leave equity of at least initial × short value after it (`margin`).
 */
export function marginDenial(margin: ShortMargin, x: MarginInputs): { code: MarginCode; reason: string } | undefined {
  if (x.reducing) return undefined;
  const [initial, maintenance] = [toMicros(margin.initial), toMicros(margin.maintenance)];
  if (x.shortValue > 0n && x.equity * MICROS < maintenance * x.shortValue) {
    return {
      code: 'margin_call',
      reason: `the account is below its maintenance margin: equity ${cash(x.equity)} is less than ${percent(maintenance)} of its short positions' value ${cash(x.shortValue)} (${cash(required(maintenance, x.shortValue))}); only orders that reduce positions are accepted until it is back above`,
    };
  }
  if (x.increasesShort && x.equityAfter * MICROS < initial * x.shortValueAfter) {
    return {
      code: 'margin',
      reason: `the short sale needs equity of ${cash(required(initial, x.shortValueAfter))} (initial margin ${percent(initial)} of short value ${cash(x.shortValueAfter)} after it); the account would have ${cash(x.equityAfter)}: sell less`,
    };
  }
  return undefined;
}
