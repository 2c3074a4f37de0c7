import fc from 'fast-check';
import { compileRule, RuleSyntaxError, type RuleBar } from './rule';

/** The RuleSyntaxError message compiling `rule` throws; fails if it compiles or throws anything else. */
const refusal = (rule: string) => {
  try {
    compileRule(rule);
  } catch (error) {
    if (error instanceof RuleSyntaxError) return error.message;
    throw error;
  }
  throw new Error(`${rule} compiled`);
};

describe('rule names are data: inherited object properties are unknown names', () => {
  it.each([
    ['close > __proto__', "column 9: unknown name '__proto__': expected open, high, low, close, volume or a function call"],
    ['constructor > 1', "column 1: unknown name 'constructor': expected open, high, low, close, volume or a function call"],
    ['close > toString', "column 9: unknown name 'tostring': expected open, high, low, close, volume or a function call"],
    ['constructor(close) > 1', "column 1: unknown function 'constructor'"],
    ['hasOwnProperty(close, 3) > 1', "column 1: unknown function 'hasownproperty'"],
    ['__proto__(14) < 30', "column 1: unknown function '__proto__'"],
    ['valueOf() > 1', "column 1: unknown function 'valueof'"],
  ])('%s', (rule, message) => expect(refusal(rule)).toBe(message));
});

describe('indicator periods and bars-ago offsets are bounded at parse', () => {
  it.each([
    ['close[100000000000000000000] > 0', "column 7: expected a bars-ago offset from 0 to 1000, found '100000000000000000000'"],
    ['close[1001] > 0', "column 7: expected a bars-ago offset from 0 to 1000, found '1001'"],
    ['sma(close, 100000000) > 1', "column 12: expected the period of sma as a whole number from 1 to 1000, found '100000000'"],
    ['rsi(0) < 30', "column 5: expected the period of rsi as a whole number from 1 to 1000, found '0'"],
    ['ema(close, 2.5) > 1', "column 12: expected the period of ema as a whole number from 1 to 1000, found '2.5'"],
    ['macd(12, 5000) > 0', "column 10: expected the slow of macd as a whole number from 1 to 1000, found '5000'"],
    [
      'sma(1000) + sma(1000) + sma(1000) + sma(1000) + sma(1000) + close[1000] > 0',
      'column 1: the rule keeps 6000 bars of state per symbol (the sum of its periods and bars-ago offsets); at most 5000',
    ],
  ])('%s', (rule, message) => expect(refusal(rule)).toBe(message));

  it('accepts the largest bounds', () => {
    expect(compileRule('close[1000] > sma(close, 1000)').source).toBe('close[1000] > sma(close, 1000)');
  });
});

describe('random rules never crash the parser or the evaluator', () => {
  const names = ['close', 'open', 'high', 'low', 'volume', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
  const functions = ['rsi', 'sma', 'ema', 'highest', 'lowest', 'macd', 'macd_signal', 'bb_upper', 'bb_lower', 'atr', 'vwap', 'constructor', '__proto__', 'toString'];
  const count = fc.oneof(fc.integer({ min: 0, max: 1200 }).map(String), fc.constantFrom('100000000000000000000', '2.5', '1e3', '9007199254740993'));
  // Rules shaped like the language (so most parse and get evaluated), plus raw text for the tokenizer.
  const { condition } = fc.letrec<{ number: string; condition: string }>((tie) => ({
    number: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...names),
      count,
      fc.tuple(fc.constantFrom(...functions), fc.array(fc.oneof(count, tie('number')), { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
      fc.tuple(tie('number'), count).map(([e, n]) => `${e}[${n}]`),
      fc.tuple(tie('number'), fc.constantFrom('+', '-', '*', '/'), tie('number')).map((p) => p.join(' ')),
    ),
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(tie('number'), fc.constantFrom('<', '>', '<=', '>=', '==', '!='), tie('number')).map((p) => p.join(' ')),
      fc.tuple(fc.constantFrom('cross_above', 'cross_below'), tie('number'), tie('number')).map(([f, a, b]) => `${f}(${a}, ${b})`),
      fc.tuple(tie('condition'), fc.constantFrom('and', 'or'), tie('condition')).map((p) => p.join(' ')),
      tie('condition').map((c) => `not (${c})`),
    ),
  }));
  const ruleText = fc.oneof(condition, fc.string({ maxLength: 60 }));
  const price = fc.double({ min: -1e6, max: 1e6 });
  const bar: fc.Arbitrary<RuleBar> = fc.record({ open: price, high: price, low: price, close: price, volume: fc.oneof(price, fc.constant(NaN), fc.constant(Infinity)) });

  it('parse succeeds or throws RuleSyntaxError; a compiled rule evaluates any bars', () => {
    fc.assert(
      fc.property(ruleText, fc.array(bar, { maxLength: 40 }), (text, bars) => {
        let rule;
        try {
          rule = compileRule(text);
        } catch (error) {
          if (error instanceof RuleSyntaxError) return;
          throw error;
        }
        const state = rule.instantiate();
        for (const b of bars) state.update(b);
        state.snapshot();
      }),
      { numRuns: 2000 },
    );
  });
});
