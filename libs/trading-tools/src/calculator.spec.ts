import { join } from 'node:path';
import { calculate, CalculationError } from './calculator';
import { CalculatorPool } from './calculator-pool';

describe('calculate (allowlisted mathjs)', () => {
  it('evaluates arithmetic, functions, units and small matrices exactly', () => {
    expect(calculate('100 * 1.05^2')).toEqual({ expression: '100 * 1.05^2', result: '110.25', value: 110.25 });
    expect(calculate('mean(3, 4, 8)').value).toBe(5);
    expect(calculate('a = 2; a * 3').result).toBe('[6]');
    expect(calculate('sqrt(-4)').result).toBe('2i');
    expect(calculate('5 cm + 2 inch').result).toBe('10.08 cm');
    expect(calculate('sum(ones(100, 10))').value).toBe(1000);
    expect(calculate('a = [1, 2, 3]; a[2:3]').result).toBe('[[2, 3]]');
  });

  it.each([
    ['1e308*10', 'result is not a finite number (Infinity)'],
    ['1/0', 'result is not a finite number (Infinity)'],
    ['0/0', 'result is not a finite number (NaN)'],
    ['[1, 1e308^2]', 'result is not a finite number (Infinity)'],
    ['1'.repeat(1001), 'expression length limit: must be at most 1000 characters'],
    ['zeros(1e5,1e5)', 'matrix size limit: zeros(100000, 100000) would have 10000000000 elements, more than 100000'],
    ['ones(1e5,1e5)', 'matrix size limit: ones(100000, 100000) would have 10000000000 elements'],
    ['resize([1],[1e9])', 'matrix size limit: resize(1000000000)'],
    ['identity(1e4)', 'matrix size limit: identity(10000) would have 100000000 elements'],
    ['1:1e9', 'matrix size limit: range 1:1000000000'],
    ['range(1, 1e9)', 'function range is not allowed'],
    ['a = "0123456789"; b = concat(a, a, a, a, a, a, a, a, a, a); c = concat(b, b, b, b, b, b, b, b, b, b); d = concat(c, c, c, c, c, c); concat(d, d)', 'string length limit: a string of 12000 characters is longer than 10000'],
    ['a = ones(1000); kron(a, a)', 'matrix size limit: a matrix would have 1000000 elements'],
    ['bignumber(10)^1e7', 'big number size limit: exponent 10000000 is beyond ±10000'],
    ['import({x: 1})', 'function import is not allowed'],
    ['createUnit("foo")', 'function createUnit is not allowed'],
    ['evaluate("1+1")', 'function evaluate is not allowed'],
    ['parse("1")', 'function parse is not allowed'],
    ['simplify("x+x")', 'function simplify is not allowed'],
    ['format(1, 1e9)', 'function format is not allowed'],
    ['f(x) = f(x); f(1)', 'defining functions is not allowed'],
    ['a = [1]; a[1e9] = 1', 'only plain variables can be assigned'],
    ['{a: 1}.a', 'ObjectNode is not allowed'],
    ['__checked(1)', 'function __checked is not allowed'],
    ['2 +* 3', 'cannot parse expression'],
    ['x + 1', 'Undefined symbol x: not a number, constant, unit or variable assigned earlier in the expression'],
    ['cos', 'cos is a function: call it with its arguments, e.g. cos(x)'],
  ])('refuses %s, naming the rule', (expression, message) => {
    expect(() => calculate(expression)).toThrow(CalculationError);
    expect(() => calculate(expression)).toThrow(message);
  });
});

describe('CalculatorPool (worker threads with a deadline and a heap cap)', () => {
  // Until its workers have loaded (seconds through tsx on a busy machine), a short deadline
  // expires on loading alone: each test waits for them first. `workers` evaluations at once
  // succeed only when every worker answers.
  const untilLoaded = async (pool: CalculatorPool, workers = 1) => {
    const answers = () => Promise.all(Array.from({ length: workers }, () => pool.calculate('1'))).then(() => true, () => false);
    for (let tries = 0; !(await answers()); tries++) expect(tries).toBeLessThan(30);
  };
  const pool = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js'), workers: 2, timeoutMs: 1000, maxHeapMb: 64 });
  afterAll(() => pool.close());

  it('answers in a worker, and a runaway evaluation ends at the deadline while the other worker keeps answering', async () => {
    await untilLoaded(pool, 2);
    expect(await pool.calculate('1+1')).toEqual({ expression: '1+1', result: '2', value: 2 });
    const runaway = pool.calculate('isPrime(bignumber("170141183460469231731687303715884105727"))');
    const during = await pool.calculate('2*3');
    expect(during.value).toBe(6);
    await expect(runaway).rejects.toThrow('time limit: the evaluation ran longer than 1000 ms');
    expect((await pool.calculate('sqrt(16)')).value).toBe(4);
  });

  it('ends an evaluation that allocates past the heap cap with a memory-limit error, and serves on', async () => {
    // kron of kron: the intermediate 27-million-element matrix is built before any size check can see it.
    const patient = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js'), workers: 1, timeoutMs: 30_000, maxHeapMb: 64 });
    try {
      await expect(patient.calculate('a = ones(300); kron(kron(a, a), a)')).rejects.toThrow('memory limit: the evaluation needed more than the 64 MB heap it may use');
      expect((await patient.calculate('1+2')).value).toBe(3);
    } finally {
      await patient.close();
    }
  });

  it('bounds the wait for a free worker', async () => {
    const busy = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js'), workers: 1, timeoutMs: 3000, maxWaitMs: 1000 });
    try {
      await untilLoaded(busy);
      const runaway = busy.calculate('isPrime(bignumber("170141183460469231731687303715884105727"))');
      await expect(busy.calculate('1+1')).rejects.toThrow('calculator busy: no worker was free within 1000 ms');
      await expect(runaway).rejects.toThrow('time limit: the evaluation ran longer than 3000 ms');
      await untilLoaded(busy); // its replacement answers
    } finally {
      await busy.close();
    }
  });

  it('refuses new work once its queue is full', async () => {
    const small = new CalculatorPool({ workerFile: join(__dirname, '__fixtures__/calculator-worker.js'), workers: 1, timeoutMs: 500, maxQueue: 1 });
    try {
      const first = small.calculate('isPrime(bignumber("170141183460469231731687303715884105727"))');
      await expect(small.calculate('1+1')).rejects.toThrow('calculator busy: 1 expressions are already waiting');
      await expect(first).rejects.toThrow('time limit');
    } finally {
      await small.close();
    }
  });
});
