import { compileRule, RuleSyntaxError } from './rule';

describe('rule syntax errors name the column and what was expected', () => {
  const errorOf = (rule: string) => {
    try {
      compileRule(rule);
    } catch (error) {
      expect(error).toBeInstanceOf(RuleSyntaxError);
      return (error as Error).message;
    }
    throw new Error(`${rule} compiled`);
  };

  it.each([
    ['sma(close, 50 > 3', "column 15: expected ')' after arguments of sma, found '>'"],
    ['rsi(14) <', 'column 10: expected a number, a bar field or a function call, found end of rule'],
    ['rsi(14)', 'column 1: expected a condition (a comparison such as rsi(14) < 30), found a number'],
    ['foo(3) > 1', "column 1: unknown function 'foo'"],
    ['closing > 1', "column 1: unknown name 'closing': expected open, high, low, close, volume or a function call"],
    ['close > highest(high, 20)[x]', "column 27: expected a whole number of bars ago inside [ ], found 'x'"],
    ['close $ 3', "column 7: unexpected character '$'"],
    ['sma(close, 0) > 1', "column 12: expected the period of sma as a whole number from 1 to 1000, found '0'"],
    ['macd(26, 12) > 0', 'column 1: bad arguments of macd: fast period must be shorter than the slow period, got 26 and 12'],
    ['rsi(14) < 30 and close', "column 14: expected a condition for and, found a number 'close'"],
    ['(close > 1', "column 11: expected ')' to close the '(' at column 1, found end of rule"],
    ['', 'column 1: expected a rule expression, found an empty string'],
  ])('%s', (rule, message) => expect(errorOf(rule)).toBe(message));
});
