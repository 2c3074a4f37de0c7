import type { JsonObject } from '@tradeyard/strategy';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a live SDK strategy keeps between cycles and across restarts. */
export interface LiveStrategyState {
  /** Names the orders it places (their clientOrderId): the same across restarts, new for a new DATA_DIR. */
  instance: string;
  /** The clock's epoch and time of the last step decided on (null: none yet). */
  epoch: number | null;
  lastStep: number | null;
  /** When the strategy last decided: its rebalance period does not decide again after a restart. */
  decidedAt: number | null;
  /** ctx.state. */
  state: JsonObject;
  /** The strategy's own names of its open orders (and of the bracket entries of open exits), by broker order id. */
  orders: Record<string, { clientId: string | null; reason: string | null }>;
}

export const freshStrategyState = (instance = randomUUID().slice(0, 8)): LiveStrategyState => ({ instance, epoch: null, lastStep: null, decidedAt: null, state: {}, orders: {} });

/** Where a live strategy's state is kept: a file in the agent's DATA_DIR, or memory (an arena run). */
export interface StrategyStateStore {
  load(): LiveStrategyState;
  save(state: LiveStrategyState): void;
}

export const memoryStateStore = (prefix?: string): StrategyStateStore => {
  let kept = freshStrategyState(prefix);
  return { load: () => kept, save: (state) => void (kept = state) };
};

/**
 * DATA_DIR/strategy-state/<strategy name>.json, replaced whole on each save (written aside, then
 * renamed), so a restart finds the last cycle's state or the one before, never half of one.
 */
export function fileStateStore(dataDir: string, strategyName: string): StrategyStateStore {
  const dir = join(dataDir, 'strategy-state');
  const file = join(dir, `${strategyName}.json`);
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return freshStrategyState();
        throw err;
      }
      try {
        return { ...freshStrategyState(), ...(JSON.parse(text) as Partial<LiveStrategyState>) };
      } catch (err) {
        throw new Error(`${file}: is not the JSON a live strategy saves (${(err as Error).message}); move it away to start afresh`);
      }
    },
    save(state) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    },
  };
}
