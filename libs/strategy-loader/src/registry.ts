import { readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { strategyNames, type StrategyName } from '@tradeyard/strategies';
import { compileStrategy, ParamsError, StrategyDefinitionError, type AnyStrategyDefinition, type CompiledStrategy } from '@tradeyard/strategy';
import { z } from 'zod';
import { loadStrategyFile, StrategyLoadError } from './load';

/** The environment a registry reads (part of the trading agent's validated config). */
export const strategiesConfigShape = {
  STRATEGIES_DIR: z
    .string()
    .min(1, 'must not be empty')
    .optional()
    .describe('A folder of strategy files (.ts, .js) written with @tradeyard/strategy, each found by the name it declares: backtest --strategy=NAME, AGENT_STRATEGY=NAME, an arena agent {"kind":"strategy","strategy":"NAME"}'),
};

/** A strategy a name stands for: one of the four built-in single-symbol strategies, or an SDK strategy from a file. */
export type StrategyEntry = { kind: 'builtin'; name: StrategyName } | { kind: 'file'; name: string; file: string; definition: AnyStrategyDefinition };

/** Strategy files of a folder: .ts, .mts, .js and .mjs, not declarations, specs or tool configs (jest.config.js of a generated project), in name order. */
export const strategyFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.(m?ts|m?js)$/.test(f) && !/\.d\.m?ts$/.test(f) && !/\.(spec|test)\./.test(f) && !/\.config\.m?[jt]s$/.test(f))
    .sort()
    .map((f) => join(dir, f));

/**
 * Every strategy a name can stand for: the built-ins and each file of a strategies folder, by
 * the name its file declares. The HTTP API accepts only these names, never code.
 */
export class StrategyRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, StrategyEntry>) {}

  /** Loads every file of `dir` (when given); a file that fails, or a name taken twice, stops it with one line naming the file. */
  static async load(dir?: string): Promise<StrategyRegistry> {
    const entries = new Map<string, StrategyEntry>(strategyNames.map((name) => [name, { kind: 'builtin', name }]));
    if (dir === undefined) return new StrategyRegistry(entries);
    let files: string[];
    try {
      files = strategyFiles(dir);
    } catch (err) {
      throw new StrategyLoadError(resolve(dir), 'STRATEGIES_DIR', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    for (const path of files) {
      const { file, definition } = await loadStrategyFile(path);
      const taken = entries.get(definition.name);
      if (taken) throw new StrategyLoadError(file, 'name', `${definition.name} is already ${taken.kind === 'builtin' ? 'a built-in strategy' : `the name of ${taken.file}`}`);
      entries.set(definition.name, { kind: 'file', name: definition.name, file, definition });
    }
    return new StrategyRegistry(entries);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  get(name: string): StrategyEntry | undefined {
    return this.entries.get(name);
  }
}

/** True when a --strategy value is a path (it has a folder separator or a script extension), not a name. */
export const isStrategyPath = (ref: string): boolean => ref.includes('/') || ref.includes('\\') || /\.(m?ts|m?js)$/.test(ref);

/**
 * What a --strategy value stands for: a file path (relative to `cwd`), or a name of the registry
 * of `strategiesDir`. An unknown name is a StrategyLoadError listing the known ones.
 */
export async function resolveStrategy(ref: string, options: { strategiesDir?: string; cwd?: string } = {}): Promise<StrategyEntry> {
  if (isStrategyPath(ref)) {
    const { file, definition } = await loadStrategyFile(isAbsolute(ref) ? ref : resolve(options.cwd ?? process.cwd(), ref));
    return { kind: 'file', name: definition.name, file, definition };
  }
  const registry = await StrategyRegistry.load(options.strategiesDir);
  const entry = registry.get(ref);
  if (!entry) throw new StrategyLoadError(ref, 'strategy', `must be one of ${registry.names().join(', ')} or the path of a strategy file`);
  return entry;
}

/** What marks a strategy reference (AGENT_STRATEGY, an arena agent of kind strategy) as a file path rather than a name. */
export const STRATEGY_FILE_PREFIX = 'file:';
export const isStrategyFileRef = (ref: string): boolean => ref.startsWith(STRATEGY_FILE_PREFIX);
const STRATEGY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A strategy reference: `file:PATH` of a strategy file, or the name a strategy declares (a built-in's, or one of STRATEGIES_DIR). */
export const strategyRefSchema = z
  .string({ error: 'must be a string' })
  .refine((ref) => (isStrategyFileRef(ref) ? ref.length > STRATEGY_FILE_PREFIX.length : STRATEGY_NAME.test(ref)), {
    error: 'must be file:PATH of a strategy file or the name of a strategy (1-64 letters, digits, dot, dash or underscore)',
  });

/** An SDK strategy a reference stands for, bound to a run's parameters. */
export interface ResolvedSdkStrategy {
  name: string;
  /** The file it was loaded from. */
  file: string;
  strategy: CompiledStrategy;
}

/**
 * Loads the SDK strategy of a reference (`file:PATH`, relative to `cwd`; or a name of
 * `strategiesDir`) and compiles it with `params`. Every failure is a StrategyLoadError whose one
 * line names the file (or the reference), the key and the rule: `params.lookback: must be at most 250`.
 */
export async function resolveSdkStrategy(ref: string, params: Readonly<Record<string, unknown>>, options: { strategiesDir?: string; cwd?: string } = {}): Promise<ResolvedSdkStrategy> {
  let entry: StrategyEntry;
  if (isStrategyFileRef(ref)) {
    const path = ref.slice(STRATEGY_FILE_PREFIX.length);
    const { file, definition } = await loadStrategyFile(isAbsolute(path) ? path : resolve(options.cwd ?? process.cwd(), path));
    entry = { kind: 'file', name: definition.name, file, definition };
  } else entry = await resolveStrategy(ref, { strategiesDir: options.strategiesDir });
  if (entry.kind === 'builtin') throw new StrategyLoadError(ref, 'strategy', `${ref} is a built-in strategy of one symbol, not one written with @tradeyard/strategy`);
  try {
    return { name: entry.name, file: entry.file, strategy: compileStrategy(entry.definition, params) };
  } catch (err) {
    if (err instanceof ParamsError) throw new StrategyLoadError(entry.file, `params.${err.param}`, err.rule);
    if (err instanceof StrategyDefinitionError) throw new StrategyLoadError(entry.file, err.key, err.rule);
    throw err;
  }
}
