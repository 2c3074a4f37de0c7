import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileStrategy, defineStrategy, p } from '@tradeyard/strategy';
import { loadStrategyFile, resolveSdkStrategy, resolveStrategy, StrategyLoadError, StrategyRegistry, strategyRefSchema } from './index';

// A folder outside the repository, as a user's own.
const dir = mkdtempSync(join(tmpdir(), 'strategy-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

// The issue-22 file, as the examples folder holds it.
const momentum = readFileSync(join(__dirname, '../../../examples/strategies/momentum-rotation.ts'), 'utf8');

const failure = async (path: string) => {
  try {
    await loadStrategyFile(path);
  } catch (err) {
    expect(err).toBeInstanceOf(StrategyLoadError);
    return (err as Error).message;
  }
  throw new Error(`${path} loaded`);
};

describe('loadStrategyFile', () => {
  it('loads a TypeScript file outside the repository, importing this process’s SDK instance', async () => {
    const path = write(
      'mine/momentum.ts',
      `${momentum}
import { half } from './helpers';
import { sep } from 'node:path';
(globalThis as Record<string, unknown>).loaderProbe = { defineStrategy, p, half: half(8), sep };
`,
    );
    write('mine/helpers.ts', 'export const half = (x: number): number => x / 2;\n');
    const { file, definition } = await loadStrategyFile(path);
    expect(file).toBe(path);
    expect(definition.name).toBe('momentum-rotation');
    expect(compileStrategy(definition, { lookback: 90 }).warmup).toBe(91);
    const probe = (globalThis as unknown as { loaderProbe: { defineStrategy: unknown; p: unknown } }).loaderProbe;
    expect(probe).toEqual({ defineStrategy, p, half: 4, sep: '/' });
    // The very functions of this process's SDK, not a copy.
    expect(probe.defineStrategy).toBe(defineStrategy);
    expect(probe.p).toBe(p);
  });

  it('loads a JavaScript file, and an edited file anew', async () => {
    const path = write('plain.js', momentum.replace("'momentum-rotation'", "'first'"));
    expect((await loadStrategyFile(path)).definition.name).toBe('first');
    write('plain.js', momentum.replace("'momentum-rotation'", "'second'"));
    expect((await loadStrategyFile(path)).definition.name).toBe('second');
  });

  it.each([
    ['bad-key.ts', momentum.replace("rebalance: 'monthly'", "rebalance: 'daily'"), 'rebalance: must be one of bar, weekly, monthly'],
    ['bad-param.ts', momentum.replace('p.int(20, 250, 120)', 'p.int(20, 250, 500)'), 'params.lookback: default 500 must be between 20 and 250'],
    ['typo.ts', momentum.replace('rebalance:', 'rebalence:'), 'rebalence: is not a key of a strategy'],
    ['syntax.ts', momentum.replace('decide(ctx) {', 'decide(ctx) {{'), 'line 20:4: Unexpected ","'],
    ['no-default.ts', momentum.replace('export default ', 'export const strategy = '), "default export: must be a strategy: export default defineStrategy({ ... }) from '@tradeyard/strategy'"],
    ['throws.ts', `${momentum}\nthrow new Error('no data for this idea');\n`, 'load: no data for this idea'],
    ['unknown-import.ts', `import { x } from 'no-such-package';\nconsole.log(x);\n${momentum}`, 'line 1:19: Could not resolve "no-such-package"'],
  ])('%s stops with one line naming the file, the key and the rule', async (name, text, message) => {
    const path = write(name, text);
    const line = await failure(path);
    expect(line).toContain(`${path}: ${message}`);
    expect(line).not.toContain('\n');
  });

  it('names a file it cannot read', async () => {
    expect(await failure(join(dir, 'missing.ts'))).toBe(`${join(dir, 'missing.ts')}: file: cannot be read (ENOENT)`);
  });
});

describe('strategy registry', () => {
  const folder = (name: string, files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) write(join(name, file), text);
    return join(dir, name);
  };

  it('names the built-ins and every strategy file of STRATEGIES_DIR', async () => {
    const strategies = folder('registry', { 'a.ts': momentum, 'b.js': momentum.replace("'momentum-rotation'", "'equal-weight'"), 'notes.md': '# not a strategy', 'a.spec.ts': 'not loaded', 'jest.config.js': 'not loaded' });
    const registry = await StrategyRegistry.load(strategies);
    expect(registry.names()).toEqual(['buy-and-hold', 'sma-cross', 'rsi-reversion', 'breakout', 'momentum-rotation', 'equal-weight']);
    expect(registry.get('equal-weight')).toMatchObject({ kind: 'file', file: join(strategies, 'b.js') });
    expect(registry.get('sma-cross')).toEqual({ kind: 'builtin', name: 'sma-cross' });
    expect(await resolveStrategy('momentum-rotation', { strategiesDir: strategies })).toMatchObject({ kind: 'file', name: 'momentum-rotation' });
    expect(await resolveStrategy('./registry/b.js', { cwd: dir })).toMatchObject({ kind: 'file', name: 'equal-weight' });
  });

  it('refuses a name taken twice, or a built-in name, naming the file', async () => {
    const twice = folder('twice', { 'a.ts': momentum, 'b.ts': momentum });
    await expect(StrategyRegistry.load(twice)).rejects.toThrow(`${join(twice, 'b.ts')}: name: momentum-rotation is already the name of ${join(twice, 'a.ts')}`);
    const builtin = folder('builtin', { 'a.ts': momentum.replace("'momentum-rotation'", "'sma-cross'") });
    await expect(StrategyRegistry.load(builtin)).rejects.toThrow(`${join(builtin, 'a.ts')}: name: sma-cross is already a built-in strategy`);
  });

  it('answers an unknown name with the known ones', async () => {
    await expect(resolveStrategy('macd')).rejects.toThrow('macd: strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout or the path of a strategy file');
    await expect(StrategyRegistry.load(join(dir, 'nope'))).rejects.toThrow(`${join(dir, 'nope')}: STRATEGIES_DIR: cannot be read (ENOENT)`);
  });
});

describe('resolveSdkStrategy: file:PATH or a name, with the run’s parameters', () => {
  it('loads file:PATH (relative to cwd) or a name of STRATEGIES_DIR and compiles it with the parameters', async () => {
    const strategies = join(dir, 'resolve');
    write('resolve/rotation.ts', momentum);
    const byPath = await resolveSdkStrategy('file:resolve/rotation.ts', { lookback: 60 }, { cwd: dir });
    expect(byPath).toMatchObject({ name: 'momentum-rotation', file: join(strategies, 'rotation.ts') });
    expect(byPath.strategy.params).toEqual({ lookback: 60, top: 2 });
    expect(byPath.strategy.warmup).toBe(61);
    // file: always means a path, even without a folder or an extension.
    write('rotation', momentum);
    expect((await resolveSdkStrategy('file:rotation', {}, { cwd: dir })).file).toBe(join(dir, 'rotation'));
    expect((await resolveSdkStrategy('momentum-rotation', {}, { strategiesDir: strategies })).strategy.params).toEqual({ lookback: 120, top: 2 });
  });

  it.each([
    ['file:resolve/rotation.ts', { lookback: 500 }, `${join(dir, 'resolve/rotation.ts')}: params.lookback: must be at most 250`],
    ['file:resolve/rotation.ts', { lookbak: 50 }, `${join(dir, 'resolve/rotation.ts')}: params.lookbak: is not a parameter of this strategy (it declares lookback, top)`],
    ['file:resolve/missing.ts', {}, `${join(dir, 'resolve/missing.ts')}: file: cannot be read (ENOENT)`],
    ['sma-cross', {}, 'sma-cross: strategy: sma-cross is a built-in strategy of one symbol, not one written with @tradeyard/strategy'],
    ['macd', {}, 'macd: strategy: must be one of buy-and-hold, sma-cross, rsi-reversion, breakout, momentum-rotation or the path of a strategy file'],
  ])('%s %j stops with one line naming the file (or the name), the key and the rule', async (ref, params, message) => {
    write('resolve/rotation.ts', momentum);
    await expect(resolveSdkStrategy(ref, params, { cwd: dir, strategiesDir: join(dir, 'resolve') })).rejects.toThrow(message);
  });

  it('tells a reference from anything else', () => {
    expect(strategyRefSchema.safeParse('file:/x/y.ts').success).toBe(true);
    expect(strategyRefSchema.safeParse('momentum-rotation').success).toBe(true);
    expect(strategyRefSchema.safeParse('file:').success).toBe(false);
    expect(strategyRefSchema.safeParse('../up.ts').success).toBe(false);
  });
});
