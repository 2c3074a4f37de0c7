// The rule language checked against 20 years of real bars, indicator by indicator: a test-only
// project, so that scan-rules' production code alone decides what scan-rules depends on.
import { loadSp500 } from '@tradeyard/market-data';
import { Rsi, Sma } from '@tradeyard/indicators';
import { SCANNER_RULE_IDS } from '@tradeyard/gateway-contract';
import { compileRule, defaultRules, type RuleBar } from '@tradeyard/scan-rules';

const bars = loadSp500();

/** Indexes of the bars where the rule fires over the whole S&P 500 history. */
function firings(rule: string, series: RuleBar[] = bars): number[] {
  const state = compileRule(rule).instantiate();
  const out: number[] = [];
  series.forEach((bar, i) => state.update(bar) && out.push(i));
  return out;
}

/** The same "becomes true" edge computed directly from the indicator classes. */
function edges(condition: (i: number) => boolean | undefined): number[] {
  const out: number[] = [];
  let previous = false;
  for (let i = 0; i < bars.length; i++) {
    const now = condition(i) === true;
    if (now && !previous) out.push(i);
    previous = now;
  }
  return out;
}

const seriesOf = (make: () => { update(v: number): number | undefined }, pick: (i: number) => number) => {
  const ind = make();
  return bars.map((_, i) => ind.update(pick(i)));
};

describe('scan rules over the S&P 500 history', () => {
  it('rsi(14) < 30 fires where RSI crosses under 30', () => {
    const rsi = seriesOf(() => new Rsi(14), (i) => bars[i].close);
    const expected = edges((i) => rsi[i] !== undefined && (rsi[i] as number) < 30);
    expect(expected.length).toBeGreaterThan(10);
    expect(firings('rsi(14) < 30')).toEqual(expected);
  });

  it('cross_above(sma(close, 50), sma(close, 200)) fires on golden crosses', () => {
    const fast = seriesOf(() => new Sma(50), (i) => bars[i].close);
    const slow = seriesOf(() => new Sma(200), (i) => bars[i].close);
    const expected = edges(
      (i) =>
        i > 0 &&
        [fast[i], slow[i], fast[i - 1], slow[i - 1]].every((v) => v !== undefined) &&
        (fast[i] as number) > (slow[i] as number) &&
        (fast[i - 1] as number) <= (slow[i - 1] as number),
    );
    expect(expected.length).toBeGreaterThan(3);
    expect(firings('cross_above(sma(close, 50), sma(close, 200))')).toEqual(expected);
    // Never on consecutive bars: a cross is an event.
    expect(firings('cross_below(sma(close, 50), sma(close, 200))').length).toBeGreaterThan(3);
  });

  it('volume > 2 * sma(volume, 20) and close > highest(high, 20)[1]', () => {
    const volSma = seriesOf(() => new Sma(20), (i) => bars[i].volume);
    expect(firings('volume > 2 * sma(volume, 20)')).toEqual(edges((i) => volSma[i] !== undefined && bars[i].volume > 2 * (volSma[i] as number)));
    const expected = edges((i) => i >= 20 && bars[i].close > Math.max(...bars.slice(i - 20, i).map((b) => b.high)));
    expect(expected.length).toBeGreaterThan(10);
    expect(firings('close > highest(high, 20)[1]')).toEqual(expected);
  });

  it('combines with and/or/not, arithmetic and precedence', () => {
    const a = firings('rsi(14) < 30 and close < sma(close, 200)');
    const b = firings('not (rsi(14) >= 30 or close >= sma(close, 200))');
    expect(a).toEqual(b);
    expect(firings('close - 1 * 2 > close + -3')).toEqual([0]);
    expect(firings('(close + 1) / 2 == close / 2 + 0.5')).toEqual([0]);
  });

  it('reports indicator values with the state and keeps symbols apart', () => {
    const rule = compileRule('rsi(14) < 30 and macd() < macd_signal()');
    const one = rule.instantiate();
    const two = rule.instantiate();
    one.update(bars[0]);
    expect(one.snapshot()).toEqual({ 'rsi(14)': null, 'macd(12, 26, 9)': null, 'macd_signal(12, 26, 9)': null });
    for (const bar of bars.slice(0, 100)) two.update(bar);
    const rsi = seriesOf(() => new Rsi(14), (i) => bars[i].close)[99];
    expect(two.snapshot()['rsi(14)']).toBe(rsi);
    expect(one.snapshot()['rsi(14)']).toBeNull();
    const breakout = compileRule('close > highest(high, 3)[1]').instantiate();
    for (const high of [5, 7, 6, 4]) breakout.update({ open: 1, high, low: 1, close: 1, volume: 0 });
    expect(breakout.snapshot()).toEqual({ 'highest(high, 3)': 7, 'highest(high, 3)[1]': 7 });
    breakout.update({ open: 1, high: 3, low: 1, close: 1, volume: 0 });
    expect(breakout.snapshot()).toEqual({ 'highest(high, 3)': 6, 'highest(high, 3)[1]': 7 });
  });

  it('accepts every indicator of the library', () => {
    for (const rule of [
      'ema(close, 20) > sma(20)',
      'bb_upper(close, 20, 2) > bb_lower(20) and bb_middle() > 0',
      'atr(14) > atr()[5]',
      'vwap() > lowest(low, 10)',
      'macd_hist(12, 26, 9) > 0',
      'sma(2 * volume, 5) > 0',
      'sma(rsi(14), 5) > 50',
    ])
      expect(firings(rule).length).toBeGreaterThan(0);
  });
});

describe('the starter rules', () => {
  it('run under exactly the rule ids the gateway reserves for the scanner', () => {
    expect(defaultRules.map((rule) => rule.id).sort()).toEqual([...SCANNER_RULE_IDS].sort());
  });
});
