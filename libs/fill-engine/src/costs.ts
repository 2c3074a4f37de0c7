import { divRound, MICROS, notional, toMicros } from '@tradeyard/money';

export type Side = 'buy' | 'sell';

/**
 * Trading costs as numbers, the form configuration takes. Every field 0 means "none".
 * - feeFixed: cash per fill; feePerShare: cash per unit filled; feeBps: basis points of the
 *   fill's notional; feeMinimum: the least a fill's fee can be.
 * - slippageBps: the fill price moved against the trade by this many basis points.
 * - priceImpact: volume-share slippage (the habit of zipline's VolumeShareSlippage): the price
 *   moves against the trade by priceImpact × (fill quantity / bar volume)² of the price.
 * - volumeLimit: participation cap, the largest share of a bar's volume one order fills in that
 *   bar; the rest stays open (partially filled) or expires (ioc, fok).
 */
export interface CostSettings {
  feeFixed: number;
  feePerShare: number;
  feeBps: number;
  feeMinimum: number;
  slippageBps: number;
  priceImpact: number;
  volumeLimit: number;
}

export const noCosts: CostSettings = { feeFixed: 0, feePerShare: 0, feeBps: 0, feeMinimum: 0, slippageBps: 0, priceImpact: 0, volumeLimit: 0 };

/** The same costs in micro-units (fractions and basis points as micro-units of themselves). */
export interface CostModel {
  readonly feeFixed: bigint;
  readonly feePerShare: bigint;
  readonly feeBps: bigint;
  readonly feeMinimum: bigint;
  readonly slippageBps: bigint;
  readonly priceImpact: bigint;
  readonly volumeLimit: bigint;
}

export function costModel(settings: Partial<CostSettings>): CostModel {
  const s = { ...noCosts, ...settings };
  for (const field of Object.keys(noCosts) as (keyof CostSettings)[]) {
    if (!(Number.isFinite(s[field]) && s[field] >= 0)) throw new RangeError(`${field} must be a finite number of 0 or more, got ${s[field]}`);
  }
  return {
    feeFixed: toMicros(s.feeFixed),
    feePerShare: toMicros(s.feePerShare),
    feeBps: toMicros(s.feeBps),
    feeMinimum: toMicros(s.feeMinimum),
    slippageBps: toMicros(s.slippageBps),
    priceImpact: toMicros(s.priceImpact),
    volumeLimit: toMicros(s.volumeLimit),
  };
}

const BPS = 10_000n * MICROS;

/** The fee of one fill: fixed + per share + basis points of the notional, at least the minimum. */
export function fillFee(costs: CostModel, quantity: bigint, fillNotional: bigint): bigint {
  // Parts whose rate is 0 are 0: skipped, as a grid computes millions of fees.
  const perShare = costs.feePerShare === 0n ? 0n : divRound(quantity * costs.feePerShare, MICROS);
  const fee = costs.feeFixed + perShare + (costs.feeBps === 0n ? 0n : divRound(fillNotional * costs.feeBps, BPS));
  return fee > costs.feeMinimum ? fee : costs.feeMinimum;
}

/**
 * The price a fill of `quantity` gets when the market is at `price`: moved against the trade by
 * the fixed slippage and the volume-share impact, never beyond the limit.
 */
export function fillPrice(costs: CostModel, side: Side, price: bigint, quantity: bigint, volume: bigint | null, limit: bigint | null): bigint {
  let slip = costs.slippageBps === 0n ? 0n : divRound(price * costs.slippageBps, BPS);
  if (costs.priceImpact > 0n && volume !== null && volume > 0n) {
    slip += divRound(price * costs.priceImpact * quantity * quantity, MICROS * volume * volume);
  }
  const slipped = side === 'buy' ? price + slip : price - slip;
  if (limit === null) return slipped;
  return side === 'buy' ? (slipped < limit ? slipped : limit) : slipped > limit ? slipped : limit;
}

/** The most one order fills in a bar of `volume` under the participation cap (null: no cap). */
export function volumeCap(costs: CostModel, volume: bigint | null): bigint | null {
  if (costs.volumeLimit === 0n || volume === null) return null;
  return (volume * costs.volumeLimit) / MICROS; // rounded down: the cap is never exceeded
}

/** What one fill of `quantity` at market `price` trades at: its price, notional and fee. */
export interface FillTerms {
  price: bigint;
  notional: bigint;
  fee: bigint;
}

/** The terms of a fill (fillPrice, then the fee of its notional): the one computation every fill makes. */
export function fillTerms(costs: CostModel, side: Side, price: bigint, quantity: bigint, volume: bigint | null, limit: bigint | null): FillTerms {
  const at = fillPrice(costs, side, price, quantity, volume, limit);
  const fillNotional = notional(quantity, at);
  return { price: at, notional: fillNotional, fee: fillFee(costs, quantity, fillNotional) };
}

/** The cash a buy of `quantity` at market `price` takes: its notional at the fill price and its fee. */
export function buyCost(costs: CostModel, price: bigint, quantity: bigint, volume: bigint | null): bigint {
  const terms = fillTerms(costs, 'buy', price, quantity, volume, null);
  return terms.notional + terms.fee;
}

/**
 * The largest quantity (a multiple of `step` micro-units) whose buy at market `price` costs at
 * most `cash`, fees and slippage included; 0 when not even one step fits. Cost grows with
 * quantity and is never below the notional at `price`, so the answer is the last step that fits
 * below cash / price. The search starts at a floating-point estimate of it and gallops outwards
 * until it brackets the answer, then bisects: exact, and two or three costs in BigInt instead of
 * the ~40 a bisection of the whole range takes (a parameter grid books hundreds of thousands of buys).
 */
export function affordableQuantity(costs: CostModel, cash: bigint, price: bigint, step: bigint = 1n, volume: bigint | null = null): bigint {
  if (cash <= 0n || price <= 0n) return 0n;
  const fits = (steps: bigint) => buyCost(costs, price, steps * step, volume) <= cash;
  const never = (cash * MICROS) / price / step + 1n; // steps that can never fit
  const rate = (1 + Number(costs.slippageBps) / Number(BPS)) * (1 + Number(costs.feeBps) / Number(BPS));
  const estimate = BigInt(Math.floor(Number(never) / rate));
  const guess = estimate < 0n ? 0n : estimate >= never ? never - 1n : estimate;
  let low = 0n; // steps that fit (0 counts as fitting: buying nothing)
  let high = never; // steps that do not
  if (guess > 0n && fits(guess)) {
    low = guess;
    for (let stride = 1n; low + stride < high; stride *= 2n) {
      if (!fits(low + stride)) {
        high = low + stride;
        break;
      }
      low += stride;
    }
  } else if (guess > 0n) {
    high = guess;
    for (let stride = 1n; high - stride > 0n; stride *= 2n) {
      if (fits(high - stride)) {
        low = high - stride;
        break;
      }
      high -= stride;
    }
  }
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low * step;
}

const YEAR_MS = 365n * 86_400_000n;

/**
 * The borrow fee of covering a short: the cost basis of the covered part × the yearly rate in
 * basis points × the time it was held (ms of market time) / a 365-day year, rounded by the rule.
 */
export function borrowFee(coveredCost: bigint, rateBps: bigint, heldMs: number): bigint {
  if (rateBps === 0n || heldMs <= 0) return 0n;
  const cost = coveredCost < 0n ? -coveredCost : coveredCost;
  return divRound(cost * rateBps * BigInt(Math.round(heldMs)), 10_000n * MICROS * YEAR_MS);
}
