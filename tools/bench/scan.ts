/**
 * Time to scan the whole S&P 500 history (5,105 daily bars) with 5 rules, parse to signals,
 * median of several runs; baseline in the same run: the same 5 conditions hand-coded on the
 * indicator classes (the floor a rule language could reach). Run: npx tsx tools/bench/scan.ts
 */
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-scan');
const { Highest, Rsi, Sma } = lib<typeof import('@tradeyard/indicators')>('../../libs/indicators/src/index.ts');
const { bundledProvider } = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const { scanHistory } = lib<typeof import('@tradeyard/scanner-core')>('../../libs/scanner-core/src/index.ts');

const rules = ['rsi(14) < 30', 'cross_above(sma(close, 50), sma(close, 200))', 'volume > 2 * sma(volume, 20)', 'close > highest(high, 20)[1]', 'cross_below(sma(close, 50), sma(close, 200))'];

async function main() {
  const provider = bundledProvider('sp500');
  const bars = await provider.history('SPX');

  const viaRules = async () => (await scanHistory(provider, rules.map((expression, i) => ({ id: `rule-${i}`, expression })))).length;
  const handCoded = async () => {
    const rsi = new Rsi(14);
    const fast = new Sma(50);
    const slow = new Sma(200);
    const vol = new Sma(20);
    const highest = new Highest(20);
    let hits = 0;
    let prev = [false, false, false, false, false];
    let prevFast = NaN;
    let prevSlow = NaN;
    let prevHighest = NaN;
    for (const b of bars) {
      const r = rsi.update(b.close) ?? NaN;
      const f = fast.update(b.close) ?? NaN;
      const s = slow.update(b.close) ?? NaN;
      const v = vol.update(b.volume) ?? NaN;
      const now = [r < 30, f > s && prevFast <= prevSlow, b.volume > 2 * v, b.close > prevHighest, f < s && prevFast >= prevSlow];
      prevHighest = highest.update(b.high) ?? NaN;
      prevFast = f;
      prevSlow = s;
      for (let i = 0; i < 5; i++) if (now[i] && !prev[i]) hits++;
      prev = now;
    }
    return hits;
  };

  const median = async (fn: () => Promise<number>, runs: number) => {
    const ms: number[] = [];
    let result = 0;
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      result = await fn();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return { ms: ms[Math.floor(ms.length / 2)], result };
  };

  await viaRules(); // load the CSV and warm the JIT
  const a = await median(viaRules, 11);
  const b = await median(handCoded, 11);
  console.log(`S&P 500 history: ${bars.length} bars, ${rules.length} rules`);
  console.log(`scan with compiled rules : median ${a.ms.toFixed(2)} ms over 11 runs, ${a.result} signals`);
  console.log(`hand-coded baseline      : median ${b.ms.toFixed(2)} ms over 11 runs, ${b.result} signals`);
  console.log(`goal < 100 ms            : ${a.ms < 100 ? 'met' : 'NOT met'}`);
}

void main();
