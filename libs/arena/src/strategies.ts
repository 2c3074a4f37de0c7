import { isStrategyFileRef, resolveSdkStrategy, STRATEGY_FILE_PREFIX, StrategyLoadError } from '@tradeyard/strategy-loader';
import type { CompiledStrategy } from '@tradeyard/strategy';
import { isAbsolute, resolve } from 'node:path';
import { ArenaConfigError, type ArenaConfig } from './config';

/** The strategies of a run's agents of kind strategy, by agent name, compiled with their parameters. */
export type ArenaStrategies = ReadonlyMap<string, CompiledStrategy>;

/**
 * Loads every agent of kind strategy: a name of `strategiesDir`, or a `file:` path (absolute: a
 * config file's are made so against its folder, `withStrategyPaths`). A strategy that cannot load,
 * a bad parameter, or a declared universe outside the market is an ArenaConfigError naming the
 * agent's key (`agents.2.params.lookback: must be at most 250 (/home/me/rotation.ts)`).
 */
export async function loadArenaStrategies(config: ArenaConfig, options: { strategiesDir?: string }): Promise<ArenaStrategies> {
  const strategies = new Map<string, CompiledStrategy>();
  const issues: Array<{ field: string; rule: string }> = [];
  for (const [index, agent] of config.agents.entries()) {
    if (agent.kind !== 'strategy') continue;
    try {
      const { strategy } = await resolveSdkStrategy(agent.strategy, agent.params, { strategiesDir: options.strategiesDir });
      const outside = strategy.universe === 'all' ? [] : strategy.universe.filter((s) => !config.market.symbols.includes(s));
      if (outside.length) issues.push({ field: `agents.${index}.strategy`, rule: `${strategy.name} declares the symbols ${outside.join(', ')}, which the market (${config.market.symbols.join(', ')}) does not hold` });
      else strategies.set(agent.name, strategy);
    } catch (err) {
      if (!(err instanceof StrategyLoadError)) throw err;
      // A bad parameter names its key; a name not found says which exist; a file that fails names itself.
      if (err.key.startsWith('params.')) issues.push({ field: `agents.${index}.${err.key}`, rule: `${err.rule} (${err.file})` });
      else issues.push({ field: `agents.${index}.strategy`, rule: err.key === 'strategy' ? err.rule : err.message });
    }
  }
  if (issues.length) throw new ArenaConfigError(issues);
  return strategies;
}

/** The config with each `file:` path of a strategy agent made absolute against `dir` (a config file's folder), so its recording names the file it ran. */
export function withStrategyPaths(config: ArenaConfig, dir: string): ArenaConfig {
  const agents = config.agents.map((agent) => {
    if (agent.kind !== 'strategy' || !isStrategyFileRef(agent.strategy)) return agent;
    const path = agent.strategy.slice(STRATEGY_FILE_PREFIX.length);
    return { ...agent, strategy: `${STRATEGY_FILE_PREFIX}${isAbsolute(path) ? path : resolve(dir, path)}` };
  });
  return { ...config, agents };
}
