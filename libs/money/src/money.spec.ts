import { divRound, formatMicros, formatMicrosSquared, fromMicros, notional, parseMicros, parseMicrosSquared, roundQuantity, toMicros } from './money';

describe('money', () => {
  it('reads a number as written and rounds to micro-units, halves away from zero', () => {
    expect(toMicros(1)).toBe(1_000_000n);
    expect(toMicros(0.1)).toBe(100_000n);
    expect(toMicros(1e-7)).toBe(0n);
    expect(toMicros(5e-7)).toBe(1n);
    expect(toMicros(-5e-7)).toBe(-1n);
    expect(toMicros(1.0000005)).toBe(1_000_001n); // binary 1.00000049999… would round down
    expect(toMicros(123456789.123456)).toBe(123_456_789_123_456n);
    expect(toMicros(1e21)).toBe(10n ** 27n);
  });

  it('divides with the same rule', () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(divRound(-4n, -3n)).toBe(1n);
    expect(notional(1_500_000n, 1_000_001n)).toBe(1_500_002n); // 1.5 × 1.000001 = 1.5000015 → 1.500002
  });

  it('stores and reads back amounts exactly', () => {
    for (const micros of [0n, 1n, -1n, 999_999n, 123_456_789_000_001n, -42_000_000n]) {
      expect(parseMicros(formatMicros(micros))).toBe(micros);
    }
    expect(formatMicros(-1n)).toBe('-0.000001');
    expect(parseMicros('12.5')).toBe(12_500_000n);
    expect(fromMicros(100_000n)).toBe(0.1);
  });

  it('stores and reads back exact products (micro-units squared) with twelve places', () => {
    const product = 300_000n * 1_403_449_951n; // 0.3 × 1,403.449951, not rounded
    expect(formatMicrosSquared(product)).toBe('421.034985300000');
    for (const value of [0n, 1n, -1n, product, 10n ** 30n + 7n]) expect(parseMicrosSquared(formatMicrosSquared(value))).toBe(value);
    expect(parseMicrosSquared('421.0349853')).toBe(product);
    expect(() => parseMicrosSquared('1.0000000000001')).toThrow('not a stored amount');
  });

  it('rounds a quantity the way the broker stores it', () => {
    expect(roundQuantity(10.0000049)).toBe(10.000005);
    expect(roundQuantity(-10.00005)).toBe(-10.00005);
  });
});
