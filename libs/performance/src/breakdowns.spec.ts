import { toMicros } from '@tradeyard/money';
import fc from 'fast-check';
import { breakdownHtml, breakdownText, type ClosedTrade, tradeBreakdown } from './breakdowns';

const DAY = 86_400_000;
const trade = (symbol: string, pnl: number, reason?: string, days = 1): ClosedTrade => ({
  symbol,
  reason,
  entryTime: Date.UTC(2024, 0, 2),
  exitTime: Date.UTC(2024, 0, 2) + days * DAY,
  pnl: toMicros(pnl),
  return: pnl / 1000,
});

describe('tradeBreakdown', () => {
  const trades = [
    trade('AAPL', 100, 'momentum', 2),
    trade('AAPL', -50, 'momentum', 4),
    trade('AAPL', 30, undefined, 6),
    trade('MSFT', -20, 'momentum', 1),
    trade('MSFT', 0, '', 3),
  ];

  it('groups by symbol: count, win rate, total and average P&L, profit factor, share, holding period; the total over all', () => {
    const b = tradeBreakdown(trades, 'symbol');
    expect(b.rows).toEqual([
      { key: 'AAPL', trades: 3, winRate: 2 / 3, totalPnl: 80, averagePnl: 26.666667, averageReturn: 0.08 / 3, profitFactor: 2.6, shareOfPnl: 80 / 60, averageHoldingDays: 4 },
      { key: 'MSFT', trades: 2, winRate: 0, totalPnl: -20, averagePnl: -10, averageReturn: -0.01, profitFactor: 0, shareOfPnl: -20 / 60, averageHoldingDays: 2 },
    ]);
    expect(b.total).toEqual({ key: 'all trades', trades: 5, winRate: 0.4, totalPnl: 60, averagePnl: 12, averageReturn: 0.012, profitFactor: 130 / 70, shareOfPnl: 1, averageHoldingDays: 3.2 });
  });

  it('groups by reason, trades without one (or an empty one) under "(none)"; equal totals by name', () => {
    const b = tradeBreakdown(trades, 'reason');
    expect(b.rows.map((r) => [r.key, r.trades, r.totalPnl, r.profitFactor])).toEqual([
      ['(none)', 2, 30, null],
      ['momentum', 3, 30, 100 / 70],
    ]);
  });

  it('sums P&L exactly in micro-units and converts once: 0.1 + 0.2 is 0.3', () => {
    const b = tradeBreakdown([trade('X', 0.1), trade('X', 0.2), trade('X', 0.000001)], 'symbol');
    expect(b.rows[0].totalPnl).toBe(0.300001);
    // 0.300001 / 3 = 0.100000333…, rounded to the micro-unit.
    expect(b.rows[0].averagePnl).toBe(0.1);
  });

  it('is empty but whole without trades', () => {
    expect(tradeBreakdown([], 'symbol')).toEqual({
      by: 'symbol',
      rows: [],
      total: { key: 'all trades', trades: 0, winRate: 0, totalPnl: 0, averagePnl: 0, averageReturn: 0, profitFactor: null, shareOfPnl: null, averageHoldingDays: 0 },
    });
  });

  it.each([
    [{ symbol: '' }, 'trades.1.symbol: symbol must not be empty'],
    [{ pnl: 5 }, 'trades.1.pnl: pnl must be micro-units (a bigint)'],
    [{ exitTime: 0 }, 'trades.1.exitTime: exitTime must not precede entryTime'],
    [{ return: Number.NaN }, 'trades.1.return: return must be a number'],
  ])('refuses a trade with %j, naming the field', (bad, message) => {
    expect(() => tradeBreakdown([trade('A', 1), { ...trade('B', 1), ...bad } as ClosedTrade], 'symbol')).toThrow(message);
  });

  const arbitraryTrades = fc.array(
    fc.record({
      symbol: fc.constantFrom('SPX', 'AAPL', 'MSFT', 'IBM'),
      reason: fc.option(fc.constantFrom('breakout', 'rebalance', 'stop', ''), { nil: undefined }),
      entryTime: fc.integer({ min: 0, max: 1e12 }),
      held: fc.integer({ min: 0, max: 1e10 }),
      pnl: fc.bigInt({ min: -1_000_000_000_000n, max: 1_000_000_000_000n }),
      return: fc.double({ min: -1, max: 5, noNaN: true }),
    }),
    { maxLength: 60 },
  ).map((ts) => ts.map(({ held, ...t }): ClosedTrade => ({ ...t, exitTime: t.entryTime + held })));

  it('adds up whichever way it groups: counts to the trades, exact totals to the total, shares to 1', () => {
    fc.assert(
      fc.property(arbitraryTrades, fc.constantFrom('symbol' as const, 'reason' as const), (ts, by) => {
        const b = tradeBreakdown(ts, by);
        const exact = ts.reduce((a, t) => a + t.pnl, 0n);
        expect(b.rows.reduce((a, r) => a + r.trades, 0)).toBe(ts.length);
        expect(b.rows.reduce((a, r) => a + toMicros(r.totalPnl), 0n)).toBe(exact);
        expect(toMicros(b.total.totalPnl)).toBe(exact);
        if (exact !== 0n) expect(b.rows.reduce((a, r) => a + r.shareOfPnl!, 0)).toBeCloseTo(1, 6);
        for (let k = 1; k < b.rows.length; k++) expect(b.rows[k - 1].totalPnl).toBeGreaterThanOrEqual(b.rows[k].totalPnl);
      }),
    );
  });

  it('does not depend on the order of the trades', () => {
    fc.assert(
      fc.property(arbitraryTrades, fc.integer(), (ts, seed) => {
        const shuffled = [...ts].sort((a, b) => ((Number(a.pnl & 0xffn) ^ seed) & 0xff) - ((Number(b.pnl & 0xffn) ^ seed) & 0xff));
        const strip = (rows: ReturnType<typeof tradeBreakdown>['rows']) => rows.map((r) => ({ ...r, averageReturn: Math.round(r.averageReturn * 1e9), averageHoldingDays: Math.round(r.averageHoldingDays * 1e6) }));
        expect(strip(tradeBreakdown(shuffled, 'reason').rows)).toEqual(strip(tradeBreakdown(ts, 'reason').rows));
      }),
    );
  });
});

describe('breakdown as text and HTML', () => {
  const b = tradeBreakdown([trade('AAPL', 100, '<b>tag</b>'), trade('AAPL', -40, '<b>tag</b>')], 'reason');

  it('prints one line per group and the total', () => {
    const lines = breakdownText(b).split('\n');
    expect(lines[0]).toBe('Trades by reason');
    expect(lines[2]).toMatch(/^<b>tag<\/b> +2 +50\.00% +60\.00 +30\.00 +3\.00% +2\.500 +100\.00% +1\.0$/);
    expect(lines[3]).toMatch(/^all trades +2 /);
  });

  it('escapes tags in HTML', () => {
    const html = breakdownHtml(b);
    expect(html).toContain('<td>&#60;b&#62;tag&#60;/b&#62;</td>');
    expect(html).not.toContain('<b>tag');
    expect(breakdownHtml(tradeBreakdown([], 'symbol'))).toBe('<h2>Trades by symbol</h2>\n<p>No trades.</p>');
  });
});
