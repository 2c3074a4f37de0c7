import { divRound, fromMicros, MICROS, toMicros } from '@tradeyard/money';
import { accountSettingsSchema, type AccountSettings } from '@tradeyard/gateway-contract';

/**
 * Per-account settings: short selling and its borrow fee, and the protections (the habit of
 * freqtrade's protections). Every protection is off at 0, the default. The contract's schema is
 * the one definition, so what REST accepts is what the broker stores.
 */
export const accountConfigSchema = accountSettingsSchema;
export type AccountConfig = AccountSettings;

/** The protections in the units the broker computes in (fractions as micro-units of 1). */
export interface Protections {
  maxDrawdown: bigint;
  dailyLossLimit: bigint;
  cooldownAfterLosses: number;
  cooldownMinutes: number;
  maxOpenPositions: number;
  maxPositionShare: bigint;
}

/** What the checks look at, gathered by the broker in the order's transaction. */
export interface ProtectionInputs {
  /** The order only reduces an open position (the other side, no more than held): always allowed. */
  reducing: boolean;
  equity: bigint;
  peakEquity: bigint;
  dayStartEquity: bigint;
  /** Market time of the order and the end of a cooldown, in ms. */
  time: number;
  cooldownUntil: number;
  opensPosition: boolean;
  openPositions: number;
  /** The position's notional after the order, at the check price. */
  positionNotional: bigint;
}

export type ProtectionCode = 'max_drawdown' | 'daily_loss' | 'cooldown' | 'max_open_positions' | 'position_share';

const percent = (fraction: bigint) => `${(fromMicros(fraction) * 100).toFixed(1)} %`;
const cash = (micros: bigint) => fromMicros(micros).toFixed(2);

/**
 * The first protection an order breaks, with a sentence an agent can act on, or undefined. An
 * order that only reduces a position passes them all: protections stop new exposure, never an exit.
 */
export function protectionDenial(p: Protections, x: ProtectionInputs): { code: ProtectionCode; reason: string } | undefined {
  if (x.reducing) return undefined;
  if (p.maxDrawdown > 0n && x.peakEquity > 0n) {
    const drawdown = MICROS - divRound(x.equity * MICROS, x.peakEquity);
    if (drawdown >= p.maxDrawdown) {
      return {
        code: 'max_drawdown',
        reason: `the account is locked against new exposure: equity ${cash(x.equity)} is ${percent(drawdown)} below its peak of ${cash(x.peakEquity)} (limit ${percent(p.maxDrawdown)}); orders that reduce positions are still accepted`,
      };
    }
  }
  if (p.dailyLossLimit > 0n && x.dayStartEquity - x.equity >= p.dailyLossLimit) {
    return {
      code: 'daily_loss',
      reason: `the account is reduce-only for the rest of the day: it lost ${cash(x.dayStartEquity - x.equity)} since the day began (limit ${cash(p.dailyLossLimit)}); sell holdings or cover shorts, or wait for the next day`,
    };
  }
  if (p.cooldownAfterLosses > 0 && x.time < x.cooldownUntil) {
    return {
      code: 'cooldown',
      reason: `the account is cooling down after ${p.cooldownAfterLosses} losing trades in a row until ${new Date(x.cooldownUntil).toISOString()} (market time); only orders that reduce positions are accepted until then`,
    };
  }
  if (p.maxOpenPositions > 0 && x.opensPosition && x.openPositions >= p.maxOpenPositions) {
    return {
      code: 'max_open_positions',
      reason: `the account holds ${x.openPositions} open positions, its limit; close one before opening a position in another symbol`,
    };
  }
  if (p.maxPositionShare > 0n && x.equity > 0n && x.positionNotional * MICROS > p.maxPositionShare * x.equity) {
    const largest = divRound(p.maxPositionShare * x.equity, MICROS);
    return {
      code: 'position_share',
      reason: `the position would be ${cash(x.positionNotional)}, more than ${percent(p.maxPositionShare)} of equity ${cash(x.equity)} (at most ${cash(largest)}); order less`,
    };
  }
  return undefined;
}

/** The config as stored (numeric columns as text) to the protections the checks use. */
export function protectionsOf(config: AccountConfig): Protections {
  return {
    maxDrawdown: toMicros(config.maxDrawdown ?? 0),
    dailyLossLimit: toMicros(config.dailyLossLimit ?? 0),
    cooldownAfterLosses: config.cooldownAfterLosses ?? 0,
    cooldownMinutes: config.cooldownMinutes ?? 0,
    maxOpenPositions: config.maxOpenPositions ?? 0,
    maxPositionShare: toMicros(config.maxPositionShare ?? 0),
  };
}

/** Whether any protection is on (cooldownMinutes alone does nothing without cooldownAfterLosses). */
export function anyProtection(p: Protections): boolean {
  return Boolean(p.maxDrawdown || p.dailyLossLimit || p.cooldownAfterLosses || p.maxOpenPositions || p.maxPositionShare);
}
