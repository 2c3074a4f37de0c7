import { divRound, fromMicros, MICROS, notional, toMicros } from '@tradeyard/money';
import { magnitude } from './position';

/**
 * Margin of short positions (the paper broker's rule, and the portfolio backtester's), as fractions of the account's short market value its equity must
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

/** A signed quantity only reduces the position held: the other side, and no more than held. */
export function reduces(held: bigint, signed: bigint): boolean {
  return held !== 0n && held < 0n !== signed < 0n && magnitude(signed) <= magnitude(held);
}

/** A signed quantity sells beyond what is held, or adds to a short: the orders the initial margin applies to. */
export const increasesShort = (held: bigint, signed: bigint): boolean => held + signed < 0n && signed < 0n;

/** An account's margin position before a fill of one symbol, in micro-units. */
export interface MarginBefore {
  /** Equity and the market value of every short now, at market prices. */
  equity: bigint;
  shortValue: bigint;
  /** The symbol's position (signed shares) and its market value now (negative for a short). */
  held: bigint;
  valueHere: bigint;
}

/**
 * What the margin rule looks at for a fill of `signed` shares (negative: a sell) at `price`
 * paying `fee`: the fill moves cash and position value by the same notional at `price`, so
 * equity changes only by the revaluation of what is held to `price`, and the fee. The broker
 * and the portfolio backtester both gather their inputs through this.
 */
export function marginInputs(before: MarginBefore, signed: bigint, price: bigint, fee: bigint): MarginInputs {
  const { equity, shortValue, held, valueHere } = before;
  const after = held + signed;
  return {
    reducing: reduces(held, signed),
    increasesShort: increasesShort(held, signed),
    equity,
    shortValue,
    equityAfter: equity - valueHere + notional(held, price) - fee,
    shortValueAfter: shortValue - (held < 0n ? -valueHere : 0n) + (after < 0n ? notional(-after, price) : 0n),
  };
}

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
