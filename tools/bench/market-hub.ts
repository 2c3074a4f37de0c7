/**
 * The market hub over the default universe (SPX, 5 monthly stocks, 100 synthetic symbols): time
 * to build it, a full replay of its 5,105 trading days through tick(), and an idle tick.
 * Run: npx tsx tools/bench/market-hub.ts
 */
import { workspaceLibs } from './workspace-libs';

const { openMarket } = workspaceLibs('bench-market-hub')<typeof import('@tradeyard/market-hub')>('../../libs/market-hub/src/index.ts');

let now = 0;
let started = performance.now();
const { hub } = openMarket({
  provider: 'replay',
  replay: { barsPerSecond: 1, startDate: '2000-01-03', startedAt: 0, now: () => now },
  synthetic: { seed: 1, symbols: 100 },
  binance: { baseUrl: 'http://127.0.0.1:9', symbols: [], interval: '1h' },
  alphavantage: { baseUrl: 'http://127.0.0.1:9', symbols: [] },
  venue: { pollMs: 60_000, timeoutMs: 1000 },
});
console.log(`build: ${hub.symbols().length} symbols in ${(performance.now() - started).toFixed(0)} ms`);

started = performance.now();
let bars = 0;
let ticks = 0;
for (; hub.time() < Date.UTC(2020, 3, 17); ticks++) {
  now += 1000;
  for (const event of hub.tick()) if (event.channel === 'bars') bars++;
}
const replayMs = performance.now() - started;
console.log(`full replay: ${ticks} ticks, ${bars} bars in ${replayMs.toFixed(0)} ms = ${Math.round((bars / replayMs) * 1000)} bars/s, ${(replayMs / ticks).toFixed(3)} ms a tick`);

started = performance.now();
for (let i = 0; i < 100_000; i++) hub.tick();
console.log(`idle tick: ${(((performance.now() - started) / 100_000) * 1000).toFixed(2)} us`);
