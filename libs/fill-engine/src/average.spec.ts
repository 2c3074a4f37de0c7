import { toMicros } from '@tradeyard/money';
import fc from 'fast-check';
import { costModel } from './costs';
import { arrive, matchBar, quoteBar, type EngineOrder, type PriceBar } from './engine';
import { averageFillPrice, orderAverageFillPrice } from './average';

const m = toMicros;
const order = (quantity: bigint): EngineOrder => ({
  id: 'o-avg', status: 'accepted', reasonCode: null, reason: null, side: 'buy', type: 'market', timeInForce: 'gtc',
  quantity, filledQuantity: 0n, filledNotional: 0n, fees: 0n, fillCount: 0, limitPrice: null, stopPrice: null,
  trailAmount: null, trailPercent: null, trailAnchor: null, triggered: false, arrivalTime: null, evaluatedThrough: null,
});

/**
 * The reference: Σ qᵢ·pᵢ / Σ qᵢ as a fraction of integers (micro-units), rounded once to the
 * nearest micro-unit, halves up (every amount here is positive). Written with a remainder instead
 * of the money library's divRound, so it does not check the implementation against itself.
 */
function exactAverage(fills: { quantity: bigint; price: bigint }[]): bigint {
  const value = fills.reduce((sum, f) => sum + f.quantity * f.price, 0n);
  const quantity = fills.reduce((sum, f) => sum + f.quantity, 0n);
  const whole = value / quantity;
  return 2n * (value % quantity) >= quantity ? whole + 1n : whole;
}

describe('average fill price', () => {
  it('is the price of a single fill, exactly, whatever the quantity', () => {
    // 0.3 × 1,403.449951 = 421.0349853: a notional rounded to micro-units first gave 1,403.44995.
    const filled = arrive(order(m(0.3)), quoteBar(Date.UTC(2020, 0, 2), m(1403.449951)), costModel({}));
    expect(filled.order.status).toBe('filled');
    expect(orderAverageFillPrice(filled.order)).toBe(m(1403.449951));
    expect(averageFillPrice(0n, 0n)).toBeNull();
  });

  it('is the exact quantity-weighted average of several partial fills, rounded once', () => {
    // Each bar fills at most half its volume at its open (slippage moves it), so an order fills over several bars at several prices.
    const costs = costModel({ volumeLimit: 0.5, slippageBps: 3 });
    const bar = fc.record({ price: fc.integer({ min: 1, max: 5_000_000_000 }), volume: fc.integer({ min: 1, max: 4_000_000 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_000_000 }), fc.array(bar, { minLength: 2, maxLength: 8 }), (quantity, bars) => {
        let current = arrive(order(BigInt(quantity)), quoteBar(Date.UTC(2020, 0, 1), BigInt(bars[0].price), BigInt(bars[0].volume)), costs);
        const fills = [...current.fills];
        bars.slice(1).forEach((b, i) => {
          const price = BigInt(b.price);
          const next: PriceBar = { time: Date.UTC(2020, 0, 2 + i), open: price, high: price, low: price, close: price, volume: BigInt(b.volume) };
          current = matchBar(current.order, next, costs);
          fills.push(...current.fills);
        });
        fc.pre(fills.length > 0);
        expect(orderAverageFillPrice(current.order)).toBe(exactAverage(fills));
      }),
      { numRuns: 500 },
    );
  });
});
